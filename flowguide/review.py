"""The design review (/review): the guide's answers in, a review document out (pure; no Streamlit).

The document is built once as a list of blocks (Markdown text and diagram references), then written
as Markdown (diagrams as Mermaid), as a standalone HTML page (Python-Markdown, diagrams inlined as SVG,
no external resources), or shown block by block on the page. The checklist, open questions, token
lifetimes and scope explanations are content (content/review.yaml); the registrations come from the
guide (flowguide.guide.recommend).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

import markdown
from pydantic import Field, StrictStr, field_validator

from flowguide import diagrams
from flowguide.content import CONTENT_DIR, ContentError, DocLink, Model, RfcLink, brand, flows, load_file
from flowguide.guide import (
    GuideContent,
    Recommendation,
    Registration,
    guide_content,
    parse_answers,
    recommend,
)
from flowguide.links import app_link

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
# Facts about the recommendation that content conditions may name beside the guide's question ids.
FACTS: dict[str, tuple[str, ...]] = {
    "flow": ("authorization_code", "client_credentials", "hybrid"),
    "confidential": ("yes", "no"),
    "public": ("yes", "no"),
    "refresh": ("yes", "no"),
}


# --- content model (content/review.yaml) ----------------------------------------------------------


class Conditional(Model):
    """Something that applies only when every key of ``when`` has one of its listed values."""

    when: dict[StrictStr, tuple[StrictStr, ...]] = {}

    @field_validator("when", mode="before")
    @classmethod
    def _single_values(cls, value: object) -> object:
        # `client: spa` reads as well as `client: [spa]`.
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    def applies(self, facts: Mapping[str, str]) -> bool:
        return all(facts.get(key) in values for key, values in self.when.items())


class TokenRow(Conditional):
    part: Literal["interactive", "service"]
    token: StrictStr
    lifetime: StrictStr
    renewal: StrictStr
    docs: tuple[DocLink, ...] = ()
    rfc: tuple[RfcLink, ...] = ()


class ReviewItem(Conditional):
    id: StrictStr = Field(pattern=ID_PATTERN)
    title: StrictStr
    text: StrictStr
    docs: tuple[DocLink, ...] = ()
    rfc: tuple[RfcLink, ...] = ()


class ReviewContent(Model):
    intro: StrictStr
    scopes: dict[StrictStr, StrictStr]
    tokens: tuple[TokenRow, ...] = Field(min_length=1)
    token_notes: tuple[ReviewItem, ...] = ()
    checklist: tuple[ReviewItem, ...] = Field(min_length=1)
    open_questions: tuple[ReviewItem, ...] = Field(min_length=1)

    def conditionals(self) -> dict[str, Conditional]:
        """Every conditional entry by its key path, for checking conditions against the guide."""
        out: dict[str, Conditional] = {f"tokens[{i}]": row for i, row in enumerate(self.tokens)}
        for name in ("token_notes", "checklist", "open_questions"):
            out |= {f"{name}[{i}]": item for i, item in enumerate(getattr(self, name))}
        return out


def check_conditions(content: ReviewContent, guide: GuideContent) -> None:
    """Every condition names a guide question (or a fact) and values it can have; else a ContentError."""
    for where, entry in content.conditionals().items():
        for key, values in entry.when.items():
            question = guide.question(key)
            known = tuple(o.id for o in question.options) if question else FACTS.get(key)
            if known is None:
                raise ContentError(CONTENT_DIR / "review.yaml", f"{where}.when.{key}", "names no question or fact")
            for value in values:
                if value not in known:
                    raise ContentError(
                        CONTENT_DIR / "review.yaml", f"{where}.when.{key}", f"{value!r} is not one of {list(known)}"
                    )
    for kind in ("token_notes", "checklist", "open_questions"):
        ids = [item.id for item in getattr(content, kind)]
        if len(set(ids)) != len(ids):
            raise ContentError(CONTENT_DIR / "review.yaml", kind, "ids must be unique")


@cache
def review_content() -> ReviewContent:
    """The review's texts, loaded, validated and checked against the guide once per process."""
    content = load_file(CONTENT_DIR / "review.yaml", ReviewContent)
    check_conditions(content, guide_content())
    return content


