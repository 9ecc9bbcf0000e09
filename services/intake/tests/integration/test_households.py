"""Households are symmetric: one relation per pair, seen from both sides, gone with an erasure."""

import uuid

import httpx
import pytest

from intake.main import build_app

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(runtime_for):
    app = build_app(runtime_for("intake"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


async def register(client, auth, **fields) -> dict:
    body = {
        "given_name": "Noor",
        "family_name": f"Gezin-{uuid.uuid4().hex[:6]}",
        "birth_date": "1985-02-03",
        "municipality_nis": "44021",
        "languages": ["ar"],
    } | fields
    answer = await client.post("/api/v1/persons", json=body, headers=auth("counter"))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def household_of(client, auth, person_id: str) -> list[dict]:
    return (await client.get(f"/api/v1/persons/{person_id}", headers=auth("counter"))).json()[
        "household"
    ]


async def test_a_link_is_seen_from_both_sides_with_the_inverse_relation(client, auth):
    mother = await register(client, auth)
    child = await register(
        client, auth, household=[{"person_id": mother["id"], "relation": "parent"}]
    )
    assert await household_of(client, auth, mother["id"]) == [
        {"person_id": child["id"], "relation": "child"}
    ]

    # The counter corrects the relation on the mother's side: the child's side follows.
    current = await client.get(f"/api/v1/persons/{mother['id']}", headers=auth("counter"))
    corrected = await client.patch(
        f"/api/v1/persons/{mother['id']}",
        json={"household": [{"person_id": child["id"], "relation": "other"}]},
        headers=auth("counter") | {"If-Match": current.headers["etag"]},
    )
    assert corrected.status_code == 200, corrected.text
    assert await household_of(client, auth, child["id"]) == [
        {"person_id": mother["id"], "relation": "other"}
    ]

    # Taken away on one side, gone on both.
    emptied = await client.patch(
        f"/api/v1/persons/{mother['id']}",
        json={"household": []},
        headers=auth("counter") | {"If-Match": corrected.headers["etag"]},
    )
    assert emptied.status_code == 200, emptied.text
    assert await household_of(client, auth, child["id"]) == []


async def test_one_relation_per_pair(client, auth):
    other = await register(client, auth)
    answer = await client.post(
        "/api/v1/persons",
        json={
            "given_name": "Sami",
            "family_name": "Dubbel",
            "birth_date": "1984-01-01",
            "municipality_nis": "44021",
            "household": [
                {"person_id": other["id"], "relation": "partner"},
                {"person_id": other["id"], "relation": "child"},
            ],
        },
        headers=auth("counter"),
    )
    assert answer.status_code == 422, answer.text
    assert "household" in {e["field"] for e in answer.json()["errors"]}


async def test_an_erased_member_leaves_every_household(client, auth):
    partner = await register(client, auth)
    person = await register(
        client, auth, household=[{"person_id": partner["id"], "relation": "partner"}]
    )
    erased = await client.post(
        f"/api/v1/persons/{person['id']}/erasure",
        json={"reason": "verzoek"},
        headers=auth("admin", "dpo@agii"),
    )
    assert erased.status_code == 200, erased.text
    assert await household_of(client, auth, partner["id"]) == []
