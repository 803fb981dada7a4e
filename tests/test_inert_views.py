"""The simulator's shared error views show an error code, its description and a sign-in page's alert as text."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_inert_markdown import assert_inert, shown_markdown


def errors_script() -> None:
    from flowguide.client import StepError
    from flowguide.pages.exchange_view import error_view, sign_in_page

    code = "inv`alid![e](http://attacker.example/e.png)"
    said = "<img src=http://attacker.example/d.png> [d](http://attacker.example/d)"
    error_view(StepError(code, said, 400), None)
    error_view(StepError(code, said, 401, expected=True), None)
    error_view(StepError("sign_in_failed", "![a](http://attacker.example/alert.png) \u202ewrong", 200), None)
    sign_in_page("com.example/portal", key="page", on_submit=lambda: None, problem="[a](http://attacker.example/a)")


def test_error_views_show_outside_text_as_text() -> None:
    at = AppTest.from_function(errors_script, default_timeout=60).run()
    assert not at.exception
    said = "\\<img `src=http://attacker.example/d.png>` `[d](http://attacker.example/d)`"
    assert [e.value for e in at.error] == [
        f"HTTP 400 · ``inv`alid![e](http://attacker.example/e.png)``: {said}",
        "The identity service showed its sign-in page again: `![a](http://attacker.example/alert.png)` wrong "
        "Try again below (David's password is `demo`).",
        "`[a](http://attacker.example/a)`",
    ]
    assert [i.value for i in at.info] == [
        f"Refused, as this step sets out to show: HTTP 401 · ``inv`alid![e](http://attacker.example/e.png)``: {said}"
    ]
    for text in shown_markdown(at):
        assert_inert(text)
