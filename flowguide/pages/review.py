"""/review: the design review for the guide's answers (in the URL), with Markdown and HTML downloads."""

import streamlit as st

from flowguide.pages import ui
from flowguide.review import DiagramBlock, blocks, build_review, to_html, to_markdown

review = build_review({key: st.query_params[key] for key in st.query_params})

for notice in review.notices:
    st.warning(notice, icon=":material/link_off:")

back, md_col, html_col = st.columns([2, 1, 1], vertical_alignment="center")
back.page_link(
    ui.page("guide"),
    label="Change the answers in the decision guide",
    icon=":material/arrow_back:",
    query_params=review.answers,
)
md_col.download_button(
    "Markdown",
    to_markdown(review),
    file_name=f"{review.file_stem}.md",
    mime="text/markdown",
    key="review_markdown",
    icon=":material/download:",
    on_click="ignore",
)
html_col.download_button(
    "HTML page",
    lambda: to_html(review),
    file_name=f"{review.file_stem}.html",
    mime="text/html",
    key="review_html",
    icon=":material/download:",
    on_click="ignore",
    help="One standalone, printable file: diagrams inlined, nothing loaded from elsewhere.",
)

if not review.complete:
    st.info("The review is written once the guide has the answers it needs.", icon=":material/arrow_back:")

for block in blocks(review):
    if isinstance(block, DiagramBlock):
        ui.diagram_view(
            block.diagram_id,
            key=f"review_{block.diagram_id}",
            exports=False,
            **ui.recommended_diagram(review.recommendation),
        )
    else:
        # On the page the checklist is read, not ticked: GFM task boxes would be unlabelled form fields.
        st.markdown(block.replace("- [ ] ", "- ☐ "))

ui.link_to_this(review.title, "review", review.answers)
