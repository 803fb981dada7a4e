"""Print how long full in-process flows take against the sandbox, beside the cost of their cryptography.

    python scripts/bench_sandbox.py [runs] [--wall]

Authorization Code + PKCE (authorize, sign-in, consent, token, one API call) signs two JWTs (access
and ID token) and verifies one; Client Credentials (token, one API call) signs one and verifies one.
Times are the thread's CPU time (``--wall`` for the wall clock), as in bench_engine.py. Each run's
API call opens a session that holds one of the instance's licence slots; the slot is freed after each
run, outside the timing, as a sign-out would.
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt

# The checkout this script is in, not whichever flowguide the environment has installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flowguide.sandbox import Sandbox  # noqa: E402

# What every figure is read from (main() may switch it to the wall clock).
clock: Callable[[], float] = time.thread_time

CALLBACK = "http://localhost:8501/callback"


def authorization_code_run(sb: Sandbox) -> None:
    client = sb.http_client()
    verifier = secrets.token_urlsafe(48)
    page = client.get(
        "/id/connect/authorize",
        params={
            "client_id": "com.example/web-portal",
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "openid profile read",
            "state": "s1",
            "nonce": secrets.token_urlsafe(8),  # a nonce seen before is refused as a replay
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        },
    )
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    client.post("/id/account/login", data={"request_id": request_id, "username": "david", "password": "demo"})
    back = client.post("/id/connect/consent", data={"request_id": request_id, "decision": "allow"})
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    tokens = client.post(
        "/id/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
            "client_id": "com.example/web-portal",
            "client_secret": "web-portal-secret",
        },
    ).json()
    api = client.get(
        "/api/domain/odata/Crm_Sales_Customers", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert api.status_code == 200


def client_credentials_run(sb: Sandbox) -> None:
    client = sb.http_client()
    tokens = client.post(
        "/id/connect/token",
        data={"grant_type": "client_credentials"},
        auth=("com.example/nightly-sync", "nightly-sync-secret"),
    ).json()
    api = client.get(
        "/api/domain/odata/Crm_Sales_Customers", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert api.status_code == 200


def crypto_only(sb: Sandbox, signs: int, verifies: int) -> None:
    claims = {"iss": sb.issuer, "sub": "david", "scope": ["read"], "jti": secrets.token_hex(16)}
    token = ""
    for _ in range(signs):
        token = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": sb.kid}, claims, sb.signing_key, ["RS256"])
    for _ in range(verifies):
        jwt.decode(token, sb.signing_key, algorithms=["RS256"])


def free_slots(sb: Sandbox) -> None:
    """End every open session, freeing its licence slot (untimed: the next run must not meet a full instance)."""
    for session in sb.state.sessions.open_sessions():
        sb.state.sessions.end_sign_in(session.key)


def median_ms(action: Callable[[], None], runs: int, after: Callable[[], None] = lambda: None) -> float:
    action()  # warm-up
    after()
    times = []
    for _ in range(runs):
        start = clock()
        action()
        times.append(clock() - start)
        after()
    return statistics.median(times) * 1000


def main() -> None:
    global clock
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=200)
    parser.add_argument("--wall", action="store_true", help="time with the wall clock, not the thread's CPU time")
    args = parser.parse_args()
    if args.wall:
        clock = time.perf_counter
    sb = Sandbox()
    print(f"{args.runs} runs each, in-process sandbox, medians of {'wall' if args.wall else 'CPU'} time")
    for name, run, signs, verifies in (
        ("authorization_code + PKCE", authorization_code_run, 2, 1),
        ("client_credentials", client_credentials_run, 1, 1),
    ):
        whole = median_ms(lambda run=run: run(sb), args.runs, after=lambda: free_slots(sb))
        crypto = median_ms(lambda s=signs, v=verifies: crypto_only(sb, s, v), args.runs)
        print(f"{name:28} median {whole:7.2f} ms   crypto {crypto:6.2f} ms   ratio {whole / crypto:4.1f}x")


if __name__ == "__main__":
    main()
