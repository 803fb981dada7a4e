"""What AppTest saw of the markup flowguide.pages.markup draws (the diagrams): the component's data."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from flowguide.pages.markup import COMPONENT


def markups(at: AppTest) -> list[str]:
    """Every piece of markup the page drew through the markup component, in page order."""
    return [e.proto.bytes.decode() for e in at.get("bidi_component") if e.proto.component_name == COMPONENT]
