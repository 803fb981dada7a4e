"""The documentation's own reference-token requests, sent byte for byte to the standalone sandbox.

auth/tokens/reference-access-tokens.md and auth/getting-started/automation.md show ``http`` blocks that call
the Domain API with an ``enrt_`` token as ``Authorization: Bearer`` or ``X-Api-Key``. Each is read from the
documentation, its ``Host`` and its example token replaced by the sandbox's and a token the sandbox really
issued, sent over a plain socket, and must reach the API's 200; then, once the token is revoked, its 401.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

from flowguide.sandbox import Sandbox
from flowguide.sandbox.reference_tokens import iso

PAGES = ("auth/tokens/reference-access-tokens.md", "auth/getting-started/automation.md")
BLOCK = re.compile(r"```http\n(.*?)```", re.S)
EXAMPLE_TOKEN = re.compile(r"enrt_[0-9A-F]{64}")


def _blocks(docs: Path) -> list[str]:
    found = []
    for page in PAGES:
        found += [b for b in BLOCK.findall((docs / page).read_text(encoding="utf-8")) if "enrt_" in b]
    return found


def _send(served: Sandbox, block: str, token: str) -> tuple[int, str, str]:
    host = served.base_url.removeprefix("http://")
    lines = [re.sub(r"^Host: .*$", f"Host: {host}", line) for line in block.strip().splitlines()]
    raw = "\r\n".join(EXAMPLE_TOKEN.sub(token, line) for line in lines) + "\r\nConnection: close\r\n\r\n"
    address, port = host.rsplit(":", 1)
    with socket.create_connection((address, int(port)), timeout=10) as conn:
        conn.sendall(raw.encode("ascii"))
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.decode("utf-8").partition("\r\n\r\n")
    return int(head.split()[1]), head, body


def test_the_documentations_requests_reach_the_api_then_meet_the_revocation(served: Sandbox, product_docs) -> None:
    blocks = _blocks(product_docs)
    assert len(blocks) >= 4, "Authorization and X-Api-Key, on both pages"
    assert {h for b in blocks for h in ("Authorization: Bearer", "X-Api-Key") if h in b} == {
        "Authorization: Bearer",
        "X-Api-Key",
    }
    form = {"scope": "read", "expiration_time": iso(served.clock.now() + 86400)}
    issued = served.http_client().post(
        "/instance-manager/security/trusted-apps/com.example/nightly-sync/tokens", auth=("anna", "demo"), data=form
    )
    # The in-process client reaches the same sandbox object the socket serves.
    token = issued.json()["token"]
    for block in blocks:
        status, _, body = _send(served, block, token)
        assert status == 200 and json.loads(body)["value"], block
    served.reference_tokens.revoke(
        issued.json()["id"], served.reference_tokens.of_application("com.example/nightly-sync"), "anna"
    )
    for block in blocks:
        status, head, _ = _send(served, block, token)
        assert status == 401 and 'error="invalid_token"' in head
