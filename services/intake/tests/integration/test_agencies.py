"""Agencies sharing the platform: staff of Atlas and of IN-Gent never see each other's persons,
through any person route or the counter page; admins see both; a case moves by transfer."""

import json
import random
import uuid
from datetime import date

import httpx
import pytest
from sqlalchemy import text

from civic_common.testing.server import serving
from intake.domain.insz import make_insz
from intake.main import build_app

pytestmark = pytest.mark.integration

BIRTH = date(1987, 3, 14)  # a birth date no other test file uses, so INSZ numbers cannot meet
_SEQUENCES = iter(random.sample(range(1, 998), 997))


@pytest.fixture
def app(runtime_for):
    return build_app(runtime_for("intake"))


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


def staff(auth, role: str, agency: str | None) -> dict[str, str]:
    return auth(role, f"{role}@{agency}", organisation=agency)


def newcomer(family: str, **overrides) -> dict:
    return {
        "insz": make_insz(BIRTH, next(_SEQUENCES)),
        "given_name": "Samir",
        "family_name": family,
        "birth_date": BIRTH.isoformat(),
        "municipality_nis": "11002",
        "languages": ["ar"],
    } | overrides


async def register(client, auth, agency: str, family: str, **overrides) -> dict:
    response = await client.post(
        "/api/v1/persons",
        json=newcomer(family, **overrides),
        headers=staff(auth, "counter", agency),
    )
    assert response.status_code == 201, response.text
    return response.json()


def person_routes(person_id: str, insz: str) -> list[tuple[str, str, dict]]:
    """Every route that reaches one person: (method, path, request arguments)."""
    path = f"/api/v1/persons/{person_id}"
    versioned = {"headers": {"If-Match": '"1"'}}
    return [
        ("GET", path, {}),
        ("GET", f"{path}/history", {}),
        ("PATCH", path, {"json": {"street": "Meir"}} | versioned),
        ("POST", f"{path}/confirm-distinct", versioned),
        ("POST", f"{path}/erasure", {"json": {"reason": "verzoek"}}),
        ("POST", f"{path}/transfer", {"json": {"agency": "agii"}} | versioned),
    ]


async def call(client, method: str, path: str, headers: dict, arguments: dict) -> httpx.Response:
    merged = headers | arguments.get("headers", {})
    extra = {k: v for k, v in arguments.items() if k != "headers"}
    return await client.request(method, path, headers=merged, **extra)


async def test_two_agencies_see_none_of_each_others_persons_through_any_person_route(
    client, auth, runtime_for
):
    family = f"Twee-{uuid.uuid4().hex[:8]}"
    persons = {
        "atlas": await register(client, auth, "atlas", family),
        "in-gent": await register(client, auth, "in-gent", family),
    }
    assert persons["atlas"]["agency"] == "atlas" and persons["in-gent"]["agency"] == "in-gent"

    for mine, theirs in (("atlas", "in-gent"), ("in-gent", "atlas")):
        other = persons[theirs]
        for role in ("counter", "counsellor"):
            headers = staff(auth, role, mine)
            listed = await client.get("/api/v1/persons", params={"name": family}, headers=headers)
            assert listed.status_code == 200, listed.text
            assert [p["id"] for p in listed.json()["items"]] == [persons[mine]["id"]]
            by_insz = await client.get(
                "/api/v1/persons", params={"insz": other["insz"]}, headers=headers
            )
            assert by_insz.json()["items"] == []
            own = await client.get(f"/api/v1/persons/{persons[mine]['id']}", headers=headers)
            assert own.status_code == 200

        # Every route answers for the other agency's person exactly as for an unknown id.
        unknown = str(uuid.uuid4())
        for (method, path, arguments), (_, unknown_path, _) in zip(
            person_routes(other["id"], other["insz"]),
            person_routes(unknown, other["insz"]),
            strict=True,
        ):
            for role in ("counter", "counsellor"):
                headers = staff(auth, role, mine)
                hidden = await call(client, method, path, headers, arguments)
                missing = await call(client, method, unknown_path, headers, arguments)
                if missing.status_code == 403:  # the role may not use this route at all
                    assert hidden.status_code == 403, (method, path, role)
                    continue
                assert hidden.status_code == missing.status_code == 404, (
                    method,
                    path,
                    role,
                    hidden.text,
                )
                assert hidden.json()["title"] == missing.json()["title"]
                assert hidden.json()["detail"] == missing.json()["detail"].replace(
                    unknown, other["id"]
                )
                assert other["family_name"] not in hidden.text

    # Nothing of the refused calls happened: both persons are as registered.
    for agency, person in persons.items():
        seen = await client.get(
            f"/api/v1/persons/{person['id']}", headers=staff(auth, "counter", agency)
        )
        assert seen.status_code == 200
        assert seen.json()["version"] == 1 and seen.json()["agency"] == agency
    async with runtime_for("intake").engine.connect() as conn:
        events = await conn.scalar(
            text("SELECT count(*) FROM intake.outbox WHERE partition_key = ANY(:ids)"),
            {"ids": [p["id"] for p in persons.values()]},
        )
    assert events == 2, "only the two registrations were published"


