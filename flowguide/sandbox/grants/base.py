"""What every sandbox grant shares: the client authentication methods it accepts (RFC 6749 §2.3), and codes."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..state import SandboxState

# "none" lets a Public client be identified, so that a refusal names the real reason, not a puzzle.
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


def sandbox_state(server: Any) -> SandboxState:
    """The state of the sandbox that a grant's authorization server serves."""
    return server.sandbox.state


# Authlib's alphabet and length for authorization codes: 48 letters and digits.
CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 48
# The largest multiple of the alphabet's size a byte can hold: bytes from it up are skipped, so no letter is likelier.
_UNBIASED_BELOW = 256 - 256 % len(CODE_ALPHABET)


def new_authorization_code() -> str:
    """A fresh code from the system's CSPRNG, read once (Authlib's own draws once per character)."""
    code: list[str] = []
    while len(code) < CODE_LENGTH:
        code += [CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in secrets.token_bytes(64) if b < _UNBIASED_BELOW]
    return "".join(code[:CODE_LENGTH])
