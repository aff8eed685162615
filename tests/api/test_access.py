"""Every protected route: 401 without or with a wrong key, 403 for a role without the right."""

from __future__ import annotations

import pytest

from tests.api.conftest import KEYS, Stack

pytestmark = [pytest.mark.temporal]

ALL = {"case_manager", "ur_staff", "integration", "admin"}
STAFF = {"case_manager", "ur_staff", "admin"}
C = "/api/v1/cases/cnope0000"

ROUTES: list[tuple[str, str, set[str]]] = [
    ("POST", "/api/v1/cases", ALL),
    ("GET", "/api/v1/cases", ALL),
    ("POST", "/api/v1/cases/search", ALL),
    ("GET", C, ALL),
    ("GET", f"{C}/timeline", ALL),
    ("POST", f"{C}/decisions", ALL),
    ("POST", f"{C}/extensions", ALL),
    ("POST", f"{C}/supply-information", STAFF),
    ("POST", f"{C}/peer-to-peer", STAFF),
    ("POST", f"{C}/peer-to-peer/outcome", STAFF),
    ("POST", f"{C}/appeals", STAFF),
    ("POST", f"{C}/appeals/1/sign-off", STAFF),
    ("POST", f"{C}/withdraw", STAFF),
    ("POST", f"{C}/assign", STAFF),
    ("POST", f"{C}/notes", STAFF),
    ("POST", f"{C}/contacts", STAFF),
    ("POST", f"{C}/accept-denial", STAFF),
    ("GET", f"{C}/letters", ALL),
    ("GET", f"{C}/letters/abc", STAFF),
    ("POST", f"{C}/letters/preview", STAFF),
    ("GET", "/api/v1/queues/mine", STAFF),
    ("GET", "/api/v1/queues/escalations", STAFF),
    ("GET", "/api/v1/queues/overdue", STAFF),
    ("POST", "/api/v1/tasks/1/complete", STAFF),
    ("POST", "/api/v1/tasks/1/reassign", STAFF),
    ("POST", "/api/v1/deadlines/calculate", ALL),
    ("GET", "/api/v1/audit/verify", {"admin"}),
    ("GET", "/api/v1/audit/phi-reads", {"admin"}),
    ("POST", "/fhir/Claim/$submit", {"integration", "admin"}),
    ("POST", "/fhir/notifications", {"integration", "admin"}),
]


@pytest.mark.parametrize(
    ("method", "path", "allowed"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
async def test_roles(stack: Stack, method: str, path: str, allowed: set[str]) -> None:
    for headers in ({}, {"X-API-Key": "not-a-key"}):
        response = await stack.http.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (headers, response.text)
    for role, key in KEYS.items():
        response = await stack.http.request(method, path, headers={"X-API-Key": key}, json={})
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert role in response.json()["detail"]


async def test_openapi_documents_every_route(stack: Stack) -> None:
    schema = (await stack.http.get("/openapi.json")).json()
    paths = schema["paths"]
    for method, path, _ in ROUTES:
        template = path.replace("cnope0000", "{case_id}").replace("/1/", "/{appeal_number}/")
        template = template.replace("/tasks/{appeal_number}/", "/tasks/{task_id}/")
        template = template.replace("letters/abc", "letters/{letter_id}")
        assert method.lower() in paths[template], template
    assert "PayerEvent" in schema["components"]["schemas"]
    assert "/api/v1/payer-events" in paths
    assert (await stack.http.get("/docs")).status_code == 200
