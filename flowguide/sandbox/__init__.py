"""A sandbox identity provider and API that behave like the product's identity service.

``Sandbox()`` is one isolated world: its own RSA signing key, clock, pending sign-ins, codes,
tokens and API rows. Use it in-process through ``sb.transport`` (no socket) or serve ``sb.wsgi_app``
with ``python -m flowguide.sandbox --port 8600``.

The package has Authlib's server shape: ``models`` (the client over a Trusted Application, code and
token records), ``grants/`` (one grant per module), ``authorization_server``, ``routes`` (a Flask
blueprint), ``userinfo`` (OpenID Connect Core §5.3), ``api`` (the Domain API, RFC 6750) and
``server.create_app`` wiring them. Discovery is OpenID Connect Discovery 1.0 §3.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from joserfc.jwk import RSAKey

from .reference_tokens import ReferenceTokenStore
from .registry import RegistryFile, default_registry
from .state import Clock, SandboxState

__all__ = ["IN_PROCESS_BASE_URL", "SCOPES_SUPPORTED", "Clock", "Sandbox"]

IN_PROCESS_BASE_URL = "https://sandbox.flowguide.test"
# The scopes of content/sandbox.yaml, in its order.
SCOPES_SUPPORTED = default_registry().scope_names


class Sandbox:
    """One sandbox identity service with its Domain API and all of its state."""

    def __init__(
        self,
        base_url: str = IN_PROCESS_BASE_URL,
        registry: RegistryFile | None = None,
        license_slots: int | None = None,
    ) -> None:
        from .server import create_app

        self.base_url = base_url.rstrip("/")
        self.issuer = f"{self.base_url}/id"
        self.clock = Clock()
        self.registry = registry or default_registry()
        self.state = SandboxState(self.registry, self.clock, license_slots=license_slots)
        self.reference_tokens = ReferenceTokenStore(self)
        # The product's kids are 32 upper-case hex digits (auth/tokens/access-tokens.md).
        self.kid = secrets.token_hex(16).upper()
        self.signing_key = RSAKey.generate_key(2048, parameters={"kid": self.kid, "use": "sig", "alg": "RS256"})
        self.wsgi_app = create_app(self)
        self.transport = httpx.WSGITransport(app=self.wsgi_app)

    def http_client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client wired to this sandbox in-process; redirects are left for the caller to follow."""
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("transport", self.transport)
        kwargs.setdefault("follow_redirects", False)
        return httpx.Client(**kwargs)

    def jwks(self) -> dict[str, Any]:
        """The public JSON Web Key Set served at the jwks endpoint."""
        return {"keys": [self.signing_key.as_dict(private=False)]}

    def discovery(self) -> dict[str, Any]:
        """The OpenID Provider metadata served at /id/.well-known/openid-configuration."""
        issuer = self.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/connect/authorize",
            "token_endpoint": f"{issuer}/connect/token",
            "userinfo_endpoint": f"{issuer}/connect/userinfo",
            "end_session_endpoint": f"{issuer}/connect/endsession",
            "jwks_uri": f"{issuer}/.well-known/openid-configuration/jwks",
            "scopes_supported": self.registry.scope_names,
            # auth/concepts/identity-server.md's example also lists "token" and "id_token", the implicit flow, which
            # no other page offers (auth/concepts/oauth2-overview.md) and RFC 9700 §2.1.2 retires: left out.
            "response_types_supported": ["code", "code id_token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": [
                *("sub", "auth_time", "idp", "amr", "sid", "id", "name", "email", "email_verified"),
                *("user_type", "is_admin", "db", "locale", "client_id", "scope"),
            ],
        }
