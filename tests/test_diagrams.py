"""Diagram specs: they load, agree with the narratives and the client, and export faithfully."""

from __future__ import annotations

import re

import pytest

from flowguide import client, content, diagrams
from flowguide.content import ContentError, validate
from flowguide.diagrams import DiagramSpec

SEQUENCES = diagrams.SEQUENCE_IDS
ALL = diagrams.diagram_ids()
MESSAGE_EDGE = re.compile(r'<g id="msg_(\d+)" class="edge message (\w+) (\w+)"')


@pytest.mark.parametrize("diagram_id", ALL)
def test_every_spec_loads_and_validates(diagram_id: str) -> None:
    spec = diagrams.load_spec(diagram_id)
    assert spec.id == diagram_id
    assert spec.kind == ("overview" if diagram_id == "overview" else "sequence")


def test_every_diagram_file_is_one_the_app_knows() -> None:
    assert sorted(p.stem for p in content.DIAGRAMS_DIR.glob("*.yaml")) == sorted(ALL)


def test_overview_has_the_documentation_cast() -> None:
    spec = diagrams.load_spec("overview")
    roles = {p.role for p in spec.participants}
    assert roles == {"person", "app", "service", "identity", "api", "data"}
    pairs = {(spec.participant(m.source).role, spec.participant(m.target).role) for m in spec.messages}
    for pair in [
        ("person", "app"),
        ("app", "identity"),
        ("identity", "app"),
        ("app", "api"),
        ("api", "data"),
        ("service", "identity"),
        ("identity", "service"),
        ("service", "api"),
    ]:
        assert pair in pairs


@pytest.mark.parametrize("flow", SEQUENCES)
def test_step_ids_agree_across_narrative_spec_and_client(flow: str) -> None:
    narrative = [s.id for s in content.flows()[flow].steps]
    assert diagrams.load_spec(flow).step_ids() == narrative
    assert list(client.FLOW_STEPS[flow]) == narrative


def test_every_flow_has_a_diagram() -> None:
    assert sorted(content.flows()) == sorted(SEQUENCES)
    assert sorted(client.FLOW_STEPS) == sorted(SEQUENCES)


@pytest.mark.parametrize("flow", SEQUENCES)
def test_every_narrative_step_is_written_out(flow: str) -> None:
    for step in content.flows()[flow].steps:
        assert step.parameters and step.rfc and step.docs, f"{flow}.{step.id} lacks parameters, rfc or docs"
        assert all(d.url.startswith(content.brand().docs_base) for d in step.docs)


def _spec_data(**changes: object) -> dict:
    data = {
        "id": "authorization_code",
        "kind": "sequence",
        "title": "t",
        "participants": [
            {"id": "app", "label": "App", "role": "app"},
            {"id": "identity", "label": "Id", "role": "identity"},
        ],
        "messages": [{"step": "discovery", "from": "app", "to": "identity", "kind": "request", "label": "GET"}],
    }
    data.update(changes)
    return data


def test_a_message_to_an_unknown_participant_is_named() -> None:
    bad = _spec_data(messages=[{"step": "s", "from": "app", "to": "api", "kind": "request", "label": "x"}])
    with pytest.raises(ContentError, match="unknown participant 'api'"):
        validate(bad, DiagramSpec, "diagrams/x.yaml")


def test_a_message_kind_outside_request_redirect_response_is_refused() -> None:
    bad = _spec_data(messages=[{"step": "s", "from": "app", "to": "identity", "kind": "push", "label": "x"}])
    with pytest.raises(ContentError, match=r"messages\[0\]\.kind"):
        validate(bad, DiagramSpec, "diagrams/x.yaml")


def test_a_sequence_message_without_a_step_is_refused() -> None:
    bad = _spec_data(messages=[{"from": "app", "to": "identity", "kind": "request", "label": "x"}])
    with pytest.raises(ContentError, match="needs a step"):
        validate(bad, DiagramSpec, "diagrams/x.yaml")


def test_a_spec_whose_steps_differ_from_the_narrative_is_refused(tmp_path, monkeypatch) -> None:
    text = (content.DIAGRAMS_DIR / "client_credentials.yaml").read_text().replace("step: validate", "step: verify")
    (tmp_path / "client_credentials.yaml").write_text(text)
    monkeypatch.setattr(diagrams, "DIAGRAMS_DIR", tmp_path)
    diagrams.load_spec.cache_clear()
    diagrams.load_spec_with_variants.cache_clear()
    try:
        with pytest.raises(ContentError, match="'verify' is not a step"):
            diagrams.load_spec("client_credentials")
    finally:
        diagrams.load_spec.cache_clear()
        diagrams.load_spec_with_variants.cache_clear()


def test_unknown_diagram_is_a_key_error_not_a_path() -> None:
    with pytest.raises(KeyError):
        diagrams.load_spec("../content/brand")


