"""The guide on reference tokens: when a PAT or SAT is the better answer, and the AccessTokens policy it sets."""

from __future__ import annotations

from conftest import run_page
from test_guide import all_answer_sets

from flowguide.guide import recommend

POLICIES = {"None", "AuthenticatedUsers", "AdministratorsOnly"}


def _expected(answers: dict[str, str], part: str) -> str:
    if part == "interactive":
        return "AuthenticatedUsers" if answers.get("tool_users") == "one" else "None"
    return "AdministratorsOnly" if answers.get("service_oauth") == "no" else "None"


def test_every_registration_sets_access_tokens_with_why() -> None:
    for answers in all_answer_sets():
        rec = recommend(answers)
        for registration in rec.registrations:
            value = registration["AccessTokens"]
            assert value in POLICIES and value == _expected(answers, registration.part), answers
            why = registration.why["AccessTokens"]
            assert {"None": "default", "AuthenticatedUsers": "PAT", "AdministratorsOnly": "SAT"}[value] in why
        warned = "reference_token_secret" in {w.id for w in rec.warnings}
        assert warned == any(r["AccessTokens"] != "None" for r in rec.registrations), answers


def test_a_one_person_script_gets_a_pat_and_a_many_user_tool_does_not() -> None:
    base = {"signin": "yes", "unattended": "no", "client": "cli"}
    one = recommend(base | {"tool_users": "one"})
    reason = next(r.text for r in one.reasons if r.question == "tool_users")
    assert "personal access token (PAT)" in reason and "long-lived" in reason and "revoked only by hand" in reason
    many = recommend(base | {"tool_users": "many"})
    assert "AccessTokens stays None" in next(r.text for r in many.reasons if r.question == "tool_users")
    # Only a command-line tool is asked: a web app with many users never gets a PAT policy.
    web = recommend({"signin": "yes", "unattended": "no", "client": "web", "tool_users": "one"})
    assert web.registrations[0]["AccessTokens"] == "None"


def test_a_tool_that_only_sends_a_key_gets_a_sat_policy() -> None:
    rec = recommend({"signin": "no", "unattended": "yes", "service_oauth": "no"})
    assert rec.registrations[0]["AccessTokens"] == "AdministratorsOnly"
    assert "service access token (SAT)" in next(r.text for r in rec.reasons if r.question == "service_oauth")


def test_the_guide_page_shows_the_policy_and_why() -> None:
    at = run_page("guide", {"signin": "yes", "unattended": "no", "client": "cli", "tool_users": "one"})
    shown = "\n".join(m.value for m in at.markdown)
    assert "`AccessTokens` = **AuthenticatedUsers**" in shown and "Profile site" in shown
    assert any("A reference token is a password that acts on its own" in w.value for w in at.warning)


def test_the_review_export_carries_the_policy_its_reason_and_the_warning() -> None:
    from flowguide.review import build_review, to_markdown

    exported = to_markdown(build_review({"signin": "no", "unattended": "yes", "service_oauth": "no"}))
    assert "| `AccessTokens` | `AdministratorsOnly` | A SAT needs reference tokens allowed" in exported
    assert "A reference token is a password that acts on its own" in exported
    plain = to_markdown(build_review({"signin": "no", "unattended": "yes"}))
    assert "| `AccessTokens` | `None` |" in plain and "A reference token is a password" not in plain
