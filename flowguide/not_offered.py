"""The ways not offered (content/not_offered.yaml): what to use instead, and the refusal the sandbox really gives.

Each way names the request that would start it. ``refusal`` sends that request to a fresh in-process
sandbox (no socket) and returns what crossed the wire, so /guide shows the sandbox's own answer rather
than a copy of it; tests/test_not_offered.py holds every answer to the product's error code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

import httpx
from pydantic import Field, StrictStr, model_validator

from flowguide.content import CONTENT_DIR, DocLink, Model, RfcLink, load_file, require_unique
from flowguide.guide_model import ID_PATTERN
from flowguide.links import app_link, markdown_link
from flowguide.transcript import Exchange, send_and_record

# A probe parameter filled with a published demo credential when sent: {secret:<client_id>}, {password:<login>}.
DEMO_VALUE = re.compile(r"^\{(secret|password):([^{}]+)\}$")
PATHS = {"authorize": "/id/connect/authorize", "token": "/id/connect/token"}


class Probe(Model):
    endpoint: Literal["authorize", "token"]
    params: dict[StrictStr, StrictStr] = Field(min_length=1)


class Way(Model):
    id: StrictStr = Field(pattern=ID_PATTERN)
    title: StrictStr
    question: StrictStr
    standard: RfcLink
    answer: StrictStr
    offers_instead: StrictStr
    why: StrictStr
    note: StrictStr = ""
    contradiction: StrictStr = ""
    docs: tuple[DocLink, ...] = Field(min_length=1)
    probe: Probe
    refusal: StrictStr = Field(pattern=r"^[a-z_]+$")
    instead: dict[StrictStr, StrictStr] = Field(min_length=1)
    # When the design review lists it: guide answers (or ``flow``) with the values that make it relevant; {} always.
    review_when: dict[StrictStr, tuple[StrictStr, ...]] = {}

    def relevant(self, facts: Mapping[str, str]) -> bool:
        return all(facts.get(key) in values for key, values in self.review_when.items())


class NotOfferedFile(Model):
    intro: StrictStr
    ways: tuple[Way, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> NotOfferedFile:
        require_unique([w.id for w in self.ways], "ways")
        from flowguide.guide import guide_content, parse_answers, recommend

        flows = ("authorization_code", "client_credentials", "hybrid")
        for way in self.ways:
            for key, values in way.review_when.items():
                question = guide_content().question(key)
                valid = flows if key == "flow" else [o.id for o in question.options] if question else []
                if not values or set(values) - set(valid):
                    raise ValueError(f"way {way.id!r}: review_when {key}={list(values)} names no such answer")
            # The answer "use this instead" links to must be a complete recommendation, with nothing ignored.
            parsed = parse_answers(way.instead)
            if parsed.notices or not recommend(parsed.answers).complete:
                raise ValueError(f"way {way.id!r}: instead {way.instead} is not a complete set of guide answers")
        return self

    def way(self, way_id: str) -> Way | None:
        return next((w for w in self.ways if w.id == way_id), None)


@cache
def not_offered() -> NotOfferedFile:
    """The ways not offered, loaded and validated once per process."""
    return load_file(CONTENT_DIR / "not_offered.yaml", NotOfferedFile)


# --- the sandbox's answer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """What the sandbox answered a way's first request: the exchange, and the error it carried."""

    exchange: Exchange
    error: str
    description: str


def _filled(params: dict[str, str]) -> dict[str, str]:
    from flowguide.sandbox.registry import default_registry

    registry = default_registry()
    out = {}
    for name, value in params.items():
        found = DEMO_VALUE.match(value)
        if found:
            kind, who = found.groups()
            demo = registry.demo_secret(who) if kind == "secret" else registry.demo_password(who)
            if demo is None:
                raise ValueError(f"no published demo {kind} for {who!r} in content/sandbox.yaml")
            value = demo
        out[name] = value
    return out


def error_of(exchange: Exchange) -> tuple[str, str]:
    """The OAuth error an answer carries: in a JSON body, or in the redirect's query or fragment (RFC 6749 §4.1.2.1)."""
    body = exchange.response_json()
    if isinstance(body, dict) and "error" in body:
        return str(body["error"]), str(body.get("error_description", ""))
    location = urlsplit(exchange.location or "")
    for part in (location.fragment, location.query):
        params = dict(parse_qsl(part))
        if "error" in params:
            return params["error"], params.get("error_description", "")
    return "", ""


def send_probe(http: httpx.Client, way: Way) -> Refusal:
    """Send a way's first request through ``http`` (a sandbox, in-process or over a socket) and record it."""
    params = _filled(way.probe.params)
    path = PATHS[way.probe.endpoint]
    if way.probe.endpoint == "token":
        request = http.build_request("POST", path, data=params)
    else:
        request = http.build_request("GET", path, params=params)
    _response, exchange = send_and_record(http, request, actor="client", label=way.title)
    return Refusal(exchange, *error_of(exchange))


@cache
def refusal(way_id: str) -> Refusal:
    """The refusal a fresh in-process sandbox gives the way's first request (one sandbox per process)."""
    way = not_offered().way(way_id)
    if way is None:
        raise KeyError(way_id)
    with _sandbox().http_client() as http:
        return send_probe(http, way)


@cache
def _sandbox():  # noqa: ANN202 - the sandbox type is imported lazily: most pages never need one
    from flowguide.sandbox import Sandbox

    return Sandbox()


# --- the design review ---------------------------------------------------------------------------------


def markdown_section(answers: Mapping[str, str], flow: str | None) -> str:
    """The design review's "Ways not offered": those this design might reach for, each with the sandbox's refusal."""
    facts = {**answers, **({"flow": flow} if flow else {})}
    ways = [w for w in not_offered().ways if w.relevant(facts)]
    out = ["## Ways not offered", not_offered().intro]
    for way in ways:
        docs = " · ".join(markdown_link(d.title, d.url) for d in way.docs)
        answer = markdown_link("The answer in the guide", app_link("guide", {"about": way.id}))
        out.append(
            f"### {way.title}\n\n{way.answer} Flow Guide's sandbox answers `{refusal(way.id).error}`.\n\n"
            f"**Instead.** {way.offers_instead}\n\nDocumentation: {docs} · {answer}"
        )
    return "\n\n".join(out)
