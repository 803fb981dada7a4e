"""Writing the design review out: Markdown blocks, Markdown with Mermaid, standalone HTML with inline SVG.

The document is built once as a list of blocks (Markdown text and diagram references), then written
as Markdown (diagrams as Mermaid), as a standalone HTML page (Python-Markdown, diagrams inlined as SVG,
no external resources), or shown block by block on the page. Pure; no Streamlit.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import markdown

from flowguide import diagrams
from flowguide.content import DocLink, RfcLink, brand, flows
from flowguide.guide import Recommendation, Registration
from flowguide.licences import licence_section
from flowguide.not_offered import markdown_section as not_offered_section
from flowguide.review_model import Review, ReviewContent, guide_url, review_content, review_url
from flowguide.samples import markdown_section

# --- Markdown ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiagramBlock:
    """Where a diagram goes, with the diagram in words (a Markdown numbered list)."""

    diagram_id: str
    words: str

    @property
    def words_block(self) -> str:
        return f"In words:\n\n{self.words}"


Block = str | DiagramBlock
_ENTITY = re.compile(r"&(?=#?\w+;)")


def _text(value: str) -> str:
    """Text from content or input, safe in Markdown prose and table cells: no raw HTML, no cell breaks."""
    # Only what could start markup is escaped, so the Markdown file stays readable as plain text.
    escaped = _ENTITY.sub("&amp;", " ".join(value.split())).replace("<", "&lt;")
    return escaped.replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


def _code(value: str) -> str:
    """A value as a code span (Markdown escapes code itself); backticks and cell breaks removed."""
    cleaned = " ".join(value.replace("`", "'").split()).replace("|", "\\|")
    return f"`{cleaned}`"


def _link(title: str, url: str) -> str:
    return f"[{_text(title)}]({url.replace(' ', '%20').replace(')', '%29')})"


def _sources(docs: tuple[DocLink, ...], rfc: tuple[RfcLink, ...] = ()) -> str:
    links = [_link(d.title, d.url) for d in docs] + [_link(r.ref, r.url) for r in rfc]
    return " · ".join(links)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def blocks(review: Review) -> list[Block]:
    """The document in order: Markdown blocks, with a DiagramBlock where each diagram goes."""
    out: list[Block] = [_title_block(review)]
    if not review.complete:
        return out + _incomplete_blocks(review)
    rec = review.recommendation
    content = review_content()
    out += [_summary_block(review, content), _parts_block(rec)]
    out += _diagram_blocks(review)
    out += _registration_blocks(review)
    out.append("## Scopes requested\n\n" + "\n\n".join(_scopes_block(r, content) for r in rec.registrations))
    out.append(markdown_section(rec))  # the programs for each part, after what they register and request
    out.append(_tokens_block(review))
    out.append(licence_section(rec))  # licence slots at the busiest moment, part by part
    if rec.warnings:
        out.append(_warnings_block(rec))
    out.append(not_offered_section(rec.answers, rec.flow))  # what this design might reach for and cannot have
    out += [_checklist_block(review), _open_questions_block(review), _footer_block(review)]
    return out


# --- the document's sections, in order ---------------------------------------------------------------


def _title_block(review: Review) -> str:
    back = (
        f"Prepared with Flow Guide for {_text(review.brand)} from the decision guide's answers. "
        f"{_link('Open these answers in the guide', guide_url(review.answers))} · "
        f"{_link('This review online', review_url(review.answers))}"
    )
    return f"# {_text(review.title)}\n\n{back}"


def _answers_table(review: Review) -> str:
    if not review.given:
        return "No answers yet."
    rows = [
        (_text(a.question), _text(a.option) + (" *(default, not answered yet)*" if a.assumed else ""))
        for a in review.given
    ]
    return _table(("Question", "Answer"), rows)


def _incomplete_blocks(review: Review) -> list[Block]:
    """Summary and answers so far, for a review whose answers reach no flow yet."""
    rec = review.recommendation
    if rec.title:  # the guide's "nothing signs in" outcome
        body = f"**{_text(rec.title)}.** {_text(rec.summary)}"
    else:
        body = "This review needs answers to: " + "; ".join(f"“{_text(q)}”" for q in review.missing) + "."
    docs = f"\n\nDocumentation: {_sources(rec.docs)}" if rec.docs else ""
    return [
        f"## Summary\n\n{body}{docs}\n\n"
        f"{_link('Answer the questions in the decision guide', guide_url(review.answers))}, "
        "then come back to this review.",
        f"## Answers so far\n\n{_answers_table(review)}",
    ]


def _summary_block(review: Review, content: ReviewContent) -> str:
    rec = review.recommendation
    return (
        f"## Summary\n\n**{_text(rec.title)}.** {_text(rec.summary)}\n\n{_text(content.intro)}\n\n"
        f"Documentation: {_sources(rec.docs)}\n\n### The answers\n\n{_answers_table(review)}"
    )


def _parts_block(rec: Recommendation) -> str:
    rows = [
        (
            _text(r.title),
            _text(flows()[r.flow].title),
            _code(r.get("ClientType", "")),
            _code(r.get("ApplicationUri", "")),
            _code(r.request_scope or "(none)"),
        )
        for r in rec.registrations
    ]
    return (
        "## The parts of the solution\n\n"
        "Each part is its own Trusted Application, with its own client_id, credentials, scopes and tokens.\n\n"
        + _table(("Part", "Flow", "Client type", "client_id (ApplicationUri)", "Scopes requested"), rows)
    )


def _diagram_blocks(review: Review) -> list[Block]:
    out: list[Block] = [
        "## Diagrams\n\nSolid arrow: request · dashed: response · dotted: redirect (the browser is sent on). "
        "Each diagram is also written out in words below it."
    ]
    for diagram_id in review.diagrams:
        spec = diagrams.load_spec(diagram_id)
        out.append(f"### {_text(spec.title)}")
        words = "\n".join(
            f"{n}. {_text(line.split('. ', 1)[1] if line[0].isdigit() else line)}"
            for n, line in enumerate(diagrams.text_alternative(spec), start=1)
        )
        out.append(DiagramBlock(diagram_id, words))
    return out


def _registration_blocks(review: Review) -> list[Block]:
    registrations = review.recommendation.registrations
    out: list[Block] = [
        f"## Trusted Application registrations\n\nRegister one record per part in each {_text(review.brand)} "
        "instance the solution connects to."
    ]
    for n, registration in enumerate(registrations, start=1):
        out.append(_registration_block(n, len(registrations), registration))
    return out


def _tokens_block(review: Review) -> str:
    rec = review.recommendation
    token_rows = [
        (
            _text(_part_title(rec, row.part)),
            _text(row.token),
            _text(row.lifetime),
            _text(row.renewal) + (f" ({_sources(row.docs, row.rfc)})" if row.docs or row.rfc else ""),
        )
        for row in review.tokens
    ]
    tokens_md = "## Token lifetimes and renewal\n\n" + _table(
        ("Part", "Token", "Lifetime", "How it is renewed"), token_rows
    )
    for note in review.token_notes:
        tokens_md += f"\n\n> **{_text(note.title)}.** {_text(note.text)} {_sources(note.docs, note.rfc)}"
    return tokens_md


def _warnings_block(rec: Recommendation) -> str:
    return "## Watch out for\n\n" + "\n".join(
        f"- **{_text(w.title)}.** {_text(w.text)} {_sources(w.docs)}" for w in rec.warnings
    )


def _checklist_block(review: Review) -> str:
    return (
        "## Security checklist\n\nFrom the product's documentation and RFC 9700 (OAuth 2.0 Security Best Current "
        "Practice); only the items that apply to this solution.\n\n"
        + "\n".join(
            f"- [ ] **{_text(i.title)}.** {_text(i.text)} {_sources(i.docs, i.rfc)}".rstrip() for i in review.checklist
        )
    )


def _open_questions_block(review: Review) -> str:
    return "## Open questions for the review\n\n" + "\n".join(
        f"{n}. **{_text(q.title)}** {_text(q.text)} {_sources(q.docs, q.rfc)}".rstrip()
        for n, q in enumerate(review.open_questions, start=1)
    )


def _footer_block(review: Review) -> str:
    return (
        "---\n\nFacts from the "
        + _link(f"{review.brand} developer documentation", brand().docs_base)
        + " (CC BY 4.0) and the RFCs linked above. Values such as addresses, names and users are examples."
    )


def _part_title(rec: Recommendation, part: str) -> str:
    return next((r.title for r in rec.registrations if r.part == part), part)


def _registration_block(n: int, count: int, registration: Registration) -> str:
    rows = [
        (_code(k), _code(v) if v else "*(empty)*", _text(registration.why.get(k, ""))) for k, v in registration.items()
    ]
    settings = "\n".join("    " + line for line in registration.as_settings().splitlines())
    return (
        f"### {n} of {count}: {_text(registration.title)} ({_text(flows()[registration.flow].title)})\n\n"
        + _table(("Field", "Value", "Why"), rows)
        + f"\n\nAs settings text:\n\n{settings}"
    )


def _scopes_block(registration: Registration, content: ReviewContent) -> str:
    registered = registration.get("Scope", "").split()
    rows = [
        (
            _code(scope),
            "yes" if scope in registered else "no, needs no registration",
            _text(content.scopes.get(scope, "")),
        )
        for scope in registration.request_scope.split()
    ]
    return f"### {_text(registration.title)}\n\n" + _table(("Scope", "In the record's Scope", "Why"), rows)


def to_markdown(review: Review) -> str:
    """The review as Markdown: GitHub-style tables and task lists, diagrams as Mermaid code blocks."""
    parts = []
    for block in blocks(review):
        if isinstance(block, DiagramBlock):
            parts.append("```mermaid\n" + diagrams.to_mermaid(diagrams.load_spec(block.diagram_id)) + "```")
            parts.append(block.words_block)
        else:
            parts.append(block)
    return "\n\n".join(parts) + "\n"


# --- standalone HTML ---------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: #1f2328; background: #fff; margin: 0; }
main { max-width: 62rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 .5rem; }
h2 { font-size: 1.4rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.12rem; margin: 1.6rem 0 .5rem; }
a { color: #0b5cad; }
code { font: .88em/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; background: #f3f4f6;
  padding: .1em .3em; border-radius: 4px; overflow-wrap: break-word; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .8rem 1rem; overflow-x: auto; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .93rem; }
th, td { border: 1px solid #d0d7de; padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td:first-child { white-space: nowrap; }
blockquote { margin: 1rem 0; padding: .6rem 1rem; border-left: 4px solid #bf8700; background: #fff8c5; }
blockquote p { margin: 0; }
.toc { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem 1.2rem; margin: 1.2rem 0; }
.toc ul { margin: .2rem 0; padding-left: 1.2rem; }
/* A wide sequence diagram may use more than the text column, so its labels stay legible. */
figure.diagram { margin: .8rem 0 .4rem; padding: .6rem; border: 1px solid #d0d7de; border-radius: 6px;
  text-align: center; overflow-x: auto; box-sizing: border-box; position: relative; left: 50%;
  transform: translateX(-50%); width: min(calc(100vw - 2rem), 92rem); }
figure.diagram svg { max-width: 100%; height: auto; }
li.task { list-style: none; position: relative; }
li.task::before { content: "\\2610"; position: absolute; left: -1.5rem; font-size: 1.15em; line-height: 1.3; }
p.words { margin-bottom: .2rem; color: #57606a; font-size: .9rem; }
ol.words { margin-top: 0; color: #57606a; font-size: .9rem; }
ol.words li { margin: 0; }
li { margin: .25rem 0; }
@media print {
  body { font-size: 10.5pt; }
  @page { margin: 14mm 12mm; }
  main { max-width: none; padding: 0; }
  a { color: inherit; }
  h2, h3 { break-after: avoid; }
  figure.diagram, tr, blockquote, li { break-inside: avoid; }
  figure.diagram { border: none; left: 0; transform: none; width: auto; padding: 0; }
  .toc { display: none; }
}
"""

