"""An operator's worst day, against a private copy of the whole system: a steady registration
load through intake's API from a client that retries with the same Idempotency-Key, while
workers and the api are killed with SIGKILL, Postgres crashes and restarts, and the broker is
killed and frozen. Afterwards every acknowledged registration must have reached trajecten, tolken
and rapportage, every event on the topic must be in each consumer's inbox (applied or parked),
and nothing may be doubled.

``make chaos`` runs the full day (``CIVIC_CHAOS=full``: 20 registrations/s, 30 s broker outage,
20 s freeze); ``make test`` a shortened one. The last line printed is the summary.
"""

import asyncio
import os
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest

from civic_common.events.contracts.base import SERVICES
from civic_common.testing.infra import Infra
from civic_common.testing.kafka import read_topic
from civic_common.testing.plugin import PrivateKafka, PrivatePostgres, isolated_environment
from civic_common.testing.system import System, running_system

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

FULL = os.environ.get("CIVIC_CHAOS") == "full"
RATE = 20.0 if FULL else 8.0  # registrations per second
BROKER_DOWN = 30.0 if FULL else 10.0
BROKER_FROZEN = 20.0 if FULL else 6.0
SETTLE = 8.0 if FULL else 4.0  # load between faults
POSTGRES_CRASHES = 5 if FULL else 3  # each one cuts events in flight in every consumer
CONSUMERS = {  # service -> the table that shows a registration arrived
    "trajecten": "trajectories",
    "tolken": "language_profiles",
    "rapportage": "intakes",
}
# Targets (issue 19): effects flow again within these many seconds of the fault's end.
RECOVERY_TARGET = {"worker": 10.0, "broker": 15.0}


@dataclass
class Load:
    """Registrations at a steady rate; each retried with its own key until acknowledged."""

    url: str
    headers: dict[str, str]
    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> person id
    abandoned: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=5) as http, asyncio.TaskGroup() as group:
            while not self.stop.is_set():
                group.create_task(self.register(http))
                await asyncio.sleep(1 / RATE)

    async def register(self, http: httpx.AsyncClient, within: float = 240.0) -> str | None:
        key = str(uuid.uuid4())
        body = {
            "given_name": "Chaos",
            "family_name": f"Test-{key[:8]}",
            "birth_date": "1990-01-01",
            "municipality_nis": "44021",
            "languages": ["ar"],
            "interpreter_language": "ar",
            # Thousands born the same day with look-alike names: each is someone else (intake
            # would otherwise stop a registration to show the likely duplicates first).
            "confirm_new_person": True,
        }
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                answer = await http.post(
                    f"{self.url}/api/v1/persons",
                    json=body,
                    headers=self.headers | {"Idempotency-Key": key},
                )
            except httpx.HTTPError:
                self.statuses["connection error"] += 1
                await asyncio.sleep(0.5)
                continue
            self.statuses[answer.status_code] += 1
            if answer.status_code in (200, 201):
                self.acknowledged[key] = answer.json()["id"]
                return self.acknowledged[key]
            await asyncio.sleep(float(answer.headers.get("Retry-After", "0.5")))
        self.abandoned.append(key)
        return None


async def _present(conn: asyncpg.Connection, service: str, person_ids: list[str]) -> set[str]:
    rows = await conn.fetch(
        f"SELECT person_id::text FROM {service}.{CONSUMERS[service]} "
        "WHERE person_id = ANY($1::uuid[])",
        person_ids,
    )
    return {row[0] for row in rows}


async def _recovery(
    load: Load, db_url: str, since: float, service: str | None = "trajecten"
) -> float:
    """Seconds from ``since`` until a registration made now has reached ``service``
    (trajecten when None: intake's own worker shows in what its relay lets reach others)."""
    service = service or "trajecten"
    async with httpx.AsyncClient(timeout=5) as http:
        person = await load.register(http)
    assert person is not None, "the probe registration was never acknowledged"
    conn = await _connect(db_url)
    try:
        while not await _present(conn, service, [person]):
            await asyncio.sleep(0.2)
            if time.monotonic() - since > 180:
                raise AssertionError("no recovery within 180 s")
    finally:
        await conn.close()
    return time.monotonic() - since


