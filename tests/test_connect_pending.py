"""Sign-ins waiting for their answer (flowguide.pending): taken once, for a few minutes, a bounded number,
by the browser that started them."""

from __future__ import annotations

import binascii
import os

from flowguide.pending import MAX_PENDING, PENDING_LIFETIME, PendingSignIn, PendingSignIns, Taken, browser_binding


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _entry(name: str = "run", browser: str = "") -> PendingSignIn:
    return PendingSignIn(run=name, provider="provider", browser=browser)


def test_an_answer_is_used_once() -> None:
    store = PendingSignIns()
    store.put("state-1", _entry())
    assert store.peek("state-1") is not None and len(store) == 1  # peeking leaves it waiting
    taken, entry = store.take("state-1")
    assert taken is Taken.FOUND and entry is not None and entry.run == "run"
    assert store.take("state-1") == (Taken.UNKNOWN, None)


def test_a_sign_in_waits_a_few_minutes_only() -> None:
    clock = Clock()
    store = PendingSignIns(clock=clock)
    store.put("state-1", _entry())
    clock.now += PENDING_LIFETIME - 1
    assert store.peek("state-1") is not None
    clock.now += 1
    assert store.take("state-1") == (Taken.UNKNOWN, None)
    assert len(store) == 0
    assert 60 <= PENDING_LIFETIME <= 900


def test_the_store_is_bounded_and_drops_the_oldest() -> None:
    store = PendingSignIns(capacity=3)
    for i in range(5):
        store.put(f"state-{i}", _entry(f"run-{i}"))
    assert len(store) == 3
    assert store.take("state-0") == (Taken.UNKNOWN, None) and store.take("state-1") == (Taken.UNKNOWN, None)
    assert store.take("state-4")[1].run == "run-4"
    assert 0 < MAX_PENDING <= 1000


def test_an_answer_from_another_browser_is_refused_and_spends_the_sign_in() -> None:
    store = PendingSignIns()
    store.put("state-1", _entry(browser=browser_binding("cookie-of-the-starting-browser")))
    assert store.take("state-1", browser_binding("someone-elses-cookie")) == (Taken.OTHER_BROWSER, None)
    # Carried (or leaked) once, it is spent: the starting browser cannot use it either.
    assert store.take("state-1", browser_binding("cookie-of-the-starting-browser")) == (Taken.UNKNOWN, None)
    store.put("state-2", _entry(browser=browser_binding("cookie-of-the-starting-browser")))
    assert store.take("state-2", browser_binding("cookie-of-the-starting-browser"))[0] is Taken.FOUND


def test_nothing_is_kept_for_an_empty_state() -> None:
    store = PendingSignIns()
    store.put("", _entry())
    assert len(store) == 0 and store.take("") == (Taken.UNKNOWN, None)


def _masked_cookie(token: bytes) -> str:
    """Streamlit's XSRF cookie: the same token under a new mask on each page load."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
    return f"2|{binascii.b2a_hex(mask).decode()}|{binascii.b2a_hex(masked).decode()}|1796140000"


def test_the_browser_binding_sees_through_the_cookies_mask() -> None:
    token = os.urandom(16)
    first, second = _masked_cookie(token), _masked_cookie(token)
    assert first != second
    assert browser_binding(first) == browser_binding(second) != ""
    assert browser_binding(_masked_cookie(os.urandom(16))) != browser_binding(first)
    # A digest, never the cookie itself.
    assert token.hex() not in browser_binding(first) and first not in browser_binding(first)
    assert browser_binding(None) == "" and browser_binding("") == "" and browser_binding(object()) == ""
    assert browser_binding("2|zz|zz|1") == browser_binding("2|zz|zz|1") != ""
