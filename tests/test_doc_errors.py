"""Every row of the product's two error tables, reproduced against the sandbox with its documented code and message.

The rows are read from the documentation itself (auth/flows/auth-code/interactive-apps-errors.md and
auth/flows/client-credentials/service-apps-errors.md); for each, the request that causes it is made
against an in-process sandbox, and the answer must carry the documented code and, where the table
gives one, begin with the documented message. Where the tables contradict each other, each holds in
its own flow, and the content says so to the reader (the last tests).

Run with ``-s`` to see the table of documented and sandbox answers.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from test_sandbox import (
    LEGACY,
    PORTAL,
    PORTAL_CALLBACK,
    PORTAL_SECRET,
    SPA,
    SPA_CALLBACK,
    SYNC,
    SYNC_SECRET,
    api_get,
    authorize_params,
    callback_params,
    parse,
    pkce,
    portal_exchange,
    portal_tokens,
    sign_in_and_consent,
)

from flowguide import content
from flowguide.connect import documented_errors
from flowguide.sandbox import Sandbox
from flowguide.sandbox.registry import default_registry

INTERACTIVE = "auth/flows/auth-code/interactive-apps-errors.md"
SERVICE = "auth/flows/client-credentials/service-apps-errors.md"


@dataclass(frozen=True)
class Row:
    """One row of a documentation table: its Error column, and the code, messages or status it documents."""

    page: str
    title: str
    code: str | None
    messages: tuple[str, ...]
    status: int | None = None

    @property
    def documented(self) -> str:
        said = self.code or f"HTTP {self.status}"
        return said + (": " + " / ".join(self.messages) if self.messages else "")


@dataclass(frozen=True)
class Answer:
    """What the sandbox answered: status, error code and description, wherever it travelled."""

    case: str
    status: int
    code: str
    description: str


def _row(page: str, cells: list[str]) -> Row:
    title, typical = cells[0].strip("* "), cells[1]
    spans = tuple(re.findall(r"`([^`]+)`", typical))
    if page == SERVICE:  # | **code** | `message` (or `one` or `other`) | ...
        return Row(page, title, title, spans)
    if typical.startswith("API returns"):  # API returns `401 Unauthorized`
        return Row(page, title, None, (), int(spans[0].split()[0]))
    code, _, message = spans[0].partition(": ")  # `invalid_grant: PKCE verification failed`
    return Row(page, title, code, (message,) if message else ())


def documented_rows(docs: Path) -> list[Row]:
    rows = []
    for page in (INTERACTIVE, SERVICE):
        for line in (docs / page).read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("| **") and cells[0] != "**Error**":  # a row, not the header
                rows.append(_row(page, cells))
    return rows


# --- reading what the sandbox answered ---------------------------------------------------------------


def from_json(case: str, response: httpx.Response) -> Answer:
    body = response.json()
    return Answer(case, response.status_code, body.get("error", ""), body.get("error_description", ""))


def from_page(case: str, response: httpx.Response) -> Answer:
    assert "location" not in response.headers  # never sent to a redirect URI it does not trust
    description = re.findall(r"<p>(.*?)</p>", response.text)[-1]
    return Answer(case, response.status_code, parse(response.text).error or "", html.unescape(description))


def from_redirect(case: str, response: httpx.Response, redirect_uri: str) -> Answer:
    back = callback_params(response, redirect_uri)
    return Answer(case, response.status_code, back["error"], back["error_description"])


def token(client: httpx.Client, **data: str) -> httpx.Response:
    return client.post("/id/connect/token", data=data)


def signed_in_code(client: httpx.Client) -> tuple[str, str]:
    verifier, challenge = pkce()
    params = authorize_params(
        scope="openid read offline_access", code_challenge=challenge, code_challenge_method="S256"
    )
    return callback_params(sign_in_and_consent(client, params))["code"], verifier


def changed(client_id: str, **fields: object) -> Sandbox:
    """A sandbox whose registry differs from content/sandbox.yaml in one Trusted Application."""
    registry = default_registry()
    apps = tuple(a.model_copy(update=fields) if a.client_id == client_id else a for a in registry.trusted_applications)
    return Sandbox(registry=registry.model_copy(update={"trusted_applications": apps}))


# --- the requests that cause each row -------------------------------------------------------------------


def invalid_redirect_uri() -> list[Answer]:
    client = Sandbox().http_client()
    params = authorize_params(redirect_uri="http://localhost:8501/Callback")
    return [from_page("redirect_uri differs in case", client.get("/id/connect/authorize", params=params))]


def interactive_invalid_client() -> list[Answer]:
    client = Sandbox().http_client()
    code = {"grant_type": "authorization_code", "code": "any", "redirect_uri": PORTAL_CALLBACK}
    spa = {**code, "redirect_uri": SPA_CALLBACK, "client_id": SPA, "code_verifier": "v" * 43}
    return [
        from_json("unknown client_id", token(client, **code, client_id="com.example/nobody", client_secret="x")),
        from_json("wrong secret", token(client, **code, client_id=PORTAL, client_secret="wrong")),
        from_json("secret sent by a Public client", token(client, **spa, client_secret="anything")),
        from_json("no secret from a Confidential client", token(client, **code, client_id=PORTAL)),
        from_json("no client_id", token(client, **code, client_secret=PORTAL_SECRET)),
    ]


def interactive_unsupported_grant_type() -> list[Answer]:
    client = Sandbox().http_client()
    auth = {"client_id": PORTAL, "client_secret": PORTAL_SECRET}
    return [
        from_json(
            "grant_type=password", token(client, grant_type="password", username="david", password="demo", **auth)
        ),
        from_json("grant_type=implicit", token(client, grant_type="implicit", **auth)),
    ]


def pkce_failed() -> list[Answer]:
    client = Sandbox().http_client()
    code, _ = signed_in_code(client)
    other_verifier, _ = pkce()
    return [
        from_json(
            "another sign-in's verifier", client.post("/id/connect/token", data=portal_exchange(code, other_verifier))
        )
    ]


def interactive_invalid_scope() -> list[Answer]:
    client = Sandbox().http_client()
    _, challenge = pkce()
    params = authorize_params(
        SPA, SPA_CALLBACK, scope="read update", code_challenge=challenge, code_challenge_method="S256"
    )
    return [
        from_redirect(
            "SPA (Scope read) asks read update", client.get("/id/connect/authorize", params=params), SPA_CALLBACK
        )
    ]


def invalid_code() -> list[Answer]:
    sb = Sandbox()
    client = sb.http_client()
    answers = []
    code, verifier = signed_in_code(client)
    mismatch = {**portal_exchange(code, verifier), "redirect_uri": "http://localhost:8501/other"}
    answers.append(from_json("redirect_uri differs from the authorize one", token(client, **mismatch)))
    code, verifier = signed_in_code(client)
    assert token(client, **portal_exchange(code, verifier)).status_code == 200
    answers.append(from_json("code used twice", token(client, **portal_exchange(code, verifier))))
    code, verifier = signed_in_code(client)
    sb.clock.advance(301)
    answers.append(from_json("code older than 5 minutes", token(client, **portal_exchange(code, verifier))))
    return answers


def invalid_refresh_token() -> list[Answer]:
    sb = Sandbox()
    client = sb.http_client()
    auth = {"grant_type": "refresh_token", "client_id": PORTAL, "client_secret": PORTAL_SECRET}
    rotated = portal_tokens(sb, client)["refresh_token"]
    assert token(client, **auth, refresh_token=rotated).status_code == 200
    answers = [from_json("rotated out and used again", token(client, **auth, refresh_token=rotated))]
    answers.append(from_json("never issued", token(client, **auth, refresh_token="made-up")))
    expiring = portal_tokens(sb, client)["refresh_token"]
    sb.clock.advance(30 * 24 * 3600)
    answers.append(from_json("older than 30 days", token(client, **auth, refresh_token=expiring)))
    return answers


def token_expired() -> list[Answer]:
    sb = Sandbox()
    client = sb.http_client()
    access_token = portal_tokens(sb, client)["access_token"]
    sb.clock.advance(3600)
    return [from_json("an hour later", api_get(client, access_token))]


def disabled_or_missing_application() -> list[Answer]:
    client = Sandbox().http_client()
    answers = [
        from_page(
            "authorize, disabled", client.get("/id/connect/authorize", params=authorize_params(client_id=LEGACY))
        ),
        from_page(
            "authorize, missing",
            client.get("/id/connect/authorize", params=authorize_params(client_id="com.example/nobody")),
        ),
    ]
    # The administrator switches the portal off between the sign-in and the code's exchange.
    enabled = Sandbox()
    code, verifier = signed_in_code(enabled.http_client())
    enabled.registry = changed(PORTAL, IsEnabled=False).registry
    exchange = token(enabled.http_client(), **portal_exchange(code, verifier))
    return [*answers, from_json("token endpoint, disabled since sign-in", exchange)]


def service_invalid_client() -> list[Answer]:
    client = Sandbox().http_client()
    grant = {"grant_type": "client_credentials"}
    return [
        from_json("not found", token(client, **grant, client_id="com.example/nobody", client_secret="x")),
        from_json("disabled", token(client, **grant, client_id=LEGACY, client_secret="legacy-report-secret")),
        from_json("wrong secret", token(client, **grant, client_id=SYNC, client_secret="wrong")),
    ]


def service_unauthorized_client() -> list[Answer]:
    client = Sandbox().http_client()
    response = token(client, grant_type="client_credentials", client_id=PORTAL, client_secret=PORTAL_SECRET)
    return [from_json("SystemUserAllowed is false", response)]


def service_invalid_scope() -> list[Answer]:
    client = changed(SYNC, Scope="read").http_client()
    response = token(client, grant_type="client_credentials", client_id=SYNC, client_secret=SYNC_SECRET, scope="update")
    return [from_json("Scope read, asks update", response)]


def service_invalid_grant() -> list[Answer]:
    client = Sandbox().http_client()
    auth = {"client_id": SYNC, "client_secret": SYNC_SECRET}
    code = token(client, grant_type="authorization_code", code="any", redirect_uri=PORTAL_CALLBACK, **auth)
    refresh = token(client, grant_type="refresh_token", refresh_token="any", **auth)
    return [from_json("grant_type=authorization_code", code), from_json("grant_type=refresh_token", refresh)]


def service_unsupported_grant_type() -> list[Answer]:
    client = Sandbox().http_client()
    response = token(
        client, grant_type="password", username="david", password="demo", client_id=SYNC, client_secret=SYNC_SECRET
    )
    return [from_json("grant_type=password", response)]


def service_invalid_request() -> list[Answer]:
    client = Sandbox().http_client()
    return [
        from_json("no client_id", token(client, grant_type="client_credentials", client_secret=SYNC_SECRET)),
        from_json("no client_secret", token(client, grant_type="client_credentials", client_id=SYNC)),
    ]


SCENARIOS: dict[tuple[str, str], Callable[[], list[Answer]]] = {
    (INTERACTIVE, "Invalid Redirect URI"): invalid_redirect_uri,
    (INTERACTIVE, "Missing or Invalid Client Credentials"): interactive_invalid_client,
    # The row says "not allowed by the Trusted Application"; client_credentials without SystemUserAllowed is the
    # service table's unauthorized_client, so here it is a grant the product does not offer at all.
    (INTERACTIVE, "Unauthorized Grant Type"): interactive_unsupported_grant_type,
    (INTERACTIVE, "PKCE Validation Failed"): pkce_failed,
    (INTERACTIVE, "Invalid Scope"): interactive_invalid_scope,
    (INTERACTIVE, "Expired or Invalid Authorization Code"): invalid_code,
    (INTERACTIVE, "Invalid or Expired Refresh Token"): invalid_refresh_token,
    (INTERACTIVE, "Token Expired"): token_expired,
    (INTERACTIVE, "Disabled or Missing Trusted Application"): disabled_or_missing_application,
    (SERVICE, "invalid_client"): service_invalid_client,
    (SERVICE, "unauthorized_client"): service_unauthorized_client,
    (SERVICE, "invalid_scope"): service_invalid_scope,
    (SERVICE, "invalid_grant"): service_invalid_grant,
    (SERVICE, "unsupported_grant_type"): service_unsupported_grant_type,
    (SERVICE, "invalid_request"): service_invalid_request,
}


def check(row: Row, answers: list[Answer]) -> None:
    """Each answer has the row's code (or status) and begins with its message; two messages, two answers."""
    assert answers
    for i, answer in enumerate(answers):
        if row.status is not None:
            assert (answer.status, answer.code) == (row.status, "invalid_token"), answer
            continue
        assert answer.code == row.code, answer
        # RFC 6749 §5.2: 400, and 401 with WWW-Authenticate only for invalid_client; 302 back to the app.
        assert answer.status in ((401,) if row.code == "invalid_client" else (400, 302)), answer
        if row.messages:
            message = row.messages[i] if len(row.messages) == len(answers) else row.messages[0]
            assert answer.description == message or answer.description.startswith(message + ". "), answer


