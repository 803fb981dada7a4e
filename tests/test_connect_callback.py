"""The answer coming back to /connect: this page's own address as the redirect URI, an answer picked up
from the query (and taken off it), and a pasted address that cannot be this sign-in's answer.

AppTest runs one script per test as one browser session; a second AppTest is a second session, as the
browser tab that comes back from the provider is.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest
from conftest import run_page
from streamlit.testing.v1 import AppTest

from flowguide.client import WEB_PORTAL, parse_page
from flowguide.connect_callback import answer_of, is_answer, landed_url, own_callback, paste_problem
from flowguide.pending import PENDING
from flowguide.sandbox import Sandbox

OWN = "http://localhost:8501/connect"
REWRITE_WORDS = "Streamlit, which serves it, showed its start page"


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [w.value for w in at.warning]
    return "\n".join(parts + [s.value for s in at.success] + [i.value for i in at.info])


# --- plain functions -------------------------------------------------------------------------------


def test_own_callback_is_the_page_address_without_query() -> None:
    assert own_callback(OWN) == OWN
    assert own_callback("https://guide.example.com/flowguide/connect") == "https://guide.example.com/flowguide/connect"
    assert own_callback(None) is None and own_callback("") is None and own_callback("about:blank") is None


def test_the_answer_is_read_from_the_query_and_nothing_else() -> None:
    query = {"code": "c1", "state": "s1", "iss": "https://i.example/id", "flow": "authorization_code"}
    assert is_answer(query)
    assert not is_answer({"code": "c1"}) and not is_answer({"state": "s1"}) and not is_answer({"flow": "x"})
    assert is_answer({"error": "access_denied", "state": "s1"})
    assert answer_of(query) == {"code": "c1", "state": "s1", "iss": "https://i.example/id"}
    landed = landed_url(OWN, query)
    assert landed.startswith(OWN + "?") and dict(parse_qsl(urlsplit(landed).query)) == answer_of(query)


def test_a_pasted_address_is_checked_against_the_redirect_uri_sent() -> None:
    sent = "http://localhost:8501/callback"
    assert paste_problem(f"{sent}?code=c&state=s", sent, OWN) is None
    rewritten = paste_problem("http://localhost:8501/?code=c&state=s", sent, OWN)
    assert rewritten is not None and REWRITE_WORDS in rewritten and "/?code=…" in rewritten
    assert f"Register this page's own address, {OWN}," in rewritten
    elsewhere = paste_problem("https://other.example/cb?code=c&state=s", sent, OWN)
    assert elsewhere is not None and "the redirect URI this sign-in sent is http://localhost:8501/callback" in elsewhere
    # The start page of some other site is not Streamlit's rewrite of this app.
    other_root = paste_problem("http://localhost:8501/?code=c&state=s", sent, "http://localhost:9999/connect")
    assert other_root is not None and REWRITE_WORDS not in other_root
    assert "Paste the whole address" in (paste_problem("code=c&state=s", sent, OWN) or "")


# --- the page --------------------------------------------------------------------------------------


def _built(served: Sandbox, redirect_uri: str) -> tuple[AppTest, str]:
    """A session that connected, built the authorization URL for web-portal, and waits for the answer."""
    at = run_page("connect", {"instance": served.base_url, "flow": "authorization_code"})
    at = _click(at, "Connect")
    at.text_input(key="connect_ac_client_id").input(WEB_PORTAL.client_id)
    at.text_input(key="connect_ac_redirect").input(redirect_uri)
    at.text_input(key="connect_ac_secret").input(WEB_PORTAL.client_secret or "")
    at = _click(at, "Build the authorization URL")
    assert not at.exception and not at.error
    url = next(c.value for c in at.code if c.value.startswith(served.issuer + "/connect/authorize"))
    return at, url


def _sign_in(url: str) -> str:
    """The visitor's own tab: sign in as David, Allow; the address the provider sends the browser to."""
    with httpx.Client(timeout=10) as browser:
        response = browser.get(url)
        form = parse_page(response.text).form_with_input("password")
        fields = dict(form.fields) | {"username": "david", "password": "demo"}
        response = browser.post(urljoin(str(response.url), form.action), data=fields)
        consent = parse_page(response.text).form_with_button("decision")
        response = browser.post(urljoin(str(response.url), consent.action), data=consent.fields | {"decision": "allow"})
        return response.headers["location"]


