"""The decision guide's content model (content/guide.yaml): questions, options, parts, outcomes, warnings.

Loading checks that every reference resolves: the core questions exist, each condition names a real
question and option, each option's warnings exist. What the answers lead to is flowguide.guide's.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import Field, StrictStr, model_validator

from flowguide.content import CONTENT_DIR, DocLink, Model, load_file

Flow = Literal["authorization_code", "client_credentials", "hybrid"]
PartId = Literal["interactive", "service"]
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
# Questions the product's rules read; content without them cannot lead to a recommendation.
CORE_QUESTIONS = ("signin", "unattended", "client")


class FieldValue(Model):
    value: StrictStr
    why: StrictStr


class Option(Model):
    id: StrictStr = Field(pattern=ID_PATTERN)
    label: StrictStr
    reason: StrictStr
    set: dict[PartId, dict[StrictStr, FieldValue]] = {}
    scopes: dict[PartId, tuple[StrictStr, ...]] = {}
    request_scopes: dict[PartId, tuple[StrictStr, ...]] = {}
    warnings: tuple[StrictStr, ...] = ()
    # The part only learns who signed in (sign-in only): no API scope in its record, none requested.
    identity_only: tuple[PartId, ...] = ()
    # This answer names another outcome for a flow (its title, summary, docs); the flow itself stays.
    outcome: dict[Flow, StrictStr] = {}


class Question(Model):
    id: StrictStr = Field(pattern=ID_PATTERN)
    text: StrictStr
    short: StrictStr = ""  # the label in the decision tree; the question's text when empty
    help: StrictStr = ""
    required: bool = False
    default: StrictStr | None = None
    ask_when: dict[StrictStr, StrictStr] = {}
    options: tuple[Option, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _default_is_an_option(self) -> Question:
        if self.required and self.default is not None:
            raise ValueError(f"question {self.id!r} is required, so it cannot have a default")
        if not self.required and (self.default is None or self.option(self.default) is None):
            raise ValueError(f"question {self.id!r} is optional, so its default must be one of its options")
        return self

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


class Part(Model):
    title: StrictStr
    flow: Literal["authorization_code", "client_credentials"]
    request_scopes: tuple[StrictStr, ...] = ()
    fields: dict[StrictStr, FieldValue]


class Outcome(Model):
    title: StrictStr
    short: StrictStr
    summary: StrictStr
    docs: tuple[DocLink, ...] = ()


class Warning(Model):
    id: StrictStr = Field(pattern=ID_PATTERN)
    title: StrictStr
    text: StrictStr
    docs: tuple[DocLink, ...] = ()
    when: dict[StrictStr, StrictStr] = {}


class GuideContent(Model):
    intro: StrictStr
    questions: tuple[Question, ...] = Field(min_length=1)
    parts: dict[PartId, Part]
    outcomes: dict[Literal["authorization_code", "client_credentials", "hybrid", "sign_in_only", "nowhere"], Outcome]
    warnings: tuple[Warning, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> GuideContent:
        ids = [q.id for q in self.questions]
        for core in CORE_QUESTIONS:
            if core not in ids:
                raise ValueError(f"the core question {core!r} is missing")
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        self._check_questions()
        for warning in self.warnings:
            if (bad := self._unknown_condition(warning.when)) is not None:
                raise ValueError(f"warning {warning.id!r} applies when {bad[0]}={bad[1]!r}, which is no option")
        missing = {"interactive", "service"} - set(self.parts)
        if missing:
            raise ValueError(f"parts {sorted(missing)} are missing")
        return self

    def _check_questions(self) -> None:
        """Each question's ``ask_when`` names real options; each option's warnings exist."""
        warning_ids = {w.id for w in self.warnings}
        for question in self.questions:
            if (bad := self._unknown_condition(question.ask_when)) is not None:
                raise ValueError(f"question {question.id!r} asks when {bad[0]}={bad[1]!r}, which is no option")
            for option in question.options:
                unknown = set(option.warnings) - warning_ids
                if unknown:
                    raise ValueError(f"option {question.id}={option.id} names unknown warnings {sorted(unknown)}")
                missing = set(option.outcome.values()) - set(self.outcomes)
                if missing:
                    raise ValueError(f"option {question.id}={option.id} names unknown outcomes {sorted(missing)}")

    def _unknown_condition(self, conditions: dict[str, str]) -> tuple[str, str] | None:
        """The first ``question=option`` condition that names no question or no option of it."""
        for asked, value in conditions.items():
            question = self.question(asked)
            if question is None or question.option(value) is None:
                return asked, value
        return None

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@cache
def guide_content() -> GuideContent:
    """The guide's questions and texts, loaded and validated once per process."""
    return load_file(CONTENT_DIR / "guide.yaml", GuideContent)
