"""Content loading: every file validates, the brand is applied, and broken files say what is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from flowguide import content
from flowguide.content import ContentError, FlowNarrative, content_files, load_all, load_file
from flowguide.guide import GuideContent

DOCS = content.ROOT.parent / "shared" / "reference" / "erpnet-docs"


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    if hasattr(value, "model_dump"):
        return strings(value.model_dump())
    return []


def test_every_content_and_diagram_file_validates() -> None:
    loaded = load_all()
    assert "content/guide.yaml" in loaded and "content/brand.yaml" in loaded
    assert any(path.startswith("diagrams/") for path in loaded)
    assert {p for p in loaded if p.startswith("content/flows/")} == {
        f"content/flows/{f}.yaml"
        for f in ("authorization_code", "client_credentials", "refresh", "hybrid", "reference_token")
    }
    for path, model in loaded.items():
        for text in strings(model):
            assert "@@name" not in text, f"{path} still shows the brand token"


def test_documentation_links_name_pages_that_exist() -> None:
    if not DOCS.is_dir():
        pytest.skip(f"the product documentation is not beside the project ({DOCS})")
    pages = set()
    for path, _schema in content_files():
        pages |= set(re.findall(r"page:\s*([\w./-]+\.md)", path.read_text(encoding="utf-8")))
    assert pages, "content links to no documentation page at all"
    missing = sorted(p for p in pages if not (DOCS / p).is_file())
    assert not missing, f"documentation pages that do not exist: {missing}"


def test_a_checkout_reads_content_and_diagrams_where_writers_edit_them() -> None:
    # Installed from a wheel they come from flowguide/_data/ instead (tests/test_wheel.py).
    checkout = Path(__file__).resolve().parent.parent
    found = (content.ROOT, content.CONTENT_DIR, content.DIAGRAMS_DIR)
    assert found == (checkout, checkout / "content", checkout / "diagrams")
    assert not (checkout / "flowguide" / "_data").exists()


def test_brand_comes_from_brand_yaml_and_the_environment_overrides_it(monkeypatch) -> None:
    content.brand.cache_clear()
    try:
        assert content.brand().name == "ERP.net"
        monkeypatch.setenv("FLOWGUIDE_BRAND", "Acme ERP")
        content.brand.cache_clear()
        guide = load_file(content.CONTENT_DIR / "guide.yaml", GuideContent)
        assert "Acme ERP" in guide.intro and "ERP.net" not in guide.intro
    finally:
        monkeypatch.delenv("FLOWGUIDE_BRAND", raising=False)
        content.brand.cache_clear()


def test_docs_url_maps_source_pages_to_the_published_site() -> None:
    assert content.docs_url("auth/flows/choosing-flow.md") == "https://docs.erp.net/dev/auth/flows/choosing-flow.html"


GOOD_FLOW = {
    "id": "demo",
    "title": "Demo",
    "summary": "A flow.",
    "application": "com.example/web-portal",
    "steps": [{"id": "token", "title": "Token", "narrative": "Ask for a token."}],
}


def broken(tmp_path: Path, text: str, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("id: demo\n  title: [unclosed", "line 2", "not valid YAML"),
        ("", "", "is empty"),
        (yaml.safe_dump({k: v for k, v in GOOD_FLOW.items() if k != "summary"}), "summary", "required but missing"),
        (yaml.safe_dump(GOOD_FLOW | {"colour": "red"}), "colour", "not a known key"),
        (yaml.safe_dump(GOOD_FLOW | {"title": 42}), "title", "string"),
        (yaml.safe_dump(GOOD_FLOW | {"steps": []}), "steps", "at least 1"),
        (yaml.safe_dump(GOOD_FLOW | {"steps": GOOD_FLOW["steps"] * 2}), "(top level)", "more than once"),
        (
            yaml.safe_dump(
                GOOD_FLOW | {"steps": [GOOD_FLOW["steps"][0] | {"docs": [{"page": "x.html", "title": "X"}]}]}
            ),
            "steps[0].docs[0].page",
            "should match pattern",
        ),
    ],
    ids=[
        "yaml-syntax",
        "empty",
        "missing-key",
        "unknown-key",
        "wrong-type",
        "no-steps",
        "duplicate-id",
        "bad-doc-page",
    ],
)
def test_a_broken_file_stops_with_file_key_and_problem(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = broken(tmp_path, text)
    with pytest.raises(ContentError) as caught:
        load_file(path, FlowNarrative)
    error = caught.value
    assert error.file.endswith("demo.yaml")
    assert error.key == key
    assert problem in error.problem
    assert str(error).startswith(f"{error.file}: ")


def test_unquoted_yes_in_the_guide_is_caught_with_its_key(tmp_path: Path) -> None:
    text = (content.CONTENT_DIR / "guide.yaml").read_text(encoding="utf-8").replace('- id: "yes"', "- id: yes", 1)
    with pytest.raises(ContentError) as caught:
        load_file(broken(tmp_path, text, "guide.yaml"), GuideContent)
    assert caught.value.key == "questions[0].options[0].id"
    assert "string" in caught.value.problem


def test_guide_cross_references_are_checked(tmp_path: Path) -> None:
    text = (content.CONTENT_DIR / "guide.yaml").read_text(encoding="utf-8")
    with pytest.raises(ContentError, match="unknown warnings"):
        load_file(
            broken(tmp_path, text.replace("warnings: [secret_storage]", "warnings: [no_such]"), "g.yaml"), GuideContent
        )
    with pytest.raises(ContentError, match="asks when signin='maybe'"):
        load_file(
            broken(tmp_path, text.replace('ask_when: {signin: "yes"}', 'ask_when: {signin: "maybe"}', 1), "g.yaml"),
            GuideContent,
        )
    with pytest.raises(ContentError, match="default must be one of its options"):
        load_file(broken(tmp_path, text.replace("default: internal", "default: nobody"), "g.yaml"), GuideContent)


def test_a_yaml_file_without_a_schema_is_refused(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "diagrams").mkdir()
    (tmp_path / "content" / "stray.yaml").write_text("a: 1\n", encoding="utf-8")
    with pytest.raises(ContentError, match="has no schema"):
        list(content_files(tmp_path))
