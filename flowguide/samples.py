"""Programs that run a recommendation's parts: each part's flow and one Domain API call (pure; no Streamlit).

The templates are content (content/samples/, indexed by samples.yaml): one program per platform whose
library the documentation recommends (auth/client-libraries.md). A registration's values fill the
template's ``{{issuer}}``, ``{{client_id}}``, ``{{redirect_uri}}`` and ``{{scope}}``; secrets never do:
the programs read them from the environment. Platforms whose programs cannot be run in the tests are
links (``elsewhere``). tests/test_samples_run.py runs every program this module can generate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, StrictStr, model_validator

from flowguide.content import CONTENT_DIR, DocLink, Model, brand_text, load_file
from flowguide.guide import Recommendation, Registration

SAMPLES_DIR = CONTENT_DIR / "samples"
# The standalone sandbox's issuer (README: python -m flowguide.sandbox --port 8600).
DEFAULT_ISSUER = "http://127.0.0.1:8600/id"
SECRET_ENV = "ERPNET_CLIENT_SECRET"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
PLACEHOLDERS = ("issuer", "client_id", "redirect_uri", "scope")
# What may be written into a string literal of every template language unescaped: no quotes, backslashes,
# `$`, backticks, braces, angle brackets or line breaks (URLs, client ids and scopes need none of them).
SAFE_VALUE = re.compile(r"^[A-Za-z0-9._~:/?#@!&()*+,;=%\- ]*$")
MIME = {".py": "text/x-python", ".mjs": "text/javascript", ".sh": "text/x-sh", ".html": "text/html"}
Kind = Literal["service", "web", "spa", "native", "cli"]
Purpose = Literal["data", "identity"]
# A loopback redirect URI (RFC 8252 §7.3): a program on the person's own computer can listen there.
LOOPBACK = re.compile(r"^http://(127\.0\.0\.1|\[::1\]|localhost):\d+/")
CLIENT_LIBRARIES = DocLink(page="auth/client-libraries.md", title="Client libraries")


# --- content model (content/samples/samples.yaml) -------------------------------------------------


class Library(Model):
    name: StrictStr
    url: StrictStr = Field(pattern=r"^https://")


class SampleTemplate(Model):
    id: StrictStr = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Kind
    title: StrictStr
    library: Library
    language: StrictStr
    template: StrictStr = Field(pattern=r"^[a-z][a-z0-9_]*\.(py|mjs|sh|html)$")
    run: StrictStr
    purpose: Purpose = "data"  # identity: a sign-in-only program (the guide's purpose=identity), no API call

    @model_validator(mode="after")
    def _template_is_there(self) -> SampleTemplate:
        path = SAMPLES_DIR / self.template
        if not path.is_file():
            raise ValueError(f"sample {self.id!r}: its template {self.template} is not in content/samples/")
        unknown = set(PLACEHOLDER.findall(path.read_text(encoding="utf-8"))) - set(PLACEHOLDERS)
        if unknown:
            raise ValueError(f"sample {self.id!r}: {self.template} names unknown placeholders {sorted(unknown)}")
        return self


class KindNotes(Model):
    note: StrictStr = ""  # shown instead of code when a kind has no sample
    identity_note: StrictStr = ""  # the same, for sign-in only
    docs: tuple[DocLink, ...] = ()


class Elsewhere(Model):
    platform: StrictStr
    library: StrictStr
    url: StrictStr = Field(pattern=r"^https://")
    kinds: tuple[Kind, ...] = Field(min_length=1)


class SamplesFile(Model):
    intro: StrictStr
    kinds: dict[Kind, KindNotes]
    samples: tuple[SampleTemplate, ...] = Field(min_length=1)
    elsewhere: tuple[Elsewhere, ...] = ()

    @model_validator(mode="after")
    def _every_kind_has_code_or_a_note(self) -> SamplesFile:
        ids = [s.id for s in self.samples]
        if len(set(ids)) != len(ids):
            raise ValueError("sample ids must be unique")
        for kind in get_args(Kind):
            if kind not in self.kinds:
                raise ValueError(f"kinds has no entry for {kind!r}")
            for purpose, note in (("data", self.kinds[kind].note), ("identity", self.kinds[kind].identity_note)):
                if (
                    kind != "service"
                    and not note
                    and not any(s.kind == kind and s.purpose == purpose for s in self.samples)
                ):
                    raise ValueError(f"kind {kind!r} has neither a {purpose} sample nor a note saying why not")
            if not self.kinds["service"].note and not any(s.kind == "service" for s in self.samples):
                raise ValueError("kind 'service' has neither a sample nor a note saying why not")
        return self


@cache
def samples_content() -> SamplesFile:
    """The sample index, loaded and validated once per process."""
    return load_file(SAMPLES_DIR / "samples.yaml", SamplesFile)


@cache
def _template_text(name: str) -> str:
    return brand_text((SAMPLES_DIR / name).read_text(encoding="utf-8"))


# --- generating ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleValues:
    """What a program is filled with: the registration's public values, never a secret."""

    issuer: str
    client_id: str
    redirect_uri: str
    scope: str


