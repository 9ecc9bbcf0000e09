"""Persons through their life at the counter: duplicates, corrections, history, search, erasure."""

import asyncio
import random
import uuid
from datetime import date

import httpx
import pytest
from sqlalchemy import text

from intake.domain.insz import make_insz
from intake.main import build_app

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(runtime_for):
    app = build_app(runtime_for("intake"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


# Even sequence numbers (women) for the one birth date the tests share, each drawn once per run:
# two tests drawing the same INSZ would meet the duplicate refusal instead of what they test.
_SEQUENCES = iter(random.sample(range(2, 999, 2), 499))


def newcomer(**overrides) -> dict:
    # A unique family name per test keeps tests independent on the shared database.
    family = f"Haddad-{uuid.uuid4().hex[:8]}"
    birth = date(1990, 4, 2)
    values = {
        "insz": make_insz(birth, next(_SEQUENCES)),
        "given_name": "Amina",
        "family_name": family,
        "birth_date": birth.isoformat(),
        "sex": "female",
        "nationality": "SY",
        "municipality_nis": "44021",
        "street": "Sleepstraat",
        "house_number": "12",
        "postal_code": "9000",
        "languages": ["ar"],
        "contact_language": "ar",
        "residence_category": "recognised_refugee",
        "education": "upper_secondary",
        "literacy": "literate_other_script",
        "dutch_level": "A1",
        "interpreter_language": "ar",
        "needs_childcare": True,
        "consent_data_sharing": True,
        "legal_basis": "legal_obligation",
    }
    return values | overrides


async def register(client, auth, **overrides) -> httpx.Response:
    return await client.post("/api/v1/persons", json=newcomer(**overrides), headers=auth("counter"))


async def test_a_full_registration_derives_the_target_group_with_its_reason(client, auth):
    response = await register(client, auth)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["target_group"] == "obligated"
    assert "18 tot 65" in body["target_group_reason"]
    assert body["target_group_rules_version"] == "2025-01"
    assert response.headers["etag"] == '"1"'


async def test_the_same_insz_twice_is_refused_with_a_link_to_the_person(client, auth):
    first = await register(client, auth)
    again = await register(client, auth, insz=first.json()["insz"], family_name="Other")
    assert again.status_code == 409
    assert again.json()["existing_person"] == f"/api/v1/persons/{first.json()['id']}"
    assert again.headers["location"] == again.json()["existing_person"]


async def test_two_desks_registering_the_same_insz_at_once_make_one_person(client, auth):
    body = newcomer()
    answers = await asyncio.gather(
        *(client.post("/api/v1/persons", json=body, headers=auth("counter")) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    [created] = [a.json() for a in answers if a.status_code == 201]
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["existing_person"] == f"/api/v1/persons/{created['id']}"


async def test_a_near_duplicate_without_insz_is_shown_before_saving_until_the_counter_confirms(
    client, auth
):
    first = (await register(client, auth, insz=None)).json()
    second = await register(client, auth, insz=None, family_name=first["family_name"])
    assert second.status_code == 409, "nothing saved: the counter is shown the candidate first"
    assert [c["id"] for c in second.json()["candidates"]] == [first["id"]]

    confirmed = await register(
        client, auth, insz=None, family_name=first["family_name"], confirm_new_person=True
    )
    assert confirmed.status_code == 201
    assert confirmed.json()["possible_duplicates"] == [], "already confirmed someone else"


async def test_a_correction_needs_the_current_version_and_lands_in_the_history(client, auth):
    person = (await register(client, auth)).json()
    url = f"/api/v1/persons/{person['id']}"
    change = {"dutch_level": "A2", "municipality_nis": "21004"}

    missing = await client.patch(url, json=change, headers=auth("counter"))
    assert missing.status_code == 428

    ok = await client.patch(
        url, json=change, headers=auth("counter", "lien@agii") | {"If-Match": '"1"'}
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"2"'
    assert ok.json()["target_group"] == "entitled", "moving to Brussels changes the target group"

    stale = await client.patch(
        url, json={"dutch_level": "B1"}, headers=auth("counter") | {"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert (await client.get(url, headers=auth("counter"))).json()["dutch_level"] == "A2"

    history = (await client.get(f"{url}/history", headers=auth("counsellor"))).json()
    assert [entry["action"] for entry in history] == ["registered", "corrected"]
    corrected = history[1]
    assert corrected["changed_by"] == "lien@agii"
    assert {"field": "dutch_level", "old": "A1", "new": "A2"} in corrected["changes"]
    assert {"field": "municipality_nis", "old": "44021", "new": "21004"} in corrected["changes"]


async def test_a_correction_that_contradicts_the_insz_is_refused_and_changes_nothing(client, auth):
    person = (await register(client, auth)).json()
    url = f"/api/v1/persons/{person['id']}"
    response = await client.patch(
        url, json={"birth_date": "1991-04-02"}, headers=auth("counter") | {"If-Match": '"1"'}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "birth_date"
    current = await client.get(url, headers=auth("counter"))
    assert current.headers["etag"] == '"1"'


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"insz": "85073003329"}, "insz"),
        ({"insz": make_insz(date(1990, 4, 3), 2)}, "birth_date"),
        ({"insz": make_insz(date(1990, 4, 2), 3)}, "sex"),
        ({"municipality_nis": "11007"}, "municipality_nis"),
        ({"municipality_nis": "99999"}, "municipality_nis"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"nationality": "XX"}, "nationality"),
        ({"nationality": "syria"}, "nationality"),
        ({"languages": ["zz"]}, "languages"),
        ({"street": "x" * 201}, "street"),
        ({"postal_code": "90000"}, "postal_code"),
        ({"residence_category": "tourist"}, "residence_category"),
        ({"dutch_level": "A3"}, "dutch_level"),
        ({"needs_childcare": "yes"}, "needs_childcare"),
        ({"household": [{"person_id": "nope", "relation": "child"}]}, "household.0.person_id"),
        ({"given_name": 42}, "given_name"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
async def test_each_invalid_field_is_422_naming_it(client, auth, change, field):
    response = await register(client, auth, **change)
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}


async def test_household_links_point_at_registered_people(client, auth):
    partner = (await register(client, auth)).json()
    linked = await register(
        client, auth, household=[{"person_id": partner["id"], "relation": "partner"}]
    )
    assert linked.status_code == 201, linked.text
    assert linked.json()["household"] == [{"person_id": partner["id"], "relation": "partner"}]
    stranger = await register(
        client, auth, household=[{"person_id": str(uuid.uuid4()), "relation": "child"}]
    )
    assert stranger.status_code == 422
    assert stranger.json()["errors"][0]["field"] == "household"


async def test_search_by_name_birth_date_municipality_and_insz_with_cursor_paging(client, auth):
    family = f"Zoek-{uuid.uuid4().hex[:6]}"
    ids = []
    for given in ("Ali", "Bahar", "Cem"):
        created = await register(
            client, auth, given_name=given, family_name=family, insz=None, confirm_new_person=True
        )
        ids.append(created.json()["id"])
    seen, cursor = [], None
    while True:
        params = {"name": family, "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/v1/persons", params=params, headers=auth("counter"))).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids

    narrowed = await client.get(
        "/api/v1/persons",
        params={"name": f"cem {family}", "birth_date": "1990-04-02", "municipality_nis": "44021"},
        headers=auth("counter"),
    )
    assert [item["id"] for item in narrowed.json()["items"]] == [ids[2]]

    with_insz = (await register(client, auth)).json()
    dotted = with_insz["insz"][:2] + "." + with_insz["insz"][2:]
    by_insz = await client.get("/api/v1/persons", params={"insz": dotted}, headers=auth("counter"))
    assert [item["id"] for item in by_insz.json()["items"]] == [with_insz["id"]]

    nothing = await client.get("/api/v1/persons", headers=auth("counter"))
    assert nothing.status_code == 422
    bad = await client.get(
        "/api/v1/persons", params={"name": "xx", "cursor": "!!"}, headers=auth("counter")
    )
    assert bad.status_code == 422


async def test_erasure_removes_personal_data_everywhere_and_tells_the_other_services(
    client, auth, runtime_for
):
    headers = auth("counter") | {"Idempotency-Key": str(uuid.uuid4())}
    person = (await client.post("/api/v1/persons", json=newcomer(), headers=headers)).json()
    url = f"/api/v1/persons/{person['id']}"
    await client.patch(
        url, json={"street": "Kortrijksesteenweg"}, headers=auth("counter") | {"If-Match": '"1"'}
    )

    erased = await client.post(
        f"{url}/erasure", json={"reason": "verzoek art. 17"}, headers=auth("counter")
    )
    assert erased.status_code == 200
    assert (await client.get(url, headers=auth("counter"))).status_code == 410
    again = await client.post(
        f"{url}/erasure", json={"reason": "nog eens"}, headers=auth("counter")
    )
    assert again.status_code == 410

    async with runtime_for("intake").engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    text("SELECT * FROM intake.persons WHERE id = :id"), {"id": person["id"]}
                )
            )
            .mappings()
            .one()
        )
        history = await conn.scalar(
            text(
                "SELECT string_agg(changes::text, ' ') FROM intake.person_history "
                "WHERE person_id = :id"
            ),
            {"id": person["id"]},
        )
        stored = await conn.scalar(
            text(
                "SELECT count(*) FROM intake.idempotency_keys "
                "WHERE position(convert_to(:id, 'UTF8') in body) > 0"
            ),
            {"id": person["id"]},
        )
        events = (
            (
                await conn.execute(
                    text(
                        "SELECT event_type FROM intake.outbox WHERE partition_key = :id ORDER BY id"
                    ),
                    {"id": person["id"]},
                )
            )
            .scalars()
            .all()
        )
    assert row["given_name"] is None and row["family_name"] is None and row["insz"] is None
    assert row["birth_date"] is None and row["street"] is None
    assert (row["municipality_nis"], row["nationality"]) == ("44021", "SY"), "statistics stay"
    for secret in (person["family_name"], person["insz"], "Sleepstraat", "Kortrijksesteenweg"):
        assert secret not in history
    assert stored == 0
    assert events == [
        "intake.person.registered.v1",
        "intake.person.corrected.v1",
        "intake.person.erased.v1",
    ]
    found = await client.get(
        "/api/v1/persons", params={"name": person["family_name"]}, headers=auth("counter")
    )
    assert found.json()["items"] == []


async def test_roles_are_checked_on_every_person_route(client, auth):
    person_id = uuid.uuid4()
    for method, path in [
        ("GET", "/api/v1/persons?name=ab"),
        ("GET", f"/api/v1/persons/{person_id}/history"),
        ("PATCH", f"/api/v1/persons/{person_id}"),
        ("POST", f"/api/v1/persons/{person_id}/erasure"),
        ("POST", f"/api/v1/persons/{person_id}/confirm-distinct"),
        ("POST", "/api/v1/organisations"),
        ("POST", "/api/v1/candidacies"),
    ]:
        response = await client.request(method, path, headers=auth("analyst"), json={})
        assert response.status_code == 403, (method, path)
