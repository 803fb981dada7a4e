"""The transcript is what crossed the wire; what it renders masks every credential unless revealed."""

from __future__ import annotations

import shlex
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
import pytest

from flowguide.client import WEB_PORTAL, ClientConfig, FlowRun, run_to_end
from flowguide.sandbox import Sandbox
from flowguide.transcript import MASK, Exchange, mask, mask_values, secret_values, send_and_record


def _basic_web_portal_run() -> FlowRun:
    sandbox = Sandbox()
    app = ClientConfig(**{**WEB_PORTAL.__dict__, "auth_method": "client_secret_basic"})
    run = FlowRun(
        "refresh",
        sandbox.http_client(),
        app=app,
        advance_clock=sandbox.clock.advance,
        issuer=sandbox.issuer,
        clock=sandbox.clock.now,
    )
    run_to_end(run)
    return run


@pytest.fixture(scope="module", params=["refresh_basic", "hybrid", "authorization_code_spa"])
def run(request: pytest.FixtureRequest) -> FlowRun:
    if request.param == "refresh_basic":
        return _basic_web_portal_run()
    if request.param == "hybrid":
        return run_to_end_(FlowRun.for_sandbox(Sandbox(), "hybrid"))
    return run_to_end_(FlowRun.for_sandbox(Sandbox(), "authorization_code", client_id="com.example/spa"))


def run_to_end_(run: FlowRun) -> FlowRun:
    run_to_end(run)
    assert run.error is None
    return run


def _token_exchange(run: FlowRun) -> Exchange:
    return next(e for e in run.exchanges if e.url.endswith("/connect/token"))


def test_secret_values_hold_every_credential_of_the_run(run: FlowRun) -> None:
    secrets = secret_values(run)
    assert "demo" in secrets
    assert run.auth.code and run.auth.code in secrets
    assert run.auth.code_verifier in secrets
    assert run.auth.tokens.access_token in secrets
    if run.app.client_secret:
        assert run.app.client_secret in secrets


def test_no_secret_in_any_rendering_unless_revealed(run: FlowRun) -> None:
    secrets = [s for s in secret_values(run) if len(s) >= 8]
    for exchange in run.exchanges:
        for rendered in (exchange.render_http(), exchange.to_curl(), exchange.to_curl(multiline=True)):
            assert [s for s in secrets if s in rendered] == [], exchange.label
    token = _token_exchange(run)
    revealed = token.render_http(reveal=True)
    assert token.form["code"] in revealed and token.form["code_verifier"] in revealed
    assert token.response_json()["access_token"] in revealed


def test_no_request_url_carries_a_secret(run: FlowRun) -> None:
    secrets = secret_values(run)
    assert [(e.url, s) for e in run.exchanges for s in secrets if len(s) >= 8 and s in e.url] == []


def test_the_password_is_masked_in_the_sign_in_form(run: FlowRun) -> None:
    sign_in = next(e for e in run.exchanges if e.url.endswith("/account/login"))
    assert sign_in.form["password"] == "demo"
    request = sign_in.render_request()
    assert f"password={MASK}" in request and "username=david" in request
    assert "password=demo" in sign_in.render_request(reveal=True)


def test_bearer_and_basic_credentials_and_the_location_are_masked() -> None:
    run = _basic_web_portal_run()
    token = _token_exchange(run)
    assert token.request_header("authorization").startswith("Basic ")
    assert f"Authorization: Basic {mask(token.request_header('authorization')[6:])}" in token.render_request()
    api = next(e for e in run.exchanges if "/api/domain/odata/" in e.url)
    bearer = api.request_header("authorization").removeprefix("Bearer ")
    assert f"Authorization: Bearer {bearer[:8]}{MASK}" in api.render_request()
    redirect = next(e for e in run.exchanges if e.location and "code=" in e.location)
    code = dict(parse_qsl(urlsplit(redirect.location).query))["code"]
    state = dict(parse_qsl(urlsplit(redirect.location).query))["state"]
    shown = redirect.render_response()
    assert f"code={mask(code)}&state={state}" in shown and code not in shown


