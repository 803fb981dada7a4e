"""Connect to the visitor's own instance (or any OpenID provider): find, fetch and read its metadata.

Pure Python for the /connect page and its tests. Every request goes through the outbound guard
(:mod:`flowguide.outbound`); every failure is a :class:`ConnectError` whose ``str()`` is one sentence.
The flows themselves run in :class:`flowguide.client.FlowRun`, the same code the simulator uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import httpx
from pydantic import Field, StrictStr

from flowguide import outbound
from flowguide.client import DEFAULT_AUDIENCE, ClientConfig, FlowRun
from flowguide.content import CONTENT_DIR, DocLink, Model, load_file
from flowguide.text import without_bidi

WELL_KNOWN = "/.well-known/openid-configuration"
# An instance's identity service lives under /id (auth/client-libraries.md).
INSTANCE_ID_PATH = "/id"
CONNECT_FLOWS = ("client_credentials", "authorization_code")
# What the flows cannot run without; the rest only shows as missing in the table.
REQUIRED_FIELDS = ("issuer", "token_endpoint", "jwks_uri")


class ConnectError(Exception):
    """Connecting failed; ``str()`` is one sentence for the visitor."""

    def __init__(self, message: str) -> None:
        # Addresses echoed back are the visitor's own typing: keep each one short so the sentence stays one.
        self.message = re.sub(r"\S{81,}", lambda m: m.group(0)[:77] + "…", message)
        super().__init__(self.message)


# --- where the discovery document is --------------------------------------------------------------


def discovery_candidates(text: str) -> list[str]:
    """The discovery URLs to try for what the visitor typed, most likely first.

    An instance base URL (no path) is an ERP.net instance first (``{instance}/id/...``), then an issuer
    at the root; an issuer with a path gets the well-known suffix; a discovery URL is used as it is.
    """
    raw = text.strip()
    if not raw:
        raise ConnectError("Give your instance's address, such as https://acme.my.erp.net.")
    if "://" not in raw:
        raw = "https://" + raw
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, ValueError):
        raise ConnectError(
            "That is not an address the app can use; give one such as https://acme.my.erp.net."
        ) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConnectError("Give an address that starts with https://, such as https://acme.my.erp.net.")
    if url.userinfo or url.query or url.fragment:
        raise ConnectError("Give the address without a user name, query or fragment.")
    path = url.path.rstrip("/")
    base = str(url.copy_with(path=path or "/", query=None, fragment=None)).rstrip("/")
    if path.endswith(WELL_KNOWN):
        return [base]
    if not path:
        return [base + INSTANCE_ID_PATH + WELL_KNOWN, base + WELL_KNOWN]
    return [base + WELL_KNOWN]


def issuer_of(discovery_url: str) -> str:
    """The issuer a discovery URL belongs to (OpenID Connect Discovery §4: the URL less the suffix)."""
    return discovery_url.removesuffix(WELL_KNOWN)


# --- fetching ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """A provider's discovery document and signing keys, as fetched through the guard."""

    discovery_url: str
    issuer: str
    document: dict[str, Any]
    jwks: dict[str, Any] | None
    # One sentence when the keys could not be fetched; the flows' validation then fails too.
    jwks_problem: str | None = None

    @property
    def instance(self) -> str:
        """The instance base URL (the issuer less /id), where the API paths start."""
        return self.issuer.rstrip("/").removesuffix(INSTANCE_ID_PATH)


def check_document(doc: dict[str, Any], discovery_url: str) -> str:
    """The document's issuer once its required fields are present and the issuer matches where it was found."""
    missing = [f for f in REQUIRED_FIELDS if not isinstance(doc.get(f), str) or not doc.get(f)]
    if missing:
        raise ConnectError(f"The discovery document at {discovery_url} lacks {_and(missing)}, which the flows need.")
    # The issuer is kept exactly as published (tokens' iss must equal it); only the location ignores a final /.
    issuer = doc["issuer"]
    expected = issuer_of(discovery_url)
    if issuer.rstrip("/") != expected.rstrip("/"):
        raise ConnectError(
            f"The discovery document names the issuer {doc['issuer']}, but it was fetched for {expected}; "
            "tokens from it could not be trusted (OpenID Connect Discovery §4.3)."
        )
    return issuer


