"""Agencies share the platform as separate organisations: staff of one agency (Atlas) cannot see
or change another's (IN-Gent) trajectories through any staff route or page, admins see all,
a staff token naming no agency gets 403, and intake's events decide and move a trajectory's
agency (fed through the worker's own subscription map and the inbox consumer)."""

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from civic_common.consumer import InboxConsumer, Record
from civic_common.events.contracts import PersonRegistered
from civic_common.events.contracts.intake import PersonTransferred
from civic_common.events.envelope import Envelope
from civic_common.testing.server import serving
from trajecten.app.trajectories import refer_missed_deadlines
from trajecten.main import build_app, consumed

pytestmark = pytest.mark.integration

NO_AGENCY = "Het token noemt geen agentschap (org)."


@pytest.fixture
def staff(auth):
    def headers(agency: str | None, role: str = "counsellor") -> dict[str, str]:
        return auth(role, f"{role}@{agency}", organisation=agency)

    return headers


@pytest.fixture
def open_for(client):
    async def open_(headers: dict[str, str], person_id: str | None = None) -> dict:
        response = await client.post(
            "/api/v1/trajectories",
            json={
                "person_id": person_id or str(uuid.uuid4()),
                "template_version": "2024.1",
                "municipality_nis": "11002",
                "target_group": "obligated",
            },
            headers=headers,
        )
        assert response.status_code == 201, response.text
        return response.json()

    return open_


@pytest.fixture
def deliver(runtime_for, topic_prefix):
    """An intake event through the handlers the worker subscribes to intake.persons with."""
    consumer = InboxConsumer(
        "trajecten", runtime_for("trajecten").uow, consumed()["intake.persons"], topic_prefix
    )

    async def send(event, envelope_id: uuid.UUID | None = None) -> str:
        envelope = Envelope(
            type=event.event_type,
            source="/civic/intake",
            partitionkey=str(event.person_id),
            sequence=1,
            data=event.model_dump(mode="json"),
            **({"id": envelope_id} if envelope_id else {}),
        )
        return await consumer.handle(
            Record(
                topic=topic_prefix + event.topic,
                partition=0,
                offset=0,
                key=str(event.person_id).encode(),
                value=envelope.value(),
                headers={k: v.encode() for k, v in envelope.headers().items()},
            )
        )

    return send


async def make_overdue(runtime_for, trajectory_id: str) -> None:
    async with runtime_for("trajecten").engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE trajecten.components SET deadline = CURRENT_DATE - 2"
                " WHERE trajectory_id = :t AND code = 'mo_course'"
            ),
            {"t": trajectory_id},
        )


def same_as_unknown(response: httpx.Response, unknown: httpx.Response, trajectory_id: str) -> bool:
    """Another agency's trajectory answers exactly like an id that does not exist."""
    mine, theirs = response.json(), unknown.json()
    unknown_id = unknown.request.url.path.split("/")[4]
    return (
        response.status_code == unknown.status_code == 404
        and mine["title"] == theirs["title"]
        and mine["detail"] == theirs["detail"].replace(unknown_id, trajectory_id)
    )


