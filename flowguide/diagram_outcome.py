"""How each step of a run went, as a diagram draws it: ok, failed (with the real status and error), not reached.

The simulator knows each step's result (flowguide.client.StepResult); :func:`run_outcome` turns those
results into what the diagram needs, so a failed step is drawn with the answer it really got
(``400 invalid_grant``) instead of the spec's success label, and the steps after it as never reached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

OutcomeState = Literal["ok", "failed", "not_reached"]
# RFC 6749 §5.2 error codes are printable ASCII; a diagram shows only a plain token of them.
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


@dataclass(frozen=True)
class StepOutcome:
    """One step's outcome; ``status`` and ``code`` say how a failed step was answered."""

    state: OutcomeState
    status: int | None = None
    code: str | None = None

    def __post_init__(self) -> None:
        # The label goes into an SVG shown as HTML: only an integer status and a plain error token.
        if self.code is not None and not _ERROR_CODE.fullmatch(self.code):
            object.__setattr__(self, "code", "error")
        if self.status is not None and not (isinstance(self.status, int) and 100 <= self.status <= 599):
            object.__setattr__(self, "status", None)

    @property
    def failure(self) -> str:
        """The answer in a few words: ``400 invalid_grant``, ``302 error=access_denied``, ``state_mismatch``."""
        code = self.code or "a check failed"
        if self.status is None:
            return code
        # An error the identity service sends back in a redirect is a query parameter (RFC 6749 §4.1.2.1).
        return f"{self.status} error={code}" if 300 <= self.status < 400 and self.code else f"{self.status} {code}"


OK = StepOutcome("ok")
NOT_REACHED = StepOutcome("not_reached")


def failed(status: int | None, code: str | None) -> StepOutcome:
    """A step that went wrong, answered with ``status`` (None when no response carried it) and ``code``."""
    return StepOutcome("failed", status, code)


Outcome = Mapping[str, StepOutcome]


def _status_of(result: Any) -> int | None:
    """The status of the response that carried the error, when one of the step's exchanges did."""
    statuses = [e.status for e in result.exchanges]
    error = result.error
    if error is not None:
        return error.status if error.status in statuses else None
    return statuses[-1] if statuses else None


def step_outcome(result: Any) -> StepOutcome:
    """One StepResult as an outcome: ok (an expected error counts as ok), or failed with its answer."""
    if result.ok:
        return OK
    code = result.error.code if result.error is not None else None
    return failed(_status_of(result), code)


def run_outcome(results: Iterable[Any], steps: Sequence[str], finished: bool = False) -> dict[str, StepOutcome]:
    """Each step that ran, by id; once a finished run has failed, the steps after it as not reached."""
    outcome = {r.step: step_outcome(r) for r in results}
    if finished and any(o.state == "failed" for o in outcome.values()):
        for step in steps:
            outcome.setdefault(step, NOT_REACHED)
    return outcome
