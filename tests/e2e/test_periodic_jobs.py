"""Periodic jobs run in the deployed workers: nothing here calls a job's function. The system's
processes run with short intervals (tests/e2e/conftest.py EXTRA_ENVIRONMENT); a test arranges
data and waits for the effect that only the running worker can bring."""

import asyncio
import uuid
from datetime import date, timedelta

import asyncpg
import httpx
import pytest

from civic_common.db.engine import asyncpg_dsn
from civic_common.testing.kafka import read_topic
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

OBLIGATED = {  # aged 18 to 65, a recognised refugee from outside the EU: obligated
    "given_name": "Rania",
    "family_name": "Khalil",
    "birth_date": "1991-03-05",
    "municipality_nis": "44081",  # Zulte: no other e2e registers people there
    "nationality": "SY",
    "residence_category": "recognised_refugee",
    "languages": ["ar"],
    "interpreter_language": "ar",
}


async def _obligated_trajectory(http: httpx.AsyncClient, system, auth) -> dict:
    registered = await http.post(
        f"{system.urls['intake']}/api/v1/persons",
        json=OBLIGATED | {"family_name": f"Khalil-{uuid.uuid4().hex[:6]}"},
        headers=auth("counter"),
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["target_group"] == "obligated"
    person_id = registered.json()["id"]

    async def opened() -> dict | None:
        found = await http.get(
            f"{system.urls['trajecten']}/api/v1/trajectories",
            params={"person_id": person_id},
            headers=auth("counsellor"),
        )
        return found.json()[0] if found.status_code == 200 and found.json() else None

    return await eventually(opened, within=60)


async def _backdate_deadlines(system, trajectory_id: str, deadline: date) -> None:
    """Test data only: as if the deadlines of this trajectory had passed."""
    conn = await asyncpg.connect(asyncpg_dsn(system.db.url("trajecten")))
    try:
        await conn.execute(
            "UPDATE trajecten.components SET deadline = $2 "
            "WHERE trajectory_id = $1 AND required AND deadline IS NOT NULL",
            uuid.UUID(trajectory_id),
            deadline,
        )
    finally:
        await conn.close()


async def test_the_running_worker_refers_a_missed_deadline_once(system, auth, infra):
    async with httpx.AsyncClient(timeout=10) as http:
        trajectory = await _obligated_trajectory(http, system, auth)
        late = date.today() - timedelta(days=30)
        await _backdate_deadlines(system, trajectory["id"], late)

        async def referred() -> list[dict]:
            timeline = await http.get(
                f"{system.urls['trajecten']}/api/v1/trajectories/{trajectory['id']}/timeline",
                headers=auth("counsellor"),
            )
            return [e for e in timeline.json() if e["action"] == "deadline_missed"]

        misses = await eventually(referred, within=30)
        assert all(e["actor"] == "system" for e in misses)

        worklist = await http.get(
            f"{system.urls['trajecten']}/api/v1/worklist", headers=auth("counsellor")
        )
        mine = [i for i in worklist.json() if i["trajectory_id"] == trajectory["id"]]
        assert mine and all(i["overdue"] for i in mine)

        topic = f"{system.topic_prefix}trajecten.trajectories"
        records = await read_topic(infra.kafka_bootstrap, topic, 1, within=10)
        events = [
            r
            for r in records
            if r.key.decode() == trajectory["id"]
            and dict(r.headers)["ce_type"] == b"trajecten.trajectory.deadline-missed.v1"
        ]
        assert len(events) == len(misses)

        # More rounds pass (the interval is 2 s): each miss stays referred once.
        await asyncio.sleep(5)
        assert len(await referred()) == len(misses)


async def test_the_running_worker_publishes_the_scheduled_reports(system, infra):
    """The first round runs as the worker starts, whatever the interval (a day by default)."""
    topic = f"{system.topic_prefix}rapportage.reports"
    records = await read_topic(infra.kafka_bootstrap, topic, 2, within=60)
    published = [
        r for r in records if dict(r.headers)["ce_type"] == b"rapportage.report.published.v1"
    ]
    assert len(published) == 2  # trainings-per-region and intakes-per-month, once each today