async def test_staff_of_another_agency_cannot_see_or_change_a_trajectory_by_any_route(
    client, staff, open_for, runtime_for, outbox
):
    atlas, ingent = staff("atlas"), staff("in-gent")
    theirs = await open_for(atlas)
    assert theirs["agency"] == "atlas"
    tid, person = theirs["id"], theirs["person_id"]
    base = f"/api/v1/trajectories/{tid}"
    unknown_base = f"/api/v1/trajectories/{uuid.uuid4()}"
    await make_overdue(runtime_for, tid)
    if_match = {"If-Match": '"1"'}
    appointment = {
        "starts_at": "2030-01-07T10:00:00+01:00",
        "ends_at": "2030-01-07T11:00:00+01:00",
        "municipality_nis": "11002",
    }
    probes = [
        ("GET", "", None, {}),
        ("GET", "/timeline", None, {}),
        ("POST", "/transitions", {"action": "suspend", "reason": "test"}, if_match),
        ("POST", "/components/guidance/transitions", {"action": "start"}, if_match),
        ("POST", "/components/guidance/transitions", {"action": "exempt", "reason": "x"}, if_match),
        ("POST", "/components/mo_course/progress", {"hours": 60}, if_match),
        ("POST", "/components/mo_test/progress", {"passed": True}, if_match),  # towards the attest
        ("POST", "/appointments", appointment, {}),
    ]
    for method, path, body, extra in probes:
        for role in ("counsellor", "counter"):
            headers = staff("in-gent", role) | extra
            answer = await client.request(method, base + path, json=body, headers=headers)
            unknown = await client.request(method, unknown_base + path, json=body, headers=headers)
            if role == "counter":  # the counter may list, nothing else: the door refuses first
                assert answer.status_code == unknown.status_code == 403, (method, path)
                continue
            assert same_as_unknown(answer, unknown, tid), (method, path, answer.text)

    listed = await client.get("/api/v1/trajectories", params={"person_id": person}, headers=ingent)
    assert listed.status_code == 200 and listed.json() == []
    counter = await client.get(
        "/api/v1/trajectories", params={"person_id": person}, headers=staff("in-gent", "counter")
    )
    assert counter.json() == []
    worklist = (await client.get("/api/v1/worklist", headers=ingent)).json()
    assert tid not in {i["trajectory_id"] for i in worklist}

    # Nothing happened to it: version 1, only its opening on the timeline and in the outbox.
    mine = await client.get(base, headers=atlas)
    assert mine.status_code == 200 and mine.headers["etag"] == '"1"'
    assert [e["action"] for e in (await client.get(f"{base}/timeline", headers=atlas)).json()] == [
        "open"
    ]
    assert [t for t, _ in await outbox(tid)] == ["trajecten.trajectory.opened.v1"]
    # ... and its own agency's staff see it everywhere.
    atlas_counter = staff("atlas", "counter")
    own = await client.get("/api/v1/trajectories", params={"person_id": person}, headers=atlas)
    assert [t["id"] for t in own.json()] == [tid]
    listed_by_counter = await client.get(
        "/api/v1/trajectories", params={"person_id": person}, headers=atlas_counter
    )
    assert [t["id"] for t in listed_by_counter.json()] == [tid]
    assert tid in {
        i["trajectory_id"] for i in (await client.get("/api/v1/worklist", headers=atlas)).json()
    }
    changed = await client.post(
        f"{base}/components/guidance/transitions",
        json={"action": "start"},
        headers=atlas | if_match,
    )
    assert changed.status_code == 200, changed.text


async def test_a_person_with_trajectories_at_two_agencies_is_listed_per_agency(
    client, staff, open_for
):
    person = str(uuid.uuid4())
    at_atlas = await open_for(staff("atlas"), person)
    at_ingent = await open_for(staff("in-gent"), person)
    for agency, expected in (("atlas", at_atlas), ("in-gent", at_ingent)):
        listed = await client.get(
            "/api/v1/trajectories", params={"person_id": person}, headers=staff(agency)
        )
        assert [t["id"] for t in listed.json()] == [expected["id"]]


async def test_the_agency_comes_from_the_callers_org_claim_in_lower_case(client, auth, open_for):
    opened = await open_for(auth("counsellor", "an@in-gent", organisation="IN-Gent"))
    assert opened["agency"] == "in-gent"
    seen = await client.get(
        f"/api/v1/trajectories/{opened['id']}",
        headers=auth("counsellor", "bo@in-gent", organisation="in-gent"),
    )
    assert seen.status_code == 200


async def test_an_admin_sees_every_agency_and_the_reads_are_audited(
    client, staff, open_for, runtime_for
):
    at_atlas, at_ingent = await open_for(staff("atlas")), await open_for(staff("in-gent"))
    for t in (at_atlas, at_ingent):
        await make_overdue(runtime_for, t["id"])
    admin = staff("agii", "admin")
    for t in (at_atlas, at_ingent):
        got = await client.get(f"/api/v1/trajectories/{t['id']}", headers=admin)
        assert got.status_code == 200 and got.json()["agency"] == t["agency"]
        listed = await client.get(
            "/api/v1/trajectories", params={"person_id": t["person_id"]}, headers=admin
        )
        assert [x["id"] for x in listed.json()] == [t["id"]]
    listed_ids = {
        i["trajectory_id"] for i in (await client.get("/api/v1/worklist", headers=admin)).json()
    }
    assert {at_atlas["id"], at_ingent["id"]} <= listed_ids
    async with runtime_for("trajecten").engine.connect() as conn:
        audited = await conn.execute(
            text(
                "SELECT subject_id FROM trajecten.audit_log WHERE actor = 'admin@agii'"
                " AND action = 'read' AND subject_type = 'trajectory'"
            )
        )
        assert {at_atlas["id"], at_ingent["id"]} <= {r[0] for r in audited}


