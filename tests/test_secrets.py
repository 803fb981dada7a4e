"""No secret leaks: every flow and every mistake of the catalogue runs through /simulator (AppTest), then
every secret, code, verifier, state, nonce and token it issued or sent is searched for in everything
Python logged (at DEBUG, every logger), in the page's URL (its query parameters) and in the links the app
offers to share. None may be there; the demo client secrets and the password never reach a log.

The search itself is checked too: a secret planted in a log line, a URL or a share link is found."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator

import pytest
from conftest import run_page

from flowguide import content
from flowguide.client import MISTAKE_FLOWS, NIGHTLY_SYNC, WEB_PORTAL
from flowguide.pages.ui import LINK_KEY
from flowguide.simulation import FLOW_ORDER, Simulation

SIM_KEY = "sim_simulation"
APP_URL = content.brand().app_url
DEMO_SECRETS = {WEB_PORTAL.client_secret, NIGHTLY_SYNC.client_secret}
PASSWORD = "demo"
# The password is a common word, so in logs it is looked for only where a password would stand.
PASSWORD_IN_LOG = re.compile(r"password\W{0,3}" + PASSWORD + r"\b", re.IGNORECASE)
# Pages whose "Link to this" a visitor copies, with the query that shows a share link on each.
SHARE_PAGES = {"home": {}, "flows": {"flow": "authorization_code", "step": "token"}}

RUNS = [(flow, None, None) for flow in FLOW_ORDER] + [("authorization_code", c, None) for c in ("spa", "web_form_post")]
RUNS += [(content.mistakes()[m].flow, None, m) for m in content.mistakes() if m in MISTAKE_FLOWS]


def found_in(secrets: Iterable[str], text: str) -> set[str]:
    """The secrets that occur in ``text`` (each searched for as it is)."""
    return {s for s in secrets if s and s in text}


def issued(sim: Simulation) -> set[str]:
    """Every credential of a simulation: what the run holds or sent, plus its state and nonce."""
    auth = sim.run.auth
    return sim.secrets() | {v for v in (auth.state, auth.nonce) if v}


def share_links(at) -> list[str]:
    """The text of the "Link to this" code blocks: the URL and the Markdown link a visitor copies."""
    blocks = [str(c.value) for e in at.expander if e.label == "Link to this" for c in e.code]
    assert blocks, "no share link on this page: the search would be empty"
    return blocks


def url_of(at) -> str:
    return "&".join(f"{k}={at.query_params[k]}" for k in at.query_params)


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG, also fed by loggers that do not propagate to the root (Streamlit's own)."""
    caplog.set_level(logging.DEBUG)
    quiet = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    levels = {logger.name: logger.level for logger in quiet}
    for logger in quiet:
        logger.addHandler(caplog.handler)
        logger.setLevel(logging.DEBUG)
    yield caplog
    for logger in quiet:
        logger.removeHandler(caplog.handler)
        logger.setLevel(levels[logger.name])


def _walk(at) -> None:
    for _ in range(20):
        if at.button(key="sim_next").disabled:
            return
        at.button(key="sim_next").click().run()
        assert not at.exception, at.exception
    pytest.fail("Next never became disabled")


@pytest.mark.parametrize(("flow", "client_id", "mistake"), RUNS, ids=[r[2] or r[1] or r[0] for r in RUNS])
def test_no_credential_reaches_a_log_a_url_or_a_share_link(flow, client_id, mistake, every_log) -> None:
    at = run_page("simulator", {"flow": flow} | ({"mistake": mistake} if mistake else {}))
    if client_id:
        at.selectbox(key="sim_app").select(client_id).run()
    urls = [url_of(at)]
    while not at.button(key="sim_next").disabled:
        at.button(key="sim_next").click().run()
        assert not at.exception, at.exception
        urls.append(url_of(at))
    sim: Simulation = at.session_state[SIM_KEY]
    secrets = issued(sim)
    # The run really issued something to look for: at least the client's or the person's credentials.
    assert len(secrets) >= 2, secrets
    # The pages that offer "Link to this", opened in the same session after the run.
    links: list[str] = []
    for page, query in SHARE_PAGES.items():
        for key, value in query.items():
            at.query_params[key] = value
        at.session_state[LINK_KEY] = True  # the start page sends its link once "Link to this" is opened
        at.switch_page(f"flowguide/pages/{page}.py").run()
        assert not at.exception, at.exception
        urls.append(url_of(at))
        links += share_links(at)
    assert any(link.startswith(APP_URL) for link in links)
    logged = every_log.text
    assert every_log.records, "nothing was logged at all: the log search would be empty"
    # The password is a common word: it is looked for where a password would stand (PASSWORD_IN_LOG).
    assert found_in((secrets | DEMO_SECRETS) - {PASSWORD}, logged) == set()
    assert PASSWORD_IN_LOG.search(logged) is None
    assert found_in(secrets, "\n".join(urls)) == set()
    assert found_in(secrets, "\n".join(links)) == set()


def test_the_hybrid_runs_secrets_include_both_parts_credentials() -> None:
    """The search covers both parts of a hybrid application: the web app's and the service's tokens."""
    at = run_page("simulator", {"flow": "hybrid"})
    _walk(at)
    sim: Simulation = at.session_state[SIM_KEY]
    secrets = issued(sim)
    assert {sim.run.auth.tokens.access_token, sim.run.service_tokens.access_token} <= secrets
    assert {sim.run.auth.code, sim.run.auth.code_verifier, sim.run.auth.state, sim.run.auth.nonce} <= secrets
    assert DEMO_SECRETS & secrets == {WEB_PORTAL.client_secret, NIGHTLY_SYNC.client_secret}


def test_the_search_finds_a_secret_planted_in_a_log_a_url_and_a_link(every_log) -> None:
    """The checks above can fail: a credential that did get logged or linked is found."""
    at = run_page("simulator", {"flow": "client_credentials"})
    _walk(at)
    sim: Simulation = at.session_state[SIM_KEY]
    token = sim.run.service_tokens.access_token
    assert token in issued(sim)
    logging.getLogger("flowguide.planted").debug("Bearer %s", token)
    logging.getLogger("streamlit.planted").info("client_secret=%s", NIGHTLY_SYNC.client_secret)
    logging.getLogger("flowguide.planted").info("login form: username=david&password=%s", PASSWORD)
    logged = every_log.text
    assert found_in(issued(sim) - {PASSWORD}, logged) == {token, NIGHTLY_SYNC.client_secret}
    assert PASSWORD_IN_LOG.search(logged) is not None
    assert found_in(issued(sim), f"{url_of(at)}&access_token={token}") == {token}
    at.session_state[LINK_KEY] = True  # opened, as a reader opens it
    links = share_links(at.switch_page("flowguide/pages/home.py").run())
    assert found_in(issued(sim), "\n".join(links)) == set()
    assert found_in(issued(sim), "\n".join([*links, f"{APP_URL}/?code={token}"])) == {token}
    assert PASSWORD_IN_LOG.search("See the demo registry for David (password `demo`)") is not None
    assert PASSWORD_IN_LOG.search("flowguide.demo registry loaded") is None
