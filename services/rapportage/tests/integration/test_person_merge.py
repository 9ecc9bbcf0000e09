"""Two records of one person merged at intake: the newcomer indicators count them once, the
monthly counts already made stay, live and after a rebuild from the topics (real Kafka and
Postgres, the worker's inbox consumer)."""

import uuid

import pytest
from sqlalchemy import select

from civic_common.events.contracts.intake import PersonMerged, PersonRegistered
from civic_common.events.contracts.trajecten import TrajectoryOpened
from rapportage.adapters.tables import intakes, monthly_counts, trajectories
from rapportage.rebuild import rebuild

pytestmark = pytest.mark.integration
NIS = "23002"  # Asse: no other rapportage test counts here


async def test_a_merged_record_counts_once_and_the_monthly_counts_stay(events, runtime_for, now):
    survivor, other, trajectory = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    registered = [
        (PersonRegistered(person_id=p, registered_at=now(), municipality_nis=NIS), str(p), 1)
        for p in (survivor, other)
    ]
    opened = TrajectoryOpened(trajectory_id=trajectory, person_id=other, opened_at=now(),
                              kind="inburgeringstraject", template_version="1",
                              municipality_nis=NIS)  # fmt: skip
    await events.deliver(*registered, (opened, str(trajectory), 1))
    merged = PersonMerged(person_id=other, into=survivor, merged_at=now())
    envelopes = await events.publish((merged, str(other), 2))
    assert await events.apply(envelopes, "intake.persons") == ["applied"]
    runtime = events.runtime

    async def held() -> tuple[set[uuid.UUID], uuid.UUID | None, int]:
        async with runtime.engine.connect() as conn:
            persons = set(
                await conn.scalars(
                    select(intakes.c.person_id).where(intakes.c.person_id.in_([survivor, other]))
                )
            )
            owner = await conn.scalar(
                select(trajectories.c.person_id).where(trajectories.c.trajectory_id == trajectory)
            )
            counted = await conn.scalar(
                select(monthly_counts.c.count).where(
                    monthly_counts.c.municipality_nis == NIS, monthly_counts.c.metric == "intakes"
                )
            )
        return persons, owner, counted

    assert await held() == ({survivor}, survivor, 2)
    assert await events.apply(envelopes, "intake.persons") == ["duplicate"]
    assert await held() == ({survivor}, survivor, 2)

    await rebuild(runtime_for("rapportage"))
    persons, _, counted = await held()
    assert persons == {survivor}, "the rebuild deletes the merged record's facts as well"
    assert counted == 2
