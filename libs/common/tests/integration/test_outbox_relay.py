"""The outbox relay against real Postgres and Kafka."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from civic_common.events.contracts import PersonRegistered
from civic_common.kafka import ensure_topics
from civic_common.outbox import OutboxRelay
from civic_common.provision import all_topics
from civic_common.testing.kafka import read_topic
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.integration


def registered(person_id: uuid.UUID) -> PersonRegistered:
    return PersonRegistered(
        person_id=person_id, registered_at=datetime.now(UTC), municipality_nis="11002"
    )


async def put_in_outbox(runtime, events: list[tuple[uuid.UUID, int]]) -> None:
    async with runtime.uow() as uow:
        for key, sequence in events:
            await uow.publish(registered(key), key=key, sequence=sequence)
        await uow.commit()


async def outbox_size(runtime, key: uuid.UUID | None = None) -> int:
    """Rows in the outbox (of one aggregate, given ``key``: other tests share the schema)."""
    outbox = runtime.tables.outbox
    query = select(func.count()).select_from(outbox)
    if key is not None:
        query = query.where(outbox.c.partition_key == str(key))
    async with runtime.engine.connect() as conn:
        return await conn.scalar(query)


async def run_relays(runtime, bootstrap: str, prefix: str, copies: int) -> list[asyncio.Task]:
    return [
        asyncio.create_task(
            OutboxRelay(runtime.engine, runtime.tables, bootstrap, prefix, batch_size=7).run()
        )
        for _ in range(copies)
    ]


async def stop(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_relays_keep_each_aggregates_order_and_send_each_row_once(
    runtime_for, infra, topic_prefix
):
    runtime = runtime_for("intake")
    keys = [uuid.uuid4() for _ in range(5)]
    # Interleaved across aggregates, 12 versions each, in several transactions.
    for sequence in range(1, 13):
        await put_in_outbox(runtime, [(key, sequence) for key in keys])

    relays = await run_relays(runtime, infra.kafka_bootstrap, topic_prefix, copies=3)
    try:
        await eventually(lambda: _empty(runtime), within=30)
    finally:
        await stop(relays)

    records = await read_topic(infra.kafka_bootstrap, f"{topic_prefix}intake.persons", 60)
    mine = [r for r in records if uuid.UUID(r.key.decode()) in keys]
    assert len(mine) == 60, "every row published exactly once"
    for key in keys:
        sequences = [
            int(dict(r.headers)["ce_sequence"]) for r in mine if r.key.decode() == str(key)
        ]
        assert sequences == list(range(1, 13)), f"aggregate {key} out of order: {sequences}"


async def _empty(runtime) -> bool:
    return await outbox_size(runtime) == 0


async def test_events_wait_in_the_outbox_while_kafka_is_down(
    runtime_for, private_kafka, topic_prefix
):
    """Kafka stopped: the change commits and its event is kept; it leaves once Kafka is back."""
    await ensure_topics(private_kafka.bootstrap, all_topics(topic_prefix))
    runtime = runtime_for("tolken")  # a schema no other test relays from
    relay = await run_relays(runtime, private_kafka.bootstrap, topic_prefix, copies=1)
    try:
        private_kafka.stop()
        key = uuid.uuid4()
        await put_in_outbox(runtime, [(key, 1)])
        await asyncio.sleep(3)  # the relay tries and fails meanwhile
        assert await outbox_size(runtime, key) == 1, "the event is kept while Kafka is down"

        private_kafka.start()
        await eventually(lambda: _empty(runtime), within=60)
    finally:
        await stop(relay)

    records = await read_topic(private_kafka.bootstrap, f"{topic_prefix}intake.persons", 1)
    assert [r.key.decode() for r in records] == [str(key)]


async def test_a_row_committed_while_a_batch_is_out_leaves_at_once(
    runtime_for, infra, topic_prefix
):
    """Its insert's wake-up (LISTEN) comes while the relay sends the batch before it: the relay
    goes round again at once, not after its poll interval (a minute here)."""
    runtime = runtime_for("rapportage")  # a schema no other test of this module relays from
    key = uuid.uuid4()
    inserted = asyncio.Event()

    class Relay(OutboxRelay):
        async def publish_batch(self, producer) -> int:
            sent = await super().publish_batch(producer)
            if not inserted.is_set():
                await put_in_outbox(runtime, [(key, 1)])
                inserted.set()
                await asyncio.sleep(0.5)  # its notification arrives meanwhile
            return sent

    relay = Relay(
        runtime.engine, runtime.tables, infra.kafka_bootstrap, topic_prefix, poll_interval=60.0
    )
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(inserted.wait(), 30)
        await eventually(lambda: _sent(runtime, key), within=10)
    finally:
        await stop([task])


async def _sent(runtime, key: uuid.UUID) -> bool:
    return await outbox_size(runtime, key) == 0