# --- the tests ---------------------------------------------------------------------------------------------


def test_every_row_of_both_tables_has_a_request_that_causes_it(product_docs: Path) -> None:
    rows = documented_rows(product_docs)
    assert len(rows) == 15
    assert sorted((r.page, r.title) for r in rows) == sorted(SCENARIOS)


@pytest.mark.parametrize(("page", "title"), list(SCENARIOS), ids=[f"{p.split('/')[2]}:{t}" for p, t in SCENARIOS])
def test_the_row_is_reproduced_with_its_documented_code_and_message(product_docs: Path, page: str, title: str) -> None:
    row = next(r for r in documented_rows(product_docs) if (r.page, r.title) == (page, title))
    check(row, SCENARIOS[(page, title)]())


def test_the_table_of_documented_and_sandbox_answers(product_docs: Path) -> None:
    lines = ["| table | row | documented | case | sandbox |", "|---|---|---|---|---|"]
    for row in documented_rows(product_docs):
        for answer in SCENARIOS[(row.page, row.title)]():
            said = f"{answer.status} {answer.code}: {answer.description}"
            lines.append(f"| {row.page.split('/')[2]} | {row.title} | {row.documented} | {answer.case} | {said} |")
    print("\n" + "\n".join(lines))
    assert len(lines) > 2 + 15


