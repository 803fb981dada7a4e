"""PKCE (RFC 7636) as the product has it: S256 only, and required of Public clients at authorize.

A verifier that does not hash to the challenge is ``invalid_grant`` (RFC 7636 §4.6) with the message
of ``auth/flows/auth-code/interactive-apps-errors.md``: "PKCE verification failed".
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge

from ..errors import PKCE_VERIFICATION_FAILED, documented


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

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        try:
            super().validate_code_verifier(grant, result)
        except InvalidGrantError as error:
            error.description = documented(
                PKCE_VERIFICATION_FAILED,
                "The code_verifier does not hash (S256) to the code_challenge sent to the authorize endpoint.",
            )
            raise