# --- links back to the app --------------------------------------------------------------------------


def review_query(answers: Mapping[str, str]) -> dict[str, str]:
    """The /review page's query parameters for these answers: the guide's own ids, valid ones only."""
    return dict(parse_answers(answers).answers)


def guide_url(answers: Mapping[str, str]) -> str:
    """The published /guide URL with these answers."""
    return app_link("guide", review_query(answers))


def review_url(answers: Mapping[str, str]) -> str:
    """The published /review URL with these answers."""
    return app_link("review", review_query(answers))


# --- the review -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    question: str
    option: str
    assumed: bool


@dataclass(frozen=True)
class Review:
    """Everything the review document says, before it is written as Markdown or HTML."""

    brand: str
    answers: dict[str, str]
    notices: tuple[str, ...]
    recommendation: Recommendation
    given: tuple[Answer, ...]
    missing: tuple[str, ...]  # the texts of required questions still unanswered
    facts: dict[str, str]
    diagrams: tuple[str, ...]
    tokens: tuple[TokenRow, ...]
    token_notes: tuple[ReviewItem, ...]
    checklist: tuple[ReviewItem, ...]
    open_questions: tuple[ReviewItem, ...]

    @property
    def complete(self) -> bool:
        return self.recommendation.complete

    @property
    def title(self) -> str:
        if self.complete or self.recommendation.title:
            return f"Design review: {self.recommendation.title}"
        return "Design review: answers missing"

    @property
    def file_stem(self) -> str:
        return f"design-review-{self.recommendation.flow or 'incomplete'}"


def _facts(rec: Recommendation, effective: Mapping[str, str]) -> dict[str, str]:
    types = {r.get("ClientType") for r in rec.registrations}
    interactive = next((r for r in rec.registrations if r.part == "interactive"), None)
    refresh = interactive is not None and "offline_access" in interactive.request_scope.split()
    facts = {
        "confidential": "yes" if "Confidential" in types else "no",
        "public": "yes" if "Public" in types else "no",
        "refresh": "yes" if refresh else "no",
    }
    if rec.flow:
        facts["flow"] = rec.flow
    return {**effective, **facts}


def diagrams_for(rec: Recommendation, refresh: bool) -> tuple[str, ...]:
    """The sequence diagrams of the flows the solution uses: the hybrid picture, each part's flow, refresh."""
    if rec.flow is None:
        return ()
    ids = (["hybrid"] if rec.flow == "hybrid" else []) + [r.flow for r in rec.registrations]
    return tuple(ids + (["refresh"] if refresh else []))


