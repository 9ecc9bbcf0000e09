"""The interpreter registry over the staff API, against the real test database."""

import uuid

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.integration


async def test_registering_an_interpreter_stores_it_audits_it_and_publishes_a_nameless_event(
    client, auth, lang, interpreter_body, tolken
):
    body = interpreter_body(lang, organisations={"OCMW Gent": "preferred"})
    response = await client.post(
        "/api/v1/interpreters", json=body, headers=auth("interpreter_desk", "an@agii")
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/api/v1/interpreters/{created['id']}"
    assert response.headers["etag"] == '"1"'
    assert created["certificate"]["number"] == "VR-2024-117"

    fetched = await client.get(
        f"/api/v1/interpreters/{created['id']}", headers=auth("interpreter_desk")
    )
    assert fetched.json()["organisations"] == {"OCMW Gent": "preferred"}
    assert fetched.json()["weekly"][0] == {"weekday": 0, "start": "07:00:00", "end": "20:00:00"}

    async with tolken.engine.connect() as conn:
        payload = await conn.scalar(
            text(
                "SELECT convert_from(payload, 'UTF8') FROM tolken.outbox WHERE partition_key = :k"
            ),
            {"k": created["id"]},
        )
        actions = set(
            (
                await conn.execute(
                    text("SELECT action FROM tolken.audit_log WHERE subject_id = :k"),
                    {"k": created["id"]},
                )
            ).scalars()
        )
    assert '"tier":"certified"' in payload and "Samira" not in payload
    assert actions == {"create", "read"}


async def test_a_change_needs_the_current_etag(client, auth, lang, interpreter_body):
    desk = auth("interpreter_desk")
    created = (
        await client.post("/api/v1/interpreters", json=interpreter_body(lang), headers=desk)
    ).json()
    path = f"/api/v1/interpreters/{created['id']}"
    changed = interpreter_body(
        lang,
        max_assignments_per_week=3,
        leave=[{"first_day": "2026-07-01", "last_day": "2026-07-31"}],
    )

    assert (await client.put(path, json=changed, headers=desk)).status_code == 428
    ok = await client.put(path, json=changed, headers=desk | {"If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"2"' and ok.json()["max_assignments_per_week"] == 3
    stale = await client.put(path, json=changed, headers=desk | {"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    missing = await client.put(
        f"/api/v1/interpreters/{uuid.uuid4()}", json=changed, headers=desk | {"If-Match": '"1"'}
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tier": "certified", "certificate": None}, "certificate"),
        ({"tier": "aspirant"}, "certificate"),
        ({"tier": "sworn"}, "tier"),
        ({"languages": []}, "languages"),
        ({"languages": ["nl"]}, "languages"),
        ({"languages": ["Arabic"]}, "languages.0"),
        ({"modalities": ["telepathy"]}, "modalities.0"),
        ({"latitude": 40.0}, "latitude"),
        ({"travel_range_km": -1}, "travel_range_km"),
        ({"max_assignments_per_week": -1}, "max_assignments_per_week"),
        ({"weekly": [{"weekday": 7, "start": "09:00", "end": "12:00"}]}, "weekly.0.weekday"),
        ({"weekly": [{"weekday": 1, "start": "12:00", "end": "09:00"}]}, "weekly.0.end"),
        ({"leave": [{"first_day": "2026-07-10", "last_day": "2026-07-01"}]}, "leave.0.last_day"),
        (
            {
                "exceptions": [
                    {
                        "starts_at": "2026-07-01T10:00:00",
                        "ends_at": "2026-07-01T12:00:00",
                        "available": False,
                    }
                ]
            },
            "exceptions.0.starts_at",
        ),
        ({"organisations": {"OCMW Gent": "friend"}}, "organisations.OCMW Gent"),
        (
            {
                "certificate": {
                    "number": "VR-1",
                    "valid_from": "2026-01-01",
                    "valid_until": "2025-01-01",
                }
            },
            "certificate.valid_until",
        ),
        ({"nickname": "Sam"}, "nickname"),
    ],
)
async def test_a_malformed_interpreter_is_422_naming_the_field_and_stores_nothing(
    client, auth, lang, interpreter_body, change, field, tolken
):
    response = await client.post(
        "/api/v1/interpreters",
        json=interpreter_body(lang, **change),
        headers=auth("interpreter_desk"),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}
    async with tolken.engine.connect() as conn:
        assert (
            await conn.scalar(
                text("SELECT count(*) FROM tolken.interpreters WHERE :l = ANY(languages)"),
                {"l": lang},
            )
            == 0
        )


async def test_an_account_belongs_to_one_interpreter(client, auth, lang, interpreter_body):
    desk = auth("interpreter_desk")
    account = f"{lang}@tolk"
    assert (
        await client.post(
            "/api/v1/interpreters", json=interpreter_body(lang, account=account), headers=desk
        )
    ).status_code == 201
    again = await client.post(
        "/api/v1/interpreters", json=interpreter_body(lang, account=account), headers=desk
    )
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "account"


async def test_the_list_pages_with_a_cursor_and_filters_by_language(
    client, auth, lang, add_interpreter
):
    ids = {await add_interpreter(lang) for _ in range(3)}
    desk = auth("interpreter_desk")
    first = (
        await client.get(
            "/api/v1/interpreters", params={"language": lang, "limit": 2}, headers=desk
        )
    ).json()
    second = (
        await client.get(
            "/api/v1/interpreters",
            params={"language": lang, "limit": 2, "cursor": first["next_cursor"]},
            headers=desk,
        )
    ).json()
    assert {i["id"] for i in first["items"] + second["items"]} == ids
    assert len(first["items"]) == 2 and second["next_cursor"] is None
    bad = await client.get("/api/v1/interpreters", params={"cursor": "rommel"}, headers=desk)
    assert bad.status_code == 422


@pytest.mark.parametrize("role", ["counter", "interpreter", "analyst"])
async def test_only_the_desk_manages_the_registry(client, auth, lang, interpreter_body, role):
    assert (
        await client.post("/api/v1/interpreters", json=interpreter_body(lang))
    ).status_code == 401
    response = await client.post(
        "/api/v1/interpreters", json=interpreter_body(lang), headers=auth(role)
    )
    assert response.status_code == 403
    assert (await client.get("/api/v1/interpreters", headers=auth(role))).status_code == 403


async def test_the_openapi_document_describes_staff_and_partner_routes(client):
    document = (await client.get("/openapi.json")).json()
    for path in (
        "/api/v1/interpreters",
        "/api/v1/requests/{request_id}/assignment",
        "/api/v1/offers/{offer_id}/acceptance",
        "/partners/v1/requests",
        "/api/v1/language-profiles/{person_id}",
    ):
        assert path in document["paths"], path
    assert "/tolkendesk" not in document["paths"], "pages stay out of the API document"