def test_invalid_client_says_which_of_its_causes_the_request_has() -> None:
    said = {
        a.case: a.description.removeprefix("Invalid client_id or client_secret. ") for a in interactive_invalid_client()
    }
    assert said == {
        "unknown client_id": "No Trusted Application has ApplicationUri 'com.example/nobody'.",
        "wrong secret": "The client_secret does not match the Trusted Application's ApplicationSecretHash.",
        "secret sent by a Public client": "'com.example/spa' is a Public client: it has no secret, so it must not "
        "send one.",
        "no secret from a Confidential client": "'com.example/web-portal' is a Confidential client: it must send its "
        "client_secret.",
        "no client_id": "The request names no client_id.",
    }


def test_invalid_client_answers_with_a_basic_challenge() -> None:
    response = token(Sandbox().http_client(), grant_type="client_credentials", client_id=LEGACY, client_secret="x")
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Basic ")


# --- where the tables disagree, the reader is told --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "flow"),
    [
        ("invalid_client", "client_credentials"),  # disabled: invalid_client here, unauthorized_client there
        ("unauthorized_client", "authorization_code"),
        ("invalid_request", "client_credentials"),  # a missing secret: invalid_request here, invalid_client there
        ("invalid_client", "authorization_code"),
        ("unsupported_grant_type", "authorization_code"),  # a grant the app may not use
        ("unauthorized_client", "client_credentials"),
        ("invalid_grant", "client_credentials"),  # the same table calls missing parameters invalid_request
    ],
)
def test_the_errors_page_says_where_the_documentations_tables_disagree(code: str, flow: str) -> None:
    entry = next(e for e in documented_errors() if e.error == code and flow in e.flows)
    assert "disagree" in entry.cause, (code, flow)


def test_the_disabled_application_mistake_says_the_tables_disagree() -> None:
    mistake = content.mistakes()["disabled_application"]
    assert (mistake.error, mistake.status) == ("invalid_client", 401)
    assert "disagree" in mistake.why and "unauthorized_client" in mistake.why
