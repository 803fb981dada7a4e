"""The address Authlib checks for https is werkzeug's ``request.host_url``, also when made without werkzeug."""

from __future__ import annotations

import io
import random

import pytest
from flask import Request

from flowguide.sandbox.authorization_server import host_url

_HOSTS = [
    "sandbox.flowguide.test",
    "localhost",
    "localhost:8600",
    "127.0.0.1",
    "127.0.0.1:8600",
    "[::1]:8600",
    "Sandbox.Flowguide.Test",
    "xn--bcher-kva.example",
    "b%C3%BCcher.example",
    "bücher.example",
    "host:0",
    "host:08600",
    "host:65536",
    "host:99999",
    "host:443",
    "host:80",
    "a" * 64 + ".example",
    "a" * 63 + ".example",
    "-leading.example",
    "trailing.example.",
    "under_score.example",
    "user@host.example",
    "",
    "a..b",
]


def _request(scheme: str, host: str | None) -> Request:
    environ = {
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(b""),
        "REQUEST_METHOD": "GET",
        "SERVER_NAME": "sandbox.flowguide.test",
        "SERVER_PORT": "8600",
        "PATH_INFO": "/id/connect/token",
        "QUERY_STRING": "",
    }
    if host is not None:
        environ["HTTP_HOST"] = host
    return Request(environ)


def _generated(rnd: random.Random) -> str:
    labels = ["".join(rnd.choice("abcXYZ019-_%.é") for _ in range(rnd.randint(0, 6))) for _ in range(rnd.randint(1, 3))]
    port = rnd.choice(["", ":1", ":8600", ":0", ":012", ":99999", ":"])
    return ".".join(labels) + port


@pytest.mark.parametrize("scheme", ["https", "http", "HTTPS", "ws"])
def test_host_url_is_werkzeugs_for_every_host(scheme: str) -> None:
    rnd = random.Random(scheme)
    for host in [*_HOSTS, None, *(_generated(rnd) for _ in range(400))]:
        request = _request(scheme, host)
        try:
            expected: str | type[Exception] = request.host_url
        except Exception as exc:  # werkzeug refuses some hosts; the sandbox must refuse them the same way
            expected = type(exc)
        try:
            got: str | type[Exception] = host_url(_request(scheme, host))
        except Exception as exc:
            got = type(exc)
        assert got == expected, host
