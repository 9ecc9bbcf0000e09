"""The counsellors' API in process, against the real test database."""

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from trajecten.app.trajectories import refer_missed_deadlines

pytestmark = pytest.mark.integration


async def act(client, headers, trajectory, path, body, version=None):
    return await client.post(
        f"/api/v1/trajectories/{trajectory['id']}{path}",
        json=body,
        headers=headers | {"If-Match": f'"{version or trajectory["version"]}"'},
    )


async def test_an_unknown_template_version_is_a_clear_error_and_stores_nothing(
    client, counsellor, runtime_for
):
    person_id = str(uuid.uuid4())
    response = await client.post(
        "/api/v1/trajectories",
        json={"person_id": person_id, "template_version": "1999.9", "municipality_nis": "44021"},
        headers=counsellor,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "template_version"
    assert "inburgeringstraject 2024.1" in response.json()["detail"]
    listed = await client.get(
        "/api/v1/trajectories", params={"person_id": person_id}, headers=counsellor
    )
    assert listed.json() == []


async def test_a_transition_is_versioned_recorded_with_its_actor_and_published(
    client, counsellor, open_one, outbox
):
    trajectory = await open_one()
    assert trajectory["components"][0]["allowed"] == ["start", "exempt"]
    started = await act(
        client, counsellor, trajectory, "/components/guidance/transitions", {"action": "start"}
    )
    assert started.status_code == 200, started.text
    assert started.headers["etag"] == '"2"'
    timeline = (
        await client.get(f"/api/v1/trajectories/{trajectory['id']}/timeline", headers=counsellor)
    ).json()
    assert [(e["action"], e["actor"]) for e in timeline] == [
        ("open", "els@agii"),
        ("start", "els@agii"),
    ]
    types = [t for t, _ in await outbox(trajectory["id"])]
    assert types == [
        "trajecten.trajectory.opened.v1",
        "trajecten.trajectory.component-started.v1",
    ]


async def test_a_stale_if_match_is_412_and_a_missing_one_428(client, counsellor, open_one):
    trajectory = await open_one()
    first = await act(
        client, counsellor, trajectory, "/components/guidance/transitions", {"action": "start"}
    )
    assert first.status_code == 200
    stale = await act(
        client, counsellor, trajectory, "/transitions", {"action": "suspend", "reason": "ziek"}
    )
    assert stale.status_code == 412 and stale.headers["etag"] == '"2"'
    missing = await client.post(
        f"/api/v1/trajectories/{trajectory['id']}/transitions",
        json={"action": "suspend", "reason": "ziek"},
        headers=counsellor,
    )
    assert missing.status_code == 428


async def test_an_illegal_transition_is_409_listing_the_allowed_ones(client, counsellor, open_one):
    trajectory = await open_one()
    response = await act(
        client, counsellor, trajectory, "/components/guidance/transitions", {"action": "complete"}
    )
    assert response.status_code == 409
    assert response.json()["allowed"] == ["start", "exempt"]
    assert response.headers["content-type"] == "application/problem+json"


async def test_bad_input_names_the_field(client, counsellor, open_one):
    trajectory = await open_one()
    negative = await act(
        client, counsellor, trajectory, "/components/mo_course/progress", {"hours": -3}
    )
    assert negative.status_code == 422 and negative.json()["errors"][0]["field"] == "hours"
    no_reason = await act(
        client, counsellor, trajectory, "/components/mo_course/transitions", {"action": "exempt"}
    )
    assert no_reason.status_code == 422
    wrong_role = await client.get(
        f"/api/v1/trajectories/{trajectory['id']}", headers={} | {"Authorization": "Bearer x"}
    )
    assert wrong_role.status_code == 401


async def test_suspension_blocks_progress_until_resumed(client, counsellor, open_one, outbox):
    trajectory = await open_one()
    suspended = await act(
        client,
        counsellor,
        trajectory,
        "/transitions",
        {"action": "suspend", "reason": "opgenomen in het UZ Gent", "reason_code": "illness"},
    )
    assert suspended.json()["status"] == "suspended"
    blocked = await act(
        client,
        counsellor,
        trajectory,
        "/components/guidance/transitions",
        {"action": "start"},
        version=2,
    )
    assert blocked.status_code == 409 and blocked.json()["allowed"] == ["resume", "stop"]
    resumed = await act(
        client,
        counsellor,
        trajectory,
        "/transitions",
        {"action": "resume", "reason": "hersteld"},
        version=2,
    )
    assert resumed.json()["status"] == "open"
    events = await outbox(trajectory["id"])
    assert [t for t, _ in events[-2:]] == [
        "trajecten.trajectory.suspended.v1",
        "trajecten.trajectory.resumed.v1",
    ]
    # Thin events: the code travels, the staff member's words stay on the timeline.
    assert [e["reason"] for _, e in events[-2:]] == ["illness", "suspension_ended"]
    assert "UZ Gent" not in str(events) and "hersteld" not in str(events)
    timeline = await client.get(
        f"/api/v1/trajectories/{trajectory['id']}/timeline", headers=counsellor
    )
    suspension = timeline.json()[-2]
    assert suspension["reason"] == "opgenomen in het UZ Gent"
    assert suspension["details"]["reason_code"] == "illness"


async def test_a_reason_code_must_go_with_its_action(client, counsellor, open_one):
    trajectory = await open_one()
    wrong = await act(
        client,
        counsellor,
        trajectory,
        "/transitions",
        {"action": "stop", "reason": "ziek", "reason_code": "illness"},
    )
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["errors"][0]["field"] == "reason_code"
    unknown = await act(
        client,
        counsellor,
        trajectory,
        "/transitions",
        {"action": "stop", "reason": "x", "reason_code": "vertrokken naar Gent"},
    )
    assert unknown.status_code == 422


async def test_completing_every_required_component_issues_the_attest(
    client, counsellor, open_one, outbox
):
    trajectory = await open_one()
    version = trajectory["version"]
    steps = [
        ("/components/guidance/transitions", {"action": "start"}),
        ("/components/guidance/transitions", {"action": "complete"}),
        ("/components/mo_course/progress", {"hours": 60}),
        ("/components/mo_test/progress", {"passed": True}),
        ("/components/nt2_course/progress", {"hours": 240}),
        ("/components/participation/transitions", {"action": "exempt", "reason": "vrijwilliger"}),
        ("/components/nt2_test/progress", {"passed": True, "cefr_level": "A2"}),
    ]
    for path, body in steps:
        response = await act(client, counsellor, trajectory, path, body, version=version)
        assert response.status_code == 200, (path, response.text)
        version = int(response.headers["etag"].strip('"'))
    done = response.json()
    assert done["status"] == "completed"
    assert done["attest_number"].startswith(f"INB-{date.today().year}-")
    events = await outbox(trajectory["id"])
    assert events[-1][0] == "trajecten.trajectory.completed.v1"
    assert events[-1][1]["attest_number"] == done["attest_number"]


async def test_the_timer_refers_a_missed_deadline_of_an_obligated_person_once(
    runtime_for, open_one, outbox, client, counsellor
):
    obligated = await open_one("obligated")
    entitled = await open_one("entitled")
    runtime = runtime_for("trajecten")
    late = date.today() + timedelta(days=3 * 365)
    assert await refer_missed_deadlines(runtime.uow(), late) >= 6
    await refer_missed_deadlines(runtime.uow(), late)
    missed = [
        d["component"]
        for t, d in await outbox(obligated["id"])
        if t == "trajecten.trajectory.deadline-missed.v1"
    ]
    assert sorted(missed) == sorted(
        ["guidance", "mo_course", "mo_test", "nt2_course", "nt2_test", "participation"]
    )
    assert not [t for t, _ in await outbox(entitled["id"]) if t.endswith("deadline-missed.v1")]


async def test_an_appointment_is_published_for_tolken(client, counsellor, open_one, outbox):
    trajectory = await open_one()
    response = await client.post(
        f"/api/v1/trajectories/{trajectory['id']}/appointments",
        json={
            "starts_at": "2030-01-07T10:00:00+01:00",
            "ends_at": "2030-01-07T11:00:00+01:00",
            "municipality_nis": "44021",
            "location": "Kantoor Gent",
        },
        headers=counsellor,
    )
    assert response.status_code == 201, response.text
    kind, data = (await outbox(trajectory["id"]))[-1]
    assert kind == "trajecten.appointment.scheduled.v1"
    assert data["organisation"] == "agii" and data["person_id"] == trajectory["person_id"]


async def test_the_worklist_shows_overdue_and_due_soon_items(
    client, counsellor, open_one, runtime_for
):
    trajectory = await open_one()
    async with runtime_for("trajecten").engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE trajecten.components SET deadline = CURRENT_DATE - 1"
                " WHERE trajectory_id = :t AND code = 'mo_course'"
            ),
            {"t": trajectory["id"]},
        )
    items = (await client.get("/api/v1/worklist", headers=counsellor)).json()
    mine = [i for i in items if i["trajectory_id"] == trajectory["id"]]
    assert [(i["code"], i["overdue"]) for i in mine] == [("mo_course", True)]


async def test_a_component_waiting_for_another_offers_no_start(client, counsellor, open_one):
    trajectory = await open_one()
    shown = await client.get(f"/api/v1/trajectories/{trajectory['id']}", headers=counsellor)
    allowed = {c["code"]: c["allowed"] for c in shown.json()["components"]}
    assert "start" not in allowed["mo_test"], "the MO test waits for the MO course"
    assert "start" in allowed["mo_course"]
