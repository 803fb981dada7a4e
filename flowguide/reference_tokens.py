"""Reference access tokens (PAT, SAT) as the inspector and the simulator explain them (pure; no Streamlit).

The words are content (``content/reference_tokens.yaml``). ``inspect_reference`` says whether pasted text is
a reference token and whether it is well formed; the value itself stays with the caller, never in a result's
repr. The sandbox's own issuing and checking is ``flowguide.sandbox.reference_tokens``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from pydantic import Field, StrictStr

from flowguide.content import CONTENT_DIR, DocLink, Model, load_file
from flowguide.sandbox.reference_tokens import PREFIX, well_formed

# What a visitor may paste around the value: the header it was sent in.
_HEADER_PREFIX = re.compile(r"^(authorization\s*:\s*)?bearer\s+|^(x-api-key|api-key)\s*:\s*", re.IGNORECASE)


class Point(Model):
    title: StrictStr
    text: StrictStr


class ReferenceTokensFile(Model):
    """content/reference_tokens.yaml."""

    title: StrictStr
    summary: StrictStr
    points: tuple[Point, ...] = Field(min_length=1)
    malformed: StrictStr
    docs: tuple[DocLink, ...] = Field(min_length=1)
    sandbox_choices: tuple[StrictStr, ...] = ()


@cache
def reference_content() -> ReferenceTokensFile:
    return load_file(CONTENT_DIR / "reference_tokens.yaml", ReferenceTokensFile)


@dataclass(frozen=True)
class ReferenceInspection:
    """What can be said of pasted text without asking anyone: is it a reference token, is it well formed."""

    value: str = field(repr=False)
    well_formed: bool
    notes: tuple[str, ...] = ()


def inspect_reference(text: str) -> ReferenceInspection | None:
    """The pasted text as a reference token (a header or "Bearer " around it is dropped), or None."""
    notes: list[str] = []
    value = text.strip()
    stripped = _HEADER_PREFIX.sub("", value, count=1).strip()
    if stripped != value:
        notes.append("Removed the header around the token: the value is what follows it.")
    if not stripped.startswith(PREFIX):
        return None
    return ReferenceInspection(stripped, well_formed(stripped), tuple(notes))
