"""A busy day: registrations at a steady offered rate through intake's API, with every consumer
running, checked for lost and doubled effects in the databases afterwards.

An isolated environment (own database, roles and topic prefix, removed afterwards) runs intake's
api and worker and the workers of trajecten (opens trajectories), tolken (records language
profiles) and rapportage (counts intakes) as real processes. An open-loop driver offers
``--rate`` registrations per second for ``--duration`` seconds (each sent at its scheduled time,
at most ``--in-flight`` at once; a late one is timed from when it was due, so a backlog shows in
the figures). A consumer of our own reads ``trajecten.trajectory.opened.v1``.

Reported: API p50/p99 (from when each request was due), end-to-end p50/p99 from due to the
trajectory opened arriving, the largest backlog seen (outbox rows of any service, lag of any
consumer group, sampled every second), each process's RSS at the end (goal <= 150 MB), and, once
everything drained, lost and doubled counted in the databases: every person intake answered 201
for must have exactly one trajectory, one language profile, one rapportage intake and one count.

    .venv/bin/python bench/busy_day.py [--rate 100] [--duration 300] [--in-flight 64]

The last line is the ratio of the sustained rate (registrations answered per second of the
offered period, plus what it took to answer the late ones) to the offered rate (goal 1.0, with
the end-to-end p99 under 1 s).
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from trajecten_latency import PERSON, environment, percentile, print_logs, wait_ready

REPO = Path(__file__).resolve().parents[1]
PROCESSES = [
    ("intake", "api"),
    ("intake", "worker"),
    ("trajecten", "worker"),
    ("tolken", "worker"),
    ("rapportage", "worker"),
]
OPENED = "trajecten.trajectory.opened.v1"


class Opened:
    """Our consumer of trajecten.trajectories: when each person's trajectory.opened arrived."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20
        )
        self._topic = topic
        self.arrived: dict[str, float] = {}
        self.repeated = 0  # Kafka may deliver an event twice (at least once); the DB decides
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        found: set[int] | None = None
        for _ in range(100):
            found = self._consumer.partitions_for_topic(self._topic)
            if found:
                break
            await self._consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
        partitions = [TopicPartition(self._topic, p) for p in sorted(found or ())]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for partition in partitions:
            await self._consumer.position(partition)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batch.values():
                for record in records:
                    if dict(record.headers).get("ce_type") != OPENED.encode():
                        continue
                    person = json.loads(record.value)["person_id"]
                    if person in self.arrived:
                        self.repeated += 1
                    else:
                        self.arrived[person] = now

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


async def backlog(dsns: dict[str, str], bootstrap: str, prefix: str) -> tuple[int, int]:
    """(largest outbox of any service, largest lag of any consumer group) right now."""
    outboxes = []
    for service, dsn in dsns.items():
        conn = await asyncpg.connect(dsn)
        try:
            outboxes.append(await conn.fetchval(f"SELECT count(*) FROM {service}.outbox"))
        finally:
            await conn.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    lags = [0]
    try:
        for service in ("trajecten", "tolken", "rapportage"):
            committed = await admin.list_consumer_group_offsets(f"{prefix}{service}")
            if not committed:
                continue
            ends = await consumer.end_offsets(list(committed))
            lags.append(sum(ends[tp] - meta.offset for tp, meta in committed.items()))
    finally:
        await consumer.stop()
        await admin.close()
    return max(outboxes), max(lags)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def count_effects(dsns: dict[str, str], persons: list[str]) -> dict[str, tuple[int, int]]:
    """Per effect, (lost, doubled) among ``persons``: none missing, none twice."""
    ids = [uuid.UUID(p) for p in persons]
    queries = {
        "intake persons": ("intake", "SELECT id FROM intake.persons WHERE id = ANY($1)"),
        "trajecten trajectories": (
            "trajecten",
            "SELECT person_id FROM trajecten.trajectories WHERE person_id = ANY($1)",
        ),
        "tolken language profiles": (
            "tolken",
            "SELECT person_id FROM tolken.language_profiles WHERE person_id = ANY($1)",
        ),
        "rapportage intakes": (
            "rapportage",
            "SELECT person_id FROM rapportage.intakes WHERE person_id = ANY($1)",
        ),
    }
    found: dict[str, tuple[int, int]] = {}
    for name, (service, sql) in queries.items():
        conn = await asyncpg.connect(dsns[service])
        try:
            rows = [r[0] for r in await conn.fetch(sql, ids)]
            if service == "rapportage":
                counted = await conn.fetchval(
                    "SELECT coalesce(sum(count), 0) FROM rapportage.monthly_counts"
                    " WHERE metric = 'intakes'"
                )
        finally:
            await conn.close()
        found[name] = (len(set(ids) - set(rows)), len(rows) - len(set(rows)))
    found["rapportage intake counts"] = (max(len(ids) - counted, 0), max(counted - len(ids), 0))
    return found


