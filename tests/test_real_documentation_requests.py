"""The product documentation's own HTTP requests, sent byte for byte to the standalone sandbox.

The samples auth/samples/basic-acquire-access-token.md, basic-exchange-auth-code-access-token.md and
basic-renew-access-token.md each show the requests an application sends, as ``http`` blocks. These
tests read those blocks from the documentation (skipped when it is not beside the project), put the
sandbox and the README's demo credentials where the documentation has placeholders, send them over a
plain socket, and hold the answers to what the samples show: status, the fields present, ``token_type``,
``expires_in``, ``scope``. Only the person's part (the sign-in page, the consent) is played in between.

The documentation's placeholders and what replaces them:

- ``Host: demodb.my.erp.net``: the sandbox's ``127.0.0.1:<port>``
- ``my.trusted.app/first`` and ``<my_plain_app_secret>``: com.example/nightly-sync for Client Credentials,
  com.example/web-portal for the code samples, and their secrets
- ``http://localhost/signin-callback``: web-portal's registered ``http://localhost:8501/callback``
- the sample ``code``, ``refresh_token`` and bearer token: the ones the sandbox really issued

The request line of a sample is spread over lines for reading; it is joined, and the spaces inside a
value (``response_type=code id_token``) are sent as ``%20``, as any browser would send them.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from fixtures.demo import DAVID, DAVID_CUSTOMERS, NIGHTLY_SYNC, SYNC_BOT_CUSTOMERS, WEB_PORTAL, StandaloneSandbox
from fixtures.demo import DemoApplication as Application
from fixtures.sign_in_pages import AuthorizationResponse, authorization_response, sign_in
from joserfc import jwt
from joserfc.jwk import KeySet

pytest_plugins = ["fixtures.real_sandbox"]

ACQUIRE = "auth/samples/basic-acquire-access-token.md"
EXCHANGE = "auth/samples/basic-exchange-auth-code-access-token.md"
RENEW = "auth/samples/basic-renew-access-token.md"


@dataclass(frozen=True)
class DocumentedRequest:
    """One ``http`` block of a sample: the request line joined, the headers, the body joined."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: str

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def form(self) -> list[tuple[str, str]]:
        """The body's ``name=value`` pairs, as written (nothing decoded)."""
        return [tuple(pair.split("=", 1)) for pair in self.body.split("&") if pair]  # type: ignore[misc]

    def with_form(self, **values: str | None) -> DocumentedRequest:
        """The same request with some body values replaced (None leaves the pair out), order kept."""
        pairs = [(k, values.get(k, v)) for k, v in self.form()]
        return replace(self, body="&".join(f"{k}={v}" for k, v in pairs if v is not None))

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*: ")


def documented_requests(markdown: str) -> list[DocumentedRequest]:
    """Every ``http`` block of a page, parsed as the request it shows."""
    found = []
    for block in re.findall(r"^```http\n(.*?)^```", markdown, flags=re.DOTALL | re.MULTILINE):
        lines = block.splitlines()
        request_line: list[str] = []
        while lines and not HEADER_LINE.match(lines[0]):
            request_line.append(lines.pop(0).strip())
            if request_line[-1].endswith("HTTP/1.1"):
                break
        method, _, target = "".join(request_line).partition(" ")
        target = target.removesuffix("HTTP/1.1").strip()
        headers = []
        while lines and lines[0].strip():
            name, _, value = lines.pop(0).partition(":")
            headers.append((name.strip(), value.strip()))
        body = "".join(line.strip() for line in lines)
        found.append(DocumentedRequest(method, target, tuple(headers), body))
    return found


def _one(requests: list[DocumentedRequest], method: str, path: str, **form: str) -> DocumentedRequest:
    matches = [
        r
        for r in requests
        if r.method == method and r.path == path and all(dict(r.form()).get(k) == v for k, v in form.items())
    ]
    assert len(matches) >= 1, f"the sample has no {method} {path} {form or ''} request any more"
    return matches[0]


