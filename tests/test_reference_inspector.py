"""/tokens with a reference token (enrt_): recognised and explained, never decoded as a JWT, shown inert."""

from __future__ import annotations

import pytest
from conftest import run_page
from streamlit.testing.v1 import AppTest
from test_tokens_page import button, inspect, markdown_text

from flowguide.pages.session import SANDBOX_KEY
from flowguide.reference_tokens import inspect_reference

DOC_EXAMPLE = "enrt_1D41D4694B4F02D3D6A31FFA07E20B73F48248B26C75A0CCCB5F9DBEE41F7960"


@pytest.fixture
def at() -> AppTest:
    page = run_page("tokens")
    assert not page.exception
    return page


def _shown(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.code] + [e.value for e in at.error]
    parts += [str(t.value) for t in at.table] + [i.value for i in at.info] + [s.value for s in at.success]
    parts += [h.value for h in at.html]
    return "\n".join(parts)


def test_a_reference_token_is_explained_not_decoded(at: AppTest) -> None:
    inspect(at, DOC_EXAMPLE)
    assert not at.exception and not at.error
    text = markdown_text(at)
    assert "Reference token (PAT or SAT)" in text and "opaque by design" in text
    for point in ("Why nothing is decoded", "How the API checks it", "How it is sent", "How to revoke it"):
        assert point in text
    assert "did not issue this token" in at.info[0].value
    assert DOC_EXAMPLE not in _shown(at) and at.code[0].value == "enrt_1D4…(masked)"
    assert "Header" not in text and not any("claims" in str(t.value) for t in at.table)


def test_the_sessions_own_pat_is_looked_up_without_counting_as_a_use(at: AppTest) -> None:
    button(at, "Use a sample reference token (PAT)").click()
    at.run()
    assert not at.exception and "accepts it now" in at.success[0].value
    rows = dict(zip(at.table[0].value["Field"], at.table[0].value["Value"], strict=True))
    assert rows["`kind`"] == "PAT" and rows["`last_used`"] == "never"
    sandbox = at.session_state[SANDBOX_KEY]
    (record,) = sandbox.reference_tokens.records.values()
    assert record.last_used_at is None
    assert not any(v.startswith("enrt_") and len(v) > 20 for v in _shown(at).split())


def test_a_revoked_token_says_the_api_refuses_it(at: AppTest) -> None:
    button(at, "Use a sample reference token (PAT)").click()
    at.run()
    sandbox = at.session_state[SANDBOX_KEY]
    store = sandbox.reference_tokens
    store.revoke(next(iter(store.records.values())).id, list(store.records.values()), "anna")
    at.run()
    assert "refuses it now" in at.error[0].value and "revoked" in at.error[0].value


@pytest.mark.parametrize(
    "pasted",
    ["enrt_**bold** [x](https://evil.example)", "X-Api-Key: enrt_123", "Bearer enrt_" + "a" * 64],
)
def test_a_malformed_reference_token_is_refused_and_shown_inert(at: AppTest, pasted: str) -> None:
    inspect(at, pasted)
    assert not at.exception
    assert [e.value for e in at.error][0].startswith("This starts with enrt_ but is not shaped like a reference token")
    assert "evil.example" not in markdown_text(at)


def test_the_header_around_a_pasted_value_is_dropped() -> None:
    for pasted in (f"X-Api-Key: {DOC_EXAMPLE}", f"Api-Key:{DOC_EXAMPLE}", f"Authorization: Bearer {DOC_EXAMPLE}"):
        found = inspect_reference(pasted)
        assert found is not None and found.value == DOC_EXAMPLE and found.well_formed and found.notes
    assert inspect_reference("eyJhbGciOiJSUzI1NiJ9.e30.") is None
    assert DOC_EXAMPLE not in repr(inspect_reference(DOC_EXAMPLE))