def build_review(raw: Mapping[str, object]) -> Review:
    """The review for answers as they come from a URL: bad values are dropped with a notice."""
    guide = guide_content()
    content = review_content()
    parsed = parse_answers(raw, guide)
    rec = recommend(parsed.answers, guide)
    given = []
    for reason in rec.reasons:
        question = guide.question(reason.question)
        option = question.option(reason.option) if question else None
        if question and option:
            given.append(Answer(question.text, option.label, reason.assumed))
    effective = {r.question: r.option for r in rec.reasons}
    facts = _facts(rec, effective)
    complete = rec.complete

    def pick(items: tuple) -> tuple:
        return tuple(i for i in items if i.applies(facts)) if complete else ()

    return Review(
        brand=brand().name,
        answers=dict(parsed.answers),
        notices=parsed.notices,
        recommendation=rec,
        given=tuple(given),
        missing=tuple(q.text for qid in rec.missing if (q := guide.question(qid))),
        facts=facts,
        diagrams=diagrams_for(rec, facts["refresh"] == "yes"),
        tokens=tuple(
            row
            for row in pick(content.tokens)
            if any(r.part == row.part for r in rec.registrations)  # a row only for a part the solution has
        ),
        token_notes=pick(content.token_notes),
        checklist=pick(content.checklist),
        open_questions=pick(content.open_questions),
    )


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
    rec = review.recommendation
    out: list[Block] = []
    back = (
        f"Prepared with Flow Guide for {_text(review.brand)} from the decision guide's answers. "
        f"{_link('Open these answers in the guide', guide_url(review.answers))} · "
        f"{_link('This review online', review_url(review.answers))}"
    )
    out.append(f"# {_text(review.title)}\n\n{back}")

    if review.given:
        rows = [
            (_text(a.question), _text(a.option) + (" *(default, not answered yet)*" if a.assumed else ""))
            for a in review.given
        ]
        answers_table = _table(("Question", "Answer"), rows)
    else:
        answers_table = "No answers yet."

    if not review.complete:
        if rec.title:  # the guide's "nothing signs in" outcome
            body = f"**{_text(rec.title)}.** {_text(rec.summary)}"
        else:
            body = "This review needs answers to: " + "; ".join(f"“{_text(q)}”" for q in review.missing) + "."
        docs = f"\n\nDocumentation: {_sources(rec.docs)}" if rec.docs else ""
        out.append(
            f"## Summary\n\n{body}{docs}\n\n"
            f"{_link('Answer the questions in the decision guide', guide_url(review.answers))}, "
            "then come back to this review."
        )
        out.append(f"## Answers so far\n\n{answers_table}")
        return out

    content = review_content()
    out.append(
        f"## Summary\n\n**{_text(rec.title)}.** {_text(rec.summary)}\n\n{_text(content.intro)}\n\n"
        f"Documentation: {_sources(rec.docs)}\n\n### The answers\n\n{answers_table}"
    )

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
    out.append(
        "## The parts of the solution\n\n"
        "Each part is its own Trusted Application, with its own client_id, credentials, scopes and tokens.\n\n"
        + _table(("Part", "Flow", "Client type", "client_id (ApplicationUri)", "Scopes requested"), rows)
    )

    out.append(
        "## Diagrams\n\nSolid arrow: request · dashed: response · dotted: redirect (the browser is sent on). "
        "Each diagram is also written out in words below it."
    )
    for diagram_id in review.diagrams:
        spec = diagrams.load_spec(diagram_id)
        out.append(f"### {_text(spec.title)}")
        words = "\n".join(
            f"{n}. {_text(line.split('. ', 1)[1] if line[0].isdigit() else line)}"
            for n, line in enumerate(diagrams.text_alternative(spec), start=1)
        )
        out.append(DiagramBlock(diagram_id, words))

    out.append(
        f"## Trusted Application registrations\n\nRegister one record per part in each {_text(review.brand)} "
        "instance the solution connects to."
    )
    for n, registration in enumerate(rec.registrations, start=1):
        out.append(_registration_block(n, len(rec.registrations), registration))

    out.append("## Scopes requested\n\n" + "\n\n".join(_scopes_block(r, content) for r in rec.registrations))

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
    out.append(tokens_md)

    if rec.warnings:
        out.append(
            "## Watch out for\n\n"
            + "\n".join(f"- **{_text(w.title)}.** {_text(w.text)} {_sources(w.docs)}" for w in rec.warnings)
        )

    out.append(
        "## Security checklist\n\nFrom the product's documentation and RFC 9700 (OAuth 2.0 Security Best Current "
        "Practice); only the items that apply to this solution.\n\n"
        + "\n".join(
            f"- [ ] **{_text(i.title)}.** {_text(i.text)} {_sources(i.docs, i.rfc)}".rstrip() for i in review.checklist
        )
    )
    out.append(
        "## Open questions for the review\n\n"
        + "\n".join(
            f"{n}. **{_text(q.title)}** {_text(q.text)} {_sources(q.docs, q.rfc)}".rstrip()
            for n, q in enumerate(review.open_questions, start=1)
        )
    )
    out.append(
        "---\n\nFacts from the "
        + _link(f"{review.brand} developer documentation", brand().docs_base)
        + " (CC BY 4.0) and the RFCs linked above. Values such as addresses, names and users are examples."
    )
    return out


def _part_title(rec: Recommendation, part: str) -> str:
    return next((r.title for r in rec.registrations if r.part == part), part)


def _registration_block(n: int, count: int, registration: Registration) -> str:
    rows = [(_code(k), _code(v), _text(registration.why.get(k, ""))) for k, v in registration.items()]
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
        source, extensions=["tables", "toc"], extension_configs={"toc": {"toc_depth": "2-3"}}, output_format="html"
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
