"""The sequence-diagram spec (diagrams/*.yaml): participants, messages, variants and the checks a spec passes.

A sequence spec lists participants and ordered messages; each message names the step of
``content/flows/<flow>.yaml`` it belongs to, so a walkthrough can highlight one step. The overview
spec is the documentation's picture of the whole solution (who talks to whom). Loading a spec and
checking its steps against the flow's narrative is flowguide.diagrams'.

A spec may have ``variants`` (one per kind of client: ``web``, ``spa``, ``native``, ``cli``) that rename
participants and reword messages, and ``params``: ``{name}`` placeholders in labels with their default
values (the consent's ``{scope}``), so a diagram follows the client and the scopes the guide recommends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pydantic import ConfigDict, Field, StrictStr, model_validator

from flowguide.content import Model

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
SEQUENCE_IDS = ("authorization_code", "client_credentials", "refresh", "hybrid", "reference_token")
OVERVIEW_ID = "overview"
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

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

    # A name for variants to reword this arrow by; most arrows need none.
    id: StrictStr | None = Field(default=None, pattern=ID_PATTERN)
    step: StrictStr | None = Field(default=None, pattern=ID_PATTERN)
    source: StrictStr = Field(alias="from")
    target: StrictStr = Field(alias="to")
    kind: MessageKind
    label: StrictStr = Field(min_length=1)


class Variant(Model):
    """The same flow for another kind of client: new participant labels and message labels, by id."""

    title: StrictStr | None = None
    participants: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    messages: dict[StrictStr, StrictStr] = Field(default_factory=dict)


class DiagramSpec(Model):
    """A diagram: ``sequence`` (one flow, messages in time order) or ``overview`` (the whole solution)."""

    id: StrictStr = Field(pattern=ID_PATTERN)
    kind: Literal["sequence", "overview"]
    title: StrictStr
    participants: tuple[Participant, ...] = Field(min_length=2)
    messages: tuple[Message, ...] = Field(min_length=1)
    params: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    variants: dict[StrictStr, Variant] = Field(default_factory=dict)

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
        self._check_variants(ids)
        return self

    def _check_variants(self, participant_ids: list[str]) -> None:
        message_ids = [m.id for m in self.messages if m.id is not None]
        if len(set(message_ids)) != len(message_ids):
            raise ValueError("message ids must be unique")
        for name, variant in self.variants.items():
            for pid in variant.participants:
                if pid not in participant_ids:
                    raise ValueError(f"variants.{name}.participants names unknown participant {pid!r}")
            for mid in variant.messages:
                if mid not in message_ids:
                    raise ValueError(f"variants.{name}.messages names no message with id {mid!r}")
        for label in self._all_labels():
            for name in PLACEHOLDER.findall(label):
                if name not in self.params:
                    raise ValueError(f"the label {label!r} uses {{{name}}}, which params does not define")

    def _all_labels(self) -> list[str]:
        labels = [m.label for m in self.messages] + [p.label for p in self.participants]
        for variant in self.variants.values():
            labels += [*variant.messages.values(), *variant.participants.values()]
        return labels

    def participant(self, participant_id: str) -> Participant:
        return next(p for p in self.participants if p.id == participant_id)

    def step_ids(self) -> list[str]:
        """The steps in the order their first message appears."""
        return list(dict.fromkeys(m.step for m in self.messages if m.step is not None))

    def resolved(self, variant: str | None = None, params: Mapping[str, str] | None = None) -> DiagramSpec:
        """This spec as one kind of client sees it, placeholders filled; a variant it lacks means the base.

        ``params`` overrides the spec's defaults; names the spec does not define are ignored.
        """
        chosen = self.variants.get(variant or "", Variant())
        values = {**self.params, **{k: v for k, v in (params or {}).items() if k in self.params}}

        def fill(label: str) -> str:
            return PLACEHOLDER.sub(lambda m: values[m.group(1)], label)

        participants = tuple(
            p.model_copy(update={"label": fill(chosen.participants.get(p.id, p.label))}) for p in self.participants
        )
        messages = tuple(
            m.model_copy(update={"label": fill(chosen.messages.get(m.id or "", m.label))}) for m in self.messages
        )
        update = {"participants": participants, "messages": messages, "params": {}, "variants": {}}
        return self.model_copy(update={**update, "title": chosen.title or self.title})