def _put_sandbox_in(text: str, sandbox: StandaloneSandbox, app: Application) -> str:
    for placeholder, value in (
        ("demodb.my.erp.net", sandbox.host),
        ("my.trusted.app/first", app.client_id),
        ("<my_plain_app_secret>", app.client_secret or ""),
        ("http://localhost/signin-callback", app.redirect_uri or ""),
    ):
        text = text.replace(placeholder, value)
    return text


def for_the_sandbox(request: DocumentedRequest, sandbox: StandaloneSandbox, app: Application) -> DocumentedRequest:
    headers = tuple((k, _put_sandbox_in(v, sandbox, app)) for k, v in request.headers)
    target = _put_sandbox_in(request.target, sandbox, app)
    return replace(request, target=target, headers=headers, body=_put_sandbox_in(request.body, sandbox, app))


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def send_raw(sandbox: StandaloneSandbox, request: DocumentedRequest) -> RawAnswer:
    """The request over a plain socket: its own request line and headers, plus the length of its body."""
    body = request.body.encode()
    head = [f"{request.method} {request.target.replace(' ', '%20')} HTTP/1.1"]
    head += [f"{name}: {value}" for name, value in request.headers]
    if body:
        head.append(f"Content-Length: {len(body)}")
    head.append("Connection: close")
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        response = http.client.HTTPResponse(sock, method=request.method)
        response.begin()
        return RawAnswer(response.status, response.headers, response.read())


def _sample(product_docs: Path, name: str) -> list[DocumentedRequest]:
    return documented_requests((product_docs / name).read_text(encoding="utf-8"))


def _verified(sandbox: StandaloneSandbox, token: str) -> tuple[dict, dict]:
    keys = KeySet.import_key_set(httpx.get(f"{sandbox.issuer}/.well-known/openid-configuration/jwks").json())
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    assert decoded.claims["iss"] == sandbox.issuer
    return decoded.header, decoded.claims


def _assert_token_answer(answer: RawAnswer, *fields: str) -> dict:
    assert answer.status == 200, answer.body[:300]
    assert answer.headers.get_content_type() == "application/json"
    assert "no-store" in answer.headers.get("Cache-Control", "")  # RFC 6749 §5.1
    token = answer.json()
    assert set(fields) <= set(token), f"missing {set(fields) - set(token)} in {sorted(token)}"
    assert token["expires_in"] == 3600  # "expiring in an hour"
    assert token["token_type"] == "Bearer"  # RFC 6749 §5.1 (the code samples' answers leave it out)
    return token


# basic-acquire-access-token.md: Client Credentials in one request, then the Domain API.


def test_acquire_access_token_as_documented(product_docs: Path, standalone_sandbox: StandaloneSandbox) -> None:
    requests = _sample(product_docs, ACQUIRE)
    token_request = for_the_sandbox(
        _one(requests, "POST", "/id/connect/token", grant_type="client_credentials"), standalone_sandbox, NIGHTLY_SYNC
    )
    assert token_request.header("Content-Type") == "application/x-www-form-urlencoded"
    token = _assert_token_answer(send_raw(standalone_sandbox, token_request), "access_token", "expires_in", "scope")
    assert token["scope"] == "read" and "refresh_token" not in token
    header, claims = _verified(standalone_sandbox, token["access_token"])
    assert header["typ"] == "at+jwt" and claims["client_system_user"] == "sync-bot"

    api_request = _one(requests, "GET", "/api/domain/odata/Crm_Sales_Customers")
    api_request = for_the_sandbox(api_request, standalone_sandbox, NIGHTLY_SYNC)
    headers = tuple(
        (k, f"Bearer {token['access_token']}" if k == "Authorization" else v) for k, v in api_request.headers
    )
    rows = send_raw(standalone_sandbox, replace(api_request, headers=headers))
    assert rows.status == 200, rows.body[:300]
    assert [row["Number"] for row in rows.json()["value"]] == SYNC_BOT_CUSTOMERS


