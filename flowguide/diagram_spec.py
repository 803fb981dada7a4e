"""The sequence-diagram spec (diagrams/*.yaml): participants, messages and the checks a spec passes.

A sequence spec lists participants and ordered messages; each message names the step of
``content/flows/<flow>.yaml`` it belongs to, so a walkthrough can highlight one step. The overview
spec is the documentation's picture of the whole solution (who talks to whom). Loading a spec and
checking its steps against the flow's narrative is flowguide.diagrams'.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, StrictStr, model_validator

from flowguide.content import Model

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
SEQUENCE_IDS = ("authorization_code", "client_credentials", "refresh", "hybrid")
OVERVIEW_ID = "overview"

MessageKind = Literal["request", "redirect", "response"]
Role = Literal["person", "browser", "app", "service", "identity", "api", "data"]


class Participant(Model):
    """Someone or something that sends or receives messages: a column of the sequence diagram."""

    id: StrictStr = Field(pattern=ID_PATTERN)
    label: StrictStr = Field(min_length=1)
    role: Role


class Message(Model):
    """One arrow: who sends what to whom, and which flow step it belongs to."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    step: StrictStr | None = Field(default=None, pattern=ID_PATTERN)
    source: StrictStr = Field(alias="from")
    target: StrictStr = Field(alias="to")
    kind: MessageKind
    label: StrictStr = Field(min_length=1)


class DiagramSpec(Model):
    """A diagram: ``sequence`` (one flow, messages in time order) or ``overview`` (the whole solution)."""

    id: StrictStr = Field(pattern=ID_PATTERN)
    kind: Literal["sequence", "overview"]
    title: StrictStr
    participants: tuple[Participant, ...] = Field(min_length=2)
    messages: tuple[Message, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> DiagramSpec:
        ids = [p.id for p in self.participants]
        if len(set(ids)) != len(ids):
            raise ValueError("participant ids must be unique")
        for i, m in enumerate(self.messages):
            for end in (m.source, m.target):
                if end not in ids:
                    raise ValueError(f"messages[{i}] names unknown participant {end!r}")
            if m.source == m.target:
                raise ValueError(f"messages[{i}] goes from {m.source!r} to itself")
            if self.kind == "sequence" and m.step is None:
                raise ValueError(f"messages[{i}] needs a step: every arrow of a flow belongs to one")
        return self

    def participant(self, participant_id: str) -> Participant:
        return next(p for p in self.participants if p.id == participant_id)

    def step_ids(self) -> list[str]:
        """The steps in the order their first message appears."""
        return list(dict.fromkeys(m.step for m in self.messages if m.step is not None))