_PLACEHOLDER = "REVIEWDIAGRAM{}END"
_SVG_START = re.compile(r"<svg\b")
_SVG_ID = re.compile(r'\bid="([^"]*)"')


def inline_svg(diagram_id: str, engine: str = "auto") -> str:
    """A diagram's SVG for inlining: no XML prolog, doctype or comments; ids prefixed to stay unique."""
    svg = diagrams.render_svg(diagrams.dot_source(diagram_id), engine)
    match = _SVG_START.search(svg)
    if match is None:
        raise ValueError(f"Graphviz returned no <svg> for {diagram_id!r}")
    svg = re.sub(r"<!--.*?-->", "", svg[match.start() :], flags=re.S)
    return _SVG_ID.sub(lambda m: f'id="{diagram_id}-{m.group(1)}"', svg)


def to_html(review: Review, engine: str = "auto") -> str:
    """The review as one standalone HTML page: inline CSS and SVG, links only, nothing loaded."""
    parts = []
    for block in blocks(review):
        if isinstance(block, DiagramBlock):
            parts.append(_PLACEHOLDER.format(block.diagram_id))
            parts.append(block.words_block)
        else:
            parts.append(block)
    source = "\n\n".join(parts)
    if review.complete:
        # The table of contents goes after the title and its line of links.
        head, _, rest = source.partition("\n\n## ")
        source = f"{head}\n\n[TOC]\n\n## {rest}"
    body = markdown.markdown(
        source,
        extensions=["tables", "toc", "fenced_code"],
        extension_configs={"toc": {"toc_depth": "2-3"}},
        output_format="html",
    )
    for diagram_id in review.diagrams:
        spec = diagrams.load_spec(diagram_id)
        figure = (
            f'<figure class="diagram" role="img" aria-label="{html.escape(spec.title)}">'
            f"{inline_svg(diagram_id, engine)}</figure>"
        )
        body = body.replace(f"<p>{_PLACEHOLDER.format(diagram_id)}</p>", figure)
    body = body.replace("<li>[ ] ", '<li class="task">')
    body = body.replace("<p>In words:</p>\n<ol>", '<p class="words">In words:</p>\n<ol class="words">')
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(review.title)} · {html.escape(review.brand)}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