def test_an_http_message_has_request_line_host_and_body() -> None:
    run = _basic_web_portal_run()
    token = _token_exchange(run)
    lines = token.render_request(reveal=True).split("\n")
    assert lines[0] == "POST /id/connect/token HTTP/1.1"
    assert "Host: sandbox.flowguide.test" in lines
    assert lines[-1] == token.request_body
    response = token.render_response(reveal=True)
    assert response.startswith("HTTP/1.1 200 OK\n")
    assert response.endswith(token.response_body)


def _curl_form(args: list[str]) -> list[tuple[str, str]]:
    """The form fields a curl command's --data-urlencode arguments send (curl encodes each value)."""
    pairs = [args[i + 1].partition("=") for i, a in enumerate(args) if a == "--data-urlencode"]
    return [(unquote(name), value) for name, _, value in pairs]


def test_curl_parses_with_shlex_and_reproduces_the_request(run: FlowRun) -> None:
    for exchange in run.exchanges:
        single = shlex.split(exchange.to_curl(reveal=True))
        joined = shlex.split(exchange.to_curl(reveal=True, multiline=True).replace("\\\n", ""))
        assert single == joined
        assert single[:3] == ["curl", "-i", exchange.url]
        if exchange.form is not None:
            # One --data-urlencode per field, in order, each exactly as sent; curl infers POST and the type.
            assert _curl_form(single) == exchange.form_pairs()
            assert "-X" not in single and "--data-raw" not in single
            assert not any(a.lower().startswith("content-type:") for a in single)
        elif exchange.request_body:
            assert single[single.index("--data-raw") + 1] == exchange.request_body
        else:
            assert exchange.method == "GET" and "-X" not in single
        for name, value in exchange.request_headers:
            if name.lower() == "authorization" or (name.lower() == "content-type" and exchange.form is None):
                assert f"{name.title()}: {value}" in single


def _exchange(method: str, url: str, headers: list[tuple[str, str]], body: str, actor: str) -> Exchange:
    return Exchange(method, url, headers, body, 200, [], "", 1.0, actor=actor)


def test_a_cookie_goes_with_the_browser_only() -> None:
    headers = [("cookie", "idsrv.session=s3ss10n"), ("content-type", "application/x-www-form-urlencoded")]
    browser = _exchange("POST", "https://i.example/id/account/login", headers, "username=david", "browser")
    back = _exchange("POST", "https://i.example/id/connect/token", headers, "grant_type=x", "web app back end")
    assert "Cookie: idsrv.session=s3ss10n" in shlex.split(browser.to_curl(reveal=True))
    assert "s3ss10n" not in back.to_curl(reveal=True) and "Cookie" not in back.to_curl(reveal=True)


def test_curl_quotes_what_the_shell_would_read_and_names_other_methods() -> None:
    json_body = '{"Name": "O\'Brien & Sons", "City": "$HOME"}'
    post = _exchange("POST", "https://i.example/api/x?$top=1", [("content-type", "application/json")], json_body, "")
    args = shlex.split(post.to_curl(reveal=True))
    assert args[2] == "https://i.example/api/x?$top=1" and args[args.index("--data-raw") + 1] == json_body
    assert "Content-Type: application/json" in args and "-X" not in args
    assert "'https://i.example/api/x?$top=1'" in post.to_curl(reveal=True)
    assert shlex.split(_exchange("DELETE", "https://i.example/x", [], "", "").to_curl())[3:5] == ["-X", "DELETE"]
    assert shlex.split(_exchange("POST", "https://i.example/x", [], "", "").to_curl())[3:5] == ["-X", "POST"]
    # curl would read an IPv6 host's brackets as a range without -g.
    assert shlex.split(_exchange("GET", "http://[::1]:8600/id", [], "", "").to_curl())[:3] == ["curl", "-g", "-i"]
    # curl sends a field's name as it is given, so a name that needs it is percent-encoded here.
    form = [("content-type", "application/x-www-form-urlencoded")]
    odd_name = shlex.split(_exchange("POST", "https://i.example/x", form, "scope%5B%5D=a+b", "").to_curl())
    assert odd_name[odd_name.index("--data-urlencode") + 1] == "scope%5B%5D=a b"
    # A field with no name: curl would drop its "=", so the body goes as it was sent.
    nameless = shlex.split(_exchange("POST", "https://i.example/x", form, "=v&a=b", "").to_curl())
    assert nameless[nameless.index("--data-raw") + 1] == "=v&a=b"


