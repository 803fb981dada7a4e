"""The programs /guide and the design review show: what they are filled with, what they never hold, where they show.

That every one of them runs is tests/test_samples_run.py's and tests/test_samples_spa.py's.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import yaml
from conftest import run_page
from test_guide import all_answer_sets

from flowguide.content import CONTENT_DIR, ContentError, load_file
from flowguide.guide import recommend
from flowguide.review import build_review, to_html, to_markdown
from flowguide.samples import (
    DEFAULT_ISSUER,
    SAMPLES_DIR,
    SECRET_ENV,
    SamplesFile,
    recommendation_code,
    render,
    sample_values,
)

HYBRID = {"signin": "yes", "unattended": "yes", "client": "web"}


def _demo_secrets() -> list[str]:
    registry = yaml.safe_load((CONTENT_DIR / "sandbox.yaml").read_text())
    return list(registry["demo_credentials"]["client_secrets"].values())


def test_hybrid_has_web_programs_for_the_sign_in_part_and_service_programs_for_the_other() -> None:
    parts = recommendation_code(recommend(HYBRID))
    assert [(p.kind, [s.id for s in p.samples]) for p in parts] == [
        ("web", ["python_web_app", "node_web_app", "curl_authorization_code"]),
        ("service", ["python_client_credentials", "node_client_credentials", "curl_client_credentials"]),
    ]
    web, service = parts
    for sample in web.samples:
        assert "com.example/portal" in sample.code and "https://portal.example.com/auth/callback" in sample.code
        assert "openid profile read" in sample.code and DEFAULT_ISSUER in sample.code
    for sample in service.samples:
        assert "com.example/sync-service" in sample.code and "'read'" in sample.code.replace('"', "'")
        assert "portal" not in sample.code, "a part's program never holds the other part's values"


def test_every_generated_program_reads_its_secret_from_the_environment_and_holds_none() -> None:
    secrets = _demo_secrets()
    for answers in all_answer_sets():
        rec = recommend(answers)
        for part in recommendation_code(rec):
            confidential = part.registration["ClientType"] == "Confidential"
            for sample in part.samples:
                assert not any(s in sample.code for s in secrets), sample.id
                assert "{{" not in sample.code and "<client secret>" not in sample.code
                assert (SECRET_ENV in sample.code) == confidential, (answers, sample.id)
                if part.registration.get("Scope") == "":  # sign-in only: who signed in, and no API call
                    assert "$top=10" not in sample.code and "/api/" not in sample.code
                    assert "ERPNET_ISSUER" in sample.code or sample.language == "html"
                else:
                    assert "$top=10" in sample.code and "ERPNET_ISSUER" in sample.code or sample.language == "html"


def test_command_line_and_desktop_parts_get_the_loopback_program_and_mobile_keeps_its_links() -> None:
    for client, sample_id in (("cli", "python_cli"), ("native", "python_desktop")):
        (part,) = recommendation_code(recommend({"signin": "yes", "unattended": "no", "client": client}))
        (sample,) = part.samples
        assert sample.id == sample_id and sample.file_name == "cli_loopback.py"
        # The loopback redirect URI it listens on, even where a mobile app's private-use scheme is listed first.
        assert 'REDIRECT_URI = "http://127.0.0.1:53177/callback"' in sample.code
        assert 'token_endpoint_auth_method="none"' in sample.code and SECRET_ENV not in sample.code
        assert any("console-app" in d.page for d in part.docs)
    (native,) = recommendation_code(recommend({"signin": "yes", "unattended": "no", "client": "native"}))
    assert "private-use scheme" in native.note
    assert {"Swift / iOS", "Android / Kotlin"} <= {e.platform for e in native.elsewhere}


def test_installed_apps_are_told_the_documentation_s_console_sample_keeps_its_secret_in_the_program() -> None:
    for client, warned in (("cli", True), ("native", True), ("web", False), ("spa", False)):
        rec = recommend({"signin": "yes", "unattended": "no", "client": client})
        assert ("console_sample_secret" in {w.id for w in rec.warnings}) == warned, client


def test_platforms_that_cannot_run_here_are_links_only() -> None:
    parts = recommendation_code(recommend(HYBRID))
    platforms = {e.platform for p in parts for e in p.elsewhere}
    assert {".NET / C#", "Java / Spring", "PHP", "Go"} <= platforms
    assert all(e.url.startswith("https://") for p in parts for e in p.elsewhere)


@pytest.mark.parametrize("bad", ['x"; import os', "a'b", "a\nb", "${HOME}", "`id`", "</script>", "a\\b"])
def test_a_value_that_is_not_safe_in_a_string_literal_is_refused(bad: str) -> None:
    values = sample_values(recommend(HYBRID).registrations[0])
    with pytest.raises(ValueError, match="safely"):
        render("x = '{{client_id}}'", replace(values, client_id=bad))


def test_a_template_naming_an_unknown_placeholder_or_missing_file_is_refused(tmp_path) -> None:
    data = yaml.safe_load((SAMPLES_DIR / "samples.yaml").read_text())
    data["samples"][0]["template"] = "missing_file.py"
    path = tmp_path / "samples.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ContentError, match="missing_file.py"):
        load_file(path, SamplesFile)


def test_the_guide_shows_each_program_with_a_download() -> None:
    at = run_page("guide", HYBRID)
    assert not at.exception
    codes = [c.value for c in at.code]
    assert any("flask" in c.lower() and "com.example/portal" in c for c in codes)
    assert any(c.startswith("#!/bin/sh") and "com.example/sync-service" in c for c in codes)
    headings = [m.value for m in at.markdown]
    assert "## Code that runs" in headings
    downloads = {b.key for b in at.get("download_button") if b.key.startswith("code_")}
    assert downloads == {
        "code_interactive_python_web_app",
        "code_interactive_node_web_app",
        "code_interactive_curl_authorization_code",
        "code_service_python_client_credentials",
        "code_service_node_client_credentials",
        "code_service_curl_client_credentials",
    }


def test_the_review_has_the_code_section_in_markdown_and_html() -> None:
    review = build_review(HYBRID)
    markdown_text = to_markdown(review)
    assert "## Code that runs" in markdown_text
    assert "```python\n" in markdown_text and "```bash\n#!/bin/sh" in markdown_text
    html_text = to_html(review, engine="auto")
    assert re.search(r'<pre><code class="language-python">', html_text)
    assert "authorize_access_token" in html_text and "&lt;instance&gt;" in html_text
