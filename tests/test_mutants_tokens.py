"""The one verifier at each boundary, with every check's verdict and sentence literal (MUTATION.md).

Each test kills mutmut survivors in flowguide/tokens/verifying.py: a time compared with <= instead
of <, a key accepted that must not be, a check that no longer fails, or a sentence the reader sees.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from joserfc import jws, jwt
from joserfc.jwk import ECKey, RSAKey

from flowguide.tokens import Check, Verification, decode, verify
from flowguide.tokens.verifying import half_hash

NOW = 1_762_185_760
ISSUER = "https://acme.my.erp.net/id"
BASE = {"iss": ISSUER, "aud": ["DomainAPI", "TableAPI"], "iat": NOW, "nbf": NOW, "exp": NOW + 3600}


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig"})


@pytest.fixture(scope="module")
def jwks(key: RSAKey) -> dict:
    return {"keys": [key.as_dict(private=False)]}


def sign(key: RSAKey, payload: dict, **header) -> str:
    head = {"alg": "RS256", "kid": "key-1", "typ": "at+jwt", **header}
    head = {k: v for k, v in head.items() if v is not None}
    if "typ" not in head:
        # jwt.encode would add typ "JWT"; a JWS leaves the header as given.
        return jws.serialize_compact(head, json.dumps(payload), key)
    return jwt.encode(head, payload, key)


def checks(result: Verification) -> dict[str, tuple[bool | None, str]]:
    return {c.name: (c.passed, c.sentence) for c in result.checks}


def b64(data: dict | str) -> str:
    raw = (json.dumps(data) if isinstance(data, dict) else data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- a good token, every sentence ------------------------------------------------------------------------


def test_a_good_access_token_every_check_and_sentence(key, jwks) -> None:
    result = verify(sign(key, BASE), jwks, ISSUER, "DomainAPI", NOW, kind="access")
    assert [(c.name, c.passed, c.sentence) for c in result.checks] == [
        ("format", True, "Three base64url parts with a JSON header and payload."),
        ("alg", True, "Signed with RS256, an algorithm this verifier accepts."),
        ("key", True, 'Found the RSA key "key-1" in the key set.'),
        ("signature", True, "The signature matches: the token is exactly as the issuer signed it."),
        ("typ", True, 'typ is "at+jwt": this is an access token (RFC 9068).'),
        ("iss", True, 'iss is "https://acme.my.erp.net/id", as expected.'),
        ("aud", True, '"DomainAPI" is among the audiences (DomainAPI, TableAPI).'),
        ("exp", True, "Not expired: 2025-11-03 17:02:40 UTC (expires in 1 h)."),
        ("nbf", True, "Already valid: 2025-11-03 16:02:40 UTC (valid from now)."),
        ("iat", True, "Issued in the past: 2025-11-03 16:02:40 UTC (just now)."),
    ]
    assert result.valid and result.failures == ()
    assert result.header == {"alg": "RS256", "kid": "key-1", "typ": "at+jwt"}
    assert result.claims == BASE


def test_without_a_moment_the_verifier_uses_the_current_time(key, jwks) -> None:
    now = datetime.now(UTC).timestamp()
    fresh = sign(key, BASE | {"iat": int(now) - 5, "nbf": int(now) - 5, "exp": int(now) + 600})
    assert verify(fresh, jwks, ISSUER, "DomainAPI", kind="access").valid
    assert not verify(sign(key, BASE), jwks, ISSUER, "DomainAPI", kind="access").valid


# --- times: RFC 7519 §4.1.4, §4.1.5, §4.1.6 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "value", "passed"),
    [
        ("exp", NOW + 1, True),
        ("exp", NOW, False),
        ("exp", NOW - 1, False),
        ("nbf", NOW, True),
        ("nbf", NOW + 1, False),
        ("nbf", NOW - 1, True),
        ("iat", NOW, True),
        ("iat", NOW + 1, False),
        ("iat", NOW - 1, True),
    ],
)
def test_each_time_is_judged_at_its_exact_second(key, jwks, claim: str, value: int, passed: bool) -> None:
    result = verify(sign(key, BASE | {claim: value}), jwks, ISSUER, "DomainAPI", NOW, kind="access")
    assert checks(result)[claim][0] is passed
    assert result.valid is passed


def test_time_sentences_say_which_way_a_time_failed(key, jwks) -> None:
    late = BASE | {"exp": NOW - 120, "nbf": NOW + 120, "iat": NOW + 120}
    seen = checks(verify(sign(key, late), jwks, ISSUER, "DomainAPI", NOW, kind="access"))
    assert seen["exp"] == (False, "Expired: 2025-11-03 16:00:40 UTC (expired 2 min ago).")
    assert seen["nbf"] == (False, "Not valid yet: 2025-11-03 16:04:40 UTC (not valid for another 2 min).")
    assert seen["iat"][0] is False and seen["iat"][1].startswith("Issued in the future: 2025-11-03 16:04:40 UTC (")


@pytest.mark.parametrize("value", ["1762189360", True, None, float("inf"), [NOW]])
def test_a_time_that_is_not_a_unix_time_fails(key, jwks, value) -> None:
    for claim in ("exp", "nbf", "iat"):
        seen = checks(verify(sign(key, BASE | {claim: value}), jwks, ISSUER, "DomainAPI", NOW, kind="access"))
        assert seen[claim] == (False, f"{claim} is not a Unix time.")


def test_a_token_without_exp_is_refused_and_without_nbf_or_iat_is_not(key, jwks) -> None:
    bare = {k: v for k, v in BASE.items() if k not in ("exp", "nbf", "iat")}
    result = verify(sign(key, bare), jwks, ISSUER, "DomainAPI", NOW, kind="access")
    seen = checks(result)
    assert seen["exp"] == (False, "The token has no exp, so it would never expire; refuse it.")
    assert "nbf" not in seen and "iat" not in seen
    assert [c.name for c in result.failures] == ["exp"]


# --- the key: RFC 7517 ------------------------------------------------------------------------------------


def test_a_key_set_without_keys_names_why(key) -> None:
    token = sign(key, BASE)
    for jwks in ({}, {"keys": []}, {"keys": "x"}, [], None):
        seen = checks(verify(token, jwks, ISSUER, "DomainAPI", NOW, kind="access"))
        assert seen["key"] == (False, 'The key set has no "keys" list, so there is nothing to verify against.')
        assert seen["signature"] == (False, "No key to check the signature.")


def test_an_unknown_kid_lists_the_kids_the_set_has(key, jwks) -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "key-2"}).as_dict(private=False)
    seen = checks(verify(sign(key, BASE, kid="key-9"), {"keys": [*jwks["keys"], other, "junk"]}, now=NOW))
    assert seen["key"] == (
        False,
        'No key with kid "key-9" in the key set (it has: key-1, key-2); the token was signed by another issuer, '
        "or the keys were rotated and the JWKS should be fetched again.",
    )
    assert checks(verify(sign(key, BASE, kid="key-9"), {"keys": ["junk"]}, now=NOW))["key"][1].startswith(
        'No key with kid "key-9" in the key set (it has: none);'
    )


def test_a_token_without_kid_uses_the_only_key_and_refuses_to_guess_among_several(key, jwks) -> None:
    token = sign(key, BASE, kid=None)
    assert checks(verify(token, jwks, now=NOW))["signature"][0] is True
    other = RSAKey.generate_key(2048).as_dict(private=False)
    seen = checks(verify(token, {"keys": [*jwks["keys"], other]}, now=NOW))
    assert seen["key"] == (False, "The token names no kid and the key set has several keys, so the key is ambiguous.")
    assert seen["signature"][0] is False
    # Entries that are not keys do not count as candidates.
    assert checks(verify(token, {"keys": [*jwks["keys"], "junk"]}, now=NOW))["signature"][0] is True


def test_a_key_of_another_type_use_or_with_private_parts_is_refused(key, jwks) -> None:
    token = sign(key, BASE)
    public = jwks["keys"][0]
    ec = ECKey.generate_key("P-256").as_dict(private=False) | {"kid": "key-1"}
    cases = {
        "EC": (
            {"keys": [ec]},
            'The matching key is of type "EC", not RSA; an RS256 signature can only be checked with an RSA public key.',
        ),
        "enc": ({"keys": [public | {"use": "enc"}]}, 'The matching key is marked for use "enc", not for signatures.'),
        "private": (
            {"keys": [key.as_dict(private=True)]},
            "The key set contains a private key; a JWKS must only publish public keys.",
        ),
        "broken": (
            {"keys": [public | {"n": "!!"}]},
            "The matching key could not be read as an RSA public key (Error).",
        ),
    }
    for name, (keys, sentence) in cases.items():
        seen = checks(verify(token, keys, now=NOW))
        assert seen["key"][0] is False, name
        assert seen["key"][1].startswith(sentence), (name, seen["key"][1])
        assert seen["signature"] == (False, "No key to check the signature."), name
    no_use = {k: v for k, v in public.items() if k != "use"}
    assert checks(verify(token, {"keys": [no_use]}, now=NOW))["signature"][0] is True


# --- the algorithm and the signature: RFC 7515, RFC 8725 §3.1 ----------------------------------------------


def _unsigned(header: dict, payload: dict) -> str:
    return f"{b64(header)}.{b64(payload)}.{b64('sig')}"


@pytest.mark.parametrize(
    ("alg", "sentence"),
    [
        ("none", 'alg is "none": the token is unsigned and must never be accepted.'),
        ("None", 'alg is "none": the token is unsigned and must never be accepted.'),
        (
            "HS256",
            "alg is HS256, a shared-secret algorithm: accepting it would let anyone holding the public key "
            "forge tokens. Only RS256 is accepted.",
        ),
        (
            "hs512",
            "alg is hs512, a shared-secret algorithm: accepting it would let anyone holding the public key "
            "forge tokens. Only RS256 is accepted.",
        ),
        ("RS512", 'alg is "RS512"; only RS256 is accepted.'),
        (None, "alg is null; only RS256 is accepted."),
    ],
)
def test_every_algorithm_but_rs256_is_refused_before_any_key_is_used(jwks, alg, sentence) -> None:
    token = _unsigned({"alg": alg, "kid": "key-1", "typ": "at+jwt"} if alg else {"kid": "key-1"}, BASE)
    result = verify(token, jwks, now=NOW)
    assert [(c.name, c.passed, c.sentence) for c in result.checks[1:3]] == [
        ("alg", False, sentence),
        ("signature", False, "The signature was not checked, because of the algorithm."),
    ]
    assert "key" not in checks(result)
    assert not result.valid


def test_a_changed_payload_fails_the_signature_but_the_key_was_found(key, jwks) -> None:
    head, _, sig = sign(key, BASE).split(".")
    forged = f"{head}.{b64(BASE | {'aud': 'Anything'})}.{sig}"
    seen = checks(verify(forged, jwks, now=NOW))
    assert seen["key"] == (True, 'Found the RSA key "key-1" in the key set.')
    assert seen["signature"] == (
        False,
        "The signature does not match: the token was changed after signing, or another key signed it.",
    )


def test_an_algorithm_list_given_by_the_caller_is_the_one_used(key, jwks) -> None:
    seen = checks(verify(sign(key, BASE), jwks, now=NOW, algorithms=("PS256",)))
    assert seen["alg"] == (False, 'alg is "RS256"; only PS256 is accepted.')


def test_not_a_jwt_is_one_failed_format_check(jwks) -> None:
    result = verify("not-a-token", jwks, now=NOW)
    assert len(result.checks) == 1 and result.checks[0].name == "format" and result.checks[0].passed is False
    assert result.header is None and result.claims is None and not result.valid


def test_valid_needs_a_verified_signature_and_no_failure() -> None:
    good = Check("signature", True, "")
    assert Verification((good, Check("iss", None, ""))).valid
    assert not Verification((Check("format", True, ""),)).valid
    assert not Verification((good, Check("exp", False, ""))).valid
    assert not Verification((Check("signature", None, ""),)).valid
    assert Verification((good, Check("exp", False, "x"))).failures == (Check("exp", False, "x"),)
    assert Check("a", True, "the sentence").detail == "the sentence"


# --- typ: RFC 9068 §2.1, RFC 8725 §3.11 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typ", "kind", "passed", "sentence"),
    [
        ("at+jwt", "access", True, 'typ is "at+jwt": this is an access token (RFC 9068).'),
        ("application/at+jwt", "access", True, 'typ is "at+jwt": this is an access token (RFC 9068).'),
        ("AT+JWT", "access", True, 'typ is "at+jwt": this is an access token (RFC 9068).'),
        ("JWT", "access", False, 'typ is "JWT", not "at+jwt": an API must not take it as an access token.'),
        (None, "access", False, 'typ is null, not "at+jwt": an API must not take it as an access token.'),
        ("JWT", "id", True, 'typ is "JWT", as expected for an ID token.'),
        ("jwt", "id", True, 'typ is "jwt", as expected for an ID token.'),
        (None, "id", True, "typ is null, as expected for an ID token."),
        ("at+jwt", "id", False, 'typ is "at+jwt", unexpected for an ID token.'),
    ],
)
def test_typ_is_judged_for_the_use_the_caller_holds_it_as(key, jwks, typ, kind, passed, sentence) -> None:
    seen = checks(verify(sign(key, BASE, typ=typ), jwks, now=NOW, kind=kind))
    assert seen["typ"] == (passed, sentence)


def test_without_a_use_the_inspector_guesses_from_the_claims(key, jwks) -> None:
    id_like = BASE | {"nonce": "n", "sub": "david"}
    assert checks(verify(sign(key, id_like, typ="JWT"), jwks, now=NOW))["typ"][0] is True
    assert checks(verify(sign(key, BASE, typ="JWT"), jwks, now=NOW))["typ"][0] is False


# --- iss, aud and the nonce -------------------------------------------------------------------------------------


def test_iss_aud_not_checked_when_none_was_expected(key, jwks) -> None:
    seen = checks(verify(sign(key, BASE), jwks, now=NOW))
    assert seen["iss"] == (None, 'Issuer not checked (none was expected); the token says "https://acme.my.erp.net/id".')
    assert seen["aud"] == (None, "Audience not checked (none was expected); the token says DomainAPI, TableAPI.")
    no_aud = {k: v for k, v in BASE.items() if k != "aud"}
    assert checks(verify(sign(key, no_aud), jwks, now=NOW))["aud"][1].endswith("the token says nothing.")


def test_iss_and_aud_that_differ_fail_with_what_was_expected(key, jwks) -> None:
    seen = checks(verify(sign(key, BASE), jwks, "https://evil.example/id", "OLAP", NOW))
    assert seen["iss"] == (False, 'iss is "https://acme.my.erp.net/id", but "https://evil.example/id" was expected.')
    assert seen["aud"] == (False, '"OLAP" is not among the audiences (DomainAPI, TableAPI).')
    missing = {k: v for k, v in BASE.items() if k not in ("iss", "aud")}
    seen = checks(verify(sign(key, missing), jwks, ISSUER, "DomainAPI", NOW))
    assert seen["iss"] == (False, 'iss is null, but "https://acme.my.erp.net/id" was expected.')
    assert seen["aud"] == (False, '"DomainAPI" is not among the audiences (nothing).')
    single = checks(verify(sign(key, BASE | {"aud": "DomainAPI"}), jwks, ISSUER, "DomainAPI", NOW))
    assert single["aud"] == (True, '"DomainAPI" is among the audiences (DomainAPI).')


@pytest.mark.parametrize(
    ("sent", "came_back", "passed", "sentence"),
    [
        ("", None, True, "No nonce was sent and none came back."),
        ("", "n-1", False, "A nonce came back that was never sent."),
        ("n-1", "n-1", True, "The nonce is the one sent with this sign-in."),
        ("n-1", "n-2", False, 'The nonce is "n-2", not the one sent: a replayed or injected ID token.'),
        ("n-1", None, False, "The nonce is null, not the one sent: a replayed or injected ID token."),
    ],
)
def test_the_nonce_sent_must_come_back_and_none_other(key, jwks, sent, came_back, passed, sentence) -> None:
    payload = BASE | ({"nonce": came_back} if came_back is not None else {})
    seen = checks(verify(sign(key, payload, typ="JWT"), jwks, now=NOW, kind="id", nonce=sent))
    assert seen["nonce"] == (passed, sentence)


def test_no_nonce_check_unless_asked(key, jwks) -> None:
    assert "nonce" not in checks(verify(sign(key, BASE | {"nonce": "x"}, typ="JWT"), jwks, now=NOW, kind="id"))


def test_the_accepted_algorithms_are_listed_when_more_than_one(key, jwks) -> None:
    token = _unsigned({"alg": "none", "kid": "key-1"}, BASE)
    seen = checks(verify(token, jwks, now=NOW, algorithms=("RS256", "PS256")))
    assert seen["alg"] == (False, 'alg is "none": the token is unsigned and must never be accepted.')
    token = _unsigned({"alg": "ES256", "kid": "key-1"}, BASE)
    seen = checks(verify(token, jwks, now=NOW, algorithms=("RS256", "PS256")))
    assert seen["alg"] == (False, 'alg is "ES256"; only RS256, PS256 is accepted.')


def test_a_token_that_does_not_decode_says_why(jwks) -> None:
    result = verify("not-a-token", jwks, now=NOW)
    assert [(c.name, c.passed, c.sentence) for c in result.checks] == [("format", False, decode("not-a-token").problem)]
    assert decode("not-a-token").problem


def test_an_id_token_from_the_authorize_endpoint_is_bound_to_its_code_and_state(key, jwks) -> None:
    # OpenID Connect Core §3.3.2.11: c_hash (required with code id_token) and s_hash (when present).
    bound = BASE | {"c_hash": half_hash("c1"), "s_hash": half_hash("s1")}
    seen = checks(verify(sign(key, bound, typ="JWT"), jwks, now=NOW, kind="id", code="c1", state="s1"))
    assert seen["c_hash"] == (True, "c_hash is the hash of the code that came with it.")
    assert seen["s_hash"] == (True, "s_hash is the hash of the state that came with it.")
    unbound = checks(verify(sign(key, BASE, typ="JWT"), jwks, now=NOW, kind="id", code="c1", state="s1"))
    assert unbound["c_hash"] == (False, "No c_hash: nothing ties this ID token to the code it came with.")
    assert unbound["s_hash"] == (None, "No s_hash in the token; the state is not bound to it.")
    other = checks(verify(sign(key, bound, typ="JWT"), jwks, now=NOW, kind="id", code="c2", state="s2"))
    assert other["c_hash"] == (False, "c_hash is not the hash of this code. The code or ID token was swapped.")
    assert other["s_hash"] == (False, "s_hash is not the hash of this state. The code or ID token was swapped.")


def test_a_code_that_is_not_ascii_is_hashed_with_replacement_not_refused(key, jwks) -> None:
    assert half_hash("cöde") == half_hash("c?de")
    token = sign(key, BASE | {"c_hash": half_hash("c?de")}, typ="JWT")
    assert checks(verify(token, jwks, now=NOW, kind="id", code="cöde"))["c_hash"][0] is True