def test_masked_fields_stay_masked_one_by_one(run: FlowRun) -> None:
    token = _token_exchange(run)
    fields = dict(_curl_form(shlex.split(token.to_curl())))
    assert fields["code"] == mask(token.form["code"]) and fields["grant_type"] == token.form["grant_type"]


def test_mask_keeps_a_short_prefix_only_of_long_values() -> None:
    jwt_like = "eyJhbGciOiJSUzI1NiJ9." + "a" * 40 + "." + "b" * 40
    assert mask(jwt_like) == "eyJhbGci" + MASK
    assert mask("web-portal-secret") == MASK
    values = mask_values({"access_token": jwt_like, "old_refresh_token": "r" * 50, "state": "abc", "scope": "read"})
    assert values == {
        "access_token": "eyJhbGci" + MASK,
        "old_refresh_token": "rrrrrrrr" + MASK,
        "state": "abc",
        "scope": "read",
    }
    assert mask_values({"access_token": jwt_like}, reveal=True) == {"access_token": jwt_like}


def test_step_values_show_no_secret_once_masked(run: FlowRun) -> None:
    secrets = [s for s in secret_values(run) if len(s) >= 8]
    for result in run.results:
        shown = repr(mask_values(result.values))
        assert [s for s in secrets if s in shown] == [], result.step
    callback = next(r for r in run.results if "code" in r.values)
    assert callback.values["code"] in repr(mask_values(callback.values, reveal=True))


def test_short_secrets_in_json_bodies_are_masked_by_name() -> None:
    exchange = Exchange(
        method="POST",
        url="https://example.test/login",
        request_headers=[("content-type", "application/json")],
        request_body='{"user": "david", "password": "demo"}',
        status=200,
        response_headers=[("content-type", "application/json")],
        response_body='{"access_token": "short", "expires_in": 3600}',
        elapsed_ms=1.0,
    )
    shown = exchange.render_http()
    assert '"password": "…(masked)"' in shown and '"access_token": "…(masked)"' in shown
    assert '"demo"' not in shown and '"short"' not in shown and '"user": "david"' in shown
    assert '"password": "demo"' in exchange.render_http(reveal=True)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=utf-8", "Grüße <b>ok</b>".encode()),
        ("text/html; charset=ISO-8859-1", "Grüße".encode("latin-1")),
        ('text/plain; format=flowed; charset="windows-1252"', "€ sign".encode("cp1252")),
        ("application/json; charset=utf-16", '{"a": "ü"}'.encode("utf-16")),
        ("application/json", '{"a": "ü"}'.encode()),
        ("text/html; charset=no-such-charset", "Grüße".encode()),
        ("text/html; charset=", b"plain"),
        ("text/html", b"bad \xff\xfe bytes"),
        ("text/html; charset=utf-8", b""),
    ],
)
def test_the_recorded_body_is_decoded_as_httpx_decodes_it(content_type: str, body: bytes) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": content_type}, content=body)

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        response, exchange = send_and_record(http, http.build_request("GET", "https://idp.example/"))
    assert exchange.response_body == response.text


def test_handing_a_request_to_the_transport_records_what_client_send_records() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html; charset=utf-8", "Set-Cookie": "idsrv=abc; Path=/; HttpOnly"}
        return httpx.Response(302 if request.method == "POST" else 200, headers=headers, text=f"<p>{request.url}</p>")

    transport = httpx.MockTransport(answer)
    with httpx.Client(transport=transport, base_url="https://idp.example") as http:
        for method, data in (("GET", None), ("POST", {"a": "1"})):
            sent = http.build_request(method, "/id/connect/authorize?x=1", data=data, headers={"Cookie": "k=v"})
            direct_response, direct = send_and_record(http, sent, actor="browser", transport=transport)
            again = http.build_request(method, "/id/connect/authorize?x=1", data=data, headers={"Cookie": "k=v"})
            client_response, through_client = send_and_record(http, again, actor="browser")
            direct.elapsed_ms = through_client.elapsed_ms = 0.0
            assert direct == through_client
            assert dict(direct_response.cookies) == dict(client_response.cookies) == {"idsrv": "abc"}
