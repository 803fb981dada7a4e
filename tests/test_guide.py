"""The decision guide's engine: every answer combination, the product's rules, hostile answers."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from flowguide.guide import (
    decision_tree,
    guide_content,
    is_asked,
    parse_answers,
    recommend,
)

CONTENT = guide_content()
EXPECTED_FLOW = {
    ("yes", "yes"): "hybrid",
    ("yes", "no"): "authorization_code",
    ("no", "yes"): "client_credentials",
    ("no", "no"): None,
}
# Each part of a solution is its own Trusted Application (auth/flows/combined/overview.md).
EXPECTED_PARTS = {
    "authorization_code": ["interactive"],
    "client_credentials": ["service"],
    "hybrid": ["interactive", "service"],
}


def all_answer_sets() -> list[dict[str, str]]:
    """Every complete set of answers a visitor can give, following which questions get asked."""
    sets: list[dict[str, str]] = [{}]
    for question in CONTENT.questions:
        grown = []
        for answers in sets:
            if is_asked(question, answers):
                grown += [{**answers, question.id: o.id} for o in question.options]
            else:
                grown.append(answers)
        sets = grown
    return sets


def test_core_answers_each_lead_to_exactly_one_outcome() -> None:
    clients = [o.id for o in CONTENT.question("client").options]
    for signin, unattended in itertools.product(["yes", "no"], repeat=2):
        for client in clients if signin == "yes" else [None]:
            answers = {"signin": signin, "unattended": unattended} | ({"client": client} if client else {})
            rec = recommend(answers)
            assert rec.flow == EXPECTED_FLOW[(signin, unattended)], answers
            assert rec.missing == (), answers
            if rec.flow is None:
                assert rec.title == CONTENT.outcomes["nowhere"].title
                assert "unattended" in rec.summary and rec.registrations == ()
            else:
                assert rec.title == CONTENT.outcomes[rec.flow].title
                assert [r.part for r in rec.registrations] == EXPECTED_PARTS[rec.flow]


def test_every_complete_answer_set_obeys_the_products_rules() -> None:
    answer_sets = all_answer_sets()
    assert len(answer_sets) > 100
    for answers in answer_sets:
        rec = recommend(answers)
        assert rec.missing == () and rec.assumed == ()
        if rec.flow is None:
            assert (answers["signin"], answers["unattended"]) == ("no", "no")
            continue
        for reason in rec.reasons:
            assert answers[reason.question] == reason.option and not reason.assumed
        uris = [r["ApplicationUri"] for r in rec.registrations]
        assert len(set(uris)) == len(uris), "each part is its own Trusted Application"
        for registration in rec.registrations:
            scopes = registration["Scope"].split()
            if registration.part == "interactive" and answers["purpose"] == "identity":
                # Sign-in only: no API scope registered or asked for, just who signed in.
                assert scopes == [] and registration.request_scope == "openid profile"
                assert "user_writes" not in answers and "long_sessions" not in answers
                assert (rec.title == CONTENT.outcomes["sign_in_only"].title) == (rec.flow == "authorization_code")
            else:
                assert scopes[0] == "read" and set(scopes) <= {"read", "update"}
            if registration["ClientType"] == "Public":
                assert "ApplicationSecretHash" not in registration and "SystemUser" not in registration
                assert registration["SystemUserAllowed"] == "false"
            else:
                assert registration["ApplicationSecretHash"].startswith("base64(sha256(")
            if registration.flow == "client_credentials":
                assert registration["SystemUserAllowed"] == "true" and registration["SystemUser"]
                assert registration["ImpersonateAsInternalUserAllowed"] == "false"
                assert not {"openid", "profile", "offline_access"} & set(registration.request_scope.split())
                assert ("update" in scopes) == (answers["service_writes"] == "yes")
            else:
                assert registration["SystemUserAllowed"] == "false" and "SystemUser" not in registration
                assert registration["ImpersonateLoginUrl"]
                assert ("update" in scopes) == (answers.get("user_writes") == "yes")
                assert ("offline_access" in registration.request_scope) == (answers.get("long_sessions") == "yes")
                public = answers["client"] in {"spa", "native", "cli"}
                assert registration["ClientType"] == ("Public" if public else "Confidential")
            assert set(registration.why) == set(registration), "every field says why it has its value"


def test_warnings_follow_the_answers() -> None:
    hybrid_spa = recommend({"signin": "yes", "unattended": "yes", "client": "spa"})
    ids = {w.id for w in hybrid_spa.warnings}
    assert {"no_secret_in_client", "browser_token_storage", "never_forward_user_token"} <= ids
    assert {"least_privilege_system_user", "not_offered", "separate_registrations"} <= ids
    web_only = {w.id for w in recommend({"signin": "yes", "unattended": "no", "client": "web"}).warnings}
    assert "no_secret_in_client" not in web_only and "never_forward_user_token" not in web_only
    assert "not_offered" in web_only and "least_privilege_system_user" not in web_only
    service = {w.id for w in recommend({"signin": "no", "unattended": "yes"}).warnings}
    assert "least_privilege_system_user" in service and "secret_storage" not in service


def test_unanswered_detail_questions_are_assumed_and_said_so() -> None:
    rec = recommend({"signin": "yes", "unattended": "yes", "client": "web"})
    assert rec.flow == "hybrid"
    assumed_ids = {"purpose", "users", "user_writes", "long_sessions", "service_writes", "service_oauth", "peak_users"}
    assert set(rec.assumed) == assumed_ids
    assumed = [r for r in rec.reasons if r.assumed]
    assert {r.question for r in assumed} == set(rec.assumed)
    assert rec.registrations[0]["ImpersonateAsCommunityUserAllowed"] == "false"


def test_missing_core_answers_give_no_flow_and_name_what_is_missing() -> None:
    assert recommend({}).missing == ("signin", "unattended")
    rec = recommend({"signin": "yes", "unattended": "no"})
    assert rec.flow is None and rec.missing == ("client",) and rec.registrations == ()


def test_bad_and_irrelevant_answers_are_dropped_with_a_notice() -> None:
    parsed = parse_answers({"signin": "maybe", "colour": "blue", "unattended": "yes", "client": "web"})
    assert parsed.answers == {"unattended": "yes"}
    assert len(parsed.notices) == 3
    assert any("signin=maybe" in n and "yes, no" in n for n in parsed.notices)
    assert any("colour" in n and "no such question" in n for n in parsed.notices)
    assert any("client=web" in n and "signin=yes" in n for n in parsed.notices)


answer_values = st.one_of(st.text(max_size=30), st.sampled_from(["yes", "no", "web", "spa", "cli", "both", "YES", ""]))
question_keys = st.one_of(st.text(max_size=20), st.sampled_from([q.id for q in CONTENT.questions]))


@given(st.dictionaries(question_keys, answer_values, max_size=10))
def test_any_answers_give_a_recommendation_or_notices_never_an_exception(raw: dict[str, str]) -> None:
    parsed = parse_answers(raw)
    for qid, value in parsed.answers.items():
        question = CONTENT.question(qid)
        assert question is not None and question.option(value) is not None
    assert len(parsed.answers) + len(parsed.notices) == len(raw)
    rec = recommend(raw)
    assert rec.flow in {None, "authorization_code", "client_credentials", "hybrid"}
    decision_tree(parsed.answers).source  # noqa: B018 - drawing must not fail either


def test_decision_tree_highlights_the_visitors_path() -> None:
    dot = decision_tree({"signin": "no", "unattended": "yes"}).source
    highlighted = [line for line in dot.splitlines() if "penwidth=2.4" in line]
    assert any("leaf_no_yes" in line and "Client Credentials" in line for line in highlighted)
    assert any("signin -> unattended_no" in line for line in highlighted)
    assert not any("leaf_yes_" in line for line in highlighted)