@pytest.mark.parametrize("role", ["counsellor", "counter"])
async def test_a_staff_token_naming_no_agency_gets_403_at_every_trajectory_route(
    client, auth, open_for, staff, role
):
    existing = await open_for(staff("atlas"))
    nobody = auth(role, f"{role}@nowhere", organisation=None)
    base = f"/api/v1/trajectories/{existing['id']}"
    calls = [
        ("GET", "/api/v1/trajectories", None, {"person_id": existing["person_id"]}),
    ]
    if role != "counter":
        calls += [
            ("GET", "/api/v1/worklist", None, None),
            ("GET", base, None, None),
            ("GET", f"{base}/timeline", None, None),
            (
                "POST",
                "/api/v1/trajectories",
                {
                    "person_id": str(uuid.uuid4()),
                    "template_version": "2024.1",
                    "municipality_nis": "11002",
                },
                None,
            ),
            ("POST", f"{base}/transitions", {"action": "suspend", "reason": "x"}, None),
            ("POST", f"{base}/components/guidance/transitions", {"action": "start"}, None),
            ("POST", f"{base}/components/mo_course/progress", {"hours": 1}, None),
            (
                "POST",
                f"{base}/appointments",
                {
                    "starts_at": "2030-01-07T10:00:00+01:00",
                    "ends_at": "2030-01-07T11:00:00+01:00",
                    "municipality_nis": "11002",
                },
                None,
            ),
        ]
    for method, path, body, params in calls:
        answer = await client.request(
            method, path, json=body, params=params, headers=nobody | {"If-Match": '"1"'}
        )
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["detail"] == NO_AGENCY
        assert answer.headers["content-type"] == "application/problem+json"


async def test_the_pages_show_only_the_agencys_own_trajectories(
    runtime_for, signed_in, staff, open_for, auth
):
    theirs = await open_for(staff("atlas"))
    mine = await open_for(staff("in-gent"))
    for t in (theirs, mine):
        await make_overdue(runtime_for, t["id"])
    app = build_app(runtime_for("trajecten"))
    async with serving(app) as base_url:
        async with signed_in(base_url, "counsellor", "an@in-gent", organisation="in-gent") as page:
            response = await page.goto(f"/trajecten/{theirs['id']}")
            assert response.status == 404
            unknown = await page.goto(f"/trajecten/{uuid.uuid4()}")
            assert unknown.status == 404

            await page.goto("/")
            assert await page.locator(f"#overdue a[href='/trajecten/{mine['id']}']").count() == 1
            assert await page.locator(f"a[href='/trajecten/{theirs['id']}']").count() == 0
            await page.goto(f"/?persoon={theirs['person_id']}")
            assert await page.locator(f"a[href='/trajecten/{theirs['id']}']").count() == 0

            response = await page.goto(f"/trajecten/{mine['id']}")
            assert response.status == 200
            assert await page.inner_text("#agentschap") == "IN-Gent"

        # A form posted at another agency's trajectory changes nothing.
        staff = auth("counsellor", "an@in-gent", organisation="in-gent")
        async with httpx.AsyncClient(base_url=base_url, headers=staff) as http:
            posted = await http.post(
                f"/trajecten/{theirs['id']}/status",
                data={"version": "1", "action": "suspend", "reason": "x"},
            )
            assert posted.status_code == 404

        async with signed_in(base_url, "counsellor", organisation=None) as page:
            response = await page.goto("/")
            assert response.status == 403
            assert NO_AGENCY in await page.inner_text("main")

        async with signed_in(base_url, "admin", "beheer", organisation="agii") as page:
            response = await page.goto(f"/trajecten/{theirs['id']}")
            assert response.status == 200
            assert await page.inner_text("#agentschap") == "Atlas"