async def _db_now(db_url: str) -> object:
    """The database's clock, to compare with the inbox's ``received_at``."""
    conn = await _connect(db_url)
    try:
        return await conn.fetchval("SELECT clock_timestamp()")
    finally:
        await conn.close()


async def _flowing(db_url: str, service: str, since: object, within: float = 180.0) -> float:
    """Seconds from ``since`` (database clock, the fault's end) until ``service`` applies an
    event again: the first inbox row written after it. After a worker's kill that row can only
    come from a worker alive after the kill; after a broker fault, only from a record fetched
    after the broker answered again. It does not wait for the backlog to drain (``_recovery``
    does)."""
    conn = await _connect(db_url)
    try:
        started = time.monotonic()
        while True:
            first = await conn.fetchval(
                f"SELECT min(received_at) FROM {service}.inbox WHERE received_at > $1", since
            )
            if first is not None:
                return (first - since).total_seconds()
            if time.monotonic() - started > within:
                raise AssertionError(f"{service} applied nothing within {within:.0f} s")
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def _connect(url: str) -> asyncpg.Connection:
    for _ in range(100):
        try:
            return await asyncpg.connect(url)
        except (OSError, asyncpg.PostgresError):
            await asyncio.sleep(0.2)
    return await asyncpg.connect(url)


def _restart_soon(system: System, name: str, delay: float = 1.0) -> asyncio.Task:
    """As a supervisor would: the killed process is started again after ``delay``."""

    async def later() -> None:
        await asyncio.sleep(delay)
        system.processes[name].start()

    return asyncio.create_task(later())


async def test_nothing_lost_doubled_or_skipped_under_faults(
    private_postgres: PrivatePostgres,
    private_kafka: PrivateKafka,
    jwt_keys: Path,
    auth,
    tmp_path: Path,
) -> None:
    infra = Infra(private_postgres.admin_url, private_kafka.bootstrap)
    logs = tmp_path / "logs"
    logs.mkdir()
    recovery: dict[str, float] = {}  # until effects flow again (the targets)
    caught_up: dict[str, float] = {}  # until a registration made at the fault's end arrived
    async with (
        isolated_environment(infra) as (db, prefix),
        running_system(
            infra,
            db,
            prefix,
            jwt_keys,
            logs,
            # Two workers sharing each group's partitions, in both forms: the kills hit one of
            # them while the other goes on, and at the end one is gone for good.
            workers_per_service=2,
            extra_environment={"CIVIC_TRAJECTEN_DEADLINE_CHECK_SECONDS": "1"},
        ) as system,
    ):
        db_url = f"{infra.admin_url.rsplit('/', 1)[0]}/{db.name}"
        load = Load(system.urls["intake"], auth("counter"))
        loader = asyncio.create_task(load.run())
        try:
            await asyncio.sleep(SETTLE)

            # 1. Each service's worker killed in turn (intake's relays its outbox), started again
            # by its supervisor a second later; recovery is seen where that worker's effect is.
            for service in SERVICES:
                name = f"{service}-worker-1"
                killed_at = await _db_now(db_url)
                system.processes[name].kill()
                killed = time.monotonic()
                await _restart_soon(system, name)
                seconds = await _recovery(load, db_url, killed, CONSUMERS.get(service) and service)
                caught_up["kill -9 worker"] = max(caught_up.get("kill -9 worker", 0.0), seconds)
                if service in CONSUMERS:
                    seconds = await _flowing(db_url, service, killed_at)
                recovery["kill -9 worker"] = max(recovery.get("kill -9 worker", 0.0), seconds)

            # 2. intake's api killed mid-request, restarted.
            system.processes["intake-api"].kill()
            await _restart_soon(system, "intake-api")
            await asyncio.sleep(SETTLE)

            # 3. Postgres crashes: every connection cut, crash recovery; several times over.
            for _ in range(POSTGRES_CRASHES):
                await asyncio.to_thread(private_postgres.crash)
                seconds = await _recovery(load, db_url, time.monotonic())
                caught_up["postgres restart"] = max(caught_up.get("postgres restart", 0.0), seconds)
                recovery["postgres restart"] = caught_up["postgres restart"]
                await asyncio.sleep(1.0)

            # 4. The broker killed, started again.
            await asyncio.to_thread(private_kafka.stop)
            await asyncio.sleep(BROKER_DOWN)
            await asyncio.to_thread(private_kafka.start)
            back, back_at = time.monotonic(), await _db_now(db_url)
            caught_up["broker down"] = await _recovery(load, db_url, back)
            recovery["broker down"] = max(
                [await _flowing(db_url, service, back_at) for service in CONSUMERS]
            )

            # 5. The broker frozen (SIGSTOP), then thawed.
            broker = private_kafka.pid
            os.kill(broker, signal.SIGSTOP)
            await asyncio.sleep(BROKER_FROZEN)
            os.kill(broker, signal.SIGCONT)
            back, back_at = time.monotonic(), await _db_now(db_url)
            caught_up["broker frozen"] = await _recovery(load, db_url, back)
            recovery["broker frozen"] = max(
                [await _flowing(db_url, service, back_at) for service in CONSUMERS]
            )

            # 6. One of two workers of tolken and of trajecten killed for good mid-run: the other
            # takes over their partitions, and trajecten's periodic deadline check.
            system.processes["tolken-worker-2"].kill()
            system.processes["trajecten-worker-2"].kill()
            caught_up["worker gone"] = await _recovery(load, db_url, time.monotonic())
            recovery["worker gone"] = caught_up["worker gone"]
            referrals = await _missed_deadline_referred(system, auth, db_url, infra, prefix)
            await asyncio.sleep(SETTLE)
        finally:
            load.stop.set()
            await loader

        summary = await _verify(load, infra, db_url, prefix)
        print(
            "chaos:",
            " | ".join(
                f"{svc}: acknowledged {s['acknowledged']}, lost {s['lost']}, "
                f"doubled {s['doubled']}, skipped {s['skipped']}, "
                f"redelivered {s['redelivered']}"
                for svc, s in summary.items()
            ),
            "| recovery s (flowing / caught up): "
            + ", ".join(
                f"{fault} {seconds:.1f} / {caught_up[fault]:.1f}"
                for fault, seconds in recovery.items()
            )
            + f" | answers {dict(load.statuses)}",
        )
        assert not load.abandoned, f"never acknowledged: {len(load.abandoned)}"
        for svc, s in summary.items():
            assert (s["lost"], s["doubled"], s["skipped"]) == (0, 0, 0), (svc, s)
        # The targets are on effects flowing again after the fault's end. The time until a
        # registration made at that moment arrives includes draining what queued meanwhile (the
        # full day's 30 s outage at 20/s is about 600 events per consumer): reported beside it,
        # and in docs/runbook.md.
        assert recovery["kill -9 worker"] <= RECOVERY_TARGET["worker"], recovery
        assert recovery["broker down"] <= RECOVERY_TARGET["broker"], recovery
        assert recovery["broker frozen"] <= RECOVERY_TARGET["broker"], recovery
        assert load.statuses[500] == 0, load.statuses
        assert referrals["events"] == referrals["misses"] > 0, referrals  # once each


