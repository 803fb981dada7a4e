"""Sign-in only (the guide's purpose=identity): the recommendation, its registration, diagram, code and review.

That its program signs David in against the standalone sandbox is tests/test_samples_run.py's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import run_page

from flowguide import diagrams
from flowguide.content import CONTENT_DIR, ContentError, load_file
from flowguide.guide import GuideContent, guide_content, is_asked, parse_answers, recommend
from flowguide.review import build_review, to_markdown
from flowguide.samples import recommendation_code
from flowguide.sign_in_only import diagram_options, is_sign_in_only

WEB = {"signin": "yes", "unattended": "no", "client": "web"}
IDENTITY = {**WEB, "purpose": "identity"}
CLIENTS = [o.id for o in guide_content().question("client").options]


def test_sign_in_only_registers_no_api_scope_and_asks_only_who_signed_in() -> None:
    rec = recommend(IDENTITY)
    assert rec.flow == "authorization_code" and rec.title == guide_content().outcomes["sign_in_only"].title
    (registration,) = rec.registrations
    assert registration["Scope"] == "" and registration.request_scope == "openid profile"
    assert "Scope = \n" in registration.as_settings() + "\n" and "documentation" in registration.why["Scope"]
    assert registration["ClientType"] == "Confidential" and registration["SystemUserAllowed"] == "false"
    assert {"sign_in_authority", "stable_user_id"} <= {w.id for w in rec.warnings}
    assert [d.page for d in rec.docs][0] == "auth/concepts/erpnet-as-external-idp.md"


def test_without_the_answer_the_app_works_with_data_as_before() -> None:
    rec = recommend(WEB)
    assert rec.title == guide_content().outcomes["authorization_code"].title and not is_sign_in_only(rec)
    assert rec.registrations[0]["Scope"] == "read" and "purpose" in rec.assumed
    assert {"user_writes", "long_sessions"} <= set(rec.assumed)


def test_questions_about_data_are_not_asked_for_sign_in_only() -> None:
    content = guide_content()
    writes = content.question("user_writes")
    assert writes is not None
    assert is_asked(writes, WEB)  # purpose unanswered counts as its default, data
    assert not is_asked(writes, IDENTITY)
    assert not is_asked(writes, {"signin": "no"})  # the default counts only while purpose is asked itself
    parsed = parse_answers({**IDENTITY, "user_writes": "yes", "long_sessions": "yes"})
    assert "user_writes" not in parsed.answers and "long_sessions" not in parsed.answers
    assert any("user_writes=yes" in n and "purpose=data" in n for n in parsed.notices)


def test_a_hybrid_that_only_identifies_people_is_the_external_portal_pattern() -> None:
    rec = recommend({**IDENTITY, "unattended": "yes"})
    assert rec.flow == "hybrid" and rec.title == guide_content().outcomes["hybrid"].title
    interactive, service = rec.registrations
    assert interactive["Scope"] == "" and service["Scope"] == "read"
    parts = recommendation_code(rec)
    assert [s.id for s in parts[0].samples] == ["python_sign_in_only"]
    assert [s.id for s in parts[1].samples][0] == "python_client_credentials"


@pytest.mark.parametrize("client", CLIENTS)
def test_every_kind_of_client_has_a_sign_in_only_diagram_with_no_api_call(client: str) -> None:
    rec = recommend({**IDENTITY, "client": client})
    shown = diagram_options(rec, "authorization_code", {"variant": client, "params": {}})
    assert shown["variant"] == f"signin_{client}"
    spec = diagrams.resolved_spec("authorization_code", shown["variant"])
    labels = [m.label for m in spec.messages] + [p.label for p in spec.participants]
    assert not any("/api/" in label for label in labels)
    assert "GET /connect/userinfo Bearer (optional)" in labels and "ERP.net Identity userinfo" in labels
    assert spec.step_ids() == diagrams.resolved_spec("authorization_code", client).step_ids()
    # The client credentials diagram of a hybrid is never redrawn.
    assert diagram_options(rec, "client_credentials", {"variant": client}) == {"variant": client}


def test_the_guide_page_shows_the_sign_in_only_path() -> None:
    at = run_page("guide", IDENTITY)
    assert not at.exception
    assert "Sign-in only" in at.success[0].value
    body = "\n".join(m.value for m in at.markdown)
    assert "- `Scope` = *(empty)*" in body and "Scopes to request: `openid profile`" in body
    assert at.radio(key="guide_purpose").value == "identity"
    assert not [r for r in at.radio if r.key == "guide_user_writes"]
    assert any('token["userinfo"]' in c.value for c in at.code)
    assert "GET /connect/userinfo Bearer (optional)" in body
    assert any("Which claim identifies the person" in w.value for w in at.warning)


def test_the_review_shows_the_empty_scope() -> None:
    markdown = to_markdown(build_review(IDENTITY))
    assert "| `Scope` | *(empty)* |" in markdown
    assert (
        "sign_in_only.py" in markdown
        and "Crm_Sales_Customers" not in markdown.split("## Code that runs")[1].split("## ")[0]
    )


def test_an_option_naming_an_unknown_outcome_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((CONTENT_DIR / "guide.yaml").read_text(encoding="utf-8"))
    purpose = next(q for q in data["questions"] if q["id"] == "purpose")
    purpose["options"][1]["outcome"] = {"authorization_code": "sign_in_maybe"}
    path = tmp_path / "guide.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ContentError, match="unknown outcomes"):
        load_file(path, GuideContent)
