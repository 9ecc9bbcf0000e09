"""Rebuilding rapportage's projections from the topics, against a bare consume-and-insert.

Fills an isolated environment's topics (own database, roles and topic prefix, removed
afterwards) with ``--events`` events: training snapshots (several versions per training),
registered persons and opened trajectories. Then, in the same run:

- baseline: a bare aiokafka consumer reads every record from the beginning and inserts
  (event id, type, payload) rows with asyncpg, one executemany per fetched batch, one
  transaction;
- real: ``rapportage.rebuild`` — envelope parsing, contract validation, inbox, the handlers'
  upserts and counts, one transaction;
- a report query over the rebuilt data (the question-321 tables and the intakes per month).

    .venv/bin/python bench/rapportage_rebuild.py [--events 1000000]

It checks that every applied event has its inbox entry. The last line is the ratio
real/baseline in events per second.
"""

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

REPO = Path(__file__).resolve().parents[1]
REGIONS = ["Antwerpen", "Brussel", "Limburg", "Oost-Vlaanderen", "Vlaams-Brabant"]
THEMES = ["Duidelijke taal", "Meertaligheid", "Tolken", "Diversiteit", "Polarisatie"]
AGENCIES = ["AgII", "Atlas", "IN-Gent"]


def headers(event_type: str, key: str, sequence: int) -> list[tuple[str, bytes]]:
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid.uuid4()).encode()),
        ("ce_source", b"/civic/bench"),
        ("ce_type", event_type.encode()),
        ("ce_time", datetime.now(UTC).isoformat().encode()),
        ("ce_partitionkey", key.encode()),
        ("ce_sequence", str(sequence).encode()),
        ("content-type", b"application/json"),
    ]


def training(training_id: str, rng: random.Random) -> dict[str, object]:
    year = rng.randrange(2016, 2021)
    return {
        "training_id": training_id,
        "agencies": [rng.choice(AGENCIES)],
        "offer": rng.choice(["open", "custom"]),
        "theme": rng.choice(THEMES),
        "title": f"Vorming {training_id[:8]}",
        "region": rng.choice(REGIONS),
        "status": "held",
        "sessions": [{"held_on": f"{year}-0{rng.randrange(1, 10)}-15", "half_days": 1}],
        "participating_organisations": [
            {"name": "Stad Gent", "organisation_type": "local_government", "participants": 6},
            {"name": "CAW", "organisation_type": "care_and_welfare", "participants": 3},
        ],
        "cost_lines": [{"description": "zaal", "amount_eur": "125.00", "borne_by": "agii"}],
        "staff_hours": "7.5",
    }


async def fill(bootstrap: str, prefix: str, count: int) -> None:
    """60% training snapshots (about three versions each), 30% persons, 10% trajectories."""
    rng = random.Random(7)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks=1, linger_ms=20, max_batch_size=512 * 1024
    )
    await producer.start()
    trainings: list[tuple[str, int]] = []
    started = time.perf_counter()
    try:
        pending = []
        for n in range(count):
            kind = n % 10
            now = datetime.now(UTC).isoformat()
            if kind < 6:
                if trainings and rng.random() < 0.66:
                    index = rng.randrange(len(trainings))
                    key, version = trainings[index]
                    trainings[index] = (key, version + 1)
                else:
                    key, version = str(uuid.uuid4()), 1
                    trainings.append((key, version))
                topic, event_type = "trajecten.trainings", "trajecten.training.recorded.v1"
                data: dict[str, object] = training(key, random.Random(key)) | {
                    "description": f"versie {version}"
                }
                sequence = trainings[-1][1] if version == 1 else version
            elif kind < 9:
                key, sequence = str(uuid.uuid4()), 1
                topic, event_type = "intake.persons", "intake.person.registered.v1"
                data = {
                    "person_id": key,
                    "registered_at": now,
                    "municipality_nis": f"{rng.choice([11002, 44021, 71016, 21004]):05d}",
                    "nationality": rng.choice(["SY", "AF", "UA", "MA"]),
                }
            else:
                key, sequence = str(uuid.uuid4()), 1
                topic, event_type = "trajecten.trajectories", "trajecten.trajectory.opened.v1"
                data = {
                    "trajectory_id": key,
                    "person_id": str(uuid.uuid4()),
                    "kind": "inburgeringstraject",
                    "template_version": "2025.1",
                    "opened_at": now,
                    "municipality_nis": "44021",
                }
            pending.append(
                await producer.send(
                    prefix + topic,
                    json.dumps(data, separators=(",", ":")).encode(),
                    key=key.encode(),
                    headers=headers(event_type, key, sequence),
                )
            )
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
                print(f"  {n + 1:,} events geschreven", file=sys.stderr)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    print(f"filled {count:,} events in {time.perf_counter() - started:.1f} s", file=sys.stderr)