# --- SVG through both renderers ------------------------------------------------------------------


@pytest.fixture(params=["dot", "wasm"])
def engine(request, monkeypatch) -> str:
    if request.param == "dot" and not diagrams.dot_available():
        pytest.skip("Graphviz's dot binary is not installed; the wasm renderer is tested alone")
    if request.param == "wasm":
        # Hide any dot binary: the WebAssembly renderer must work with nothing but the Python packages.
        monkeypatch.setenv("PATH", "/nonexistent")
    diagrams.render_svg.cache_clear()
    return request.param


@pytest.mark.parametrize("diagram_id", ALL)
def test_svg_has_one_arrow_per_message(diagram_id: str, engine: str) -> None:
    spec = diagrams.load_spec(diagram_id)
    svg = diagrams.render_svg(diagrams.to_digraph(spec).source, engine)
    assert svg.lstrip().startswith(("<?xml", "<svg", "<!--"))
    found = sorted(int(n) for n, _kind, _state in MESSAGE_EDGE.findall(svg))
    assert found == list(range(1, len(spec.messages) + 1))
    # Every edge group is a message, a lifeline or a label's carrier, drawn in no colour: nothing else is an arrow.
    edges = re.findall(r'class="edge( [^"]*)?"', svg)
    lifelines = [e for e in edges if e.strip() == "lifeline"]
    carriers = re.findall(r'<g id="label_\d+" class="edge label [^"]*">.*?</g>', svg, re.DOTALL)
    assert all(re.search(r'stroke="(transparent|none)"', c) and "<polygon" not in c for c in carriers)
    assert len(edges) - len(lifelines) - len(carriers) == len(spec.messages)


@pytest.mark.parametrize("flow", SEQUENCES)
def test_svg_numbers_the_messages_in_order(flow: str, engine: str) -> None:
    spec = diagrams.load_spec(flow)
    svg = diagrams.render_svg(diagrams.to_digraph(spec).source, engine)
    numbers = [int(n) for n in re.findall(r">(\d+)\. ", svg)]
    assert numbers == list(range(1, len(spec.messages) + 1))