def _come_back(landed: str) -> AppTest:
    """A new session (the tab the provider sent back) opening /connect with the answer in its query."""
    return run_page("connect", dict(parse_qsl(urlsplit(landed).query)))


def test_the_answer_coming_back_to_this_page_completes_the_sign_in(served: Sandbox) -> None:
    _, url = _built(served, OWN)
    landed = _sign_in(url)
    assert landed.startswith(OWN + "?code=")
    state = dict(parse_qsl(urlsplit(landed).query))["state"]

    at = _come_back(landed)
    assert not at.exception and not at.error, [e.value for e in at.error]
    # The code and state left the address at once; only public choices stay.
    assert dict(at.query_params) == {"flow": "authorization_code", "instance": served.base_url}
    assert "You are signed in" in _texts(at)
    run = at.session_state["connect_run_authorization_code"]
    assert [r.step for r in run.results] == ["discovery", "authorize", "callback", "token", "validate"]
    assert all(r.ok for r in run.results)
    assert PENDING.peek(state) is None

    # The same answer again (a reload, a replay) finds nothing waiting.
    again = _come_back(landed)
    assert not again.exception
    assert "not waiting for" in _texts(again)
    assert "connect_run_authorization_code" not in again.session_state
    assert "code" not in again.query_params and "state" not in again.query_params


def test_an_answer_nobody_waits_for_is_taken_off_the_address_and_explained() -> None:
    at = run_page("connect", {"code": "some-code", "state": "no-such-state", "flow": "authorization_code"})
    assert not at.exception
    assert dict(at.query_params) == {"flow": "authorization_code"}
    assert "not waiting for" in _texts(at)


def test_a_pasted_start_page_address_is_explained_and_the_sign_in_keeps_waiting(served: Sandbox) -> None:
    at, url = _built(served, WEB_PORTAL.redirect_uri or "")
    landed = _sign_in(url)
    # What the visitor sees when the app runs on port 8501 itself: Streamlit's rewrite to the start page.
    rewritten = landed.replace("/callback?", "/?")
    at.text_input(key="connect_ac_landed").input(rewritten)
    at = _click(at, "Check the state and exchange the code")
    assert not at.exception
    shown = _texts(at).replace("\\", "")
    assert REWRITE_WORDS in shown and "this page then catches the answer itself." in shown
    assert "connect_run_authorization_code" not in at.session_state
    at.text_input(key="connect_ac_landed").input(landed)
    at = _click(at, "Check the state and exchange the code")
    assert not at.exception and not at.error, [e.value for e in at.error]
    run = at.session_state["connect_run_authorization_code"]
    assert run.results[-1].step == "validate" and run.results[-1].ok


@pytest.mark.parametrize("tamper", ["state", "address"])
def test_a_forged_paste_is_refused(served: Sandbox, tamper: str) -> None:
    at, url = _built(served, WEB_PORTAL.redirect_uri or "")
    landed = _sign_in(url)
    state = dict(parse_qsl(urlsplit(landed).query))["state"]
    forged = landed.replace(state, "someone-elses") if tamper == "state" else landed.replace("/callback", "/cb")
    at.text_input(key="connect_ac_landed").input(forged)
    at = _click(at, "Check the state and exchange the code")
    assert not at.exception
    if tamper == "state":
        # The client's own check: the answer is refused, and the sign-in is spent.
        assert "Your client refused the answer: state matches the one sent" in _texts(at).replace("\\", "")
        assert PENDING.peek(state) is None
    else:
        shown = _texts(at).replace("\\", "")
        assert "the redirect URI this sign-in sent is" in shown
        # The whole explanation, not cut short like an outside value would be.
        assert "Paste the address your browser shows after signing in; the sign-in is still waiting." in shown
        assert PENDING.peek(state) is not None
