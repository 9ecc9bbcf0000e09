"""Organisations (KBO) and candidacies, published for trajecten."""

import uuid

import httpx
import pytest
from sqlalchemy import text

from intake.domain.kbo import make_enterprise_number
from intake.main import build_app

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(runtime_for):
    app = build_app(runtime_for("intake"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


def organisation(**overrides) -> dict:
    number = make_enterprise_number(uuid.uuid4().int % 19_999_999)
    values = {
        "enterprise_number": f"BE {number[:4]}.{number[4:7]}.{number[7:]}",
        "name": "WZC De Linde",
        "organisation_type": "care_and_welfare",
        "staff_size": 45,
        "municipality_nis": "12025",
    }
    return values | overrides


async def test_an_organisation_and_its_candidacy_are_registered_and_published(
    client, auth, runtime_for
):
    created = await client.post(
        "/api/v1/organisations", json=organisation(), headers=auth("counter")
    )
    assert created.status_code == 201, created.text
    org = created.json()
    assert len(org["enterprise_number"]) == 10

    again = await client.post(
        "/api/v1/organisations",
        json=organisation(enterprise_number=org["enterprise_number"]),
        headers=auth("counter"),
    )
    assert again.status_code == 409
    assert again.json()["existing_organisation"] == f"/api/v1/organisations/{org['id']}"

    candidacy = await client.post(
        "/api/v1/candidacies",
        json={
            "organisation_id": org["id"],
            "kind": "custom_training",
            "theme": "Meertaligheid",
            "participant_roles": ["manager", "diversity_officer"],
            "motivation": "Onze cliënten worden diverser; we willen een beleid uitbouwen.",
        },
        headers=auth("counter"),
    )
    assert candidacy.status_code == 201, candidacy.text
    # A custom training answers no call: nothing for trajecten to decide, and intake decides
    # nothing itself.
    assert candidacy.json()["eligibility"]["eligible"] is None

    async with runtime_for("intake").engine.connect() as conn:
        topics = (
            (
                await conn.execute(
                    text(
                        "SELECT topic FROM intake.outbox "
                        "WHERE partition_key IN (:o, :c) ORDER BY id"
                    ),
                    {"o": org["id"], "c": candidacy.json()["id"]},
                )
            )
            .scalars()
            .all()
        )
    assert topics == ["intake.organisations", "intake.candidacies"]


async def test_a_candidacy_for_a_call_needs_the_call_and_trajecten_to_decide(
    client, auth, runtime_for
):
    """Intake has no eligibility rule of its own: without a call it is refused naming call_id;
    with one but no trajecten to ask (not configured here), 503 and nothing is stored."""
    org = (
        await client.post("/api/v1/organisations", json=organisation(), headers=auth("counter"))
    ).json()
    body = {
        "organisation_id": org["id"],
        "kind": "learning_and_coaching",
        "participant_roles": ["manager"],
        "motivation": "graag",
    }
    without_call = await client.post("/api/v1/candidacies", json=body, headers=auth("counter"))
    assert without_call.status_code == 422, without_call.text
    assert [e["field"] for e in without_call.json()["errors"]] == ["call_id"]
    unanswered = await client.post(
        "/api/v1/candidacies",
        json=body | {"call_id": str(uuid.uuid4())},
        headers=auth("counter"),
    )
    assert unanswered.status_code == 503, unanswered.text
    assert unanswered.headers["content-type"] == "application/problem+json"
    assert unanswered.headers["retry-after"] == "30"
    listed = await client.get(
        f"/api/v1/organisations/{org['id']}/candidacies", headers=auth("counter")
    )
    assert listed.json() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"enterprise_number": "0403.170.702"}, "enterprise_number"),
        ({"enterprise_number": "12"}, "enterprise_number"),
        ({"staff_size": -1}, "staff_size"),
        ({"staff_size": "ten"}, "staff_size"),
        ({"organisation_type": "club"}, "organisation_type"),
        ({"name": "x" * 301}, "name"),
        ({"municipality_nis": "11056"}, "municipality_nis"),
        ({"vat": "yes"}, "vat"),
    ],
)
async def test_invalid_organisations_are_422_naming_the_field(client, auth, change, field):
    response = await client.post(
        "/api/v1/organisations", json=organisation(**change), headers=auth("counter")
    )
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "custom_training"}, "theme"),
        ({"organisation_id": str(uuid.uuid4())}, "organisation_id"),
        ({"participant_roles": []}, "participant_roles"),
        ({"participant_roles": ["ceo"]}, "participant_roles.0"),
        ({"motivation": "x" * 5001}, "motivation"),
    ],
)
async def test_invalid_candidacies_are_422_naming_the_field(client, auth, body, field):
    org = (
        await client.post("/api/v1/organisations", json=organisation(), headers=auth("counter"))
    ).json()
    base = {
        "organisation_id": org["id"],
        "kind": "learning_and_coaching",
        "call_id": str(uuid.uuid4()),
        "participant_roles": ["manager"],
        "motivation": "graag",
    }
    response = await client.post("/api/v1/candidacies", json=base | body, headers=auth("counter"))
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}


async def test_organisations_are_listed_searched_and_show_their_candidacies(client, auth):
    marker = uuid.uuid4().hex[:8]
    created = []
    for name in (f"Zorg {marker} B", f"Zorg {marker} A", f"Zorg {marker} C"):
        response = await client.post(
            "/api/v1/organisations", json=organisation(name=name), headers=auth("counter")
        )
        created.append(response.json())
    first = await client.get(
        "/api/v1/organisations", params={"q": marker, "limit": 2}, headers=auth("counsellor")
    )
    assert first.status_code == 200, first.text
    assert [o["name"][-1] for o in first.json()["items"]] == ["A", "B"]
    rest = await client.get(
        "/api/v1/organisations",
        params={"q": marker, "limit": 2, "cursor": first.json()["next_cursor"]},
        headers=auth("counsellor"),
    )
    assert [o["name"][-1] for o in rest.json()["items"]] == ["C"]
    assert rest.json()["next_cursor"] is None

    number = created[2]["enterprise_number"]
    by_number = await client.get(
        "/api/v1/organisations",
        params={"q": f"{number[:4]}.{number[4:7]}"},
        headers=auth("counter"),
    )
    assert created[2]["id"] in {o["id"] for o in by_number.json()["items"]}

    org_id = created[0]["id"]
    assert (
        await client.get(f"/api/v1/organisations/{org_id}/candidacies", headers=auth("counter"))
    ).json() == []
    for theme in ("Taal", "Meertaligheid"):
        submitted = await client.post(
            "/api/v1/candidacies",
            json={
                "organisation_id": org_id,
                "kind": "custom_training",
                "participant_roles": ["manager"],
                "motivation": "graag",
                "theme": theme,
            },
            headers=auth("counter"),
        )
        assert submitted.status_code == 201, submitted.text
    listed = await client.get(
        f"/api/v1/organisations/{org_id}/candidacies", headers=auth("counsellor")
    )
    assert [c["theme"] for c in listed.json()] == ["Meertaligheid", "Taal"]

    unknown = await client.get(
        f"/api/v1/organisations/{uuid.uuid4()}/candidacies", headers=auth("counter")
    )
    assert unknown.status_code == 404
    bad_cursor = await client.get(
        "/api/v1/organisations", params={"cursor": "bm9wZQ"}, headers=auth("counter")
    )
    assert bad_cursor.status_code == 422
    refused = await client.get("/api/v1/organisations", headers=auth("analyst"))
    assert refused.status_code == 403
