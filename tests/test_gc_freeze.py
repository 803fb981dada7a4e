"""The app moves what it loaded out of the cycle collector's sight once, after the first page ran."""

from __future__ import annotations

import gc

from conftest import run_page

from flowguide import streamlit_app


def test_the_first_page_run_freezes_what_is_loaded_and_later_runs_do_not_freeze_again(monkeypatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(streamlit_app, "_FROZEN", False)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(1))
    at = run_page("home")
    assert not at.exception
    at.run()
    assert calls == [1]
