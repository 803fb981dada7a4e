"""decode / explain / verify, against tokens signed with keys the tests make (joserfc)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from flowguide.claims import claims
from flowguide.tokens import decode, explain, token_kind, verify

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_762_185_760
ISSUER = "https://acme.my.erp.net/id"


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def service_claims(**overrides) -> dict:
    base = {
        "iss": ISSUER,
        "aud": ["DomainAPI", "TableAPI", "OLAP", "AppServer"],
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 3600,
        "jti": "1B79C24AB25E0F675DF2233CDE371244",
        "client_id": "com.example/nightly-sync",
        "client_system_user": "sync-bot",
        "client_system_user_type": "InternalUser",
        "client_db": "E1_TESTDB",
        "scope": ["read", "update"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig"})


@pytest.fixture(scope="module")
def jwks(key: RSAKey) -> dict:
    return {"keys": [key.as_dict(private=False)]}


def sign(key: RSAKey, payload: dict, **header) -> str:
    head = {"alg": "RS256", "kid": "key-1", "typ": "at+jwt", **header}
    return jwt.encode(head, payload, key)


def failed(token: str, jwks: dict, **kwargs) -> dict[str, str]:
    result = verify(token, jwks, now=kwargs.pop("now", NOW + 60), **kwargs)
    return {c.name: c.sentence for c in result.failures}


# --- decode -------------------------------------------------------------------------------------


def test_decode_reads_header_and_claims_and_strips_bearer(key):
    token = sign(key, service_claims())
    decoded = decode(f"  Bearer {token}\n")
    assert decoded.ok
    assert decoded.header == {"alg": "RS256", "kid": "key-1", "typ": "at+jwt"}
    assert decoded.payload["client_system_user"] == "sync-bot"
    assert any("Bearer" in note for note in decoded.notes)
    assert token not in repr(decoded)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("enrt_1D41D4694B4F02D3D6A31FFA07E20B73", "reference token"),
        ("2YotnFZFEjr1zCsicMWpAA", "opaque"),
        ("a.b", "three parts"),
        ("a.b.c.d.e", "encrypted"),
        ("e30.e30.e30.e30", "three parts"),
        ("eyJ!.e30.", "header is not valid base64url"),
        (f"{b64('not json')}.e30.", "header decodes, but not to JSON"),
        (f"{b64('[1, 2]')}.e30.", "header is JSON but not an object"),
        (f"e30.{b64('{bad')}.", "payload decodes, but not to JSON"),
        (f"e30.{b64(bytes([0xFF, 0xFE]))}.", "not UTF-8"),
        (f"e30.{b64('42')}.", "payload is JSON but not an object"),
        (".e30.", "header part is empty"),
    ],
)
def test_decode_names_the_problem_in_one_sentence(text, words):
    decoded = decode(text)
    assert not decoded.ok
    assert words in decoded.problem
    assert decoded.problem.count(". ") == 0 and decoded.problem.endswith(".")


# --- explain ------------------------------------------------------------------------------------


def test_explain_gives_meanings_and_times(key):
    decoded = decode(sign(key, service_claims(custom_thing=1)))
    rows = {r.name: r for r in explain(decoded, now=NOW + 600)}
    assert token_kind(decoded) == "service"
    assert rows["exp"].rendered == "2025-11-03 17:02:40 UTC (expires in 50 min)"
    assert rows["iat"].rendered.endswith("(issued 10 min ago)")
    assert rows["client_db"].known and "database" in rows["client_db"].meaning
    assert rows["scope"].rendered == "read, update"
    assert rows["alg"].part == "header" and "RS256" in rows["alg"].meaning
    assert not rows["custom_thing"].known


def test_explain_brands_meanings_and_links_docs(key):
    user = decode(sign(key, service_claims(client_system_user=None, client_db=None, sub="david", sid="S1")))
    rows = {r.name: r for r in explain(user, now=NOW)}
    assert token_kind(user) == "user"
    assert "@@name" not in rows["sid"].meaning and "ERP.net" in rows["sid"].meaning
    assert rows["sid"].docs[0][1] == "https://docs.erp.net/dev/auth/sessions/token-session-relationship.html"


def test_token_kind_detects_id_tokens(key):
    id_token = decode(sign(key, {"sub": "david", "aud": "com.example/web", "nonce": "n-1"}, typ="JWT"))
    assert token_kind(id_token) == "id"


def test_expired_time_reads_as_expired(key):
    rows = {r.name: r for r in explain(decode(sign(key, service_claims())), now=NOW + 7200)}
    assert rows["exp"].rendered.endswith("(expired 1 h ago)")


def test_every_documented_claim_is_explained(product_docs: Path):
    text = (product_docs / "auth/tokens/access-tokens.md").read_text()
    documented = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            documented |= set(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    assert len(documented) >= 25
    book = claims()
    missing = [name for name in documented if book.claim(name) is None]
    assert missing == []
    for name in ("alg", "typ", "kid"):
        assert book.header_field(name) is not None
    for name in ("nonce", "auth_time", "at_hash"):
        assert "id" in book.claim(name).tokens


def test_claims_link_to_pages_that_exist(product_docs: Path):
    book = claims()
    entries = [*book.kinds, *book.header, *book.claims]
    pages = {d.page for e in entries for d in e.docs}
    assert pages and all((product_docs / page).is_file() for page in pages), pages


# --- verify -------------------------------------------------------------------------------------


def test_good_token_passes_every_check(key, jwks):
    token = sign(key, service_claims())
    result = verify(token, jwks, issuer=ISSUER, audience="DomainAPI", now=NOW + 60)
    assert result.valid, result.failures
    names = [c.name for c in result.checks]
    assert names == ["format", "alg", "key", "signature", "typ", "iss", "aud", "exp", "nbf", "iat"]
    assert all(c.passed for c in result.checks)


def test_unchecked_issuer_and_audience_are_said_so(key, jwks):
    result = verify(sign(key, service_claims()), jwks, now=NOW + 60)
    checks = {c.name: c for c in result.checks}
    assert result.valid
    assert checks["iss"].passed is None and "not checked" in checks["iss"].sentence


def test_tampered_payload_fails_the_signature(key, jwks):
    header, _, signature = sign(key, service_claims()).split(".")
    forged = b64(json.dumps(service_claims(client_system_user="admin")))
    assert "does not match" in failed(f"{header}.{forged}.{signature}", jwks)["signature"]


def test_unknown_kid_is_reported(key, jwks):
    problems = failed(sign(key, service_claims(), kid="rotated-away"), jwks)
    assert '"rotated-away"' in problems["key"] and "key-1" in problems["key"]


def test_key_from_another_issuer_fails(jwks):
    other = RSAKey.generate_key(2048, parameters={"kid": "key-1"})
    assert "signature" in failed(sign(other, service_claims()), jwks)


def test_alg_none_is_refused(jwks):
    token = f"{b64(json.dumps({'alg': 'none', 'typ': 'at+jwt'}))}.{b64(json.dumps(service_claims()))}."
    problems = failed(token, jwks)
    assert "unsigned" in problems["alg"] and "signature" in problems


def test_hmac_signed_with_the_public_key_is_refused(key, jwks):
    # The classic confusion attack: HS256 keyed with the RSA public key the attacker can download.
    secret = key.as_pem(private=False)
    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'kid': 'key-1', 'typ': 'at+jwt'}))}."
    signing_input += b64(json.dumps(service_claims(client_system_user="admin")))
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    problems = failed(f"{signing_input}.{b64(mac)}", jwks)
    assert "shared-secret" in problems["alg"]
    assert not verify(f"{signing_input}.{b64(mac)}", jwks, now=NOW).valid


def test_expired_token_fails_exp(key, jwks):
    problems = failed(sign(key, service_claims()), jwks, now=NOW + 3601)
    assert set(problems) == {"exp"} and problems["exp"].startswith("Expired")


def test_token_not_yet_valid_fails_nbf(key, jwks):
    problems = failed(sign(key, service_claims(nbf=NOW + 600)), jwks, now=NOW + 60)
    assert set(problems) == {"nbf"} and "Not valid yet" in problems["nbf"]


def test_wrong_issuer_and_audience_fail(key, jwks):
    token = sign(key, service_claims())
    problems = failed(token, jwks, issuer="https://other.my.erp.net/id", audience="Billing")
    assert set(problems) == {"iss", "aud"}
    assert '"https://other.my.erp.net/id" was expected' in problems["iss"]


def test_id_token_verifies_with_its_own_typ(key, jwks):
    claims_ = {
        "iss": ISSUER,
        "aud": "com.example/web",
        "sub": "david",
        "nonce": "n-1",
        "auth_time": NOW,
        "iat": NOW,
        "exp": NOW + 300,
    }
    result = verify(sign(key, claims_, typ="JWT"), jwks, issuer=ISSUER, audience="com.example/web", now=NOW + 1)
    assert result.valid, result.failures
    assert any(c.name == "typ" and "ID token" in c.sentence for c in result.checks)


def test_id_token_typ_is_not_an_access_token(key, jwks):
    token = sign(key, service_claims(), typ="JWT")
    assert 'not "at+jwt"' in failed(token, jwks)["typ"]


def test_missing_exp_is_refused(key, jwks):
    assert "never expire" in failed(sign(key, service_claims(exp=None)), jwks)["exp"]


def test_jwks_without_keys_or_with_private_key(key):
    token = sign(key, service_claims())
    assert 'no "keys" list' in failed(token, {})["key"]
    assert "private key" in failed(token, {"keys": [key.as_dict(private=True)]})["key"]


# --- an ID token from the authorization endpoint (code id_token) ------------------------------------------

# OpenID Connect Core 1.0, Appendix A.4: this code's c_hash.
SPEC_CODE = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
SPEC_C_HASH = "LDktKdoQak3Pk0cnXxCltA"


def _front_channel_id_token(key: RSAKey, **claims) -> str:
    payload = {"iss": ISSUER, "aud": "com.example/web", "nonce": "n-1", "iat": NOW, "exp": NOW + 300} | claims
    return sign(key, {k: v for k, v in payload.items() if v is not None}, typ="JWT")


def _checks(token: str, jwks: dict, **kwargs) -> dict[str, bool | None]:
    result = verify(token, jwks, ISSUER, "com.example/web", NOW + 1, kind="id", nonce="n-1", **kwargs)
    return {c.name: c.passed for c in result.checks}


def test_c_hash_is_the_specs_own_example(key, jwks):
    token = _front_channel_id_token(key, c_hash=SPEC_C_HASH)
    assert _checks(token, jwks, code=SPEC_CODE)["c_hash"] is True


def test_an_id_token_for_another_code_fails_c_hash(key, jwks):
    token = _front_channel_id_token(key, c_hash=SPEC_C_HASH)
    assert _checks(token, jwks, code=SPEC_CODE + "x")["c_hash"] is False


def test_a_front_channel_id_token_without_c_hash_fails(key, jwks):
    assert _checks(_front_channel_id_token(key), jwks, code=SPEC_CODE)["c_hash"] is False


def test_s_hash_is_checked_when_present_and_not_required(key, jwks):
    from flowguide.tokens.verifying import half_hash

    good = _front_channel_id_token(key, c_hash=SPEC_C_HASH, s_hash=half_hash("state-1"))
    assert _checks(good, jwks, code=SPEC_CODE, state="state-1")["s_hash"] is True
    assert _checks(good, jwks, code=SPEC_CODE, state="state-2")["s_hash"] is False
    absent = _front_channel_id_token(key, c_hash=SPEC_C_HASH)
    assert _checks(absent, jwks, code=SPEC_CODE, state="state-1")["s_hash"] is None
    assert verify(absent, jwks, ISSUER, "com.example/web", NOW + 1, kind="id", nonce="n-1", code=SPEC_CODE).valid


def test_times_read_as_datetime_reads_them_across_its_whole_range():
    # A whole second goes through time.gmtime; the text must be datetime's, from year 1 to year 9999.
    import random
    from datetime import UTC, datetime

    from flowguide.tokens.explaining import UTC_FORMAT, utc_text

    rnd = random.Random(7)
    whole = [-62_135_596_800, -1, 0, 1, 951_782_400, 1_800_000_000, 253_402_300_799]
    whole += [rnd.randint(-62_135_596_800, 253_402_300_799) for _ in range(3000)]
    fractions = [w + rnd.choice([0.5, 0.9999996, 0.0000004, 0.25]) for w in whole[1:-1]]
    for when in [float(w) for w in whole] + fractions:
        assert utc_text(when) == datetime.fromtimestamp(when, tz=UTC).strftime(UTC_FORMAT), when