async def test_a_worker_opened_trajectory_takes_the_agency_of_the_registration(
    deliver, client, staff
):
    with_agency, without = uuid.uuid4(), uuid.uuid4()
    for person_id, agency in ((with_agency, "atlas"), (without, None)):
        event = PersonRegistered(
            person_id=person_id,
            registered_at=datetime.now(UTC),
            municipality_nis="11002",
            target_group="obligated",
            agency=agency,
        )
        assert await deliver(event) == "applied"

    async def listed(person_id: uuid.UUID, headers: dict) -> list[dict]:
        response = await client.get(
            "/api/v1/trajectories", params={"person_id": str(person_id)}, headers=headers
        )
        assert response.status_code == 200
        return response.json()

    [opened] = await listed(with_agency, staff("atlas"))
    assert opened["agency"] == "atlas"
    assert await listed(with_agency, staff("in-gent")) == []
    # No agency named: fail-closed, only admins see it (no agency's staff, not even AgII).
    assert await listed(without, staff("agii")) == []
    [unowned] = await listed(without, staff("agii", "admin"))
    assert unowned["agency"] is None


async def test_a_transfer_moves_every_trajectory_of_the_person_once(
    deliver, client, staff, open_for, outbox
):
    atlas, ingent = staff("atlas"), staff("in-gent")
    person = uuid.uuid4()
    assert (
        await deliver(
            PersonRegistered(
                person_id=person,
                registered_at=datetime.now(UTC),
                municipality_nis="11002",
                target_group="obligated",
                agency="atlas",
            )
        )
        == "applied"
    )
    by_hand = await open_for(atlas, str(person))
    stopped = await client.post(
        f"/api/v1/trajectories/{by_hand['id']}/transitions",
        json={"action": "stop", "reason": "dubbel geopend"},
        headers=atlas | {"If-Match": '"1"'},
    )
    assert stopped.status_code == 200
    other_person = await open_for(atlas)

    transfer = PersonTransferred(
        person_id=person, transferred_at=datetime.now(UTC), from_agency="atlas", to_agency="in-gent"
    )
    envelope_id = uuid.uuid4()
    assert await deliver(transfer, envelope_id) == "applied"
    assert await deliver(transfer, envelope_id) == "duplicate"  # the inbox: once only

    params = {"person_id": str(person)}
    moved = (await client.get("/api/v1/trajectories", params=params, headers=ingent)).json()
    assert len(moved) == 2 and {t["agency"] for t in moved} == {"in-gent"}
    assert {t["status"] for t in moved} == {"open", "stopped"}  # closed ones move too
    assert (await client.get("/api/v1/trajectories", params=params, headers=atlas)).json() == []
    assert (
        await client.get(f"/api/v1/trajectories/{by_hand['id']}", headers=atlas)
    ).status_code == 404
    timeline = (
        await client.get(f"/api/v1/trajectories/{by_hand['id']}/timeline", headers=ingent)
    ).json()
    assert [(e["action"], e["actor"], e["details"]) for e in timeline][-1] == (
        "transfer",
        "intake",
        {"from_agency": "atlas", "to_agency": "in-gent"},
    )
    # A transfer is internal: no trajectory event for partners; another person stays put.
    assert not [t for t, _ in await outbox(by_hand["id"]) if "transfer" in t]
    untouched = await client.get(f"/api/v1/trajectories/{other_person['id']}", headers=atlas)
    assert untouched.json()["agency"] == "atlas"

    # A second transfer event (a new id) to the same agency changes nothing.
    assert await deliver(transfer) == "applied"
    again = (
        await client.get(f"/api/v1/trajectories/{by_hand['id']}/timeline", headers=ingent)
    ).json()
    assert len(again) == len(timeline)


async def test_the_deadline_timer_is_a_system_action_over_every_agency(
    runtime_for, staff, open_for, deliver, outbox
):
    unowned = uuid.uuid4()
    await deliver(
        PersonRegistered(
            person_id=unowned,
            registered_at=datetime.now(UTC),
            municipality_nis="11002",
            target_group="obligated",
        )
    )
    at_atlas, at_ingent = await open_for(staff("atlas")), await open_for(staff("in-gent"))
    late = date.today() + timedelta(days=3 * 365)
    runtime = runtime_for("trajecten")
    while await refer_missed_deadlines(runtime.uow(), late):
        pass
    for t in (at_atlas, at_ingent):
        assert "trajecten.trajectory.deadline-missed.v1" in [x for x, _ in await outbox(t["id"])]
    async with runtime.engine.connect() as conn:
        [unowned_id] = (
            await conn.execute(
                text("SELECT id FROM trajecten.trajectories WHERE person_id = :p"),
                {"p": unowned},
            )
        ).scalars()
    assert "trajecten.trajectory.deadline-missed.v1" in [
        x for x, _ in await outbox(str(unowned_id))
    ]
