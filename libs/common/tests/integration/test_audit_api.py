"""Admins query a service's audit log; nobody else can, and reading it is audited too."""

import uuid

import httpx
import pytest

from civic_common.api.app import create_app
from civic_common.auth.principal import Principal

pytestmark = pytest.mark.integration


@pytest.fixture
async def logged(runtime_for):
    runtime = runtime_for("intake")
    person = str(uuid.uuid4())
    counter = Principal("an@agii", frozenset({"counter"}), organisation="agii")
    async with runtime.uow() as work:
        for action in ("create", "read", "read"):
            await work.audit(counter, action, "person", person, "intake")
        await work.commit()
    app = create_app(runtime, title="audit", routers=[])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        yield http, person


async def test_an_admin_pages_through_what_happened_to_a_persons_data(logged, auth):
    http, person = logged
    admin = auth("admin", "root@agii")
    first = await http.get(
        "/api/v1/audit", params={"subject_id": person, "limit": 2}, headers=admin
    )
    assert first.status_code == 200
    body = first.json()
    assert [e["action"] for e in body["items"]] == ["read", "read"]  # newest first
    assert body["items"][0]["actor"] == "an@agii"

    rest = await http.get(
        "/api/v1/audit",
        params={"subject_id": person, "limit": 2, "cursor": body["next_cursor"]},
        headers=admin,
    )
    assert [e["action"] for e in rest.json()["items"]] == ["create"]
    assert rest.json()["next_cursor"] is None

    looked = await http.get("/api/v1/audit", params={"actor": "root@agii"}, headers=admin)
    assert {e["subject_type"] for e in looked.json()["items"]} == {"audit_log"}


async def test_only_admins_read_the_audit_log(logged, auth):
    http, _ = logged
    assert (await http.get("/api/v1/audit")).status_code == 401
    assert (await http.get("/api/v1/audit", headers=auth("counter"))).status_code == 403
    bad = await http.get("/api/v1/audit", params={"cursor": "%%%"}, headers=auth("admin"))
    assert bad.status_code == 422