async def baseline(bootstrap: str, prefix: str, dsn: str, topics: list[str], batch: int) -> float:
    """Bare aiokafka consume and asyncpg insert of every record, fetching as many records at a
    time as the rebuild does; returns seconds."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    await conn.execute(
        "CREATE TABLE rapportage.bench_baseline"
        " (event_id uuid PRIMARY KEY, event_type text NOT NULL, payload jsonb NOT NULL)"
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_poll_records=batch,
        fetch_max_bytes=50 * 1024 * 1024,
        max_partition_fetch_bytes=10 * 1024 * 1024,
    )
    await consumer.start()
    started = time.perf_counter()
    try:
        await consumer._client.force_metadata_update()
        partitions = [
            TopicPartition(prefix + t, p)
            for t in topics
            for p in consumer.partitions_for_topic(prefix + t) or ()
        ]
        assert partitions, "no topic metadata"
        end = await consumer.end_offsets(partitions)
        partitions = [tp for tp in partitions if end[tp] > 0]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        pending = set(partitions)
        async with conn.transaction():
            while pending:
                batch = await consumer.getmany(*pending, timeout_ms=1000)
                rows = []
                for records in batch.values():
                    for r in records:
                        head = dict(r.headers)
                        rows.append((uuid.UUID(head["ce_id"].decode()), head["ce_type"].decode(),
                                     r.value.decode()))  # fmt: skip
                if rows:
                    await conn.executemany(
                        "INSERT INTO rapportage.bench_baseline VALUES ($1, $2, $3::jsonb)"
                        " ON CONFLICT DO NOTHING",
                        rows,
                    )
                for tp in list(pending):
                    if await consumer.position(tp) >= end[tp]:
                        pending.discard(tp)
        return time.perf_counter() - started
    finally:
        await consumer.stop()
        await conn.execute("DROP TABLE rapportage.bench_baseline")
        await conn.close()


async def run(args: argparse.Namespace) -> None:
    from civic_common.auth.issuer import ensure_keys
    from civic_common.db.engine import asyncpg_dsn
    from civic_common.db.migrate import upgrade
    from civic_common.testing.infra import local_infra
    from civic_common.testing.plugin import isolated_environment, isolated_settings
    from rapportage.app.catalogue import CATALOGUE, Params
    from rapportage.app.projections import SUBSCRIPTIONS
    from rapportage.main import SERVICE
    from rapportage.rebuild import rebuild
    from rapportage.settings import RapportageSettings

    infra = local_infra(REPO)
    with tempfile.TemporaryDirectory() as keys_dir:
        keys = Path(keys_dir)
        ensure_keys(keys)
        async with isolated_environment(infra) as (db, prefix):
            settings = isolated_settings(infra, db, prefix, keys, "rapportage")
            runtime = SERVICE.runtime(settings)
            await upgrade(runtime.engine, runtime.migrations, "rapportage")
            await fill(infra.kafka_bootstrap, prefix, args.events)

            dsn = asyncpg_dsn(settings.database_url.get_secret_value())
            report_settings = RapportageSettings()
            cpu = time.process_time()
            bare = await baseline(
                infra.kafka_bootstrap,
                prefix,
                dsn,
                list(SUBSCRIPTIONS),
                report_settings.rebuild_batch,
            )
            bare_cpu = time.process_time() - cpu
            print(f"baseline done in {bare:.1f} s", file=sys.stderr)
            shown = [0]

            def progress(done: int, total: int) -> None:
                if done - shown[0] >= 50_000:
                    shown[0] = done
                    print(f"  rebuild {done:,}/{total:,}", file=sys.stderr)

            cpu = time.process_time()
            result = await rebuild(runtime, report_settings, progress)
            real_cpu = time.process_time() - cpu

            timings = {}
            params = Params(from_year=2016, to_year=2020)
            for report_id in ("trainings-per-year", "trainings-per-region", "trainings-per-theme",
                              "cost-and-vte-per-year", "intakes-per-month"):  # fmt: skip
                async with runtime.uow() as uow:
                    started = time.perf_counter()
                    await CATALOGUE[report_id].query(uow.session, params, report_settings)
                    timings[report_id] = time.perf_counter() - started
            async with runtime.engine.connect() as conn:
                from sqlalchemy import text

                trainings = await conn.scalar(text("SELECT count(*) FROM rapportage.trainings"))
                inbox = await conn.scalar(text("SELECT count(*) FROM rapportage.inbox"))
            await runtime.engine.dispose()

    real_rate = result.events / result.seconds
    bare_rate = args.events / bare
    print(f"events: {args.events:,} (applied {result.applied:,}; {trainings:,} trainings after "
          f"upserting the snapshots)")  # fmt: skip
    for report_id, seconds in timings.items():
        print(f"report {report_id}: {seconds * 1000:.0f} ms")
    print(f"guarantees: {inbox:,} inbox entries for {result.applied:,} events applied")
    if inbox != result.applied:
        raise SystemExit("the rebuild applied events without their inbox entries")
    print(f"baseline aiokafka consume + asyncpg insert: {bare:.1f} s, {bare_rate:,.0f} events/s")
    print(f"rapportage.rebuild: {result.seconds:.1f} s, {real_rate:,.0f} events/s")
    # This process's CPU time: what the change is about, and much less scattered than the
    # elapsed time when other work shares the cores (the database's CPU is not in it).
    print(f"CPU of this process: baseline {bare_cpu:.1f} s, rebuild {real_cpu:.1f} s "
          f"({args.events / real_cpu:,.0f} events per CPU second)")  # fmt: skip
    print(
        "machine: {} cores, load average {:.1f} {:.1f} {:.1f}".format(
            os.cpu_count(), *os.getloadavg()
        )
    )
    print(f"ratio rebuild/baseline: {real_rate / bare_rate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
