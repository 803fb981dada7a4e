"""What each header field and claim of a token means in the product (content/claims.yaml), and times in words."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from flowguide.claims import Claim, ClaimsFile, TokenKindId, claims
from flowguide.tokens.decoding import DecodedToken


@dataclass(frozen=True)
class ClaimExplanation:
    """One header field or claim as the inspector shows it."""

    name: str
    part: Literal["header", "payload"]
    value: Any
    rendered: str
    meaning: str
    known: bool
    tokens: tuple[TokenKindId, ...] = ()
    is_time: bool = False
    docs: tuple[tuple[str, str], ...] = ()  # (title, url)


def _finite_time(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    # Years 1 to 9999 are what datetime can show.
    if not math.isfinite(number) or not -62_135_596_800 <= number <= 253_402_300_799:
        return None
    return number


def duration(seconds: float) -> str:
    """A span of seconds in words a reader scans ("59 min", "30 days")."""
    seconds = abs(int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86_400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{seconds // 86_400} days"


UTC_FORMAT = "%Y-%m-%d %H:%M:%S UTC"


def utc_text(when: float) -> str:
    """A Unix time as datetime.fromtimestamp(when, UTC) shows it in ``UTC_FORMAT``."""
    if when == int(when):
        # A whole second (every JWT time) through time.gmtime: the same text in a third of datetime's time.
        return time.strftime(UTC_FORMAT, time.gmtime(int(when)))
    return datetime.fromtimestamp(when, tz=UTC).strftime(UTC_FORMAT)


def render_time(value: Any, now: float, role: str | None) -> str:
    """A Unix time as an ISO date and, relative to now, what it means ("expires in 59 min")."""
    when = _finite_time(value)
    if when is None:
        return f"{json.dumps(value)} (not a valid Unix time)"
    iso = utc_text(when)
    delta = when - now
    span = duration(delta)
    future = delta > 0
    if role == "expires":
        relative = f"expires in {span}" if future else f"expired {span} ago"
    elif role == "not_before":
        relative = f"not valid for another {span}" if future else f"valid since {span} ago"
    elif role == "authenticated":
        relative = f"signed in {span} from now (in the future!)" if future else f"signed in {span} ago"
    else:
        relative = f"issued {span} from now (in the future!)" if future else f"issued {span} ago"
    if abs(delta) < 1:
        relative = {"expires": "expires now", "not_before": "valid from now"}.get(role or "", "just now")
    return f"{iso} ({relative})"


def _render_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) if value else "(empty list)"
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _explain_one(name: str, value: Any, part: Literal["header", "payload"], entry: Claim | None, now: float):
    if entry is None:
        meaning = (
            "Not a field the product documents for this part of the token: a custom claim or one from another provider."
        )
        return ClaimExplanation(name, part, value, _render_value(value), meaning, known=False)
    rendered = render_time(value, now, entry.time) if entry.time else _render_value(value)
    docs = tuple((d.title, d.url) for d in entry.docs)
    return ClaimExplanation(
        name, part, value, rendered, entry.meaning, True, entry.tokens, entry.time is not None, docs
    )


def explain(decoded: DecodedToken, now: float, catalogue: ClaimsFile | None = None) -> list[ClaimExplanation]:
    """Every header field and claim of a decoded token, with its meaning and a readable value."""
    if not decoded.ok:
        return []
    book = catalogue or claims()
    rows = [
        _explain_one(str(k), v, "header", book.header_field(str(k)), now) for k, v in (decoded.header or {}).items()
    ]
    rows += [_explain_one(str(k), v, "payload", book.claim(str(k)), now) for k, v in (decoded.payload or {}).items()]
    return rows
