"""PKCE (RFC 7636) as the product has it: S256 only, and required of Public clients at authorize."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge


class S256CodeChallenge(CodeChallenge):
    """RFC 7636 with S256 only, and a challenge required of Public clients at the authorize step."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        payload = grant.request.payload
        if grant.request.client.app.is_public and not payload.data.get("code_challenge"):
            raise InvalidRequestError("A Public client must send code_challenge (PKCE, S256).")
        if payload.data.get("code_challenge") and payload.data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)