async def test_the_registered_event_names_the_agency(client, auth, runtime_for):
    person = await register(client, auth, "Atlas", f"Event-{uuid.uuid4().hex[:8]}")
    assert person["agency"] == "atlas", "the org claim is stored lower-cased"
    async with runtime_for("intake").engine.connect() as conn:
        payload = await conn.scalar(
            text(
                "SELECT convert_from(payload, 'UTF8') FROM intake.outbox "
                "WHERE partition_key = :k AND event_type = 'intake.person.registered.v1'"
            ),
            {"k": person["id"]},
        )
    assert json.loads(payload)["agency"] == "atlas"


async def test_an_admin_sees_the_persons_of_every_agency_and_the_reads_are_audited(
    client, auth, runtime_for
):
    family = f"Beheer-{uuid.uuid4().hex[:8]}"
    atlas = await register(client, auth, "atlas", family)
    gent = await register(client, auth, "in-gent", family)
    for organisation in (None, "agii"):  # an operator, with or without an agency of their own
        admin = auth("admin", "beheerder@platform", organisation=organisation)
        listed = await client.get("/api/v1/persons", params={"name": family}, headers=admin)
        assert listed.status_code == 200, listed.text
        assert {p["agency"] for p in listed.json()["items"]} == {"atlas", "in-gent"}
        for person in (atlas, gent):
            read = await client.get(f"/api/v1/persons/{person['id']}", headers=admin)
            assert read.status_code == 200, read.text
            history = await client.get(f"/api/v1/persons/{person['id']}/history", headers=admin)
            assert history.status_code == 200
    async with runtime_for("intake").engine.connect() as conn:
        reads = await conn.scalar(
            text(
                "SELECT count(*) FROM intake.audit_log WHERE actor = 'beheerder@platform' "
                "AND action = 'read' AND subject_id = ANY(:ids)"
            ),
            {"ids": [atlas["id"], gent["id"]]},
        )
    assert reads == 2 * (2 + 2 + 2), "search, read and history, per person, twice"


async def test_a_staff_token_naming_no_agency_is_refused_at_every_person_route(client, auth, app):
    person = await register(client, auth, "atlas", f"Zonder-{uuid.uuid4().hex[:8]}")
    routes = [
        ("POST", "/api/v1/persons", {"json": newcomer("Zonder")}),
        ("GET", "/api/v1/persons", {"params": {"name": "Zonder"}}),
        *person_routes(person["id"], person["insz"]),
    ]
    for method, path, arguments in routes:
        for role in ("counter", "counsellor"):
            response = await call(client, method, path, staff(auth, role, None), arguments)
            if response.status_code == 403 and "rollen" in response.text:
                continue  # this role may not use the route, org or not
            assert response.status_code == 403, (method, path, role, response.text)
            assert response.json()["detail"] == "Het token noemt geen agentschap (org)."


