"""What a step did: its exchanges, the checks the client made, the values worth showing, and any error.

The checks are :class:`flowguide.tokens.Check`, the same record the token inspector shows, so a reader
never sees two kinds of verdict on one token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowguide.tokens import Check
from flowguide.transcript import Exchange

__all__ = ["Check", "OddResponse", "StepError", "StepResult", "Tokens"]


@dataclass
class StepError:
    """An error a step met: the OAuth error code (RFC 6749 §5.2, RFC 6750 §3.1) or a client check.

    ``expected`` marks an error the flow exists to show (the expired token's 401 in the refresh
    flow); the run goes on after it.
    """

    code: str
    description: str = ""
    status: int | None = None
    expected: bool = False


class OddResponse(ValueError):
    """A provider's answer in a shape the client cannot use; ``str()`` is one sentence."""


@dataclass
class StepResult:
    """What one step did: its exchanges, checks, the values worth showing, and any error."""

    flow: str
    step: str
    exchanges: list[Exchange] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    error: StepError | None = None

    @property
    def ok(self) -> bool:
        """Whether the step went as the flow intends (an expected error counts as going well)."""
        return (self.error is None or self.error.expected) and all(c.passed is not False for c in self.checks)

    def check(self, name: str, passed: bool, detail: str = "") -> bool:
        """Record one check the client made; returns whether it held."""
        self.checks.append(Check(name, passed, detail))
        return passed

    def failed(self) -> list[str]:
        return [c.name for c in self.checks if c.passed is False]


@dataclass
class Tokens:
    """The tokens one application holds."""

    access_token: str = ""
    refresh_token: str = ""
    id_token: str = ""
    expires_in: int = 0
    scope: str = ""
