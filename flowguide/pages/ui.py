"""Views the pages share. The diagram view: chart, legend, the diagram in words, exports."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from flowguide import diagrams
from flowguide.links import app_link, markdown_link
from flowguide.pages.markup import markup

if TYPE_CHECKING:  # only for the hints: the pages that pass these import them already
    from flowguide.guide import Recommendation
    from flowguide.simulation import Simulation

# Page files are named from here, not from the entry script, which differs between a checkout and a wheel.
PAGES_DIR = Path(__file__).resolve().parent


def page(name: str) -> Path:
    """The file of one page, for st.page_link, wherever the app was started from."""
    return PAGES_DIR / f"{name}.py"


LEGEND = (
    "Solid arrow: request · dashed: response · dotted: redirect (the browser is sent on). "
    "**Orange, bold: this step** · blue: done · grey: still to come."
)
# The key of an on-demand "Link to this" expander (one per page): tests open it as a reader does.
LINK_KEY = "link_to_this"
# What a run adds: a failed step in red with its real answer, and the steps it never reached.
LEGEND_RUN = " **Red ✗: failed**, with the status and error that came back · grey italic, dashed: not reached."


def diagram_view(
    diagram_id: str,
    highlight_step: str | None = None,
    *,
    key: str | None = None,
    exports: bool = True,
    outcome: diagrams.Outcome | None = None,
    variant: str | None = None,
    params: Mapping[str, str] | None = None,
    on_demand: bool = False,
    still: bool = False,
) -> None:
    """Draw one diagram from ``diagrams/`` with its legend, its text alternative and export buttons.

    ``highlight_step`` marks one step of a flow and draws it large, with its neighbours, the whole
    diagram one click away; ``outcome`` (step id -> ok, failed, not reached) draws what a run really
    did; ``variant`` is the kind of client (``web``, ``spa``, ``native``, ``cli``) and ``params`` fills
    the spec's placeholders (``scope``). ``key`` must differ between two views on the same page.
    ``on_demand`` sends the whole diagram and the diagram in words to the browser only while their
    expanders are open (opening one reruns the page, or the fragment): a page that changes step often
    then does not make every visitor's browser draw what is hidden at each step. ``still`` (a page drawn
    once) sends the picture in the page's Markdown rather than through flowguide.pages.markup.
    """
    state = (diagram_id, variant, tuple(sorted((params or {}).items())))
    spec = diagrams.resolved_spec(*state)
    key = key or f"diagram_{diagram_id}"
    run = diagrams.outcome_key(outcome)
    focus = spec.kind == "sequence" and highlight_step in spec.step_ids()
    # Each state is laid out once per process (diagrams.state_html); a rerun only looks it up.
    view = f"{key}-{'focus' if focus else 'whole'}"
    _svg(diagrams.state_html(*state, highlight_step, run, focus=focus, name=view), view, still=still)
    if spec.kind == "sequence":
        legend = LEGEND if highlight_step else LEGEND.split(" **")[0]
        st.caption(legend + (LEGEND_RUN if outcome else ""))
    if focus:
        _whole_diagram(diagrams.state_html(*state, highlight_step, run, name=f"{key}-whole"), key, on_demand)
    words = st.expander(
        "The diagram in words", key=f"{key}_words" if on_demand else None, on_change="rerun" if on_demand else "ignore"
    )
    if not on_demand or words.open:
        bullet = "" if spec.kind == "sequence" else "- "
        words.markdown("\n".join(f"{bullet}{line}" for line in diagrams.state_words(*state, run)))
    if exports:
        _export_buttons(spec, key, state)


def _whole_diagram(page_svg: str, key: str, on_demand: bool) -> None:
    box = st.expander(
        "The whole diagram",
        icon=":material/zoom_out_map:",
        key=f"{key}_whole" if on_demand else None,
        on_change="rerun" if on_demand else "ignore",
    )
    if not on_demand or box.open:
        box.caption("Every step, at a size you can read; scroll sideways where it is wider than the page.")
        with box:
            _svg(page_svg, f"{key}-whole")


def recommended_diagram(recommendation: Recommendation) -> dict[str, Any]:
    """diagram_view's ``variant`` and ``params`` for the guide's answer: its kind of client and scopes.

    The consent shows the scopes the sign-in part asks for, the ones its registration allows.
    """
    sign_in = next((r for r in recommendation.registrations if r.part == "interactive"), None)
    params = {"scope": scope_words(sign_in.request_scope)} if sign_in else {}
    return {"variant": recommendation.answers.get("client"), "params": params}


def run_diagram(sim: Simulation) -> dict[str, Any]:
    """diagram_view's ``outcome``, ``variant`` and ``params`` for a simulator run: what each step really did."""
    return {
        "outcome": diagrams.run_outcome(sim.results, sim.steps, finished=sim.finished),
        "variant": sim.client_id,
        "params": {"scope": scope_words(sim.app.scope)},
    }