def test_auto_falls_back_to_wasm_without_the_dot_binary(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    diagrams.render_svg.cache_clear()
    assert not diagrams.dot_available()
    svg = diagrams.render_svg(diagrams.to_digraph(diagrams.load_spec("refresh")).source)
    assert len(MESSAGE_EDGE.findall(svg)) == 10


def test_unknown_renderer_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        diagrams.render_svg("digraph {}", "neato")


# --- highlighting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("flow", SEQUENCES)
def test_highlight_marks_done_current_and_pending(flow: str, engine: str) -> None:
    spec = diagrams.load_spec(flow)
    steps = spec.step_ids()
    middle = steps[len(steps) // 2]
    svg = diagrams.render_svg(diagrams.to_digraph(spec, middle).source, engine)
    states = [state for _n, _kind, state in MESSAGE_EDGE.findall(svg)]
    expected = [
        "current" if m.step == middle else ("done" if steps.index(m.step) < steps.index(middle) else "pending")
        for m in spec.messages
    ]
    assert states == expected
    assert states.count("current") == diagrams.message_count(spec, middle) >= 1


def test_without_highlight_nothing_is_marked() -> None:
    source = diagrams.to_digraph(diagrams.load_spec("hybrid")).source
    assert "current" not in source and "pending" not in source


def test_message_kinds_are_drawn_differently() -> None:
    source = diagrams.to_digraph(diagrams.load_spec("authorization_code")).source
    styles = {
        kind: set(re.findall(rf'class="message {kind} \w+"[^\]]*style=(\w+)', source))
        for kind in ("request", "response", "redirect")
    }
    assert styles == {"request": {"solid"}, "response": {"dashed"}, "redirect": {"dotted"}}


@pytest.mark.parametrize("colour", diagrams.TEXT_COLOURS)
def test_label_colours_read_on_light_and_dark_themes(colour: str) -> None:
    assert diagrams.contrast_ratio(colour, diagrams.LIGHT_BG) >= 3
    assert diagrams.contrast_ratio(colour, diagrams.DARK_BG) >= 3


@pytest.mark.parametrize("role", sorted(diagrams.PARTICIPANT_FILL))
def test_participant_names_read_on_their_boxes(role: str) -> None:
    assert diagrams.contrast_ratio(diagrams.PARTICIPANT_TEXT, diagrams.PARTICIPANT_FILL[role]) >= 4.5


def test_highlighted_step_differs_from_the_others() -> None:
    assert len({diagrams.CURRENT, diagrams.DONE, diagrams.PENDING}) == 3
    assert diagrams.CURRENT not in diagrams.PARTICIPANT_FILL.values()


# --- Mermaid and words --------------------------------------------------------------------------------

ARROW_LINE = re.compile(r"^  (\w+)(->>|-->>|--\))(\w+): (.+)$")


@pytest.mark.parametrize("flow", SEQUENCES)
def test_mermaid_is_a_sequence_diagram_with_one_arrow_per_message(flow: str) -> None:
    spec = diagrams.load_spec(flow)
    lines = diagrams.to_mermaid(spec).splitlines()
    assert lines[0] == "sequenceDiagram"
    declared = [re.match(r"^  (?:participant|actor) (\w+) as (.+)$", line) for line in lines]
    declared = [m for m in declared if m]
    assert [m.group(1) for m in declared] == [p.id for p in spec.participants]
    assert [m.group(2) for m in declared] == [p.label for p in spec.participants]
    arrows = [ARROW_LINE.match(line) for line in lines]
    arrows = [a for a in arrows if a]
    assert len(arrows) == len(spec.messages)
    for arrow, message in zip(arrows, spec.messages, strict=True):
        assert arrow.group(1) == message.source and arrow.group(3) == message.target
        assert arrow.group(2) == diagrams.MERMAID_ARROW[message.kind]
        assert message.label.split()[0] in arrow.group(4)
    # Nothing else: every line is a declaration, an arrow, a comment or autonumber.
    others = [
        ln for ln in lines[1:] if not (ARROW_LINE.match(ln) or re.match(r"^  (participant|actor|%%|autonumber)", ln))
    ]
    assert others == []


def test_mermaid_keeps_labels_on_one_line_and_free_of_entity_syntax() -> None:
    spec = DiagramSpec.model_validate(
        _spec_data(
            messages=[{"step": "s", "from": "app", "to": "identity", "kind": "response", "label": "200 a;b #1\nnext"}]
        )
    )
    arrow = [ln for ln in diagrams.to_mermaid(spec).splitlines() if "-->>" in ln]
    assert arrow == ["  app-->>identity: 200 a,b no. 1 next"]


def test_overview_mermaid_is_a_flowchart_with_every_link() -> None:
    spec = diagrams.load_spec("overview")
    lines = diagrams.to_mermaid(spec).splitlines()
    assert lines[0] == "flowchart LR"
    links = [ln for ln in lines if re.match(r"^  \w+ (-->|-\.->|==>)\|", ln)]
    assert len(links) == len(spec.messages)
    assert any('data[("' in ln for ln in lines)  # the data store is drawn as a database


@pytest.mark.parametrize("diagram_id", ALL)
def test_text_alternative_says_every_arrow_in_order(diagram_id: str) -> None:
    spec = diagrams.load_spec(diagram_id)
    words = diagrams.text_alternative(spec)
    assert len(words) == len(spec.messages)
    for i, (line, message) in enumerate(zip(words, spec.messages, strict=True), start=1):
        if spec.kind == "sequence":
            assert line.startswith(f"{i}. {spec.participant(message.source).label} ")
        assert spec.participant(message.target).label in line
        assert message.label in line


def test_text_alternative_names_redirects_and_responses() -> None:
    words = diagrams.text_alternative(diagrams.load_spec("authorization_code"))
    assert words[2] == "3. Web app redirects David's browser: 302 to /connect/authorize."
    assert "responds to Web app" in words[1]


# --- the walkthrough's position ----------------------------------------------------------------------


def test_position_defaults_to_the_first_step_of_authorization_code() -> None:
    assert diagrams.resolve_position(None, None) == diagrams.Position("authorization_code", "discovery")


def test_position_keeps_a_good_deep_link() -> None:
    assert diagrams.resolve_position("hybrid", "service_token") == diagrams.Position("hybrid", "service_token")


def test_unknown_flow_falls_back_with_a_notice() -> None:
    pos = diagrams.resolve_position("implicit", "token")
    assert (pos.flow, pos.step) == ("authorization_code", "discovery")
    assert "implicit" in pos.notice


def test_step_of_another_flow_falls_back_to_the_first_step() -> None:
    pos = diagrams.resolve_position("client_credentials", "consent")
    assert (pos.flow, pos.step) == ("client_credentials", "discovery")
    assert "consent" in pos.notice


def test_notice_shows_a_hostile_value_short_and_without_markdown_code_breaks() -> None:
    pos = diagrams.resolve_position("`](javascript:alert(1))" + "x" * 100, None)
    # The only backticks left are the two that quote the value as code.
    assert pos.notice.count("`") == 2 and len(pos.notice) < 140


def test_moving_stays_inside_the_flow() -> None:
    pos = diagrams.Position("refresh", "initial_tokens")
    assert pos.moved(-1).step == "initial_tokens"
    assert pos.moved(1).step == "expire"
    assert pos.moved(99).step == "reuse_refresh"
