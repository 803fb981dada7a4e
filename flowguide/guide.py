"""The decision guide: answers in, a recommendation out (pure; no Streamlit).

The questions, reasons, registration values and warnings are content (content/guide.yaml). The
product's rules are here: which flow the answers lead to, that a public client never holds a secret
or a System User, and that each part of a solution is its own Trusted Application
(auth/flows/choosing-flow.md, auth/configuration/trusted-apps-access.md).

The content model (questions, options, parts, outcomes, warnings) is flowguide.guide_model's, re-exported
here so callers keep importing the guide from one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from flowguide.content import DocLink
from flowguide.decision_tree import TREE_ACTIVE, TREE_IDLE, decision_tree
from flowguide.guide_model import (
    ID_PATTERN,
    FieldValue,
    Flow,
    GuideContent,
    Option,
    Outcome,
    Part,
    PartId,
    Question,
    Warning,
    guide_content,
)
from flowguide.text import shown

# Which parts each flow is made of: a solution's sign-in part and its unattended part never share a record.
FLOW_PARTS: dict[str, tuple[PartId, ...]] = {
    "authorization_code": ("interactive",),
    "client_credentials": ("service",),
    "hybrid": ("interactive", "service"),
}
# Fields a Public client never has: it cannot keep a secret, and only a Confidential client may act as a System User.
PUBLIC_CLIENT_FORBIDDEN = ("ApplicationSecretHash", "SystemUser")
# The record's fields in the order the documentation lists them (auth/configuration/trusted-apps-access.md).
FIELD_ORDER = (
    "ApplicationUri",
    "ClientType",
    "ApplicationSecretHash",
    "ImpersonateLoginUrl",
    "ImpersonateLogoutUrl",
    "ImpersonateAsInternalUserAllowed",
    "ImpersonateAsCommunityUserAllowed",
    "SystemUserAllowed",
    "SystemUser",
    "Scope",
    "AccessTokens",
    "BasicAuthenticationAllowed",
    "IsEnabled",
)
# Scopes every client may request without listing them in the record (auth/concepts/scopes.md).
UNCONFIGURED_SCOPES = ("openid", "profile", "offline_access")


# --- answers --------------------------------------------------------------------------------------


def is_asked(question: Question, answers: Mapping[str, str], content: GuideContent | None = None) -> bool:
    """A question is asked when every answer it depends on is as it requires; an optional one not answered yet
    counts with its default, while it is asked itself."""
    content = content or guide_content()

    def answer(question_id: str) -> str | None:
        if question_id in answers:
            return answers[question_id]
        depends_on = content.question(question_id)
        if depends_on is None or depends_on.required or not is_asked(depends_on, answers, content):
            return None
        return depends_on.default

    return all(answer(k) == v for k, v in question.ask_when.items())


@dataclass(frozen=True)
class ParsedAnswers:
    answers: dict[str, str]
    notices: tuple[str, ...]


def parse_answers(raw: Mapping[str, object], content: GuideContent | None = None) -> ParsedAnswers:
    """Keep the known, well-formed answers (from a URL); every other value gets a short notice."""
    content = content or guide_content()
    answers: dict[str, str] = {}
    notices: list[str] = []
    for key, value in raw.items():
        question = content.question(str(key))
        if question is None:
            notices.append(f"Ignored {shown(key)}: there is no such question.")
            continue
        if not isinstance(value, str) or question.option(value) is None:
            valid = ", ".join(o.id for o in question.options)
            notices.append(f"Ignored {shown(f'{question.id}={value}')}: the answer must be one of {valid}.")
            continue
        answers[question.id] = value
    # Answers to questions that the other answers make irrelevant are dropped, in question order.
    for question in content.questions:
        if question.id in answers and not is_asked(question, answers, content):
            condition = " and ".join(f"{k}={v}" for k, v in question.ask_when.items())
            notices.append(f"Ignored {question.id}={answers.pop(question.id)}: it is asked only when {condition}.")
    return ParsedAnswers(answers, tuple(notices))


# --- the recommendation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    question: str
    option: str
    text: str
    assumed: bool = False  # the question's default, not the visitor's answer


@dataclass(frozen=True)
class Registration(Mapping[str, str]):
    """One Trusted Application to register: a mapping of the product's field names to values."""

    part: PartId
    title: str
    flow: str
    fields: dict[str, str]
    why: dict[str, str]
    request_scope: str

    def __getitem__(self, key: str) -> str:
        return self.fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def as_settings(self) -> str:
        """The record as the documentation writes it: one `Field = value` line each."""
        return "\n".join(f"{k} = {v}" for k, v in self.fields.items())


@dataclass(frozen=True)
class Recommendation:
    flow: Flow | None
    title: str
    summary: str
    docs: tuple[DocLink, ...]
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[Warning, ...] = ()
    registrations: tuple[Registration, ...] = ()
    missing: tuple[str, ...] = ()
    assumed: tuple[str, ...] = ()
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.flow is not None


def decide_flow(answers: Mapping[str, str]) -> Flow | None:
    """The product's rule: people signing in means Authorization Code, unattended work Client Credentials."""
    signin, unattended = answers.get("signin"), answers.get("unattended")
    if signin == "yes":
        return "hybrid" if unattended == "yes" else "authorization_code" if unattended == "no" else None
    if signin == "no" and unattended == "yes":
        return "client_credentials"
    return None


def unanswered(
    answers: Mapping[str, str], content: GuideContent | None = None, required: bool = True
) -> tuple[str, ...]:
    """The ids of required (or optional) questions that are asked, given these answers, and not yet answered."""
    content = content or guide_content()
    return tuple(
        q.id
        for q in content.questions
        if q.required == required and is_asked(q, answers, content) and q.id not in answers
    )


