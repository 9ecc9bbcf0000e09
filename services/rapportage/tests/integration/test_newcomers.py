"""Newcomer indicators from intake's and trajecten's lifecycle events."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from civic_common.events.contracts.intake import PersonCorrected, PersonErased, PersonRegistered
from civic_common.events.contracts.trajecten import (
    ComponentCompleted,
    ComponentFailed,
    ComponentStarted,
    DeadlineMissed,
    TrajectoryCompleted,
    TrajectoryOpened,
    TrajectorySuspended,
)
from rapportage.adapters.tables import intakes

pytestmark = pytest.mark.integration


async def test_intakes_trajectory_stand_and_component_results(events, client, auth, runtime_for):
    nis = f"8{random.randrange(10_000):04d}"
    now = datetime.now(UTC)
    later = now + timedelta(minutes=1)
    first, second = uuid.uuid4(), uuid.uuid4()
    t1, t2 = uuid.uuid4(), uuid.uuid4()

    def opened(trajectory: uuid.UUID, person: uuid.UUID) -> TrajectoryOpened:
        return TrajectoryOpened(
            trajectory_id=trajectory,
            person_id=person,
            kind="inburgeringstraject",
            template_version="2025.1",
            opened_at=now,
            municipality_nis=nis,
        )

    step = {"trajectory_id": t1, "person_id": first, "component": "nt2", "actor": "cvo"}
    refugee = PersonRegistered(
        person_id=first,
        registered_at=now,
        municipality_nis=nis,
        nationality="SY",
        residence_category="recognised_refugee",
    )
    unknown = PersonRegistered(person_id=second, registered_at=now, municipality_nis=nis)
    await events.deliver(
        (refugee, str(first), 1),
        (unknown, str(second), 1),
        (PersonCorrected(person_id=second, corrected_at=later, changed_fields=["nationality"],
                         municipality_nis=nis, nationality="AF"), str(second), 2),
        (opened(t1, first), str(t1), 1),
        (opened(t2, second), str(t2), 1),
        (ComponentStarted(**step, occurred_at=now), str(t1), 2),
        (ComponentCompleted(**step, occurred_at=later, cefr_level="A2"), str(t1), 3),
        (TrajectoryCompleted(trajectory_id=t1, person_id=first, occurred_at=later, actor="x",
                             attest_number="A-1", kind="inburgeringstraject",
                             template_version="2025.1", municipality_nis=nis), str(t1), 4),
        (ComponentFailed(**(step | {"trajectory_id": t2, "person_id": second}), occurred_at=now),
         str(t2), 2),
        (TrajectorySuspended(trajectory_id=t2, person_id=second, occurred_at=now, actor="x",
                             reason="ziekte"), str(t2), 3),
        (DeadlineMissed(trajectory_id=t2, person_id=second, component="nt2",
                        deadline=now.date(), occurred_at=now, municipality_nis=nis), str(t2), 4),
    )  # fmt: skip
    analyst = auth("analyst")
    params = {"municipality_nis": nis}

    intake_rows = (
        await client.get("/api/v1/reports/intakes-per-month", params=params, headers=analyst)
    ).json()["tables"][0]["rows"]
    assert sorted((r["nationality"], r["residence_category"]) for r in intake_rows) == [
        ("AF", "onbekend"),
        ("SY", "recognised_refugee"),
    ]

    [stand] = (
        await client.get("/api/v1/reports/trajectory-status", params=params, headers=analyst)
    ).json()["tables"][0]["rows"]
    assert stand == {
        "municipality_nis": nis,
        "started": 2,
        "running": 0,
        "suspended": 1,
        "stopped": 0,
        "completed": 1,
        "overdue": 1,
    }
    [nt2] = (
        await client.get("/api/v1/reports/component-results", params=params, headers=analyst)
    ).json()["tables"][0]["rows"]
    assert (nt2["passed"], nt2["failed"], nt2["pass_rate"]) == (1, 1, 50.0)

    # An erased person's intake still counts, but no longer under their id.
    await events.deliver((PersonErased(person_id=first, erased_at=later), str(first), 3))
    runtime = runtime_for("rapportage")
    async with runtime.engine.connect() as conn:
        held = await conn.scalar(select(func.count()).where(intakes.c.person_id == first))
        counted = await conn.scalar(select(func.count()).where(intakes.c.municipality_nis == nis))
    assert (held, counted) == (0, 2)


async def test_vdab_referrals_and_outflow_by_nationality_and_dutch_level_survive_erasure(
    events, client, auth
):
    nis = f"8{random.randrange(10_000):04d}"
    now = datetime.now(UTC)
    people = [uuid.uuid4() for _ in range(3)]
    trajectories = [uuid.uuid4() for _ in people]
    stream: list = []
    for person, trajectory, (nationality, level) in zip(
        people, trajectories, [("SY", "A1"), ("SY", "A1"), ("AF", "A2")], strict=True
    ):
        stream += [
            (PersonRegistered(person_id=person, registered_at=now, municipality_nis=nis,
                              nationality=nationality, dutch_level=level), str(person), 1),
            (TrajectoryOpened(trajectory_id=trajectory, person_id=person,
                              kind="inburgeringstraject", template_version="2025.1",
                              opened_at=now, municipality_nis=nis), str(trajectory), 1),
        ]  # fmt: skip
    referral = {"component": "vdab_referral", "actor": "vdab", "occurred_at": now}
    stream += [
        (ComponentStarted(trajectory_id=trajectories[0], person_id=people[0], **referral),
         str(trajectories[0]), 2),
        (ComponentStarted(trajectory_id=trajectories[1], person_id=people[1], **referral),
         str(trajectories[1]), 2),
        (ComponentCompleted(trajectory_id=trajectories[1], person_id=people[1], **referral
                            | {"occurred_at": now + timedelta(days=30)}, result="employed"),
         str(trajectories[1]), 3),
        (ComponentFailed(trajectory_id=trajectories[2], person_id=people[2], **referral),
         str(trajectories[2]), 2),
    ]  # fmt: skip
    await events.deliver(*stream)

    async def report() -> list[list[dict]]:
        response = await client.get(
            "/api/v1/reports/vdab-referrals",
            params={"municipality_nis": nis},
            headers=auth("analyst"),
        )
        assert response.status_code == 200, response.text
        return [table["rows"] for table in response.json()["tables"]]

    flow, by_result = await report()
    assert flow == [
        {"nationality": "AF", "dutch_level": "A2", "referred": 1, "under_way": 0,
         "completed": 0, "failed": 1},
        {"nationality": "SY", "dutch_level": "A1", "referred": 2, "under_way": 1,
         "completed": 1, "failed": 0},
    ]  # fmt: skip
    assert by_result == [{"result": "employed", "completed": 1}]

    # Erasure takes the person id away, not the person from the statistics.
    await events.deliver((PersonErased(person_id=people[1], erased_at=now), str(people[1]), 2))
    assert await report() == [flow, by_result]


async def test_newcomer_indicators_per_region_and_agency_and_status_by_origin(
    events, client, auth, agency
):
    """Three newcomers of this test's agency in a Limburg municipality (NIS 7xxxx) and one in
    Antwerp (1xxxx); one moves to another agency. Every cell per region and agency, the
    region filter honoured, and trajectories by nationality and residence category."""
    from civic_common.events.contracts.intake import PersonTransferred

    mine, other = agency(), agency()
    limburg, antwerp = f"7{random.randrange(1000, 9999)}", f"1{random.randrange(1000, 9999)}"
    now = datetime.now(UTC)
    people = [
        (uuid.uuid4(), limburg, "SY", "refugee"),
        (uuid.uuid4(), limburg, "SY", "refugee"),
        (uuid.uuid4(), limburg, "MA", None),
        (uuid.uuid4(), antwerp, "UA", "temporary_protection"),
    ]
    sent = []
    for person, nis, nationality, category in people:
        sent.append((PersonRegistered(person_id=person, registered_at=now, municipality_nis=nis,
                                      nationality=nationality, residence_category=category,
                                      agency=mine), str(person), 1))  # fmt: skip
        opened = TrajectoryOpened(trajectory_id=uuid.uuid4(), person_id=person,
                                  kind="inburgeringstraject", template_version="2025.1",
                                  opened_at=now, municipality_nis=nis)  # fmt: skip
        sent.append((opened, str(person), 1))
    moved = people[2][0]
    sent.append((PersonTransferred(person_id=moved, transferred_at=now, from_agency=mine,
                                   to_agency=other), str(moved), 2))  # fmt: skip
    await events.deliver(*sent)

    rows = (
        await client.get(
            "/api/v1/reports/newcomers-per-region-and-agency",
            params={"agency": mine},
            headers=auth("analyst"),
        )
    ).json()["tables"][0]["rows"]
    assert rows == [
        {"region": "Regio Antwerpen", "agency": mine, "intakes": 1, "started": 1, "running": 1,
         "completed": 0, "overdue": 0},
        {"region": "Regio Limburg", "agency": mine, "intakes": 2, "started": 2, "running": 2,
         "completed": 0, "overdue": 0},
    ]  # fmt: skip
    limburg_only = (
        await client.get(
            "/api/v1/reports/newcomers-per-region-and-agency",
            params={"agency": other, "region": "Limburg"},
            headers=auth("analyst"),
        )
    ).json()["tables"][0]["rows"]
    assert [(r["region"], r["agency"], r["intakes"]) for r in limburg_only] == [
        ("Regio Limburg", other, 1)
    ], "the transfer moved the case, and the region filter is honoured"
    by_origin = (
        await client.get(
            "/api/v1/reports/trajectory-status-by-origin",
            params={"agency": mine},
            headers=auth("analyst"),
        )
    ).json()["tables"][0]["rows"]
    assert [(r["nationality"], r["residence_category"], r["started"]) for r in by_origin] == [
        ("SY", "refugee", 2),
        ("UA", "temporary_protection", 1),
    ]
    intakes = (
        await client.get(
            "/api/v1/reports/intakes-per-month",
            params={"agency": mine, "region": "Antwerpen"},
            headers=auth("analyst"),
        )
    ).json()["tables"][0]["rows"]
    assert [(r["municipality_nis"], r["intakes"]) for r in intakes] == [(antwerp, 1)]
