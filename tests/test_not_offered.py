"""The ways not offered: the standalone sandbox refuses each over a real socket as the product does, the guide
shows that very refusal, and the content that says so is checked when it loads."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import requests
import yaml
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from conftest import run_page
from fixtures.demo import DAVID, NIGHTLY_SYNC, SPA, StandaloneSandbox

from flowguide.content import CONTENT_DIR, ContentError, load_file
from flowguide.not_offered import NotOfferedFile, markdown_section, not_offered, refusal, send_probe
from flowguide.review import build_review, to_markdown

pytest_plugins = ["fixtures.real_sandbox"]

DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
WAYS = [w.id for w in not_offered().ways]


# --- the standalone sandbox, over a socket ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("grant_type", "extra"),
    [
        (DEVICE_CODE, {"client_id": SPA.client_id, "device_code": "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS"}),
        (
            TOKEN_EXCHANGE,
            {
                "client_id": NIGHTLY_SYNC.client_id,
                "client_secret": NIGHTLY_SYNC.client_secret,
                "subject_token": "a-users-access-token",
                "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            },
        ),
        ("password", {"client_id": NIGHTLY_SYNC.client_id, "client_secret": NIGHTLY_SYNC.client_secret}),
    ],
    ids=["device_code", "token_exchange", "password"],
)
def test_the_token_endpoint_refuses_the_grants_not_offered(
    standalone_sandbox: StandaloneSandbox, grant_type: str, extra: dict[str, str]
) -> None:
    data = {"grant_type": grant_type, "username": DAVID[0], "password": DAVID[1], **extra}
    answer = requests.post(standalone_sandbox.token_endpoint, data=data, timeout=10)
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "unsupported_grant_type" and "access_token" not in body
    # auth/flows/client-credentials/service-apps-errors.md's message, naming the grant that was asked for.
    assert body["error_description"].startswith(f"Unsupported grant type: {grant_type}.")


def test_authlib_asking_for_the_password_grant_is_refused(standalone_sandbox: StandaloneSandbox) -> None:
    session = OAuth2Session(NIGHTLY_SYNC.client_id, NIGHTLY_SYNC.client_secret)
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(standalone_sandbox.token_endpoint, username=DAVID[0], password=DAVID[1])
    assert refused.value.error == "unsupported_grant_type"


def test_an_implicit_request_gets_no_token_only_unsupported_response_type(
    standalone_sandbox: StandaloneSandbox,
) -> None:
    params = {
        "response_type": "token",
        "client_id": SPA.client_id,
        "redirect_uri": SPA.redirect_uri,
        "scope": "read",
        "state": "s-1",
    }
    answer = requests.get(standalone_sandbox.authorization_endpoint, params=params, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == SPA.redirect_uri
    back = dict(parse_qsl(location.fragment))
    assert back["error"] == "unsupported_response_type" and back["state"] == "s-1" and "access_token" not in back
    assert back["error_description"].startswith("Unsupported response type: token.")


def test_discovery_offers_no_device_flow_no_token_exchange_no_implicit(standalone_sandbox: StandaloneSandbox) -> None:
    discovery = requests.get(f"{standalone_sandbox.issuer}/.well-known/openid-configuration", timeout=10).json()
    assert "device_authorization_endpoint" not in discovery
    assert discovery["grant_types_supported"] == ["authorization_code", "client_credentials", "refresh_token"]
    assert not {"token", "id_token", "code token", "id_token token"} & set(discovery["response_types_supported"])
    # Duende IdentityServer's device authorization endpoint is not there at all.
    device = requests.post(
        f"{standalone_sandbox.issuer}/connect/deviceauthorization", data={"client_id": SPA.client_id}
    )
    assert device.status_code == 404


@pytest.mark.parametrize("way_id", WAYS)
def test_each_way_s_own_request_is_refused_over_the_socket_as_its_content_says(
    standalone_sandbox: StandaloneSandbox, way_id: str
) -> None:
    way = not_offered().way(way_id)
    assert way is not None
    with httpx.Client(base_url=standalone_sandbox.base_url, timeout=10) as http:
        got = send_probe(http, way)
    assert got.error == way.refusal and got.exchange.status in (302, 400)


# --- what the guide and the review show ------------------------------------------------------------------


@pytest.mark.parametrize("way_id", WAYS)
def test_the_refusal_shown_is_the_in_process_sandbox_s_own(way_id: str) -> None:
    way = not_offered().way(way_id)
    got = refusal(way_id)
    assert way is not None and got.error == way.refusal and got.description
    # What is shown never carries the demo secret or password that the request sent.
    shown = got.exchange.to_curl(multiline=True) + (got.exchange.location or got.exchange.response_body)
    assert NIGHTLY_SYNC.client_secret not in shown and "password=demo" not in shown


def test_a_link_opens_its_answer_at_the_top_with_the_sandbox_s_refusal() -> None:
    at = run_page("guide", {"about": "device_code"})
    assert not at.exception
    questions = [m.value for m in at.markdown if m.value.startswith("### What about")]
    assert questions == ["### What about the device code flow, where the person signs in on another device?"]
    codes = [c.value for c in at.code]
    assert any(DEVICE_CODE in c and '"error": "unsupported_grant_type"' in c for c in codes)
    # Below, every answer is one closed expander: the link's own is not repeated open.
    below = [e for e in at.expander if e.label.startswith("What about")]
    assert len(below) == 4 and not any(e.proto.expanded for e in below)


def test_the_implicit_answer_shows_the_documentation_contradicting_itself() -> None:
    at = run_page("guide", {"about": "implicit"})
    assert any("disagrees with itself" in w.value and "token and id_token" in w.value for w in at.warning)
    assert any("#error=unsupported_response_type" in c.value for c in at.code)


def test_a_bad_about_value_gets_a_notice_and_the_answers_still_work() -> None:
    at = run_page("guide", {"about": "kerberos", "signin": "yes", "unattended": "yes", "client": "web"})
    assert not at.exception
    assert any("about=kerberos" in w.value for w in at.warning)
    assert "Hybrid" in at.success[0].value
    assert not any(m.value.startswith("### What about") for m in at.markdown)


def test_the_review_lists_the_ways_this_design_might_reach_for() -> None:
    spa = to_markdown(build_review({"signin": "yes", "unattended": "no", "client": "spa"}))
    assert "### The implicit flow" in spa and "### The password grant" in spa
    assert "### The device code flow" not in spa and "### On-behalf-of" not in spa
    cli = markdown_section({"signin": "yes", "unattended": "yes", "client": "cli"}, "hybrid")
    assert "### The device code flow" in cli and "### On-behalf-of (token exchange)" in cli
    assert "/guide?about=device_code" in cli and "`unsupported_grant_type`" in cli


# --- the content is checked when it loads --------------------------------------------------------------------


def _broken(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((CONTENT_DIR / "not_offered.yaml").read_text(encoding="utf-8"))
    change(data["ways"][0])
    path = tmp_path / "not_offered.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda w: w.update(instead={"signin": "yes"}), "is not a complete set of guide answers"),
        (lambda w: w.update(instead={"signin": "yes", "unattended": "no", "client": "tv"}), "is not a complete set"),
        (lambda w: w.update(review_when={"client": ["tv"]}), "names no such answer"),
        (lambda w: w.update(review_when={"colour": ["blue"]}), "names no such answer"),
        (lambda w: w["probe"].update(endpoint="device"), "Input should be 'authorize' or 'token'"),
    ],
    ids=["incomplete-instead", "unknown-option", "review-when-option", "review-when-question", "endpoint"],
)
def test_broken_content_stops_with_a_message_naming_the_key(tmp_path: Path, change, problem: str) -> None:
    with pytest.raises(ContentError) as caught:
        load_file(_broken(tmp_path, change), NotOfferedFile)
    assert problem in str(caught.value)


def test_a_probe_naming_an_unpublished_secret_is_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, lambda w: w["probe"]["params"].update(client_secret="{secret:com.example/nobody}"))
    with httpx.Client(base_url="http://127.0.0.1:9", timeout=1) as http, pytest.raises(ValueError, match="nobody"):
        send_probe(http, load_file(path, NotOfferedFile).ways[0])


def test_answering_keeps_the_open_answer_in_the_address() -> None:
    at = run_page("guide", {"about": "on_behalf_of"})
    at.radio(key="guide_signin").set_value("yes").run()
    assert at.query_params["about"] == "on_behalf_of" and at.query_params["signin"] == "yes"
    assert any(m.value.startswith("### What about on-behalf-of") for m in at.markdown)
