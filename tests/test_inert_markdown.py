"""Outside text reaches Markdown inert: the builders in flowguide.pages.inert, and the checks other tests use.

``outside_code_spans`` reads Markdown the way CommonMark does for the two things that keep text inert
(backslash escapes and code spans) and returns what is left for the renderer to interpret.
"""

from __future__ import annotations

import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from flowguide.pages.inert import MAX_SHOWN_VALUE, md_escape, md_literal, md_text, without_bidi

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# Every character with a meaning somewhere in GFM or Streamlit's Markdown (links, images, HTML, emphasis,
# code, tables, headings, lists, math, directives, entities, icons).
ACTIVE = set("\\`*_{}[]()#+-.!|<>~:$&=^")


def outside_code_spans(markdown: str) -> str:
    """What Markdown would still interpret: the text less its code spans and backslash-escaped characters."""
    left: list[str] = []
    i = 0
    while i < len(markdown):
        char = markdown[i]
        if char == "\\" and i + 1 < len(markdown) and markdown[i + 1] in string.punctuation:
            i += 2
        elif char == "`":
            run = len(markdown[i:]) - len(markdown[i:].lstrip("`"))
            # CommonMark: a code span closes at the next run of exactly as many backticks.
            close = re.compile(rf"(?<!`)`{{{run}}}(?!`)").search(markdown, i + run)
            if close is None:
                left.append(markdown[i : i + run])
                i += run
            else:
                left.append(" ")
                i = close.end()
        else:
            left.append(char)
            i += 1
    return "".join(left)


def code_span_content(markdown: str) -> str | None:
    """The content of ``markdown`` when it is exactly one code span, as CommonMark reads it; else None."""
    run = len(markdown) - len(markdown.lstrip("`"))
    close = re.compile(rf"(?<!`)`{{{run}}}(?!`)").search(markdown, run) if run else None
    if close is None or close.end() != len(markdown):
        return None
    content = markdown[run : close.start()]
    if len(content) >= 2 and content[0] == content[-1] == " " and content.strip(" "):
        content = content[1:-1]
    return content


def assert_inert(markdown: str) -> None:
    """Hostile text (every payload here names attacker.example) only in code spans, and no bidi control."""
    assert "attacker" not in outside_code_spans(markdown), markdown
    assert not any(c in markdown for c in BIDI_CONTROLS), ascii(markdown)


def shown_markdown(at) -> list[str]:
    """Every string an AppTest page hands to Markdown: bodies, alerts, captions, labels, help, table cells."""
    shown = [e.value for e in [*at.markdown, *at.caption, *at.error, *at.warning, *at.info, *at.success]]
    shown += [e.value for e in [*at.title, *at.header, *at.subheader]]
    widgets = [*at.text_input, *at.text_area, *at.button, *at.toggle, *at.radio, *at.expander, *at.tabs]
    shown += [w.label for w in widgets] + [w.help for w in widgets if getattr(w, "help", None)]
    for table in at.table:
        frame = table.value
        shown += [str(c) for c in frame.columns] + [str(cell) for cell in frame.to_numpy().ravel()]
    return shown


def test_code_span_survives_backticks() -> None:
    assert md_literal("a`b") == "``a`b``"
    assert md_literal("``x") == "``` ``x ```"
    assert md_literal("x`") == "`` x` ``"
    assert code_span_content(md_literal("``x")) == "``x"
    assert code_span_content(md_literal("`` ![x](http://attacker.example/p.png) `")) == (
        "`` ![x](http://attacker.example/p.png) `"
    )


def test_code_span_is_one_line_and_short() -> None:
    assert md_literal("a\nb\r\n\t c") == "`a b c`"
    assert md_literal("x" * 1000) == "`" + "x" * MAX_SHOWN_VALUE + " …`"
    assert md_literal("") == "`  `"


def test_words_that_would_link_or_draw_go_in_code_spans() -> None:
    assert md_text("![x](http://attacker.example/p.png)") == "`![x](http://attacker.example/p.png)`"
    assert md_text("mail eve@attacker.example now") == "mail `eve@attacker.example` now"
    assert md_text("see www.attacker.example, then") == "see `www.attacker.example`, then"
    assert md_text("see https://acme.example.") == "see `https://acme.example`\\."
    # Streamlit draws :material/…: icons, emoji and its logo from the parsed text, escaped or not.
    assert md_text(":material/warning: :streamlit: at 12:00:00") == "`:material/warning:` `:streamlit:` at 12\\:00\\:00"


def test_everything_else_is_escaped() -> None:
    assert md_text("<img src=x onerror=alert(1)>") == "\\<img src\\=x onerror\\=alert\\(1\\)\\>"
    assert md_text("[a](javascript:alert(1)) **b**") == "\\[a\\]\\(javascript\\:alert\\(1\\)\\) \\*\\*b\\*\\*"
    assert md_escape("# x | y ~z~ $1$") == "\\# x \\| y \\~z\\~ \\$1\\$"


def test_bidi_controls_are_removed() -> None:
    assert without_bidi(f"a{BIDI_CONTROLS}b") == "ab"
    assert md_text("invoice\u202egnp.exe") == "invoicegnp\\.exe"
    assert md_literal("\u2066x\u2069\u200e") == "`x`"
    assert md_escape("\u061cx\u200f") == "x"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_one_code_span_of_itself(text: str) -> None:
    flat = " ".join(without_bidi(text).split())
    expected = flat if len(flat) <= MAX_SHOWN_VALUE else flat[:MAX_SHOWN_VALUE] + " …"
    content = code_span_content(md_literal(text))
    # Nothing to show is a code span of spaces (CommonMark keeps an all-space span as it is).
    assert content == expected or (not expected and content == "  ")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(sorted(ACTIVE) + list("ab :/@.w\n\u202e")) | st.characters()))
def test_nothing_active_is_left_outside_code_spans(text: str) -> None:
    shown = md_text(text)
    assert not ACTIVE & set(outside_code_spans(shown)), shown
    assert "\u202e" not in shown