def recommend(answers: Mapping[str, str], content: GuideContent | None = None) -> Recommendation:
    """Turn answers into a recommendation; ``flow`` is None while answers are missing or lead nowhere."""
    content = content or guide_content()
    parsed = parse_answers(answers, content)
    given = parsed.answers
    missing = unanswered(given, content)
    assumed = unanswered(given, content, required=False)
    effective = {**given, **{qid: content.question(qid).default for qid in assumed}}  # type: ignore[union-attr]
    chosen: list[tuple[Question, Option]] = [
        (q, q.option(effective[q.id]))
        for q in content.questions
        if q.id in effective  # type: ignore[misc]
    ]
    reasons = tuple(Reason(q.id, o.id, o.reason, q.id in assumed) for q, o in chosen)

    if given.get("signin") == "no" and given.get("unattended") == "no":
        nowhere = content.outcomes["nowhere"]
        return Recommendation(None, nowhere.title, nowhere.summary, nowhere.docs, reasons[:2], answers=given)

    flow = decide_flow(given)
    if flow is None or missing:
        given_reasons = tuple(r for r in reasons if not r.assumed)
        return Recommendation(None, "", "", (), given_reasons, missing=missing, answers=given)

    # An answer may name another outcome for this flow (sign-in only is Authorization Code with no API).
    outcome_id = next((o.outcome[flow] for _q, o in chosen if flow in o.outcome), flow)
    outcome = content.outcomes[outcome_id]  # type: ignore[index]
    registrations = tuple(_registration(content, part, chosen) for part in FLOW_PARTS[flow])
    return Recommendation(
        flow,
        outcome.title,
        outcome.summary,
        outcome.docs,
        reasons,
        _warnings(content, effective, chosen),
        registrations,
        assumed=assumed,
        answers=given,
    )


def _registration(content: GuideContent, part_id: PartId, chosen: list[tuple[Question, Option]]) -> Registration:
    part = content.parts[part_id]
    values = {name: fv.value for name, fv in part.fields.items()}
    why = {name: fv.why for name, fv in part.fields.items()}
    scopes = values.get("Scope", "").split()
    requested = list(part.request_scopes)
    for _question, option in chosen:
        for name, fv in option.set.get(part_id, {}).items():
            values[name], why[name] = fv.value, fv.why
        scopes += [s for s in option.scopes.get(part_id, ()) if s not in scopes]
        requested += [s for s in option.request_scopes.get(part_id, ()) if s not in requested]
    identity_only = any(part_id in option.identity_only for _question, option in chosen)
    # Sign-in only: no API scope registered or requested, and the record says so with an empty Scope.
    values["Scope"] = "" if identity_only else " ".join(scopes)
    scopes = [] if identity_only else scopes
    if values.get("ClientType") == "Public":
        # A public client can keep no secret and may not act as a System User.
        for name in PUBLIC_CLIENT_FORBIDDEN:
            values.pop(name, None)
            why.pop(name, None)
        values["SystemUserAllowed"] = "false"
    if part.flow == "client_credentials":
        # Client Credentials never gets the user-only scopes.
        requested = [s for s in requested if s not in UNCONFIGURED_SCOPES]
    requested = [s for s in requested if s not in scopes] + scopes
    values = {k: values[k] for k in sorted(values, key=_field_rank) if values[k] != "" or k == "Scope"}
    return Registration(part_id, part.title, part.flow, values, {k: why[k] for k in values}, " ".join(requested))


def _field_rank(name: str) -> int:
    return FIELD_ORDER.index(name) if name in FIELD_ORDER else len(FIELD_ORDER)


def _warnings(
    content: GuideContent, given: Mapping[str, str], chosen: list[tuple[Question, Option]]
) -> tuple[Warning, ...]:
    """Warnings named by a chosen answer, those whose condition holds, and those that always apply."""
    named = {w for _q, o in chosen for w in o.warnings}
    option_only = {w for q in content.questions for o in q.options for w in o.warnings}

    def applies(w: Warning) -> bool:
        if w.when:
            return all(given.get(k) == v for k, v in w.when.items())
        return w.id in named or w.id not in option_only

    return tuple(w for w in content.warnings if applies(w))


# --- the decision tree (drawn by flowguide.decision_tree) ---------------------------------------


def tree_path_text(answers: Mapping[str, str], content: GuideContent | None = None) -> str:
    """The highlighted path in words, for screen readers and for people who would rather read."""
    content = content or guide_content()
    parts = []
    for qid in ("signin", "unattended"):
        question = content.question(qid)
        if question is not None and qid in answers:
            option = question.option(answers[qid])
            parts.append(f"{question.text} {option.label if option else answers[qid]}.")
    flow = decide_flow(answers)
    if flow:
        parts.append(f"Recommended: {content.outcomes[flow].title}.")
    elif answers.get("signin") == "no" and answers.get("unattended") == "no":
        parts.append(content.outcomes["nowhere"].title + ".")
    return " ".join(parts) or "No answers yet."


__all__ = [
    "FIELD_ORDER",
    "FLOW_PARTS",
    "ID_PATTERN",
    "PUBLIC_CLIENT_FORBIDDEN",
    "TREE_ACTIVE",
    "TREE_IDLE",
    "UNCONFIGURED_SCOPES",
    "FieldValue",
    "Flow",
    "GuideContent",
    "Option",
    "Outcome",
    "ParsedAnswers",
    "Part",
    "PartId",
    "Question",
    "Reason",
    "Recommendation",
    "Registration",
    "Warning",
    "decide_flow",
    "decision_tree",
    "guide_content",
    "is_asked",
    "parse_answers",
    "recommend",
    "tree_path_text",
    "unanswered",
]