def test_acquire_access_token_without_scope_gets_every_scope_of_the_application(
    product_docs: Path, standalone_sandbox: StandaloneSandbox
) -> None:
    # The sample's note: "the scope argument can be omitted. Then your access token will contain all scopes".
    token_request = _one(_sample(product_docs, ACQUIRE), "POST", "/id/connect/token", grant_type="client_credentials")
    token_request = for_the_sandbox(token_request, standalone_sandbox, NIGHTLY_SYNC).with_form(scope=None)
    token = _assert_token_answer(send_raw(standalone_sandbox, token_request), "access_token")
    assert set(token["scope"].split()) == set(NIGHTLY_SYNC.scope.split())


# basic-exchange-auth-code-access-token.md and basic-renew-access-token.md: authorize, sign in, exchange, renew.


@dataclass(frozen=True)
class SignedIn:
    requests: list[DocumentedRequest]  # the sample's requests, the sandbox put in
    sent_state: str
    sent_nonce: str
    authorize_status: int
    answer: AuthorizationResponse


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("code id_token", id="as-documented"),
        # The response type of auth/flows/auth-code/interactive-apps-step-by-step.md (the answer in the query),
        # with the samples' token and refresh requests unchanged.
        pytest.param("code", id="response_type=code"),
    ],
)
def response_type(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module", params=[EXCHANGE, RENEW], ids=["exchange", "renew"])
def sample(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def signed_in(product_docs: Path, standalone_sandbox: StandaloneSandbox, sample: str, response_type: str) -> SignedIn:
    requests = [for_the_sandbox(r, standalone_sandbox, WEB_PORTAL) for r in _sample(product_docs, sample)]
    authorize = _one(requests, "GET", "/id/connect/authorize")
    assert "response_type=code id_token" in authorize.target  # what the sample shows
    authorize = replace(authorize, target=authorize.target.replace("code id_token", response_type))
    first = send_raw(standalone_sandbox, authorize)
    url = f"{standalone_sandbox.base_url}{authorize.target.replace(' ', '%20')}"
    page = httpx.Response(
        first.status, headers=list(first.headers.items()), content=first.body, request=httpx.Request("GET", url)
    )
    with httpx.Client() as person:
        person.cookies.extract_cookies(page)
        answer = authorization_response(sign_in(person, page, *DAVID))
    sent = dict(httpx.QueryParams(authorize.target.split("?", 1)[1]))
    return SignedIn(requests, sent["state"], sent["nonce"], first.status, answer)


@pytest.fixture(scope="module")
def exchanged(standalone_sandbox: StandaloneSandbox, signed_in: SignedIn) -> dict:
    token_request = _one(signed_in.requests, "POST", "/id/connect/token", grant_type="authorization_code")
    token_request = token_request.with_form(code=signed_in.answer.params["code"])
    return _assert_token_answer(
        send_raw(standalone_sandbox, token_request), "id_token", "access_token", "expires_in", "refresh_token", "scope"
    )


def test_authorize_as_documented_lands_on_the_callback_with_code_and_state(
    signed_in: SignedIn, response_type: str, product_docs: Path, sample: str
) -> None:
    # "A redirect to the login page will be made": the sandbox shows its sign-in page at once, or redirects to it.
    assert signed_in.authorize_status in (200, 302)
    answer = signed_in.answer
    assert answer.redirect_uri == WEB_PORTAL.redirect_uri
    documented_callback = _one(_sample(product_docs, sample), "GET", "/signin-callback")
    expected = {name for name, _ in httpx.QueryParams(documented_callback.target.split("?", 1)[1]).multi_items()}
    assert expected == {"code", "state"} and expected <= set(answer.params)
    assert answer.params["state"] == signed_in.sent_state
    if response_type == "code id_token":
        # The sample's callback shows a query, but an answer with an ID token in it comes in the fragment,
        # the default response mode of code id_token (OAuth 2.0 Multiple Response Type Encoding Practices §5).
        assert answer.mode == "fragment" and answer.params["id_token"]
    else:
        assert answer.mode == "query"


def test_token_exchange_as_documented(
    exchanged: dict, standalone_sandbox: StandaloneSandbox, signed_in: SignedIn
) -> None:
    assert set(exchanged["scope"].split()) == {"openid", "profile", "read", "offline_access"}
    _, access = _verified(standalone_sandbox, exchanged["access_token"])
    assert access["sub"] == "david" and access["client_id"] == WEB_PORTAL.client_id
    _, identity = _verified(standalone_sandbox, exchanged["id_token"])
    assert identity["aud"] == WEB_PORTAL.client_id and identity["sub"] == "david"
    assert identity["nonce"] == signed_in.sent_nonce == "abc"  # the sample's nonce, in both samples


def test_id_token_carries_the_documented_claims(exchanged: dict, standalone_sandbox: StandaloneSandbox) -> None:
    # OpenID Connect Core §2, and auth_time "ID token only" in auth/tokens/access-tokens.md's claims table.
    _, identity = _verified(standalone_sandbox, exchanged["id_token"])
    assert {"iss", "aud", "exp", "iat", "nonce", "sub", "sid", "auth_time"} <= set(identity)
    assert identity["auth_time"] <= identity["iat"] < identity["exp"]


def test_domain_api_call_as_documented(
    exchanged: dict, standalone_sandbox: StandaloneSandbox, signed_in: SignedIn
) -> None:
    api_request = _one(signed_in.requests, "GET", "/api/domain/odata/Crm_Sales_Customers")
    assert api_request.target.endswith("?$top=10")
    headers = tuple(
        (k, f"Bearer {exchanged['access_token']}" if k == "Authorization" else v) for k, v in api_request.headers
    )
    rows = send_raw(standalone_sandbox, replace(api_request, headers=headers))
    assert rows.status == 200, rows.body[:300]
    assert [row["Number"] for row in rows.json()["value"]] == DAVID_CUSTOMERS


@pytest.fixture(scope="module")
def renewed(standalone_sandbox: StandaloneSandbox, signed_in: SignedIn, exchanged: dict) -> dict:
    refresh = _one(signed_in.requests, "POST", "/id/connect/token", grant_type="refresh_token")
    refresh = refresh.with_form(refresh_token=exchanged["refresh_token"])
    return {"answer": send_raw(standalone_sandbox, refresh), "request": refresh}


@pytest.mark.parametrize("sample", [RENEW], indirect=True, ids=["renew"])
def test_renew_as_documented_returns_a_new_pair(renewed: dict, exchanged: dict) -> None:
    token = _assert_token_answer(renewed["answer"], "access_token", "expires_in", "refresh_token", "scope")
    assert token["access_token"] != exchanged["access_token"]
    assert token["refresh_token"] != exchanged["refresh_token"]  # "A new pair of access and refresh tokens"
    assert set(token["scope"].split()) == {"openid", "profile", "read", "offline_access"}


@pytest.mark.parametrize("sample", [RENEW], indirect=True, ids=["renew"])
def test_renew_as_documented_returns_an_id_token(
    renewed: dict, exchanged: dict, standalone_sandbox: StandaloneSandbox
) -> None:
    # The sample's answer to the refresh carries an id_token (OpenID Connect Core §12.2).
    token = renewed["answer"].json()
    assert "id_token" in token, sorted(token)
    _, identity = _verified(standalone_sandbox, token["id_token"])
    _, first = _verified(standalone_sandbox, exchanged["id_token"])
    assert identity["sub"] == first["sub"] == "david" and identity["aud"] == WEB_PORTAL.client_id
    assert identity["iat"] >= first["iat"]


@pytest.mark.parametrize("sample", [RENEW], indirect=True, ids=["renew"])
def test_the_old_refresh_token_is_revoked_after_the_renewal(
    renewed: dict, standalone_sandbox: StandaloneSandbox
) -> None:
    # auth/tokens/token-lifetime.md: every refresh returns a new refresh token and revokes the old one.
    assert renewed["answer"].status == 200
    again = send_raw(standalone_sandbox, renewed["request"])
    assert again.status == 400 and again.json()["error"] == "invalid_grant"
