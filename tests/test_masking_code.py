"""Where a ``code`` is an authorization code and where it is not: the API's OData error codes are shown.

OAuth sends the authorization code only in a redirect's query or fragment (RFC 6749 §4.1.2), a form
body (§4.1.3) or a form_post answer's hidden fields (OAuth 2.0 Form Post Response Mode §2); a JSON
member named ``code`` is an error code (OData JSON Format §21.1), e.g. ``MaximumLicenseCountExceeded``
or ``BadRequest``, which the transcript is there to teach. Runs are real: the simulator's in-process
sandbox, and the standalone sandbox over a socket with httpx.
"""

from __future__ import annotations

import httpx
from conftest import run_page

from flowguide.client import FlowRun, run_to_end
from flowguide.masking import MASK, Masker, is_sensitive_member, is_sensitive_name, json_secrets, mask_values
from flowguide.sandbox import Sandbox
from flowguide.simulation import Simulation
from flowguide.transcript import Exchange, secret_values, send_and_record

CUSTOMERS = "/api/domain/odata/Crm_Sales_Customers"
LICENCE_ERROR = '{"error":{"code":"MaximumLicenseCountExceeded","message":'


def _finished(client_id: str | None = None, mistake: str | None = None) -> Simulation:
    sim = Simulation(Sandbox(), "authorization_code", client_id=client_id, mistake=mistake)
    sim.go_to(len(sim.steps))
    return sim


def _refused_api_call(sim: Simulation) -> Exchange:
    result = next(r for r in sim.run.results if r.step == "api_call")
    return next(e for e in result.exchanges if e.status >= 400)


def _exchange(sim: Simulation, step: str) -> Exchange:
    result = next(r for r in sim.run.results if r.step == step)
    return result.exchanges[-1]


# --- a real simulator run: the licence refusal's OData code is shown, the authorization code is not -----


def test_the_licence_refusals_odata_code_is_shown_and_is_no_secret() -> None:
    sim = _finished(mistake="licences_in_use")
    refused = _refused_api_call(sim)
    assert refused.status == 403
    shown = refused.render_http()
    assert LICENCE_ERROR in shown and MASK not in shown.partition("\n\n{")[2]
    # Not a secret, so not replaced wherever else the words appear.
    assert "MaximumLicenseCountExceeded" not in refused.secrets()
    assert "MaximumLicenseCountExceeded" not in sim.secrets()


def test_the_same_runs_authorization_code_stays_masked_in_the_location_and_the_form() -> None:
    sim = _finished(mistake="licences_in_use")
    code = sim.run.auth.code
    assert code and code in sim.secrets()
    redirect = _exchange(sim, "consent")
    assert redirect.location and f"code={code}" in redirect.location
    assert f"code={code[:8]}{MASK}&" in redirect.render_http()
    token = _exchange(sim, "token")
    assert token.form and token.form["code"] == code
    for rendered in (token.render_http(), token.to_curl(), redirect.render_http(), redirect.to_curl()):
        assert code not in rendered
    assert f"&code={code[:8]}{MASK}&" in token.render_request()
    assert f"code={code}" in token.render_request(reveal=True)


def test_a_form_post_answers_code_is_masked_in_its_hidden_field() -> None:
    sim = _finished(client_id="web_form_post")
    code, state = sim.run.auth.code, sim.run.auth.state
    answer = _exchange(sim, "consent")
    assert f'name="code" value="{code}"' in answer.response_body
    shown = answer.render_http(max_body=1800)
    assert f'<input type="hidden" name="code" value="{code[:8]}{MASK}">' in shown
    assert code not in shown and f'name="state" value="{state}"' in shown
    assert f'name="code" value="{code}"' in answer.render_http(reveal=True)


# --- the standalone sandbox over a socket: a 400 from the API ----------------------------------------------


def test_a_400_from_the_api_shows_bad_request_and_leaves_the_same_word_in_the_query_alone(served: Sandbox) -> None:
    with httpx.Client(base_url=served.base_url, timeout=10) as http:
        run = FlowRun("authorization_code", http, advance_clock=served.clock.advance, clock=served.clock.now)
        run_to_end(run)
        assert run.error is None
        token = run.auth.tokens.access_token
        request = http.build_request(
            "GET", f"{CUSTOMERS}?$top=BadRequest", headers={"Authorization": f"Bearer {token}"}
        )
        response, refused = send_and_record(http, request, actor="web app back end")
    assert response.status_code == 400 and response.json()["error"]["code"] == "BadRequest"
    shown = refused.render_http()
    assert '{"error":{"code":"BadRequest","message":' in shown
    # Were the error code a secret, the query's own "BadRequest" would be masked too.
    assert "GET /api/domain/odata/Crm_Sales_Customers?$top=BadRequest HTTP/1.1" in shown
    assert f"'{served.base_url}{CUSTOMERS}?$top=BadRequest'" in refused.to_curl()
    assert token not in shown and f"Bearer {token[:8]}{MASK}" in shown
    assert "BadRequest" not in secret_values([*run.exchanges, refused])
    assert run.auth.code in secret_values(run.exchanges)


