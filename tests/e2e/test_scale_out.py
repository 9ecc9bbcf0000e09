"""Scale-out, shown: two apis and two workers per service, the workers of each service sharing
its consumer group's partitions. Under a steady registration load spread over both intake apis,
one worker of each consuming service is killed with SIGKILL and not started again: its partner
takes its partitions over (after the group's session timeout), and every acknowledged
registration reaches trajecten, tolken and rapportage exactly once, those registered after the
kill too. (The full fault suite, tests/chaos, adds broker and database faults; ``make chaos``.)"""

import asyncio
import itertools
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from civic_common.db.engine import asyncpg_dsn
from civic_common.testing.infra import Infra
from civic_common.testing.plugin import isolated_environment
from civic_common.testing.system import running_system
from civic_common.testing.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

NIS = "11002"
RATE = 4.0  # registrations per second
BEFORE, AFTER = 8.0, 12.0  # seconds of load before and after the kill
CONSUMERS = {"trajecten": "trajectories", "tolken": "language_profiles", "rapportage": "intakes"}
EXTRA = {"CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS": "e2e:" + "A" * 43 + "="}


async def applied(http: httpx.AsyncClient, metrics: str) -> float:
    text = (await http.get(metrics)).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "civic_consumer_events_total"
        and s.labels.get("topic") == "intake.persons"
        and s.labels.get("outcome") == "applied"
    )


async def test_two_of_each_under_load_survive_a_worker_killed_for_good(
    infra: Infra, jwt_keys: Path, tmp_path: Path, auth
) -> None:
    async with (
        isolated_environment(infra) as (db, prefix),
        running_system(
            infra,
            db,
            prefix,
            jwt_keys,
            tmp_path,
            workers_per_service=2,
            apis_per_service=2,
            extra_environment=EXTRA,
        ) as system,
    ):
        apis = itertools.cycle([system.urls["intake"], system.urls["intake-api-2"]])
        acknowledged: list[tuple[str, float]] = []  # person id, when
        answers: Counter = Counter()
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def register(http: httpx.AsyncClient, url: str) -> None:
            key = str(uuid.uuid4())
            body = {
                "given_name": f"Schaal{key[:6]}",
                "family_name": "Uit",
                "birth_date": "1991-06-15",
                "municipality_nis": NIS,
                "languages": ["tr"],
                "interpreter_language": "tr",
                "confirm_new_person": True,
            }
            headers = auth("counter") | {"Idempotency-Key": key}
            for _ in range(10):  # the same key until acknowledged
                try:
                    answer = await http.post(f"{url}/api/v1/persons", json=body, headers=headers)
                except httpx.HTTPError:
                    await asyncio.sleep(0.5)
                    continue
                answers[answer.status_code] += 1
                if answer.status_code == 201:
                    acknowledged.append((answer.json()["id"], loop.time() - started))
                    return
                await asyncio.sleep(0.5)

        stop = asyncio.Event()
        attempted = 0

        async def load(http: httpx.AsyncClient) -> None:
            nonlocal attempted
            async with asyncio.TaskGroup() as group:
                while not stop.is_set():
                    group.create_task(register(http, next(apis)))
                    attempted += 1
                    await asyncio.sleep(1 / RATE)

        async with httpx.AsyncClient(timeout=10) as http:
            loader = asyncio.create_task(load(http))
            try:
                await asyncio.sleep(BEFORE)

                # Both workers of each service share the partitions (each applies some)...
                async def both_working() -> bool:
                    return all(
                        [
                            await applied(http, system.metrics[f"{service}-worker-{n}"]) > 0
                            for service in CONSUMERS
                            for n in (1, 2)
                        ]
                    )

                await eventually(both_working, within=90)
                # ...then one of each dies for good, under load.
                for service in CONSUMERS:
                    system.processes[f"{service}-worker-1"].kill()
                killed_at = loop.time() - started
                await asyncio.sleep(AFTER)
            finally:
                stop.set()
                await loader
        assert killed_at is not None
        people = [p for p, _ in acknowledged]
        after_kill = [p for p, at in acknowledged if at > killed_at]
        assert len(people) == attempted, (len(people), attempted, answers)  # every one taken
        assert after_kill, "no registration after the kill"
        assert answers[500] == 0, answers

        for service, table in CONSUMERS.items():
            conn = await asyncpg.connect(asyncpg_dsn(system.db.url(service)))
            try:

                async def arrived(
                    conn: asyncpg.Connection = conn, service: str = service, table: str = table
                ) -> Counter | None:
                    rows = await conn.fetch(
                        f"SELECT person_id::text AS p, count(*) AS n FROM {service}.{table}"
                        " WHERE person_id = ANY($1::uuid[]) GROUP BY person_id",
                        people,
                    )
                    found = Counter({r["p"]: r["n"] for r in rows})
                    return found if len(found) == len(set(people)) else None

                found = await eventually(arrived, within=120)
                doubled = {p: n for p, n in found.items() if n > 1}
                assert not doubled, (service, doubled)  # nothing applied twice
                assert set(after_kill) <= set(found), service  # the effect kept flowing
            finally:
                await conn.close()
        print(
            f"scale-out: {len(people)} acknowledged over two intake apis, {len(after_kill)} after "
            f"one worker of each consumer was killed at {killed_at:.1f}s; each reached "
            f"{', '.join(CONSUMERS)} exactly once; answers {dict(answers)}"
        )
