"""Views the pages share. The diagram view: chart, legend, the diagram in words, exports."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from flowguide import diagrams
from flowguide.links import app_link, markdown_link

# Page files are named from here, not from the entry script, which differs between a checkout and a wheel.
PAGES_DIR = Path(__file__).resolve().parent


def page(name: str) -> Path:
    """The file of one page, for st.page_link, wherever the app was started from."""
    return PAGES_DIR / f"{name}.py"


LEGEND = (
    "Solid arrow: request · dashed: response · dotted: redirect (the browser is sent on). "
    "**Orange, bold: this step** · blue: done · grey: still to come."
)


def diagram_view(
    diagram_id: str,
    highlight_step: str | None = None,
    *,
    key: str | None = None,
    exports: bool = True,
) -> None:
    """Draw one diagram from ``diagrams/`` with its legend, its text alternative and export buttons.

    ``highlight_step`` marks one step of a flow (earlier steps read as done, later as pending);
    ``key`` must differ between two views on the same page (it prefixes the download buttons' keys).
    """
    spec = diagrams.load_spec(diagram_id)
    key = key or f"diagram_{diagram_id}"
    words = diagrams.text_alternative(spec)
    st.graphviz_chart(diagrams.dot_source(diagram_id, highlight_step), alt=f"{spec.title}: " + " ".join(words))
    if spec.kind == "sequence":
        st.caption(LEGEND if highlight_step else LEGEND.split(" **")[0])
    with st.expander("The diagram in words"):
        bullet = "" if spec.kind == "sequence" else "- "
        st.markdown("\n".join(f"{bullet}{line}" for line in words))
    if exports:
        _export_buttons(spec, key)


def _export_buttons(spec: diagrams.DiagramSpec, key: str) -> None:
    # Exports show the plain diagram (no step highlighted), ready for documentation.
    dot_source = diagrams.dot_source(spec.id)
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
        diagrams.to_mermaid(spec),
        file_name=f"{spec.id}.mmd",
        mime="text/plain",
        key=f"{key}_mermaid",
        icon=":material/download:",
        on_click="ignore",
        help="Paste into the documentation's Markdown inside a mermaid code block.",
    )


def link_to_this(title: str, path: str, params: dict[str, str] | None = None) -> None:
    """The stable link to what the reader sees, and a Markdown snippet for documentation writers."""
    url = app_link(path, params)
    with st.expander("Link to this", icon=":material/link:"):
        st.caption("The address of exactly this view. It never carries a secret, code or token.")
        st.code(url, language="text")
        st.caption("For a documentation page, in Markdown:")
        st.code(markdown_link(title, url), language="markdown")
