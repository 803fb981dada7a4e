"""The licence estimate for a design (flowguide.licences), on /guide and in the design review.

auth/sessions/license-slot.md: one open session, one slot; people signed in as themselves each hold one
while active; the backend's Client Credentials part holds one System User slot; community users in a
hybrid work through it and hold none; a token per call multiplies sessions.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import run_page
from pydantic import ValidationError

from flowguide.content import CONTENT_DIR
from flowguide.guide import guide_content, recommend
from flowguide.licences import LicencesFile, estimate, licence_section, licences_content
from flowguide.review import build_review, to_markdown

WEB = {"signin": "yes", "client": "web"}
HYBRID = {**WEB, "unattended": "yes"}


def _slots(answers: dict[str, str]) -> list[tuple[str, int, bool]]:
    est = estimate(recommend(answers))
    assert est is not None
    return [(line.part, line.slots, line.open_ended) for line in est.lines]


@pytest.mark.parametrize(
    ("option", "people", "open_ended"),
    [("up_to_10", 10, False), ("up_to_50", 50, False), ("up_to_200", 200, False), ("over_200", 200, True)],
)
def test_each_person_at_once_holds_a_slot(option: str, people: int, open_ended: bool) -> None:
    answers = {**WEB, "unattended": "no", "peak_users": option}
    assert _slots(answers) == [("Sign-in part", people, open_ended)]
    est = estimate(recommend(answers))
    assert est is not None and est.total == people and est.open_ended is open_ended


def test_the_question_has_a_default_the_estimate_uses_and_says_so() -> None:
    rec = recommend({**WEB, "unattended": "no"})
    assert "peak_users" in rec.assumed
    assert _slots({**WEB, "unattended": "no"}) == [("Sign-in part", 10, False)]


def test_the_service_part_holds_one_system_user_slot() -> None:
    assert _slots({"signin": "no", "unattended": "yes"}) == [("Unattended part", 1, False)]
    sat = {"signin": "no", "unattended": "yes", "service_oauth": "no"}
    (line,) = estimate(recommend(sat)).lines  # type: ignore[union-attr]
    assert line.slots == 1 and "service access token" in line.why


def test_a_hybrid_adds_the_people_and_the_backends_one_slot() -> None:
    est = estimate(recommend({**HYBRID, "peak_users": "up_to_50"}))
    assert est is not None
    assert [(line.part, line.slots) for line in est.lines] == [("Sign-in part", 50), ("Unattended part", 1)]
    assert est.total == 51


def test_community_users_in_a_hybrid_hold_no_slot_and_go_through_the_system_user() -> None:
    est = estimate(recommend({**HYBRID, "users": "community", "peak_users": "over_200"}))
    assert est is not None and est.total == 1 and not est.open_ended
    people, backend = est.lines
    assert people.slots == 0 and "community users" in people.why.lower()
    assert "however many of them there are" in backend.why


def test_sign_in_only_and_a_personal_token_hold_what_they_use() -> None:
    identity = {**WEB, "unattended": "no", "purpose": "identity"}
    assert _slots(identity) == [("Sign-in part", 0, False)]
    assert "never calls the API" in estimate(recommend(identity)).lines[0].why  # type: ignore[union-attr]
    tool = {"signin": "yes", "client": "cli", "unattended": "no", "tool_users": "one"}
    assert _slots(tool) == [("Sign-in part", 1, False)]


def test_the_token_per_call_multiplier_and_the_refusal_are_always_said() -> None:
    section = licence_section(recommend({"signin": "no", "unattended": "yes"}))
    assert section.startswith("## Licence slots at the busiest moment\n\n**1 licence slot** at the busiest moment")
    assert "Never ask for a new token per call" in section and "MaximumLicenseCountExceeded" in section
    assert "auth/sessions/license-slot.html" in section


def test_no_estimate_without_a_recommendation() -> None:
    assert estimate(recommend({"signin": "yes"})) is None
    assert licence_section(recommend({})) == ""


def test_every_option_of_the_question_has_a_number_or_the_content_is_refused() -> None:
    data = yaml.safe_load((CONTENT_DIR / "licences.yaml").read_text())
    assert set(data["people"]) == {o.id for o in guide_content().question("peak_users").options}  # type: ignore[union-attr]
    del data["people"]["over_200"]
    with pytest.raises(ValidationError, match="people must give a number for each option"):
        LicencesFile.model_validate(data)
    assert licences_content().people["over_200"] == 200


def test_the_review_has_the_estimate_after_the_token_lifetimes() -> None:
    document = to_markdown(build_review({**HYBRID, "peak_users": "up_to_50"}))
    assert document.index("## Token lifetimes") < document.index("## Licence slots at the busiest moment")
    assert "**51 licence slots** at the busiest moment" in document


def test_the_guide_shows_the_question_and_the_estimate() -> None:
    at = run_page("guide", {**HYBRID, "peak_users": "up_to_200"})
    assert not at.exception, at.exception
    question = at.radio(key="guide_peak_users")
    assert question.value == "up_to_200" and question.label.startswith("How many people use the app")
    shown = "\n".join(str(m.value) for m in at.markdown)
    assert "## Licence slots at the busiest moment" in shown and "**201 licence slots**" in shown
    question.set_value("up_to_10").run()
    assert at.query_params["peak_users"] == "up_to_10"
    assert "**11 licence slots**" in "\n".join(str(m.value) for m in at.markdown)


def test_the_guide_ignores_an_unknown_answer_with_a_notice() -> None:
    at = run_page("guide", {**HYBRID, "peak_users": "a_million"})
    assert not at.exception, at.exception
    assert any("peak_users=a_million" in w.value for w in at.warning)
    assert "**11 licence slots**" in "\n".join(str(m.value) for m in at.markdown)
