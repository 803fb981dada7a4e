"""The sandbox's Flask app remembers which views and hooks are plain functions, and nothing else."""

from __future__ import annotations

import pytest

from flowguide.sandbox import Sandbox
from flowguide.sandbox.server import _SandboxFlask


def test_a_plain_function_is_asked_about_once_and_returned_as_itself() -> None:
    app = _SandboxFlask("test")

    def view() -> str:
        return "ok"

    assert app.ensure_sync(view) is view and view in app._plain
    assert app.ensure_sync(view) is view


def test_a_coroutine_function_is_never_remembered_as_plain() -> None:
    class App(_SandboxFlask):
        def async_to_sync(self, func):  # what Flask's async extra does, without needing it installed
            return lambda *args, **kwargs: "ran"

    app = App("test")

    async def view() -> str:
        return "ok"

    for _ in range(2):
        wrapped = app.ensure_sync(view)
        assert wrapped is not view and wrapped() == "ran"
    assert view not in app._plain


def test_an_unhashable_callable_is_asked_about_each_time() -> None:
    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

        def __call__(self) -> str:
            return "ok"

    app = _SandboxFlask("test")
    view = Unhashable()
    assert app.ensure_sync(view) is view and not app._plain


@pytest.mark.parametrize("path", ["/id/.well-known/openid-configuration", "/api/domain/odata/Crm_Sales_Customers"])
def test_the_sandbox_answers_through_it(path: str) -> None:
    sandbox = Sandbox()
    assert isinstance(sandbox.wsgi_app, _SandboxFlask)
    assert sandbox.http_client().get(path).status_code in (200, 401)
    assert sandbox.wsgi_app._plain
