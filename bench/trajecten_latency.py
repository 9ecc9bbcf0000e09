"""End-to-end latency from intake's POST /api/v1/persons to ``trajecten.trajectory.opened.v1``
consumed, beside the raw Kafka produce -> consume round trip measured in the same run.

An isolated environment (own database, roles and topic prefix, removed afterwards) runs intake's
api and worker and trajecten's worker as real processes. Samples alternate: one registration
(HTTP POST, intake's transaction with its outbox row, intake's relay to Kafka, trajecten's
consumer opening the trajectory in its transaction with inbox and outbox, trajecten's relay to
Kafka, our consumer), then one raw round trip (an idempotent acks=all produce of a record of the
same size to a topic of our own, read by the same consumer).

    .venv/bin/python bench/trajecten_latency.py [--samples 300]

The last line is the ratio of the p99s, end-to-end / raw (goal: within 3x the raw round trip
plus one commit).
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

REPO = Path(__file__).resolve().parents[1]
PERSON = {
    "given_name": "Bench",
    "birth_date": "1988-05-17",
    "municipality_nis": "44021",
    "languages": ["ar"],
    # Many newcomers born the same day with look-alike names: each is someone else (intake
    # would otherwise stop a registration to show the likely duplicates first).
    "confirm_new_person": True,
}


def environment(settings: Any, port: int | None) -> dict[str, str]:
    values = {
        f"CIVIC_{name.upper()}": str(
            value.get_secret_value() if hasattr(value, "get_secret_value") else value
        )
        for name, value in settings.model_dump().items()
        if value is not None
    }
    return os.environ | values | ({"CIVIC_HTTP_PORT": str(port)} if port else {})


def print_logs(directory: Path) -> None:
    for log in sorted(directory.glob("*.log")):
        print(f"--- {log.name}\n{log.read_text()[-3000:]}", file=sys.stderr)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Arrivals:
    """One consumer on both topics; resolves a waiter when its record arrives."""

    def __init__(
        self, bootstrap: str, opened_topic: str, raw_topic: str, registered_topic: str
    ) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=5
        )
        self._topics = (opened_topic, raw_topic, registered_topic)
        self.registered: dict[str, float] = {}  # person id -> when intake's event arrived
        self._waiters: dict[str, asyncio.Future[float]] = {}
        self._early: dict[str, float] = {}  # arrived before anyone waited for it
        self.created: dict[str, float] = {}  # person id -> wall-clock ce_time of opened
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        partitions = []
        for topic in self._topics:
            for _ in range(50):
                found = self._consumer.partitions_for_topic(topic)
                if found:
                    break
                await self._consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
            partitions += [TopicPartition(topic, p) for p in sorted(found or [])]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for partition in partitions:  # resolve the end offsets now, not at the first sample
            await self._consumer.position(partition)
        self._task = asyncio.create_task(self._run())

    def expect(self, key: str) -> asyncio.Future[float]:
        """A future of when ``key`` arrived; resolved at once if it already did (a fast pipeline
        can deliver before the POST's caller gets to register its wait)."""
        waiter = asyncio.get_running_loop().create_future()
        if key in self._early:
            waiter.set_result(self._early.pop(key))
        else:
            self._waiters[key] = waiter
        return waiter

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batch.values():
                for record in records:
                    key = self._key(record)
                    if key is None:
                        continue
                    waiter = self._waiters.pop(key, None)
                    if waiter is None:
                        self._early[key] = now
                    elif not waiter.done():
                        waiter.set_result(now)

    def _key(self, record: Any) -> str | None:
        if record.topic == self._topics[1]:
            return record.key.decode()
        if record.topic == self._topics[2]:
            self.registered[record.key.decode()] = time.perf_counter()
            return None
        headers = dict(record.headers)
        if headers.get("ce_type") != b"trajecten.trajectory.opened.v1":
            return None
        person_id = json.loads(record.value)["person_id"]
        created = datetime.fromisoformat(headers["ce_time"].decode()).timestamp()
        self.created[person_id] = time.perf_counter() - (time.time() - created)
        return person_id

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


async def wait_ready(url: str, processes: list[subprocess.Popen]) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(600):
            if any(p.poll() is not None for p in processes):
                raise RuntimeError("a service process exited during start-up")
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} not ready")


