"""Load and validate everything under content/ and diagrams/.

Every YAML file is parsed with ``yaml.safe_load``, the brand token ``@@name`` is replaced by the
configured product name, and the result is validated against the file's model. A broken file stops
with one :class:`ContentError` naming the file, the key and what is wrong.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, model_validator


def _data_root() -> Path:
    """The folder holding content/ and diagrams/: the wheel's packaged copy, else the checkout's top level."""
    # The wheel force-includes both as flowguide/_data/ (pyproject.toml); a checkout has no _data/.
    packaged = resources.files(__package__ or "flowguide") / "_data"
    if isinstance(packaged, Path) and (packaged / "content").is_dir():
        return packaged.resolve()
    return Path(__file__).resolve().parent.parent


ROOT = _data_root()
CONTENT_DIR = ROOT / "content"
DIAGRAMS_DIR = ROOT / "diagrams"
BRAND_TOKEN = "@@name"
BRAND_ENV = "FLOWGUIDE_BRAND"

M = TypeVar("M", bound=BaseModel)


class ContentError(Exception):
    """A content file that cannot be used: which file, which key, what is wrong."""

    def __init__(self, file: Path | str, key: str, problem: str) -> None:
        self.file = _display_path(file)
        self.key = key
        self.problem = problem
        where = f"{self.file}: {key}" if key else self.file
        super().__init__(f"{where}: {problem}")


def _display_path(file: Path | str) -> str:
    path = Path(file)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


class Model(BaseModel):
    """Base for content models: unknown keys are mistakes, loaded content never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- shared pieces -------------------------------------------------------------------------------


class DocLink(Model):
    """A page of the product's documentation, named by its path in the documentation source."""

    page: StrictStr = Field(pattern=r"^[a-z0-9][a-z0-9/_.-]*\.md$")
    title: StrictStr

    @property
    def url(self) -> str:
        return docs_url(self.page)


class RfcLink(Model):
    """A section of a standard (RFC or OpenID spec) that a step or mistake follows."""

    ref: StrictStr
    url: StrictStr = Field(pattern=r"^https://")


class Brand(Model):
    name: StrictStr = Field(min_length=1)
    docs_base: StrictStr = Field(pattern=r"^https://.*/$")
    # Links built without a browser to ask start here (in the app: the browser's address, FLOWGUIDE_PUBLIC_URL).
    app_url: StrictStr = Field(pattern=r"^https?://[^\s/?#@]+(/[^\s?#]*)?$")


# --- the flows' narratives (content/flows/<flow>.yaml) --------------------------------------------


class Parameter(Model):
    name: StrictStr
    why: StrictStr


class FlowStep(Model):
    id: StrictStr = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: StrictStr
    narrative: StrictStr
    parameters: tuple[Parameter, ...] = ()
    rfc: tuple[RfcLink, ...] = ()
    docs: tuple[DocLink, ...] = ()


class AppChoice(Model):
    """One way a visitor may run a flow: a demo application, and how it asks for the answer."""

    id: StrictStr = Field(pattern=r"^[a-z][a-z0-9_]*$")
    application: StrictStr
    label: StrictStr
    # OpenID Connect Core §3 (code) or §3.3 (code id_token); response_mode per OAuth 2.0 Multiple Response Types.
    response_type: Literal["code", "code id_token"] = "code"
    response_mode: Literal["query", "fragment", "form_post"] | None = None
    # When to choose this way, in the reader's words.
    when: StrictStr = ""


