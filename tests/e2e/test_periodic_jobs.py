"""Periodic jobs run in the deployed workers: nothing here calls a job's function. The system's
processes run with short intervals (tests/e2e/conftest.py EXTRA_ENVIRONMENT); a test arranges
data and waits for the effect that only the running worker can bring."""

import asyncio
import json
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

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


def _next_weekday_at_ten(days_ahead: int) -> datetime:
    day = datetime.now(ZoneInfo("Europe/Brussels")).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo("Europe/Brussels"))


async def _tolken_sql(system, statement: str, *args: object) -> None:
    """Test data only: as if time had passed for this request."""
    conn = await asyncpg.connect(asyncpg_dsn(system.db.url("tolken")))
    try:
        await conn.execute(statement, *args)
    finally:
        await conn.close()


async def test_the_running_tolken_worker_expires_an_unanswered_offer_then_closes_the_request(
    system, auth, infra
):
    """The offer-deadlines job: an offer not answered in time expires (nobody else speaks the
    language, so the request goes back to the desk's queue), and a request whose start came
    with nobody assigned becomes unfulfilled with the code `no_candidate` in its event."""
    language = "ak"  # Akan: no other e2e test books it
    tolken = system.urls["tolken"]
    desk = auth("interpreter_desk")
    async with httpx.AsyncClient(timeout=10) as http:
        interpreter = await http.post(
            f"{tolken}/api/v1/interpreters",
            json={
                "name": "Kwame Mensah",
                "account": "tolk-ak@e2e",
                "tier": "certified",
                "certificate": {
                    "number": "VR-E2E-AK",
                    "valid_from": "2024-01-01",
                    "valid_until": "2031-12-31",
                },
                "languages": [language],
                "modalities": ["on_site", "video"],
                "regions": ["Oost-Vlaanderen"],
                "latitude": 51.05,
                "longitude": 3.72,
                "travel_range_km": 50,
                "max_assignments_per_week": 10,
                "weekly": [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)],
            },
            headers=desk,
        )
        assert interpreter.status_code == 201, interpreter.text
        starts = _next_weekday_at_ten(20)
        created = await http.post(
            f"{tolken}/api/v1/requests",
            json={
                "language": language,
                "modality": "on_site",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
                "municipality_nis": "44021",
                "address": "Sint-Pietersnieuwstraat 1, Gent",
                "subject_category": "welzijn",
                "organisation": "agii",
            },
            headers=desk,
        )
        assert created.status_code == 201, created.text
        request_id = created.json()["id"]

        async def status() -> str:
            found = await http.get(f"{tolken}/api/v1/requests/{request_id}", headers=desk)
            return found.json()["status"]

        assert await status() == "offered", "the only interpreter of the language is asked"

        await _tolken_sql(
            system,
            "UPDATE tolken.offers SET answer_by = now() - interval '1 minute'"
            " WHERE request_id = $1 AND status = 'pending'",
            uuid.UUID(request_id),
        )

        async def back_in_queue() -> bool:
            return await status() == "received"

        await eventually(back_in_queue, within=30)

        await _tolken_sql(
            system,
            "UPDATE tolken.requests SET starts_at = now() - interval '2 hours',"
            " ends_at = now() - interval '1 hour' WHERE id = $1",
            uuid.UUID(request_id),
        )

        async def closed() -> bool:
            return await status() == "unfulfilled"

        await eventually(closed, within=30)

        topic = f"{system.topic_prefix}tolken.requests"
        records = await read_topic(infra.kafka_bootstrap, topic, 1, within=10)
        mine = [
            json.loads(r.value)
            for r in records
            if r.key.decode() == request_id
            and dict(r.headers)["ce_type"] == b"tolken.request.unfulfilled.v1"
        ]
        assert [e["reason"] for e in mine] == ["no_candidate"]


@pytest.mark.parametrize("service", ["intake", "trajecten", "tolken", "rapportage"])
async def test_the_running_workers_drop_idempotency_answers_after_a_day(system, service):
    """Housekeeping (every 2 s here): an answer older than the retention goes, a fresh one
    stays, in every service."""
    conn = await asyncpg.connect(asyncpg_dsn(system.db.url(service)))
    try:
        principal = f"housekeeping-{uuid.uuid4().hex[:8]}"
        await conn.execute(
            f"INSERT INTO {service}.idempotency_keys"
            " (principal, key, request_hash, status_code, body, created_at)"
            " VALUES ($1, 'old', 'h', 201, ''::bytea, now() - interval '25 hours'),"
            "        ($1, 'fresh', 'h', 201, ''::bytea, now() - interval '1 hour')",
            principal,
        )

        async def kept() -> list[str] | None:
            keys = await conn.fetch(
                f"SELECT key FROM {service}.idempotency_keys WHERE principal = $1", principal
            )
            return [k["key"] for k in keys] if len(keys) == 1 else None

        assert await eventually(kept, within=30) == ["fresh"]
    finally:
        await conn.close()