async def test_a_duplicate_insz_at_another_agency_is_refused_without_a_trace_of_that_person(
    client, auth
):
    family = f"Dubbel-{uuid.uuid4().hex[:8]}"
    atlas = await register(client, auth, "atlas", family, street="Meir", house_number="3")

    again = await client.post(
        "/api/v1/persons",
        json=newcomer(f"Ander-{uuid.uuid4().hex[:6]}", insz=atlas["insz"]),
        headers=staff(auth, "counter", "in-gent"),
    )
    assert again.status_code == 409, again.text
    problem = again.json()
    assert "ander agentschap" in problem["detail"] and "over te dragen" in problem["detail"]
    assert problem["errors"] == [
        {"field": "insz", "message": "al geregistreerd bij een ander agentschap"}
    ]
    assert "location" not in again.headers and "existing_person" not in problem
    for trace in (atlas["id"], family, "Meir", "atlas"):
        assert trace not in again.text

    same_agency = await client.post(
        "/api/v1/persons",
        json=newcomer(family, insz=atlas["insz"]),
        headers=staff(auth, "counter", "atlas"),
    )
    assert same_agency.status_code == 409
    assert same_agency.json()["existing_person"] == f"/api/v1/persons/{atlas['id']}"

    # A correction to the other agency's INSZ is refused the same way.
    gent = await register(client, auth, "in-gent", f"Gent-{uuid.uuid4().hex[:6]}")
    corrected = await client.patch(
        f"/api/v1/persons/{gent['id']}",
        json={"insz": atlas["insz"]},
        headers=staff(auth, "counter", "in-gent") | {"If-Match": '"1"'},
    )
    assert corrected.status_code == 409
    assert atlas["id"] not in corrected.text and "location" not in corrected.headers


async def test_near_duplicates_and_household_links_stay_within_the_callers_agency(client, auth):
    twin = {"given_name": "Omar", "family_name": f"Tweeling-{uuid.uuid4().hex[:6]}"}
    atlas = await register(client, auth, "atlas", twin["family_name"], insz=None)
    gent = await register(client, auth, "in-gent", twin["family_name"], insz=None)
    assert gent["possible_duplicates"] == [], "the Atlas person is not compared with"
    # Atlas's counter is shown Atlas's twin as a likely duplicate before saving, not IN-Gent's.
    attempt = await client.post(
        "/api/v1/persons",
        json=newcomer(twin["family_name"], insz=None),
        headers=staff(auth, "counter", "atlas"),
    )
    assert attempt.status_code == 409, attempt.text
    assert [c["id"] for c in attempt.json()["candidates"]] == [atlas["id"]]
    assert gent["id"] not in attempt.text
    atlas_again = await register(
        client, auth, "atlas", twin["family_name"], insz=None, confirm_new_person=True
    )
    assert atlas_again["possible_duplicates"] == [], "confirmed someone else: nothing to review"

    # Once Atlas's twin moves to IN-Gent, Atlas's counter no longer sees it as a candidate.
    moved = await client.post(
        f"/api/v1/persons/{atlas['id']}/transfer",
        json={"agency": "in-gent"},
        headers=staff(auth, "counter", "atlas") | {"If-Match": '"1"'},
    )
    assert moved.status_code == 200, moved.text
    again = await client.post(
        "/api/v1/persons",
        json=newcomer(twin["family_name"], insz=None),
        headers=staff(auth, "counter", "atlas"),
    )
    assert again.status_code == 409
    assert [c["id"] for c in again.json()["candidates"]] == [atlas_again["id"]]

    linked = await client.post(
        "/api/v1/persons",
        json=newcomer("Gezin", household=[{"person_id": atlas_again["id"], "relation": "partner"}]),
        headers=staff(auth, "counter", "in-gent"),
    )
    assert linked.status_code == 422, "another agency's person is no known household member"
    assert linked.json()["errors"][0]["field"] == "household"


