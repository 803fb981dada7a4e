"""What each JWT header field and claim means in the product: the model of content/claims.yaml.

The token inspector and the simulator explain a decoded token with these entries; the text lives in
YAML so documentation writers can change it without touching Python.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import Field, StrictStr, model_validator

from flowguide.content import CONTENT_DIR, DocLink, Model, load_file, require_unique

TokenKindId = Literal["user", "service", "id"]
# How a time claim reads relative to now: "expires in 59 min", "issued 1 min ago", ...
TimeRole = Literal["expires", "issued", "not_before", "authenticated"]


class TokenKindInfo(Model):
    """One kind of token the inspector recognises (user access, service access, ID token)."""

    id: TokenKindId
    title: StrictStr
    summary: StrictStr
    docs: tuple[DocLink, ...] = ()


class Claim(Model):
    """One header field or claim: its name, what it means, in which tokens it appears."""

    name: StrictStr = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    meaning: StrictStr
    tokens: tuple[TokenKindId, ...] = Field(min_length=1)
    time: TimeRole | None = None
    # Other names the same claim goes by (the user-flow and service-flow spellings).
    aliases: tuple[StrictStr, ...] = ()
    docs: tuple[DocLink, ...] = ()


class ClaimsFile(Model):
    kinds: tuple[TokenKindInfo, ...] = Field(min_length=1)
    header: tuple[Claim, ...] = Field(min_length=1)
    claims: tuple[Claim, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> ClaimsFile:
        require_unique([k.id for k in self.kinds], "kinds")
        require_unique([h.name for h in self.header], "header")
        require_unique([n for c in self.claims for n in (c.name, *c.aliases)], "claims")
        return self

    def claim(self, name: str) -> Claim | None:
        """The payload claim with this name or alias."""
        return next((c for c in self.claims if name == c.name or name in c.aliases), None)

    def header_field(self, name: str) -> Claim | None:
        return next((h for h in self.header if h.name == name), None)

    def kind(self, kind_id: str) -> TokenKindInfo | None:
        return next((k for k in self.kinds if k.id == kind_id), None)


@cache
def claims() -> ClaimsFile:
    """content/claims.yaml, branded and validated (loaded once; it never changes while running)."""
    return load_file(CONTENT_DIR / "claims.yaml", ClaimsFile)
