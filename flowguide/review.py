"""The design review (/review): the guide's answers in, a review document out (pure; no Streamlit).

The document is built once as a list of blocks (Markdown text and diagram references), then written
as Markdown (diagrams as Mermaid), as a standalone HTML page (Python-Markdown, diagrams inlined as SVG,
no external resources), or shown block by block on the page. The checklist, open questions, token
lifetimes and scope explanations are content (content/review.yaml); the registrations come from the
guide (flowguide.guide.recommend).

This module is the review's one public face; the work is done in two halves:

- flowguide.review_model: what the review says (content model and checks, the Review, links back to the app);
- flowguide.review_export: how it is written (Markdown blocks, Markdown with Mermaid, standalone HTML).
"""

from __future__ import annotations

from flowguide.review_export import CSS, Block, DiagramBlock, blocks, inline_svg, to_html, to_markdown
from flowguide.review_model import (
    FACTS,
    ID_PATTERN,
    Answer,
    Conditional,
    Review,
    ReviewContent,
    ReviewItem,
    TokenRow,
    build_review,
    check_conditions,
    diagrams_for,
    guide_url,
    review_content,
    review_query,
    review_url,
)

__all__ = [
    "CSS",
    "FACTS",
    "ID_PATTERN",
    "Answer",
    "Block",
    "Conditional",
    "DiagramBlock",
    "Review",
    "ReviewContent",
    "ReviewItem",
    "TokenRow",
    "blocks",
    "build_review",
    "check_conditions",
    "diagrams_for",
    "guide_url",
    "inline_svg",
    "review_content",
    "review_query",
    "review_url",
    "to_html",
    "to_markdown",
]