def scope_words(scope: str) -> str:
    """A scope parameter as a consent page lists it: ``openid profile read`` -> ``openid, profile, read``."""
    return ", ".join(scope.split())


def graph_view(dot_source: str, label: str, name: str) -> None:
    """A graph of our own (the guide's decision tree) drawn on the server, readable at any width."""
    _svg(diagrams.tree_html(dot_source, label, name), name)


def _svg(page_svg: str, name: str, *, still: bool = False) -> None:
    # Our own specs drawn by Graphviz (labels escaped, error codes reduced to a plain token): no visitor text.
    if still:
        # A page drawn once (the start page): the picture comes with the page's first answer, while the
        # component that redraws pages changing step would make a first visit wait for its script.
        st.markdown(page_svg, unsafe_allow_html=True)
    else:
        markup(page_svg, key=f"fg_svg_{name}")


def _export_buttons(spec: diagrams.DiagramSpec, key: str, state: tuple[str, str | None, diagrams.Params]) -> None:
    # Exports show the plain diagram (no step highlighted, light colours), ready for documentation.
    dot_source, mermaid = diagrams.export_texts(*state)
    dot_col, svg_col, mermaid_col = st.columns(3)
    dot_col.download_button(
        "DOT",
        dot_source,
        file_name=f"{spec.id}.dot",
        mime="text/vnd.graphviz",
        key=f"{key}_dot",
        icon=":material/download:",
        on_click="ignore",
    )
    svg_col.download_button(
        "SVG",
        lambda: diagrams.render_svg(dot_source),
        file_name=f"{spec.id}.svg",
        mime="image/svg+xml",
        key=f"{key}_svg",
        icon=":material/download:",
        on_click="ignore",
    )
    mermaid_col.download_button(
        "Mermaid",
        mermaid,
        file_name=f"{spec.id}.mmd",
        mime="text/plain",
        key=f"{key}_mermaid",
        icon=":material/download:",
        on_click="ignore",
        help="Paste into the documentation's Markdown inside a mermaid code block.",
    )


def link_to_this_key(path: str) -> str:
    """The session-state key of a page's on-demand "Link to this" (one per page: opening one opens no other)."""
    return f"{LINK_KEY}_{path}" if path else LINK_KEY


def link_to_this(title: str, path: str, params: dict[str, str] | None = None, *, on_demand: bool = False) -> None:
    """The stable link to what the reader sees, and a Markdown snippet for documentation writers.

    ``on_demand`` sends the two code blocks only while the expander is open (opening it reruns the page):
    a page with no other code block then spares every first visit the browser's 1.5 MB syntax highlighter.
    """
    # Inside a documentation page's iframe the page stands alone: no chrome for sharing it.
    if st.context.is_embedded:
        return
    url = app_link(path, params)
    box = st.expander(
        "Link to this",
        icon=":material/link:",
        key=link_to_this_key(path) if on_demand else None,
        on_change="rerun" if on_demand else "ignore",
    )
    if on_demand and not box.open:
        return
    with box:
        st.caption("The address of exactly this view. It never carries a secret, code or token.")
        st.code(url, language="text")
        st.caption("For a documentation page, in Markdown:")
        st.code(markdown_link(title, url), language="markdown")
