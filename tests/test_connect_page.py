"""/connect in AppTest against the standalone sandbox over a socket: both flows, and the guard's refusals."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx
import pytest
from conftest import APP, run_page
from streamlit.testing.v1 import AppTest

from flowguide import outbound
from flowguide.client import NIGHTLY_SYNC, WEB_PORTAL, parse_page
from flowguide.content import brand
from flowguide.sandbox import Sandbox


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [c.value for c in at.caption]
    return "\n".join(parts + [w.value for w in at.warning] + [s.value for s in at.success])


def _connected(served: Sandbox, flow: str = "client_credentials") -> AppTest:
    at = run_page("connect", {"instance": served.base_url, "flow": flow})
    assert at.text_input(key="connect_instance").value == served.base_url
    return _click(at, "Connect")


def test_metadata_for_each_flow(served: Sandbox) -> None:
    at = _connected(served)
    assert not at.exception and not at.error
    text = _texts(at)
    assert f"{served.base_url}/id/.well-known/openid-configuration" in text
    plain = text.replace("\\", "")
    assert "client_credentials in grant_types_supported: authorization_code client_credentials" in plain
    assert "S256 in code_challenge_methods_supported: S256" in plain
    rows = at.dataframe[0].value
    assert "token_endpoint" in list(rows["field"])


def test_client_credentials_token_verified_and_api_call(served: Sandbox) -> None:
    at = _connected(served)
    at.text_input(key="connect_cc_client_id").input(NIGHTLY_SYNC.client_id)
    at.text_input(key="connect_cc_secret").input(NIGHTLY_SYNC.client_secret or "")
    at.text_input(key="connect_cc_scope").input("read")
    at = _click(at, "Request a token")
    assert not at.exception
    text = _texts(at)
    assert "Valid: every check passed against the provider's published keys" in text
    # Nothing secret reached the URL.
    assert set(at.query_params) <= {"instance", "flow"}
    assert NIGHTLY_SYNC.client_secret not in "".join(str(v) for v in at.query_params.values())
    at.text_input(key="connect_api_path_client_credentials").input("/api/domain/odata/Crm_Sales_Customers?$top=1")
    at = _click(at, "Call the API")
    assert not at.exception and not at.error
    run = at.session_state["connect_run_client_credentials"]
    assert run.results[-1].step == "api_call" and run.results[-1].values["status"] == 200


def test_wrong_secret_shows_the_error_and_the_documentation(served: Sandbox) -> None:
    at = _connected(served)
    at.text_input(key="connect_cc_client_id").input(NIGHTLY_SYNC.client_id)
    at.text_input(key="connect_cc_secret").input("not-the-secret")
    at = _click(at, "Request a token")
    assert not at.exception
    assert any("invalid\\_client" in e.value or "invalid_client" in e.value for e in at.error)
    assert f"What {brand().name}'s documentation says: The application is unknown, disabled" in _texts(at)


def test_authorization_code_signed_in_in_another_tab(served: Sandbox) -> None:
    at = _connected(served, "authorization_code")
    at.text_input(key="connect_ac_client_id").input(WEB_PORTAL.client_id)
    at.text_input(key="connect_ac_redirect").input(WEB_PORTAL.redirect_uri or "")
    at.text_input(key="connect_ac_secret").input(WEB_PORTAL.client_secret or "")
    at = _click(at, "Build the authorization URL")
    assert not at.exception and not at.error
    url = next(c.value for c in at.code if c.value.startswith(served.issuer + "/connect/authorize"))
    assert "code_challenge_method=S256" in url

    # The visitor's own browser tab: sign in and consent on the sandbox's pages.
    with httpx.Client(timeout=10) as browser:
        response = browser.get(url)
        form = parse_page(response.text).form_with_input("password")
        fields = dict(form.fields) | {"username": "david", "password": "demo"}
        response = browser.post(urljoin(str(response.url), form.action), data=fields)
        consent = parse_page(response.text).form_with_button("decision")
        response = browser.post(urljoin(str(response.url), consent.action), data=consent.fields | {"decision": "allow"})
        landed = response.headers["location"]
    assert landed.startswith(WEB_PORTAL.redirect_uri)

    at.text_input(key="connect_ac_landed").input(landed)
    at = _click(at, "Check the state and exchange the code")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Valid: every check passed against the provider's published keys" in _texts(at)
    run = at.session_state["connect_run_authorization_code"]
    first = run.tokens.access_token
    at = _click(at, "Refresh the tokens")
    assert not at.exception and not at.error
    assert run.tokens.access_token != first
    assert set(at.query_params) <= {"instance", "flow"}


def test_own_network_refused_when_the_server_forbids_it(served: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(outbound.ALLOW_PRIVATE_ENV, "0")
    at = _connected(served)
    assert not at.exception
    # The sentence names an address from outside, so it reaches Markdown escaped (it reads the same).
    assert [e.value for e in at.error] == [
        r"127\.0\.0\.1 is a loopback address, and this server does not fetch from its own network\."
    ]
    assert "public https addresses only" in _texts(at)


def test_a_name_resolving_to_cloud_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["169.254.169.254"])
    at = run_page("connect", {"instance": "https://acme.my.erp.net"})
    at = _click(at, "Connect")
    assert not at.exception
    assert [e.value for e in at.error] == [
        r"acme\.my\.erp\.net \(169\.254\.169\.254\) is a cloud metadata address, which is never fetched\."
    ]


def test_unknown_flow_falls_back_with_a_notice() -> None:
    at = run_page("connect", {"flow": "implicit"})
    assert not at.exception
    assert "There is no flow" in at.warning[0].value


def test_switch_off_removes_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWGUIDE_CONNECT", "off")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page") as caught:
        at.switch_page("flowguide/pages/connect.py")
    assert "connect.py" not in str(caught.value).split("Known pages:")[1]
