"""What the design review says: content/review.yaml's model and checks, and the Review built from answers.

The checklist, open questions, token lifetimes and scope explanations are content (content/review.yaml),
each entry kept only when its conditions hold for the guide's answers; the registrations come from the
guide (flowguide.guide.recommend). Pure; no Streamlit. Writing the review out is flowguide.review_export's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import Field, StrictStr, field_validator

from flowguide.content import CONTENT_DIR, ContentError, DocLink, Model, RfcLink, brand, load_file
from flowguide.guide import (
    GuideContent,
    Recommendation,
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