@dataclass(frozen=True)
class Sample:
    id: str
    title: str
    library: Library
    language: str
    file_name: str
    mime: str
    run: str
    code: str


@dataclass(frozen=True)
class PartCode:
    """A part of the recommendation with its programs, or the note that says why it has none."""

    registration: Registration
    kind: Kind
    samples: tuple[Sample, ...]
    note: str
    docs: tuple[DocLink, ...]
    elsewhere: tuple[Elsewhere, ...]


def client_kind(registration: Registration, answers: dict[str, str]) -> Kind:
    """Which program a part needs: the service, or where the sign-in part runs (the guide's `client`)."""
    if registration.part == "service":
        return "service"
    client = answers.get("client", "web")
    return client if client in ("web", "spa", "native", "cli") else "web"  # type: ignore[return-value]


def sample_values(registration: Registration, issuer: str = DEFAULT_ISSUER, kind: Kind | None = None) -> SampleValues:
    """The registration's values: client id, the first registered redirect URI (for an installed app or tool, the
    first loopback one, which its program listens on), the scopes it requests."""
    uris = [u.strip() for u in registration.get("ImpersonateLoginUrl", "").split(",")]
    loopback = [u for u in uris if LOOPBACK.match(u)] if kind in ("native", "cli") else []
    return SampleValues(issuer, registration["ApplicationUri"], (loopback or uris)[0], registration.request_scope)


def render(template: str, values: SampleValues) -> str:
    """The template with its placeholders filled; a value that is not safe in a string literal is refused."""
    filled = {name: getattr(values, name) for name in PLACEHOLDERS}
    for name, value in filled.items():
        if not SAFE_VALUE.match(value):
            raise ValueError(f"{name} {value!r} cannot be written into a program safely")
    return PLACEHOLDER.sub(lambda m: filled[m.group(1)], template)


def samples_for(kind: Kind, values: SampleValues, purpose: Purpose = "data") -> tuple[Sample, ...]:
    """Every program for one kind of client and purpose, filled with these values."""
    return tuple(
        Sample(
            t.id,
            t.title,
            t.library,
            t.language,
            t.template,
            MIME[Path(t.template).suffix],
            t.run,
            render(_template_text(t.template), values),
        )
        for t in samples_content().samples
        if t.kind == kind and t.purpose == purpose
    )


def part_purpose(registration: Registration, answers: dict[str, str]) -> Purpose:
    """Whether the part works with data or only signs people in (the guide's ``purpose``, for the sign-in part)."""
    return "identity" if registration.part == "interactive" and answers.get("purpose") == "identity" else "data"


ValuesFor = Callable[[Registration, Kind], SampleValues]


def recommendation_code(
    rec: Recommendation, issuer: str = DEFAULT_ISSUER, values_for: ValuesFor | None = None
) -> tuple[PartCode, ...]:
    """Each part's programs; ``values_for`` replaces the registration's values (the tests use the demo apps')."""
    content = samples_content()
    out = []
    for registration in rec.registrations:
        kind = client_kind(registration, rec.answers)
        values = values_for(registration, kind) if values_for else sample_values(registration, issuer, kind)
        purpose = part_purpose(registration, rec.answers)
        notes = content.kinds[kind]
        note = notes.identity_note if purpose == "identity" else notes.note
        elsewhere = tuple(e for e in content.elsewhere if kind in e.kinds)
        out.append(PartCode(registration, kind, samples_for(kind, values, purpose), note, notes.docs, elsewhere))
    return tuple(out)


# --- the design review's Code section ----------------------------------------------------------------


def _fenced(code: str, language: str) -> str:
    # A fence longer than any run of backticks in the code, so a template literal cannot close it.
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code.rstrip()}\n{fence}"


def _links(part: PartCode) -> str:
    docs = [f"[{d.title}]({d.url})" for d in part.docs]
    # Named, not linked: the review links only to the documentation, whose library table links them.
    libraries = [f"{e.platform}: {e.library}" for e in part.elsewhere]
    lines = [f"Documentation: {' · '.join(docs)}"] if docs else []
    other = f"Other platforms, in [{CLIENT_LIBRARIES.title}]({CLIENT_LIBRARIES.url}): {' · '.join(libraries)}"
    return "\n\n".join(lines + ([other] if libraries else []))


def markdown_section(rec: Recommendation) -> str:
    """The design review's "Code that runs" section: each part's programs as fenced code blocks."""
    out = ["## Code that runs", samples_content().intro]
    for part in recommendation_code(rec):
        out.append(f"### {part.registration.title} ({part.registration['ApplicationUri']})")
        if part.note:
            out.append(part.note)
        for sample in part.samples:
            out.append(f"#### {sample.title}: {sample.library.name}, `{sample.file_name}`\n\n{sample.run}")
            out.append(_fenced(sample.code, sample.language))
        if links := _links(part):
            out.append(links)
    return "\n\n".join(out)
