"""A worker applies a poll's records of one partition in one transaction, and a record that
needs its own (a dead letter) sends the batch back to one transaction per record, losing and
doubling nothing (civic_common.consumer.InboxConsumer.handle_many).

Events go onto ``intake.persons`` under one key (one partition, in order) in one produce
request, so trajecten's running worker fetches them in one poll. Its inbox shows how they were
applied: an inbox row's ``received_at`` is its transaction's start, one moment per transaction.
"""

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from civic_common.db.engine import asyncpg_dsn
from civic_common.events.contracts import PersonRegistered
from civic_common.events.envelope import Envelope
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

NIS = "38014"  # Koksijde: no other e2e test counts there


def registered(person_id: uuid.UUID, key: str, **data: object) -> Envelope:
    event = PersonRegistered(
        person_id=person_id,
        registered_at=datetime.now(UTC),
        municipality_nis=NIS,
        target_group="obligated",
        agency="agii",
    )
    return Envelope(
        type=event.event_type,
        source="/civic/e2e-batches",
        partitionkey=key,
        sequence=1,
        data=event.model_dump(mode="json") | data,
    )


async def send_at_once(infra, topic: str, envelopes: list[Envelope]) -> None:
    """In one produce request (linger): the records reach the log together."""
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all", linger_ms=200)
    await producer.start()
    try:
        futures = [
            await producer.send(
                topic,
                envelope.value(),
                key=envelope.partitionkey.encode(),
                headers=[(k, v.encode()) for k, v in envelope.headers().items()],
            )
            for envelope in envelopes
        ]
        await producer.flush()
        for future in futures:
            await future
    finally:
        await producer.stop()


async def inbox(system, ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(system.db.url("trajecten")))
    try:
        return await conn.fetch(
            "SELECT event_id, event_type, received_at FROM trajecten.inbox"
            " WHERE event_id = ANY($1)",
            ids,
        )
    finally:
        await conn.close()


async def trajectories(system, persons: list[uuid.UUID]) -> list[uuid.UUID]:
    conn = await asyncpg.connect(asyncpg_dsn(system.db.url("trajecten")))
    try:
        rows = await conn.fetch(
            "SELECT person_id FROM trajecten.trajectories WHERE person_id = ANY($1)", persons
        )
    finally:
        await conn.close()
    return [r["person_id"] for r in rows]


async def test_a_poll_of_events_is_applied_in_shared_transactions(system, infra):
    key = str(uuid.uuid4())
    persons = [uuid.uuid4() for _ in range(60)]
    envelopes = [registered(p, key) for p in persons]
    await send_at_once(infra, f"{system.topic_prefix}intake.persons", envelopes)

    ids = [e.id for e in envelopes]

    async def all_in() -> list[asyncpg.Record] | None:
        rows = await inbox(system, ids)
        return rows if len(rows) == len(ids) else None

    rows = await eventually(all_in, within=90)
    assert {r["event_type"] for r in rows} == {PersonRegistered.event_type}
    transactions = {r["received_at"] for r in rows}
    assert len(transactions) < len(rows) / 2, f"{len(transactions)} transactions for 60 events"
    found = await trajectories(system, persons)
    assert sorted(found) == sorted(persons), "each person exactly one trajectory"


async def test_a_dead_letter_in_a_batch_leaves_the_others_applied_once(system, infra):
    key = str(uuid.uuid4())
    persons = [uuid.uuid4() for _ in range(30)]
    envelopes = [registered(p, key) for p in persons]
    poison = registered(uuid.uuid4(), key, municipality_nis="not-a-nis")
    # The poison in the middle, and an event delivered twice on either side of it.
    batch = [*envelopes[:15], envelopes[3], poison, *envelopes[15:], envelopes[20]]
    await send_at_once(infra, f"{system.topic_prefix}intake.persons", batch)

    ids = [*(e.id for e in envelopes), poison.id]

    async def all_in() -> list[asyncpg.Record] | None:
        rows = await inbox(system, ids)
        return rows if len(rows) == len(ids) else None

    rows = await eventually(all_in, within=90)
    kinds = {r["event_id"]: r["event_type"] for r in rows}
    assert kinds.pop(poison.id) == "deadletter"
    assert set(kinds.values()) == {PersonRegistered.event_type}
    found = await trajectories(system, persons)
    assert sorted(found) == sorted(persons), "none lost, none doubled"
    down = [p.name for p in system.processes.values() if not p.running]
    assert not down, f"stopped: {down}"
