"""The backup and restore drill of docs/runbook.md ("Backup and restore"), run on a real stack.

A stack registers people and settles; the database is backed up with pg_dump (every schema, one
consistent snapshot); the stack is stopped (the disaster). A fresh database is provisioned and
the dump restored into it; the consumer groups' offsets go back to the start of the topics
(Kafka keeps every event; the offsets need no backup); a fresh stack starts on the restored
database. Then:

- the reports answer exactly what they answered before the disaster;
- the consumers re-read every old event and applied none of them again: their inboxes,
  restored with the rest, answer ``duplicate`` (counted in the workers' metrics, exactly);
- the restored stack goes on: people registered now are applied once and counted.
"""

import asyncio
import secrets
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from civic_common.events.contracts.base import SERVICES, TOPICS
from civic_common.provision import drop_database, provision_database
from civic_common.testing.infra import Infra
from civic_common.testing.plugin import IsolatedDatabase, isolated_environment, service_spec
from civic_common.testing.system import running_system
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

NIS = "11001"
BEFORE, AFTER = 3, 2  # registrations before the backup, and on the restored stack
EXTRA = {"CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS": "e2e:" + "A" * 43 + "="}


def pg_tool(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    path = str(found[-1]) if found else shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (deploy/local/infra.sh installs PostgreSQL)")
    return path


async def run(*args: str) -> str:
    """Run a PostgreSQL client tool; its output, or the test fails with its error."""
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, f"{args[0]}: {err.decode(errors='replace')}"
    return out.decode()


def libpq(admin_url: str, database: str) -> str:
    url = make_url(admin_url).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def person(n: int) -> dict[str, object]:
    return {
        "given_name": f"Herstel{n}",
        "family_name": "Drill",
        "birth_date": f"1987-09-1{n}",
        "municipality_nis": NIS,
        "languages": ["tr"],
        "contact_language": "tr",
        "interpreter_language": "tr",
        "confirm_new_person": True,
    }


async def register(http: httpx.AsyncClient, intake: str, auth, n: int) -> None:
    made = await http.post(f"{intake}/api/v1/persons", json=person(n), headers=auth("counter"))
    assert made.status_code == 201, made.text


async def report(http: httpx.AsyncClient, rapportage: str, auth) -> list[dict]:
    month = datetime.now(UTC).strftime("%Y-%m")
    answer = await http.get(
        f"{rapportage}/api/v1/reports/monthly-counts",
        params={"from_month": month, "to_month": month, "municipality_nis": NIS},
        headers=auth("analyst"),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def counted(http: httpx.AsyncClient, rapportage: str, auth, expected: int) -> list[dict]:
    async def settled() -> list[dict] | None:
        rows = await report(http, rapportage, auth)
        done = (
            rows and rows[0]["intakes"] == expected and rows[0]["trajectories_opened"] == expected
        )
        return rows if done else None

    return await eventually(settled, within=90)


async def outcomes(http: httpx.AsyncClient, metrics: str, topic: str) -> dict[str, float]:
    text = (await http.get(metrics)).text
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "civic_consumer_events_total" and s.labels.get("topic") == topic:
                found[s.labels["outcome"]] = found.get(s.labels["outcome"], 0) + s.value
    return found


async def rewind_groups(bootstrap: str, prefix: str, within: float = 90.0) -> None:
    """What the runbook does with kafka-consumer-groups.sh --reset-offsets --to-earliest: each
    service's group back to the start of every topic it consumes. Kafka takes it once the
    stopped stack's members left the group (static members: after their session timeout)."""
    for service in SERVICES:
        if not service_spec(service).consumes():
            continue
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=f"{prefix}{service}", enable_auto_commit=False
        )
        await consumer.start()
        try:
            partitions = [
                TopicPartition(prefix + topic, p)
                for topic in service_spec(service).consumes()
                for p in range(TOPICS[topic])  # partition counts are part of the contract
            ]
            consumer.assign(partitions)
            deadline = asyncio.get_running_loop().time() + within
            while True:
                try:
                    await consumer.commit({tp: OffsetAndMetadata(0, "") for tp in partitions})
                    break
                except KafkaError:  # the old members still hold the group
                    if asyncio.get_running_loop().time() > deadline:
                        raise
                    await asyncio.sleep(1)
            assert all([await consumer.committed(tp) == 0 for tp in partitions])
        finally:
            await consumer.stop()


async def test_a_restored_stack_answers_the_same_reports_and_reapplies_no_old_event(
    infra: Infra, jwt_keys: Path, tmp_path: Path, auth
) -> None:
    dump = tmp_path / "civic.dump"
    for stack in ("a", "b"):
        (tmp_path / stack).mkdir()
    async with isolated_environment(infra) as (db, prefix):
        async with running_system(
            infra, db, prefix, jwt_keys, tmp_path / "a", extra_environment=EXTRA
        ) as a:
            async with httpx.AsyncClient(timeout=15) as http:
                for n in range(BEFORE):
                    await register(http, a.urls["intake"], auth, n)
                before_disaster = await counted(http, a.urls["rapportage"], auth, BEFORE)
                # Settled (the report counts every event's effect): the backup, one pg_dump of
                # the database, every schema in one snapshot.
                await run(
                    pg_tool("pg_dump"), "--format=custom", f"--file={dump}",
                    libpq(infra.admin_url, db.name),
                )  # fmt: skip
        # The disaster: the stack is gone; a fresh database takes the dump.
        restored = IsolatedDatabase(db.admin_url, f"{db.name}_r{secrets.token_hex(2)}", db.roles)
        admin = await asyncpg.connect(libpq(infra.admin_url, "postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{restored.name}"')
        finally:
            await admin.close()
        try:
            # Everything, as the superuser: schemas, extensions, tables, data, owners, grants
            # (the roles are the cluster's; after a loss of the cluster, civic-provision makes
            # them first). Then provisioning adds what lives outside the dump (each role's
            # search_path in this database, CONNECT); it is idempotent.
            await run(
                pg_tool("pg_restore"), "--exit-on-error",
                f"--dbname={libpq(infra.admin_url, restored.name)}", str(dump),
            )  # fmt: skip
            await provision_database(restored.admin_url, restored.name, restored.roles)
            await rewind_groups(infra.kafka_bootstrap, prefix)
            async with running_system(
                infra, restored, prefix, jwt_keys, tmp_path / "b", extra_environment=EXTRA
            ) as b:
                async with httpx.AsyncClient(timeout=15) as http:
                    # The groups re-read every topic from its start: wait for the old events.
                    async def reread(worker: str) -> dict[str, float] | None:
                        seen = await outcomes(http, b.metrics[worker], "intake.persons")
                        return seen if sum(seen.values()) >= BEFORE else None

                    for worker in ("rapportage-worker-1", "trajecten-worker-1", "tolken-worker-1"):
                        seen = await eventually(lambda w=worker: reread(w), within=90)
                        # Recognised by the restored inbox, every one; applied again, none.
                        assert seen == {"duplicate": BEFORE}, (worker, seen)
                    assert await report(http, b.urls["rapportage"], auth) == before_disaster
                    # The restored stack goes on: new people are applied once and counted.
                    for n in range(BEFORE, BEFORE + AFTER):
                        await register(http, b.urls["intake"], auth, n)
                    after = await counted(http, b.urls["rapportage"], auth, BEFORE + AFTER)
                    assert after[0]["intakes"] == before_disaster[0]["intakes"] + AFTER
                    seen = await outcomes(http, b.metrics["trajecten-worker-1"], "intake.persons")
                    assert seen == {"duplicate": BEFORE, "applied": AFTER}, seen
        except BaseException:
            logs = sorted((tmp_path / "b").glob("*.log")) if (tmp_path / "b").exists() else []
            for log in logs:
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
            raise
        finally:
            await drop_database(restored.admin_url, restored.name, [])