class FlowNarrative(Model):
    id: StrictStr = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: StrictStr
    summary: StrictStr
    # The demo Trusted Application (content/sandbox.yaml) the simulator runs this flow as.
    application: StrictStr
    # The ways a visitor may choose to run it; none means the flow's own application only.
    choices: tuple[AppChoice, ...] = ()
    docs: tuple[DocLink, ...] = ()
    steps: tuple[FlowStep, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_steps(self) -> FlowNarrative:
        require_unique([s.id for s in self.steps], "steps")
        require_unique([c.id for c in self.choices], "choices")
        return self

    def step(self, step_id: str) -> FlowStep | None:
        return next((s for s in self.steps if s.id == step_id), None)


# --- the mistakes catalogue (content/mistakes.yaml) -----------------------------------------------


class Mistake(Model):
    id: StrictStr = Field(pattern=r"^[a-z][a-z0-9_]*$")
    flow: StrictStr
    step: StrictStr
    title: StrictStr
    wrong: StrictStr
    error: StrictStr
    status: int = Field(ge=100, le=599)
    # The demo Trusted Application that makes this wrong move, when not the flow's own.
    application: StrictStr | None = None
    why: StrictStr
    fix: StrictStr
    docs: tuple[DocLink, ...] = ()
    rfc: tuple[RfcLink, ...] = ()


class MistakesFile(Model):
    mistakes: tuple[Mistake, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> MistakesFile:
        require_unique([m.id for m in self.mistakes], "mistakes")
        return self


def require_unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"id {item!r} appears more than once in {where}")
        seen.add(item)


# --- loading ------------------------------------------------------------------------------------


def read_yaml(path: Path) -> Any:
    """Parse one YAML file safely; a syntax error becomes a ContentError with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(path, "", f"cannot be read ({exc.strerror or exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(path, line, f"is not valid YAML: {problem}") from None


def substitute_brand(value: Any, name: str) -> Any:
    """Replace the documentation's brand token in every string of a parsed YAML tree."""
    if isinstance(value, str):
        return value.replace(BRAND_TOKEN, name)
    if isinstance(value, list):
        return [substitute_brand(v, name) for v in value]
    if isinstance(value, dict):
        return {k: substitute_brand(v, name) for k, v in value.items()}
    return value


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validate(data: Any, model: type[M], file: Path | str) -> M:
    """Validate parsed YAML against a model; the first problem becomes a ContentError."""
    if data is None:
        raise ContentError(file, "", "is empty")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "missing":
            message = "is required but missing"
        elif first["type"] == "extra_forbidden":
            message = "is not a known key here"
        raise ContentError(file, _key_path(loc), message) from None


def load_file(path: Path, model: type[M], brand_name: str | None = None) -> M:
    """Read, brand and validate one file."""
    data = read_yaml(path)
    return validate(substitute_brand(data, brand_name or brand().name), model, path)


@cache
def brand() -> Brand:
    """The configured brand: content/brand.yaml, with FLOWGUIDE_BRAND overriding the name."""
    path = CONTENT_DIR / "brand.yaml"
    loaded = validate(read_yaml(path), Brand, path)
    override = os.environ.get(BRAND_ENV, "").strip()
    return loaded.model_copy(update={"name": override}) if override else loaded


def docs_url(page: str) -> str:
    """The published URL of a documentation page given by its source path (DocFX: .md -> .html)."""
    return brand().docs_base + page.removesuffix(".md") + ".html"


def brand_text(text: str) -> str:
    """Brand a string that did not come from a content file (code-built messages)."""
    return text.replace(BRAND_TOKEN, brand().name)


# Which model validates which file: "module:attribute" so a model can live beside its engine.
SCHEMAS: tuple[tuple[str, str], ...] = (
    ("content/brand.yaml", "flowguide.content:Brand"),
    ("content/guide.yaml", "flowguide.guide:GuideContent"),
    ("content/flows/*.yaml", "flowguide.content:FlowNarrative"),
    ("content/mistakes.yaml", "flowguide.content:MistakesFile"),
    ("content/sandbox.yaml", "flowguide.sandbox.registry:RegistryFile"),
    ("content/claims.yaml", "flowguide.claims:ClaimsFile"),
    ("content/errors.yaml", "flowguide.connect:ErrorsFile"),
    ("content/review.yaml", "flowguide.review:ReviewContent"),
    ("content/samples/*.yaml", "flowguide.samples:SamplesFile"),
    ("content/not_offered.yaml", "flowguide.not_offered:NotOfferedFile"),
    ("content/reference_tokens.yaml", "flowguide.reference_tokens:ReferenceTokensFile"),
    ("content/licences.yaml", "flowguide.licences:LicencesFile"),
    ("diagrams/*.yaml", "flowguide.diagrams:DiagramSpec"),
)


def _model_for(name: str) -> type[BaseModel]:
    module_name, attr = name.split(":")
    return getattr(importlib.import_module(module_name), attr)


def content_files(root: Path = ROOT) -> Iterator[tuple[Path, str]]:
    """Every YAML file under content/ and diagrams/ with the model it must satisfy."""
    for folder in ("content", "diagrams"):
        for path in sorted((root / folder).rglob("*.y*ml")):
            rel = path.relative_to(root).as_posix()
            schema = next((s for pattern, s in SCHEMAS if Path(rel).match(pattern)), None)
            if schema is None:
                raise ContentError(path, "", "has no schema: add it to flowguide.content.SCHEMAS")
            yield path, schema


def load_all(root: Path = ROOT) -> dict[str, BaseModel]:
    """Validate every content and diagram file; keys are paths relative to the project root."""
    name = brand().name
    return {
        path.relative_to(root).as_posix(): load_file(path, _model_for(schema), name)
        for path, schema in content_files(root)
    }


@cache
def flows() -> dict[str, FlowNarrative]:
    """The flow narratives by flow id, in file order."""
    out: dict[str, FlowNarrative] = {}
    for path in sorted((CONTENT_DIR / "flows").glob("*.yaml")):
        narrative = load_file(path, FlowNarrative)
        if narrative.id != path.stem:
            raise ContentError(path, "id", f"is {narrative.id!r} but the file is named {path.stem!r}")
        out[narrative.id] = narrative
    return out


@cache
def mistakes() -> dict[str, Mistake]:
    """The mistakes catalogue by mistake id; each names a flow and step that exist."""
    path = CONTENT_DIR / "mistakes.yaml"
    catalogue = load_file(path, MistakesFile)
    known = flows()
    for i, mistake in enumerate(catalogue.mistakes):
        if mistake.flow not in known:
            raise ContentError(path, f"mistakes[{i}].flow", f"names unknown flow {mistake.flow!r}")
        if known[mistake.flow].step(mistake.step) is None:
            raise ContentError(path, f"mistakes[{i}].step", f"names unknown step {mistake.step!r} of {mistake.flow!r}")
    return {m.id: m for m in catalogue.mistakes}