# --- the rules, one context at a time ----------------------------------------------------------------------


def test_code_is_a_credential_in_queries_forms_locations_and_named_values_only() -> None:
    masker = Masker(set(), reveal=False)
    assert masker.query("code=abc&state=s") == f"code={MASK}&state=s"
    assert masker.body("grant_type=authorization_code&code=abc", form=True) == (
        f"grant_type=authorization_code&code={MASK}"
    )
    assert masker.header("Location", "https://app.example/cb?code=abc&state=s") == (
        f"https://app.example/cb?code={MASK}&state=s"
    )
    assert mask_values({"code": "abc"}) == {"code": MASK}
    assert is_sensitive_name("code") and not is_sensitive_member("code") and not is_sensitive_member("Code")


def test_an_odata_error_body_keeps_its_codes_however_deep_and_adds_no_secret() -> None:
    body = (
        '{"error": {"code": "BadRequest", "message": "No.", "details": [{"code": "NullValue", "target": "Name"}],'
        ' "innererror": {"code": "Inner"}}}'
    )
    assert Masker(set(), reveal=False).body(body, form=False) == body
    parsed = {"error": {"code": "BadRequest", "details": [{"code": "NullValue"}], "innererror": {"code": "Inner"}}}
    assert json_secrets(parsed) == set()
    # An entity's own Code property, sent as JSON to the API, is data too.
    assert Masker(set(), reveal=False).body('{"Code": "C-1001"}', form=False) == '{"Code": "C-1001"}'


def test_every_other_json_credential_is_still_masked_and_collected() -> None:
    body = '{"access_token": "at", "device_code": "dc", "client_secret": "cs", "code": "BadRequest"}'
    assert Masker(set(), reveal=False).body(body, form=False) == (
        f'{{"access_token": "{MASK}", "device_code": "dc", "client_secret": "{MASK}", "code": "BadRequest"}}'
    )
    assert json_secrets({"device_code": "dc", "old_refresh_token": "rt", "code": "BadRequest"}) == {"dc", "rt"}
    assert is_sensitive_member("device_code") and is_sensitive_member("PASSWORD") and not is_sensitive_member("xcode")


def test_html_form_fields_are_masked_by_name_however_written() -> None:
    masker = Masker(set(), reveal=False)
    page = (
        "<form><INPUT value='c1' type=hidden name='code'>\n"
        "<input name=refresh_token value=r1>\n"
        '<input name="state" value="s1">\n'
        '<input type="password" name="password">\n'
        '<input name="c&#111;de" value="a&amp;b">\n'
        '<input title="value=x name=state" name="code" value="c>2" data-name="state" value="no">\n'
        "<input name=code value>\n"
        '<input name="code" value="">\n'
        '<input name="state" title="name=code" value="s2"></form>'
    )
    assert masker.body(page, form=False) == (
        f"<form><INPUT value=\"{MASK}\" type=hidden name='code'>\n"
        f'<input name=refresh_token value="{MASK}">\n'
        '<input name="state" value="s1">\n'
        '<input type="password" name="password">\n'
        f'<input name="c&#111;de" value="{MASK}">\n'
        f'<input title="value=x name=state" name="code" value="{MASK}" data-name="state" value="no">\n'
        "<input name=code value>\n"
        '<input name="code" value="">\n'
        '<input name="state" title="name=code" value="s2"></form>'
    )
    assert Masker(set(), reveal=True).body(page, form=False) == page


# --- the pages that show transcripts -----------------------------------------------------------------------


def test_the_simulators_transcript_shows_the_licence_refusals_code() -> None:
    at = run_page("simulator", {"flow": "authorization_code", "mistake": "licences_in_use", "step": "api_call"})
    assert not at.exception, at.exception
    blocks = [str(c.value) for c in at.code]
    refusal = [b for b in blocks if b.startswith("GET /api/domain/odata/") and "403 Forbidden" in b]
    assert refusal and LICENCE_ERROR in refusal[0]
    assert not any('"code":"' + MASK in b or f'"code": "{MASK}' in b for b in blocks)


def test_connects_transcript_shows_the_apis_bad_request(served: Sandbox) -> None:
    from test_connect_page import _click, _connected

    from flowguide.client import NIGHTLY_SYNC

    at = _connected(served)
    at.text_input(key="connect_cc_client_id").input(NIGHTLY_SYNC.client_id)
    at.text_input(key="connect_cc_secret").input(NIGHTLY_SYNC.client_secret or "")
    at.text_input(key="connect_cc_scope").input("read")
    at = _click(at, "Request a token")
    at.text_input(key="connect_api_path_client_credentials").input(f"{CUSTOMERS}?$top=BadRequest")
    at = _click(at, "Call the API")
    assert not at.exception
    blocks = [str(c.value) for c in at.code]
    answer = [b for b in blocks if "400 Bad Request" in b]
    assert answer and '{"error":{"code":"BadRequest","message":' in answer[0]
    assert "?$top=BadRequest HTTP/1.1" in answer[0]
    assert NIGHTLY_SYNC.client_secret not in "\n".join(blocks)
