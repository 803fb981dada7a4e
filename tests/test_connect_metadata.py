"""/connect's default API path, /api/domain/odata/$metadata, exists on the sandbox: an OData v4 CSDL
document, behind a bearer token with read like every API request (auth/tokens/access-tokens.md)."""

from __future__ import annotations

from dataclasses import replace
from xml.etree import ElementTree

from flowguide.client import NIGHTLY_SYNC, FlowRun
from flowguide.sandbox import Sandbox

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def _service_token(sandbox: Sandbox, scope: str) -> str:
    """nightly-sync's token for ``scope``, by the token request alone (no API call of the flow's own)."""
    run = FlowRun.for_sandbox(sandbox, "client_credentials", app=replace(NIGHTLY_SYNC, scope=scope))
    run.discover()
    assert run.client_credentials_token().error is None
    return run.service_tokens.access_token


def test_metadata_describes_the_customers() -> None:
    sandbox = Sandbox()
    token = _service_token(sandbox, "read")
    with sandbox.http_client() as http:
        answer = http.get("/api/domain/odata/$metadata", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    assert answer.headers["odata-version"] == "4.0"
    document = ElementTree.fromstring(answer.content)
    entity_set = document.find(f".//{EDM}EntitySet")
    assert entity_set is not None and entity_set.get("Name") == "Crm_Sales_Customers"
    properties = [p.get("Name") for p in document.iter(f"{EDM}Property")]
    assert properties == ["Id", "Number", "Name", "City"]


def test_metadata_needs_a_token_with_read() -> None:
    sandbox = Sandbox()
    with sandbox.http_client() as http:
        bare = http.get("/api/domain/odata/$metadata")
        update_only = _service_token(sandbox, "update")
        narrow = http.get("/api/domain/odata/$metadata", headers={"Authorization": f"Bearer {update_only}"})
    assert bare.status_code == 401 and bare.headers["www-authenticate"] == 'Bearer realm="DomainAPI"'
    assert narrow.status_code == 403 and 'error="insufficient_scope"' in narrow.headers["www-authenticate"]