def fetch_provider(
    text: str, *, allow_private: bool | None = None, timeout: float = outbound.DEFAULT_TIMEOUT
) -> Provider:
    """Find and fetch the discovery document, check it, and fetch its JWKS; raises ConnectError."""
    candidates = discovery_candidates(text)
    doc: dict[str, Any] | None = None
    tried: list[str] = []
    for url in candidates:
        try:
            doc = outbound.fetch_json(url, allow_private=allow_private, timeout=timeout)
        except outbound.HttpStatusError as exc:
            # Not there: the next candidate may be (an issuer at the root rather than an instance).
            if exc.status_code not in (404, 405):
                raise ConnectError(exc.message) from None
            tried.append(url)
            continue
        except outbound.OutboundError as exc:
            raise ConnectError(exc.message) from None
        break
    if doc is None:
        raise ConnectError(f"No discovery document was found at {_or(tried)}.")
    issuer = check_document(doc, url)
    jwks: dict[str, Any] | None = None
    problem: str | None = None
    try:
        jwks = outbound.fetch_json(doc["jwks_uri"], allow_private=allow_private, timeout=timeout)
        if not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
            problem, jwks = f"The JWKS at {doc['jwks_uri']} has no keys, so no token can be verified.", None
    except outbound.OutboundError as exc:
        problem = f"The signing keys could not be fetched: {exc.message}"
    return Provider(url, issuer, doc, jwks, problem)


# --- what the metadata says about each flow ---------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One thing a flow needs from the provider; ``ok`` is None when the document does not say."""

    name: str
    ok: bool | None
    detail: str


def _list(doc: dict[str, Any], key: str) -> list[str] | None:
    value = doc.get(key)
    return [str(v) for v in value] if isinstance(value, list) else None


def _has(doc: dict[str, Any], key: str, value: str, default: list[str] | None = None) -> Requirement:
    listed = _list(doc, key)
    if listed is None and default is None:
        return Requirement(f"{value} in {key}", None, f"{key} is not in the document, so it does not say.")
    values = listed if listed is not None else default or []
    source = " ".join(values) if listed is not None else f"not listed; the default is {' '.join(values)}"
    return Requirement(f"{value} in {key}", value in values, source)


def _endpoint(doc: dict[str, Any], key: str) -> Requirement:
    value = doc.get(key)
    ok = isinstance(value, str) and value.startswith(("https://", "http://"))
    return Requirement(key, ok, str(value) if ok else "missing")


def flow_support(doc: dict[str, Any], flow: str) -> list[Requirement]:
    """What a flow needs from the discovery document, and whether the document offers it."""
    # Defaults where the document leaves a field out (OpenID Connect Discovery §3).
    grants_default = ["authorization_code", "implicit"]
    auth_default = ["client_secret_basic"]
    if flow == "client_credentials":
        return [
            _endpoint(doc, "token_endpoint"),
            _endpoint(doc, "jwks_uri"),
            _has(doc, "grant_types_supported", "client_credentials", grants_default),
            _has(doc, "token_endpoint_auth_methods_supported", "client_secret_post", auth_default),
        ]
    if flow == "authorization_code":
        return [
            _endpoint(doc, "authorization_endpoint"),
            _endpoint(doc, "token_endpoint"),
            _endpoint(doc, "jwks_uri"),
            _has(doc, "grant_types_supported", "authorization_code", grants_default),
            _has(doc, "response_types_supported", "code"),
            _has(doc, "code_challenge_methods_supported", "S256"),
            _has(doc, "grant_types_supported", "refresh_token", grants_default),
            _has(doc, "scopes_supported", "offline_access"),
        ]
    raise ValueError(f"unknown flow {flow!r}; known: {', '.join(CONNECT_FLOWS)}")