async def run(args: argparse.Namespace) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    from civic_common.auth.issuer import ensure_keys, mint
    from civic_common.kafka import ensure_topics
    from civic_common.testing.infra import local_infra
    from civic_common.testing.plugin import free_port, isolated_environment, isolated_settings

    infra = local_infra(REPO)
    with tempfile.TemporaryDirectory() as keys_dir, tempfile.TemporaryDirectory() as logs_dir:
        keys = Path(keys_dir)
        ensure_keys(keys)
        headers = {
            "Authorization": f"Bearer {mint(keys, ['counter'], 'bench@agii', organisation='agii')}"
        }
        async with isolated_environment(infra) as (db, prefix):
            raw_topic = f"{prefix}bench.roundtrip"
            await ensure_topics(infra.kafka_bootstrap, {raw_topic: 3})
            port = free_port()
            processes = []
            for service, kind in (("intake", "api"), ("intake", "worker"), ("trajecten", "worker")):
                settings = isolated_settings(infra, db, prefix, keys, service)
                log = (Path(logs_dir) / f"{service}-{kind}.log").open("w")
                processes.append(
                    subprocess.Popen(  # noqa: ASYNC220 - starts it, never waits
                        [sys.executable, "-m", "civic_common.cli", service, kind],
                        env=environment(settings, port if kind == "api" else None),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            arrivals = Arrivals(
                infra.kafka_bootstrap,
                f"{prefix}trajecten.trajectories",
                raw_topic,
                f"{prefix}intake.persons",
            )
            producer = AIOKafkaProducer(
                bootstrap_servers=infra.kafka_bootstrap,
                acks="all",
                enable_idempotence=True,
                linger_ms=0,
            )
            intake = f"http://127.0.0.1:{port}"
            try:
                await wait_ready(intake, processes)
                await producer.start()
                await arrivals.start()
                async with httpx.AsyncClient(timeout=30) as http:
                    legs: dict[str, list[float]] = {
                        "intake POST answered": [],
                        "intake relay -> person.registered on Kafka": [],
                        "trajecten consumer -> trajectory opened (event created)": [],
                        "trajecten commit + relay -> opened consumed": [],
                    }

                    async def end_to_end() -> float:
                        started = time.perf_counter()
                        # A newcomer of their own each time, as at a counter: the same name
                        # again would make every answer list all the earlier near-duplicates.
                        newcomer = PERSON | {"family_name": f"Latency-{uuid.uuid4().hex[:12]}"}
                        response = await http.post(
                            f"{intake}/api/v1/persons", json=newcomer, headers=headers
                        )
                        answered = time.perf_counter()
                        if response.status_code != 201:
                            raise RuntimeError(response.text)
                        person_id = response.json()["id"]
                        waiter = arrivals.expect(person_id)
                        arrived = await asyncio.wait_for(waiter, 120)
                        registered = arrivals.registered.pop(person_id)
                        created = arrivals.created.pop(person_id)
                        marks = [started, answered, registered, created, arrived]
                        for leg, begin, end in zip(legs.values(), marks, marks[1:], strict=False):
                            leg.append(end - begin)
                        return arrived - started

                    payload = json.dumps({"person_id": str(uuid.uuid4()), "x": "y" * 300}).encode()

                    async def raw() -> float:
                        key = str(uuid.uuid4())
                        waiter = arrivals.expect(key)
                        started = time.perf_counter()
                        await producer.send_and_wait(raw_topic, payload, key=key.encode())
                        return (await asyncio.wait_for(waiter, 30)) - started

                    # Warm-up: the consumer group of trajecten's worker must be assigned first.
                    for _ in range(10):
                        await end_to_end()
                        await raw()
                    e2e_samples, raw_samples = [], []
                    for leg in legs.values():
                        leg.clear()
                    for _ in range(args.samples):
                        e2e_samples.append(await end_to_end())
                        raw_samples.append(await raw())
            except Exception:
                print_logs(Path(logs_dir))
                raise
            finally:
                await arrivals.stop()
                await producer.stop()
                for process in processes:
                    process.terminate()
                for process in processes:
                    process.wait(timeout=20)
                admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
                await admin.start()
                try:
                    await admin.delete_topics([raw_topic])
                finally:
                    await admin.close()

    def ms(values: list[float], q: float) -> float:
        return percentile(values, q) * 1000

    print(f"samples {args.samples} each, alternating, sequential (one in flight)")
    print(
        f"raw Kafka produce->consume (acks=all): p50 {ms(raw_samples, 0.5):.1f} ms, "
        f"p99 {ms(raw_samples, 0.99):.1f} ms, mean {statistics.mean(raw_samples) * 1000:.1f} ms"
    )
    print(
        f"intake POST -> trajectory.opened consumed: p50 {ms(e2e_samples, 0.5):.1f} ms, "
        f"p99 {ms(e2e_samples, 0.99):.1f} ms, mean {statistics.mean(e2e_samples) * 1000:.1f} ms"
    )
    for name, values in legs.items():
        print(f"  leg {name}: p50 {ms(values, 0.5):.1f} ms, p99 {ms(values, 0.99):.1f} ms")
    print(
        "machine: {} cores, load average {:.1f} {:.1f} {:.1f}".format(
            os.cpu_count(), *os.getloadavg()
        )
    )
    print(f"p50 ratio {ms(e2e_samples, 0.5) / ms(raw_samples, 0.5):.2f}")
    print(f"ratio {ms(e2e_samples, 0.99) / ms(raw_samples, 0.99):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
