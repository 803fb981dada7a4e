"""Property-based fuzz: whatever is pasted, the inspector answers with a result or one problem."""

from __future__ import annotations

import base64
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc.jwk import RSAKey

from flowguide.tokens import decode, explain, verify

KEY = RSAKey.generate_key(2048, parameters={"kid": "fuzz"})
JWKS = {"keys": [KEY.as_dict(private=False)]}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
claim_names = st.sampled_from(["iss", "aud", "exp", "nbf", "iat", "sub", "scope", "nonce", "alg", "typ", "kid"])
json_objects = st.dictionaries(claim_names | st.text(max_size=10), json_values, max_size=8)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(b64(json.dumps(value).encode())),
        st.binary(max_size=40).map(b64),
        st.text(max_size=20),
    )


near_jwts = st.builds(
    lambda parts, glue, prefix: prefix + glue.join(parts),
    st.lists(json_objects.flatmap(segment), min_size=1, max_size=6),
    st.sampled_from([".", ".", "..", " . "]),
    st.sampled_from(["", "Bearer ", "  bearer\t", '"']),
)


def check_everything(text: str) -> None:
    decoded = decode(text)
    assert (decoded.problem is None) == decoded.ok
    if decoded.ok:
        assert isinstance(decoded.header, dict) and isinstance(decoded.payload, dict)
        rows = explain(decoded, now=1_762_185_760)
        assert len(rows) == len(decoded.header) + len(decoded.payload)
        assert all(isinstance(r.rendered, str) and r.meaning for r in rows)
    else:
        assert isinstance(decoded.problem, str) and decoded.problem.endswith(".")
        assert explain(decoded, now=0) == []
    result = verify(text, JWKS, issuer="https://acme.my.erp.net/id", audience="DomainAPI", now=1_762_185_760)
    assert result.checks and all(isinstance(c.sentence, str) and c.sentence for c in result.checks)
    # Nothing a fuzzer can build is signed by the key, so nothing may pass.
    assert not result.valid


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text):
    check_everything(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_jwts)
def test_near_jwts_never_raise(text):
    check_everything(text)


@settings(max_examples=200, deadline=None)
@given(json_objects, json_objects)
def test_well_formed_unsigned_jwts_decode_and_explain(header, payload):
    text = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}.{b64(b'sig')}"
    decoded = decode(text)
    assert decoded.ok and json.dumps(decoded.payload) == json.dumps(payload)
    check_everything(text)