# The fields worth a row in the metadata table, with what each is used for.
METADATA_FIELDS: tuple[tuple[str, str], ...] = (
    ("issuer", "the iss every token must carry"),
    ("authorization_endpoint", "Authorization Code: where the browser signs in"),
    ("token_endpoint", "both flows: where codes, secrets and refresh tokens become tokens"),
    ("jwks_uri", "both flows: the keys that verify token signatures"),
    ("grant_types_supported", "which flows the provider offers"),
    ("response_types_supported", "Authorization Code needs code"),
    ("code_challenge_methods_supported", "PKCE: S256 is the one to use"),
    ("token_endpoint_auth_methods_supported", "how a confidential client sends its secret"),
    ("scopes_supported", "scopes an application may ask for"),
    ("id_token_signing_alg_values_supported", "how ID tokens are signed"),
    ("end_session_endpoint", "signing out"),
    ("userinfo_endpoint", "the signed-in person's claims"),
)


def metadata_rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The metadata table: each field worth knowing, its value (or "missing"), and what it is for."""
    rows = []
    for key, used_for in METADATA_FIELDS:
        value = doc.get(key)
        shown = " ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
        rows.append({"field": key, "value": without_bidi(shown) or "missing", "used for": used_for})
    return rows


# --- running the flows against it -------------------------------------------------------------------


def auth_method(doc: dict[str, Any]) -> Literal["client_secret_post", "client_secret_basic"]:
    """Form fields (the product's documented way) when offered, else HTTP Basic (the spec's default)."""
    methods = _list(doc, "token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    return "client_secret_post" if "client_secret_post" in methods else "client_secret_basic"


def connect_http(allow_private: bool | None = None) -> httpx.Client:
    """The client's HTTP: every request through the guard, redirects never followed by httpx."""
    return outbound.guarded_client(allow_private)


def make_run(
    provider: Provider,
    flow: str,
    app: ClientConfig,
    http: httpx.Client,
    audience: str = DEFAULT_AUDIENCE,
) -> FlowRun:
    """A run of the simulator's client against the visitor's provider, with their application."""
    if flow not in CONNECT_FLOWS:
        raise ValueError(f"unknown flow {flow!r}; known: {', '.join(CONNECT_FLOWS)}")
    # The document the page fetched and checked is the one the run uses: it is never fetched a second time.
    return FlowRun(
        flow,
        http,
        app=app,
        issuer=provider.issuer,
        audience=audience or DEFAULT_AUDIENCE,
        discovery=provider.document,
    )


def api_url(provider: Provider, path: str) -> str:
    """The URL of one API call: a path on the instance (the token goes nowhere else)."""
    text = path.strip()
    refused = ConnectError("Give a path on your instance that starts with /, such as /api/domain/odata/$metadata.")
    # Control characters (a pasted tab) are no part of a URL; httpx would raise on them.
    if not text.startswith("/") or text.startswith("//") or "\\" in text or not text.isprintable():
        raise refused
    try:
        return str(httpx.URL(provider.instance).join(text))
    except httpx.InvalidURL:
        raise refused from None


# --- the product's explanation of an error ---------------------------------------------------------


class DocumentedError(Model):
    error: StrictStr = Field(pattern=r"^[a-z][a-z0-9_]*$")
    flows: tuple[Literal["authorization_code", "client_credentials", "refresh"], ...] = Field(min_length=1)
    title: StrictStr
    cause: StrictStr
    fix: StrictStr
    docs: tuple[DocLink, ...] = ()


class ErrorsFile(Model):
    errors: tuple[DocumentedError, ...] = Field(min_length=1)


@cache
def documented_errors() -> tuple[DocumentedError, ...]:
    """The errors the product's documentation lists (content/errors.yaml)."""
    return load_file(CONTENT_DIR / "errors.yaml", ErrorsFile).errors


def explain_error(code: str, flow: str, status: int | None = None) -> DocumentedError | None:
    """The product's explanation of an error the provider answered in this flow, when it documents one."""
    for key in (code, f"http_{status}" if status else ""):
        found = next((e for e in documented_errors() if e.error == key and flow in e.flows), None)
        if found is not None:
            return found
    return None


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
