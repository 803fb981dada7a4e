"""Sandboxes built by visitors' sessions at the same moment never compile their routes concurrently."""

from __future__ import annotations

import threading
import time

from flask import Flask

from flowguide.sandbox import Sandbox


def test_two_sessions_opening_at_once_build_their_apps_one_after_the_other(monkeypatch) -> None:
    inside = 0
    most = 0
    count = threading.Lock()
    original = Flask.register_blueprint

    def slow_register(self, blueprint, **options):
        nonlocal inside, most
        with count:
            inside += 1
            most = max(most, inside)
        time.sleep(0.05)  # widen the window in which a second thread could compile routes too
        try:
            return original(self, blueprint, **options)
        finally:
            with count:
                inside -= 1

    monkeypatch.setattr(Flask, "register_blueprint", slow_register)
    errors: list[BaseException] = []

    def open_session() -> None:
        try:
            Sandbox()
        except BaseException as error:  # noqa: BLE001 - the test reports whatever a thread met
            errors.append(error)

    threads = [threading.Thread(target=open_session) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert most == 1
