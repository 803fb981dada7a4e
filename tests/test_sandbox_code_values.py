"""The sandbox's authorization codes: Authlib's shape (48 letters and digits), unpredictable and unbiased."""

from __future__ import annotations

import re
import string
from dataclasses import replace

from flowguide.client import FlowRun, run_to_end
from flowguide.client.config import default_apps
from flowguide.sandbox import Sandbox
from flowguide.sandbox.grants import base

LETTERS_AND_DIGITS = string.ascii_letters + string.digits


def test_a_code_is_48_letters_and_digits_and_never_repeats() -> None:
    codes = {base.new_authorization_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9]{48}", code) for code in codes)


def test_bytes_that_would_favour_some_letters_are_skipped(monkeypatch) -> None:
    # 256 is not a multiple of 62: a byte of 248 or more would make "a" to "h" likelier, so it is drawn again.
    draws = iter([bytes([248, 249, 255] * 21 + [250]), bytes(range(64))])
    monkeypatch.setattr(base.secrets, "token_bytes", lambda n: next(draws))
    assert base.new_authorization_code() == LETTERS_AND_DIGITS[:48]


def test_a_draw_with_too_few_usable_bytes_is_topped_up(monkeypatch) -> None:
    draws = iter([bytes([0] * 10 + [255] * 54), bytes([1] * 64)])
    monkeypatch.setattr(base.secrets, "token_bytes", lambda n: next(draws))
    assert base.new_authorization_code() == "a" * 10 + "b" * 38


def test_the_codes_a_sign_in_gets_have_that_shape() -> None:
    # Both grants that issue codes: plain code (query) and the hybrid code id_token (fragment).
    sandbox = Sandbox()
    web = default_apps()["authorization_code"]
    for app in (web, replace(web, response_type="code id_token")):
        run = run_to_end(FlowRun.for_sandbox(sandbox, "authorization_code", app=app))
        assert run[-1].error is None
        code = next(r.values["code"] for r in run if r.step == "callback")
        assert re.fullmatch(r"[A-Za-z0-9]{48}", code)
