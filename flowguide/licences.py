"""How many licence slots a design holds at its busiest moment, and why (pure; no Streamlit).

The product counts one licence slot per open session (auth/sessions/license-slot.md): each person
signed in as themselves holds one while active; a Client Credentials part holds one System User
session; community users in a hybrid hold none, working through the backend's System User; a part that
asks for a new token per call opens a session per token. The numbers and words are content
(content/licences.yaml); the rules that add them up are here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import Field, StrictStr, model_validator

from flowguide.content import CONTENT_DIR, DocLink, Model, load_file
from flowguide.guide import Recommendation, guide_content

PartText = Literal[
    "internal",
    "both",
    "community",
    "sign_in_only",
    "personal_token",
    "service",
    "service_sat",
    "community_through_backend",
]


class LicencesFile(Model):
    """content/licences.yaml."""

    question: StrictStr
    people: dict[StrictStr, int]
    open_ended: tuple[StrictStr, ...] = ()
    title: StrictStr
    docs: tuple[DocLink, ...] = ()
    parts: dict[PartText, StrictStr]
    notes: tuple[StrictStr, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_option_counted(self) -> LicencesFile:
        question = guide_content().question(self.question)
        if question is None:
            raise ValueError(f"question {self.question!r} is not a question of content/guide.yaml")
        options = {o.id for o in question.options}
        if set(self.people) != options or not set(self.open_ended) <= options:
            raise ValueError(f"people must give a number for each option of {self.question}: {sorted(options)}")
        missing = set(PartText.__args__) - set(self.parts)  # type: ignore[attr-defined]
        if missing:
            raise ValueError(f"parts lacks {sorted(missing)}")
        return self


@cache
def licences_content() -> LicencesFile:
    return load_file(CONTENT_DIR / "licences.yaml", LicencesFile)


@dataclass(frozen=True)
class LicenceLine:
    """One part of the design: the slots it holds at the busiest moment, and why."""

    part: str
    slots: int
    why: str
    open_ended: bool = False


@dataclass(frozen=True)
class LicenceEstimate:
    lines: tuple[LicenceLine, ...]
    notes: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(line.slots for line in self.lines)

    @property
    def open_ended(self) -> bool:
        return any(line.open_ended for line in self.lines)


def _people_line(title: str, answers: Mapping[str, str], content: LicencesFile) -> LicenceLine:
    """The sign-in part: people signed in as themselves, by who they are and how many at once."""
    if answers.get("purpose") == "identity":
        return LicenceLine(title, 0, content.parts["sign_in_only"])
    if answers.get("tool_users") == "one":
        return LicenceLine(title, 1, content.parts["personal_token"])
    users = answers.get("users", "internal")
    if users == "community":
        return LicenceLine(title, 0, content.parts["community"])
    option = answers.get(content.question, "")
    people = content.people.get(option, 0)
    more = option in content.open_ended
    count = f"{people} or more" if more else f"Up to {people}"
    why = content.parts["both" if users == "both" else "internal"].format(People=count)
    return LicenceLine(title, people, why, more)


def _service_line(title: str, answers: Mapping[str, str], content: LicencesFile) -> LicenceLine:
    why = content.parts["service_sat" if answers.get("service_oauth") == "no" else "service"]
    if answers.get("users") in ("community", "both") and answers.get("signin") == "yes":
        why += " " + content.parts["community_through_backend"]
    return LicenceLine(title, 1, why)


def estimate(rec: Recommendation, content: LicencesFile | None = None) -> LicenceEstimate | None:
    """The design's licence slots at its busiest moment, part by part; None until there is a recommendation."""
    if not rec.complete:
        return None
    content = content or licences_content()
    answers = {r.question: r.option for r in rec.reasons}
    lines = []
    for registration in rec.registrations:
        line = _people_line if registration.part == "interactive" else _service_line
        lines.append(line(registration.title, answers, content))
    return LicenceEstimate(tuple(lines), content.notes)


def estimate_markdown(est: LicenceEstimate, content: LicencesFile | None = None) -> str:
    """The estimate as Markdown: the total, each part's slots and why, the notes and the documentation."""
    content = content or licences_content()
    total = f"{est.total} or more" if est.open_ended else str(est.total)
    noun = "slot" if est.total == 1 and not est.open_ended else "slots"
    lines = [f"**{total} licence {noun}** at the busiest moment, part by part:", ""]
    for line in est.lines:
        slots = f"{line.slots} or more" if line.open_ended else str(line.slots)
        lines.append(f"- **{line.part}: {slots}.** {line.why}")
    lines.append("")
    lines += [f"> {note}" + "\n>" for note in est.notes]
    docs = " · ".join(f"[{d.title}]({d.url})" for d in content.docs)
    return "\n".join(lines).rstrip(">\n") + f"\n\nDocumentation: {docs}"


def licence_section(rec: Recommendation) -> str:
    """The design review's section on licences (empty until there is a recommendation)."""
    est = estimate(rec)
    if est is None:
        return ""
    return f"## {licences_content().title}\n\n{estimate_markdown(est)}"