async def test_a_household_member_moved_to_another_agency_is_hidden_and_kept(client, auth):
    """After a transfer, the other agency's member is left out of what Atlas sees, Atlas can still
    correct the person (the hidden link is no error), and its corrections keep the hidden link."""
    atlas = staff(auth, "counter", "atlas")
    partner = await register(client, auth, "atlas", f"Gezin-{uuid.uuid4().hex[:6]}")
    child = await register(client, auth, "atlas", f"Gezin-{uuid.uuid4().hex[:6]}")
    links = [
        {"person_id": partner["id"], "relation": "partner"},
        {"person_id": child["id"], "relation": "child"},
    ]
    person = await register(client, auth, "atlas", f"Gezin-{uuid.uuid4().hex[:6]}", household=links)
    # Households are symmetric: the partner's record now links back (a new version).
    partner_now = await client.get(f"/api/v1/persons/{partner['id']}", headers=atlas)
    assert partner_now.json()["household"] == [{"person_id": person["id"], "relation": "partner"}]
    moved = await client.post(
        f"/api/v1/persons/{partner['id']}/transfer",
        json={"agency": "in-gent"},
        headers=atlas | {"If-Match": partner_now.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text

    shown = await client.get(f"/api/v1/persons/{person['id']}", headers=atlas)
    assert [m["person_id"] for m in shown.json()["household"]] == [child["id"]]
    assert partner["id"] not in shown.text

    corrected = await client.patch(
        f"/api/v1/persons/{person['id']}",
        json={"municipality_nis": "11001"},
        headers=atlas | {"If-Match": shown.headers["etag"]},
    )
    assert corrected.status_code == 200, corrected.text
    emptied = await client.patch(
        f"/api/v1/persons/{person['id']}",
        json={"household": []},
        headers=atlas | {"If-Match": corrected.headers["etag"]},
    )
    assert emptied.status_code == 200, emptied.text
    assert emptied.json()["household"] == []
    operator = await client.get(
        f"/api/v1/persons/{person['id']}", headers=auth("admin", organisation=None)
    )
    assert [m["person_id"] for m in operator.json()["household"]] == [partner["id"]], (
        "the link Atlas could not see is kept"
    )


async def transfer(client, headers: dict, person_id: str, agency: str, version: int | None):
    if_match = {} if version is None else {"If-Match": f'"{version}"'}
    return await client.post(
        f"/api/v1/persons/{person_id}/transfer",
        json={"agency": agency},
        headers=headers | if_match,
    )


async def test_a_case_is_transferred_to_another_agency_and_back(client, auth, runtime_for):
    person = await register(client, auth, "atlas", f"Verhuis-{uuid.uuid4().hex[:8]}")
    pid = person["id"]
    atlas, gent = staff(auth, "counter", "atlas"), staff(auth, "counsellor", "in-gent")

    assert (await transfer(client, atlas, pid, "in-gent", None)).status_code == 428
    stale = await transfer(client, atlas, pid, "in-gent", 7)
    assert stale.status_code == 412 and stale.headers["etag"] == '"1"'
    for bad in ("In Gent", "", "-gent", "x" * 64, "atlas"):
        refused = await transfer(client, atlas, pid, bad, 1)
        assert refused.status_code == 422, (bad, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == ["agency"], bad
    assert (await transfer(client, gent, pid, "in-gent", 1)).status_code == 404

    moved = await transfer(client, atlas, pid, "in-gent", 1)
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"id": pid, "version": 2, "from_agency": "atlas", "agency": "in-gent"}
    assert moved.headers["etag"] == '"2"'
    assert (await client.get(f"/api/v1/persons/{pid}", headers=atlas)).status_code == 404
    now_gent = await client.get(f"/api/v1/persons/{pid}", headers=gent)
    assert now_gent.status_code == 200 and now_gent.json()["agency"] == "in-gent"
    found = await client.get("/api/v1/persons", params={"insz": person["insz"]}, headers=atlas)
    assert found.json()["items"] == []

    admin = auth("admin", "beheerder@platform", organisation=None)
    back = await transfer(client, admin, pid, "atlas", 2)
    assert back.status_code == 200, back.text
    assert (await client.get(f"/api/v1/persons/{pid}", headers=gent)).status_code == 404
    assert (await client.get(f"/api/v1/persons/{pid}", headers=atlas)).status_code == 200

    history = (await client.get(f"/api/v1/persons/{pid}/history", headers=atlas)).json()
    assert [(h["action"], h["changes"]) for h in history[1:]] == [
        ("transferred", [{"field": "agency", "old": "atlas", "new": "in-gent"}]),
        ("transferred", [{"field": "agency", "old": "in-gent", "new": "atlas"}]),
    ]
    async with runtime_for("intake").engine.connect() as conn:
        events = (
            await conn.execute(
                text(
                    "SELECT event_type, headers, convert_from(payload, 'UTF8') AS payload "
                    "FROM intake.outbox WHERE partition_key = :k ORDER BY id"
                ),
                {"k": pid},
            )
        ).all()
        audited = (
            await conn.scalars(
                text(
                    "SELECT actor FROM intake.audit_log WHERE subject_id = :k "
                    "AND action = 'transfer' ORDER BY id"
                ),
                {"k": pid},
            )
        ).all()
    assert [e.event_type for e in events] == [
        "intake.person.registered.v1",
        "intake.person.transferred.v1",
        "intake.person.transferred.v1",
    ]
    first, second = (json.loads(e.payload) for e in events[1:])
    assert (first["from_agency"], first["to_agency"]) == ("atlas", "in-gent")
    assert (second["from_agency"], second["to_agency"]) == ("in-gent", "atlas")
    assert [dict(e.headers).get("ce_sequence") for e in events] == ["1", "2", "3"]
    assert audited == ["counter@atlas", "beheerder@platform"]


async def test_an_erased_person_of_another_agency_looks_unknown_not_erased(client, auth):
    person = await register(client, auth, "atlas", f"Gewist-{uuid.uuid4().hex[:8]}")
    erased = await client.post(
        f"/api/v1/persons/{person['id']}/erasure",
        json={"reason": "verzoek"},
        headers=staff(auth, "counter", "atlas"),
    )
    assert erased.status_code == 200
    own = await client.get(
        f"/api/v1/persons/{person['id']}", headers=staff(auth, "counter", "atlas")
    )
    other = await client.get(
        f"/api/v1/persons/{person['id']}", headers=staff(auth, "counter", "in-gent")
    )
    assert (own.status_code, other.status_code) == (410, 404)


async def test_the_counter_page_shows_only_the_own_agencys_persons(app, client, auth, signed_in):
    family = f"Pagina-{uuid.uuid4().hex[:8]}"
    atlas = await register(client, auth, "atlas", family, given_name="Rania")
    gent = await register(client, auth, "in-gent", family, given_name="Karim")
    async with serving(app) as base_url:
        async with signed_in(base_url, "counter", "balie@atlas", organisation="atlas") as page:
            await page.goto(f"/?name={family}")
            results = await page.inner_text("main")
            assert "Rania" in results and "Karim" not in results
            hidden = await page.goto(f"/personen/{gent['id']}")
            assert hidden.status == 404
            assert await page.inner_text("h1") == "Niet gevonden"
            assert "Karim" not in await page.content()
            shown = await page.goto(f"/personen/{atlas['id']}")
            assert shown.status == 200
            assert await page.inner_text("#agentschap") == "Atlas"  # by name
        async with signed_in(base_url, "counter", "balie@nergens", organisation=None) as page:
            refused = await page.goto(f"/personen/{atlas['id']}")
            assert refused.status == 403
            assert "geen agentschap" in (await page.content()).lower()
