"""The /guide page through AppTest: deep links, answering, bad query values."""

from __future__ import annotations

import re

from conftest import run_page
from drawn_markup import markups


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [s.value for s in at.success] + [i.value for i in at.info]
    return "\n".join(parts + [w.value for w in at.warning])


def test_deep_link_shows_the_hybrid_recommendation_with_two_registrations() -> None:
    at = run_page("guide", {"signin": "yes", "unattended": "yes", "client": "web"})
    assert not at.exception
    assert "Hybrid" in at.success[0].value
    body = texts(at)
    assert "Trusted Application 1 of 2" in body and "Trusted Application 2 of 2" in body
    assert "`SystemUser` = **<a dedicated least-privilege user" in body
    assert "Never forward a user's token to the backend" in body
    assert at.radio(key="guide_client").value == "web"
    tree = next(m for m in markups(at) if 'data-diagram="decision-tree"' in m)
    # The path taken ends at the hybrid outcome: that leaf, and only it, is drawn as chosen.
    chosen = re.findall(r'<g id="decision-tree-tree_leaf_\w+" class="node tree on">(.*?)</g>', tree, flags=re.S)
    assert len(chosen) == 1 and ">Hybrid: both flows</text>" in chosen[0]
    # Below it, the recommendation's two flows drawn whole.
    drawn = re.findall(r'data-diagram="(guide_[\w-]+)"', "\n".join(markups(at)))
    assert drawn == ["guide_authorization_code-whole", "guide_client_credentials-whole"]


def test_answering_updates_the_url_and_the_recommendation() -> None:
    at = run_page("guide")
    assert "Answer" in at.info[0].value and not at.success
    at.radio(key="guide_signin").set_value("no").run()
    at.radio(key="guide_unattended").set_value("yes").run()
    assert at.query_params["signin"] == "no" and at.query_params["unattended"] == "yes"
    assert "Client Credentials" in at.success[0].value
    assert any("/guide?signin=no&unattended=yes" in c.value for c in at.code)
    at.radio(key="guide_service_writes").set_value("yes").run()
    assert "`Scope` = **read update**" in texts(at)


def test_no_signin_and_nothing_unattended_explains_what_to_reconsider() -> None:
    at = run_page("guide", {"signin": "no", "unattended": "no"})
    assert not at.exception and not at.success
    assert "Nothing here needs to sign in yet" in at.info[0].value
    assert "nothing calls the ERP.net API" in at.info[0].value


def test_bad_query_values_show_a_notice_and_are_ignored() -> None:
    at = run_page("guide", {"signin": "perhaps", "client": "<script>", "utm_source": "docs"})
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert any("signin=perhaps" in n for n in notices)
    assert any("utm_source" in n for n in notices)
    assert at.radio(key="guide_signin").value is None
    assert "Answer" in at.info[0].value


def test_start_again_clears_every_answer() -> None:
    at = run_page("guide", {"signin": "yes", "unattended": "no", "client": "spa"})
    assert "Authorization Code" in at.success[0].value
    at.button[0].click().run()
    assert at.radio(key="guide_signin").value is None
    assert dict(at.query_params) == {}