async def run(args: argparse.Namespace) -> None:
    from civic_common.auth.issuer import ensure_keys, mint
    from civic_common.db.engine import asyncpg_dsn
    from civic_common.testing.infra import local_infra
    from civic_common.testing.plugin import free_port, isolated_environment, isolated_settings

    infra = local_infra(REPO)
    with tempfile.TemporaryDirectory() as keys_dir, tempfile.TemporaryDirectory() as logs_dir:
        keys = Path(keys_dir)
        ensure_keys(keys)
        token = mint(keys, ["counter"], "bench@agii", organisation="agii")
        headers = {"Authorization": f"Bearer {token}"}
        async with isolated_environment(infra) as (db, prefix):
            dsns = {
                s: asyncpg_dsn(db.url(s)) for s in ("intake", "trajecten", "tolken", "rapportage")
            }
            port = free_port()
            processes: dict[str, subprocess.Popen] = {}
            for service, kind in PROCESSES:
                settings = isolated_settings(infra, db, prefix, keys, service)
                log = (Path(logs_dir) / f"{service}-{kind}.log").open("w")
                processes[f"{service}-{kind}"] = subprocess.Popen(  # noqa: ASYNC220 - never waits
                    [sys.executable, "-m", "civic_common.cli", service, kind],
                    env=environment(settings, port if kind == "api" else None)
                    | {"CIVIC_LOG_LEVEL": "WARNING"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            url = f"http://127.0.0.1:{port}/api/v1/persons"
            opened = Opened(infra.kafka_bootstrap, f"{prefix}trajecten.trajectories")
            answered: dict[str, float] = {}  # person id -> when due
            api_times: list[float] = []
            failures: list[str] = []
            largest = (0, 0)
            try:
                await wait_ready(f"http://127.0.0.1:{port}", list(processes.values()))
                await opened.start()
                # Idle connections closed before the server's keep-alive timeout (5 s) ends
                # them: else a request sent at that moment fails (ReadError), which a counter
                # would simply repeat but would leave a hole in the figures here.
                limits = httpx.Limits(max_connections=args.in_flight, keepalive_expiry=2.0)
                async with httpx.AsyncClient(limits=limits, timeout=60) as http:
                    # Warm-up: every worker joined its group and opened a trajectory once.
                    warmed = []
                    for _ in range(5):
                        body = PERSON | {"family_name": f"Warm-{uuid.uuid4().hex[:12]}"}
                        warm = (await http.post(url, json=body, headers=headers)).json()["id"]
                        warmed.append(warm)
                        for _ in range(600):
                            if warm in opened.arrived:
                                break
                            await asyncio.sleep(0.1)
                    gate = asyncio.Semaphore(args.in_flight)

                    async def register(due: float) -> None:
                        body = PERSON | {"family_name": f"Busy-{uuid.uuid4().hex[:12]}"}
                        async with gate:
                            response = await http.post(url, json=body, headers=headers)
                        if response.status_code != 201:
                            failures.append(f"{response.status_code} {response.text[:200]}")
                            return
                        api_times.append(time.perf_counter() - due)
                        answered[response.json()["id"]] = due

                    sampling = True

                    async def sample() -> None:
                        nonlocal largest
                        while sampling:
                            try:
                                now = await backlog(dsns, infra.kafka_bootstrap, prefix)
                            except (OSError, asyncpg.PostgresError, KafkaError) as exc:
                                print(f"backlog not sampled: {exc!r}", file=sys.stderr)
                            else:
                                largest = (max(largest[0], now[0]), max(largest[1], now[1]))
                            await asyncio.sleep(1.0)

                    sampler = asyncio.create_task(sample())
                    total = int(args.rate * args.duration)
                    started = time.perf_counter()
                    tasks = []
                    for n in range(total):
                        due = started + n / args.rate
                        delay = due - time.perf_counter()
                        if delay > 0:
                            await asyncio.sleep(delay)
                        tasks.append(asyncio.create_task(register(due)))
                    await asyncio.gather(*tasks)
                    all_answered = time.perf_counter() - started
                    # Drain: every answered registration's trajectory arrives (or is lost).
                    for _ in range(240):  # two minutes at most
                        if not set(answered) - set(opened.arrived):
                            break
                        await asyncio.sleep(0.5)
                    sampling = False
                    await sampler
                rss = {name: rss_mb(p.pid) for name, p in processes.items()}
                await asyncio.sleep(5)  # the last counts commit in every consumer
                # The warm-up's registrations count too (rapportage's counts include them).
                effects = await count_effects(dsns, [*answered, *warmed])
            except Exception:
                print_logs(Path(logs_dir))
                raise
            finally:
                await opened.stop()
                for process in processes.values():
                    process.terminate()
                for process in processes.values():
                    process.wait(timeout=20)

    e2e = [opened.arrived[p] - due for p, due in answered.items() if p in opened.arrived]

    def ms(values: list[float], q: float) -> float:
        return percentile(values, q) * 1000 if values else float("nan")

    sustained = len(answered) / max(all_answered, args.duration)
    print(
        f"offered {args.rate}/s for {args.duration} s ({total} registrations, at most "
        f"{args.in_flight} in flight); answered 201: {len(answered)}, failed: {len(failures)}"
        + (f" (e.g. {failures[0]})" if failures else "")
    )
    print(f"all answered after {all_answered:.1f} s")
    print(f"API (from due): p50 {ms(api_times, 0.5):.0f} ms, p99 {ms(api_times, 0.99):.0f} ms")
    print(
        f"end to end to trajectory.opened (from due): p50 {ms(e2e, 0.5):.0f} ms, "
        f"p99 {ms(e2e, 0.99):.0f} ms ({len(e2e)} arrived, {opened.repeated} redelivered)"
    )
    print(f"largest backlog: outbox {largest[0]} rows, consumer lag {largest[1]} records")
    for name, mb in rss.items():
        print(f"RSS {name}: {mb:.0f} MB" + ("" if mb <= 150 else "  (over 150 MB)"))
    lost = sum(v[0] for v in effects.values())
    doubled = sum(v[1] for v in effects.values())
    for name, (lost_n, doubled_n) in effects.items():
        print(f"  {name}: lost {lost_n}, doubled {doubled_n}")
    print(f"lost={lost} doubled={doubled}")
    print(
        "machine: {} cores, load average {:.1f} {:.1f} {:.1f}".format(
            os.cpu_count(), *os.getloadavg()
        )
    )
    if lost or doubled:
        raise SystemExit("registrations were lost or doubled")
    print(f"ratio sustained/offered {sustained / args.rate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--duration", type=float, default=300, help="seconds (try 20)")
    parser.add_argument("--in-flight", type=int, default=64)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