async def _missed_deadline_referred(
    system: System, auth, db_url: str, infra: Infra, prefix: str
) -> dict[str, int]:
    """An obligated newcomer's deadlines, back-dated, are referred once by the worker left."""
    body = {
        "given_name": "Rania",
        "family_name": f"Khalil-{uuid.uuid4().hex[:6]}",
        "birth_date": "1991-03-05",
        "municipality_nis": "44021",
        "nationality": "SY",
        "residence_category": "recognised_refugee",
        "languages": ["ar"],
    }
    async with httpx.AsyncClient(timeout=10) as http:
        registered = await http.post(
            f"{system.urls['intake']}/api/v1/persons", json=body, headers=auth("counter")
        )
    assert registered.status_code == 201, registered.text
    person = registered.json()["id"]
    conn = await _connect(db_url)
    try:
        # As long as a recovery may take: the registration may queue behind the backlog.
        deadline = time.monotonic() + 180
        while (
            trajectory := await conn.fetchval(
                "SELECT id FROM trajecten.trajectories WHERE person_id = $1", uuid.UUID(person)
            )
        ) is None:
            assert time.monotonic() < deadline, "no trajectory"
            await asyncio.sleep(0.5)
        await conn.execute(
            "UPDATE trajecten.components SET deadline = current_date - 30 "
            "WHERE trajectory_id = $1 AND required AND deadline IS NOT NULL",
            trajectory,
        )
        misses = await conn.fetchval(
            "SELECT count(*) FROM trajecten.components WHERE trajectory_id = $1 "
            "AND required AND deadline IS NOT NULL",
            trajectory,
        )
        while (
            await conn.fetchval(
                "SELECT count(*) FROM trajecten.components WHERE trajectory_id = $1 "
                "AND referred_deadline IS NOT NULL",
                trajectory,
            )
            < misses
        ):
            assert time.monotonic() < deadline + 30, "the deadline check did not run"
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    await asyncio.sleep(3)  # more rounds of the check: nothing may be referred twice
    records = await read_topic(
        infra.kafka_bootstrap, f"{prefix}trajecten.trajectories", 1, within=10
    )
    events = [
        r
        for r in records
        if r.key.decode() == str(trajectory)
        and dict(r.headers)["ce_type"] == b"trajecten.trajectory.deadline-missed.v1"
    ]
    return {"misses": misses, "events": len(events)}


