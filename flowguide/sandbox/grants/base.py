"""What every sandbox grant shares: the client authentication methods it accepts (RFC 6749 §2.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..state import SandboxState

# "none" lets a Public client be identified, so that a refusal names the real reason, not a puzzle.
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


def sandbox_state(server: Any) -> SandboxState:
    """The state of the sandbox that a grant's authorization server serves."""
    return server.sandbox.state
