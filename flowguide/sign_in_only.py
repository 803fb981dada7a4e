"""Sign-in only (the guide's purpose=identity): the app learns who signed in and calls no API.

The guide marks it in the registration itself, an interactive part with an empty Scope; the diagram draws
it with the authorization_code spec's ``signin_<client>`` variants (diagrams/authorization_code.yaml).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowguide.guide import Recommendation

VARIANT_PREFIX = "signin_"


def is_sign_in_only(rec: Recommendation) -> bool:
    """Whether the sign-in part only signs people in: it registers no API scope."""
    return any(r.part == "interactive" and r.get("Scope") == "" for r in rec.registrations)


def diagram_options(rec: Recommendation, flow: str, shown: Mapping[str, Any]) -> dict[str, Any]:
    """diagram_view's options for one of the recommendation's flows, the sign-in-only variant where it applies."""
    if flow != "authorization_code" or not is_sign_in_only(rec):
        return dict(shown)
    return {**shown, "variant": VARIANT_PREFIX + (shown.get("variant") or "web")}
