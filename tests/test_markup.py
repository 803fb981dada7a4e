"""Our own Markdown drawn as server-made HTML (flowguide/pages/markup.py): inert, and as Streamlit draws it."""

from __future__ import annotations

import pytest
from conftest import run_page, wait_for_app
from drawn_markup import markups

from flowguide import content
from flowguide.pages.markup import own_html

# What a reader sees of a Markdown element: computed styles compared between Streamlit's and ours.
STYLES = ("font-size", "font-family", "font-weight", "background-color", "padding-left", "border-radius", "color")
# The computed look of a paragraph and a list item (and what is inside them), found by their text.
LOOK_JS = """([root, texts, styles]) => {
  const look = el => el ? Object.fromEntries(styles.map(s => [s, getComputedStyle(el).getPropertyValue(s)])) : null;
  const all = () => [...document.querySelectorAll(`${root} p, ${root} li`)];
  const found = text => all().find(e => e.textContent.trim() === text);
  const out = {texts: []};
  for (const [i, text] of texts.entries()) {
    const el = text ? found(text) : document.querySelectorAll(`${root} ${i ? 'li' : 'p'}`)[0];
    out.texts.push(el ? el.textContent.trim() : null);
    for (const sel of ['', 'code', 'strong', 'a']) {
      const inner = sel ? el?.querySelector(sel) : el;
      if (inner) out[`${i ? 'li' : 'p'} ${sel}`.trim()] = look(inner);
    }
  }
  return out;
}"""


def test_raw_html_in_our_own_markdown_is_escaped_and_links_open_apart() -> None:
    rendered = own_html('<script>alert(1)</script> <img src=x onerror="alert(1)"> **b** [RFC](https://x.test/)')
    assert "<script" not in rendered and "<img" not in rendered and "&lt;script&gt;" in rendered
    assert '<a target="_blank" rel="noopener noreferrer" href="https://x.test/">RFC</a>' in rendered
    assert "<strong>b</strong>" in rendered


def test_the_step_narrative_and_reference_are_drawn_as_html_not_markdown() -> None:
    at = run_page("simulator", {"flow": "authorization_code"})
    at.button(key="sim_next").click().run()
    step = content.flows()["authorization_code"].steps[0]
    drawn = "\n".join(markups(at))
    assert own_html(step.narrative) in drawn
    assert "Every parameter, in one sentence" in drawn and "Read more" in drawn
    assert all(link.url in drawn for link in step.docs)
    shown = "\n".join(m.value for m in at.markdown)
    assert step.narrative not in shown and "Every parameter" not in shown


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_our_markdown_looks_as_streamlits_does(streamlit_server, chromium, scheme: str) -> None:
    context = chromium.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # The same step's narrative and parameters: ours in the simulator, Streamlit's Markdown in the walkthrough.
    page.goto(f"{streamlit_server}/simulator?flow=authorization_code&step=2")
    wait_for_app(page)
    page.locator(".fg-markup li code").first.wait_for()
    ours = page.evaluate(LOOK_JS, [".fg-markup", [None, None], list(STYLES)])
    page.goto(f"{streamlit_server}/flows?flow=authorization_code&step=authorize")
    wait_for_app(page)
    page.locator("li", has_text=ours["texts"][1]).first.wait_for()
    theirs = page.evaluate(LOOK_JS, ["[data-testid='stMarkdownContainer']", ours["texts"], list(STYLES)])
    context.close()
    assert None not in theirs["texts"] and set(ours) == set(theirs), (ours, theirs)
    assert {"p", "p code", "li", "li code"} <= set(ours), ours
    differences = {
        part: {s: (theirs[part][s], v) for s, v in look.items() if theirs[part][s] != v}
        for part, look in ours.items()
        if part != "texts"
    }
    assert all(not d for d in differences.values()), differences