async def _verify(load: Load, infra: Infra, db_url: str, prefix: str) -> dict[str, dict]:
    acknowledged = list(load.acknowledged.values())
    records = await read_topic(
        infra.kafka_bootstrap, f"{prefix}intake.persons", len(acknowledged), within=60
    )
    registered = [
        r for r in records if dict(r.headers).get("ce_type") == b"intake.person.registered.v1"
    ]
    event_ids = [dict(r.headers)["ce_id"].decode() for r in registered]
    per_person = Counter(r.key.decode() for r in registered)
    assert len(set(event_ids)) == len(per_person), "one registration event per person"
    conn = await _connect(db_url)
    summary: dict[str, dict] = {}
    try:
        for service, table in CONSUMERS.items():
            deadline = time.monotonic() + 120
            while True:
                present = await _present(conn, service, acknowledged)
                if len(present) == len(set(acknowledged)) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(1)
            inbox = {
                row[0] for row in await conn.fetch(f"SELECT event_id::text FROM {service}.inbox")
            }
            rows = await conn.fetch(
                f"SELECT person_id, count(*) FROM {service}.{table} "
                "GROUP BY person_id HAVING count(*) > 1"
            )
            summary[service] = {
                "acknowledged": len(set(acknowledged)),
                "lost": len(set(acknowledged) - present),
                "doubled": len(rows),  # an effect made twice
                "skipped": len(set(event_ids) - inbox),
                # The relay is at-least-once: a send whose acknowledgement the broker's failure
                # lost is sent again. The same event (same ce_id) then sits on the topic twice,
                # and the inbox applies it once. Reported, not a fault.
                "redelivered": sum(n - 1 for n in per_person.values()),
            }
    finally:
        await conn.close()
    return summary


async def test_processes_started_while_the_database_is_down_come_up_with_it(
    private_postgres: PrivatePostgres, infra: Infra, jwt_keys: Path, tmp_path: Path
) -> None:
    """A supervisor (or compose) restarts a process whenever it likes, also while Postgres is
    down or still in crash recovery. The process waits for the database instead of exiting
    (``civic_common.cli.migrate``), and is ready once the database is."""
    own = Infra(private_postgres.admin_url, infra.kafka_bootstrap)
    logs = tmp_path / "logs"
    logs.mkdir()
    async with (
        isolated_environment(own) as (db, prefix),
        running_system(own, db, prefix, jwt_keys, logs) as system,
    ):
        restarted = ["intake-api", "trajecten-api", "trajecten-worker-1"]
        await asyncio.to_thread(private_postgres.stop)
        for name in restarted:
            system.processes[name].kill()
            system.processes[name].start()
        for name in restarted:  # each has tried its migrations, found no database, and waits
            for _ in range(240):
                if (logs / f"{name}.log").read_text().count("database unavailable at start") >= 2:
                    break
                assert system.processes[name].running, system.log_tails()
                await asyncio.sleep(0.5)
            else:
                raise AssertionError(f"{name} never tried the database:\n{system.log_tails()}")

        await asyncio.to_thread(private_postgres.start)
        async with httpx.AsyncClient(timeout=2) as http:
            for service in ("intake", "trajecten"):
                for _ in range(120):
                    try:
                        if (await http.get(f"{system.urls[service]}/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.5)
                else:
                    raise AssertionError(f"{service} not ready:\n{system.log_tails()}")
        assert system.processes["trajecten-worker-1"].running, system.log_tails()
