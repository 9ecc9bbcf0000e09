"""Consuming with the inbox: redeliveries change nothing, poison goes to the dead-letter topic."""

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from civic_common.consumer import InboxConsumer, Record
from civic_common.events.contracts import PersonRegistered
from civic_common.events.envelope import Envelope
from civic_common.kafka import idempotent_producer
from civic_common.outbox import OutboxRelay
from civic_common.testing.kafka import read_topic
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.integration


def record_of(envelope: Envelope, offset: int, topic: str = "intake.persons") -> Record:
    headers = {k: v.encode() for k, v in envelope.headers().items()}
    return Record(topic, 0, offset, envelope.partitionkey.encode(), envelope.value(), headers)


def person_envelope(person_id: uuid.UUID, **data: object) -> Envelope:
    event = PersonRegistered(
        person_id=person_id, registered_at=datetime.now(UTC), municipality_nis="44021"
    )
    return Envelope(
        type=event.event_type,
        source="/civic/intake",
        partitionkey=str(person_id),
        sequence=1,
        data=event.model_dump(mode="json") | data,
    )


async def count_trajectories(runtime, person_id: uuid.UUID) -> int:
    async with runtime.engine.connect() as conn:
        return await conn.scalar(
            text("SELECT count(*) FROM trajecten.trajectories WHERE person_id = :p"),
            {"p": person_id},
        )


def trajecten_consumer(runtime, prefix: str = "") -> InboxConsumer:
    from trajecten.app.trajectories import on_person_registered

    return InboxConsumer("trajecten", runtime.uow, {PersonRegistered: on_person_registered}, prefix)


async def test_the_same_event_delivered_twice_changes_nothing_the_second_time(runtime_for):
    runtime = runtime_for("trajecten")
    consumer = trajecten_consumer(runtime)
    person = uuid.uuid4()
    envelope = person_envelope(person)

    assert await consumer.handle(record_of(envelope, offset=1)) == "applied"
    assert await consumer.handle(record_of(envelope, offset=2)) == "duplicate"
    assert await count_trajectories(runtime, person) == 1


async def test_an_invalid_event_is_dead_lettered_with_its_reason_and_consumption_goes_on(
    runtime_for, infra, topic_prefix
):
    runtime = runtime_for("trajecten")
    consumer = trajecten_consumer(runtime, topic_prefix)
    topic = f"{topic_prefix}intake.persons"
    bad_person, good_person = uuid.uuid4(), uuid.uuid4()

    poison = record_of(person_envelope(bad_person, municipality_nis="not-a-nis"), 10, topic)
    garbage = Record(topic, 0, 11, b"k", b"\x00not json", {"ce_specversion": b"1.0"})
    assert await consumer.handle(poison) == "deadlettered"
    assert await consumer.handle(garbage) == "deadlettered"
    assert await consumer.handle(record_of(person_envelope(good_person), 12, topic)) == "applied"
    assert await count_trajectories(runtime, bad_person) == 0
    assert await count_trajectories(runtime, good_person) == 1

    relay = OutboxRelay(runtime.engine, runtime.tables, infra.kafka_bootstrap, topic_prefix)
    producer = idempotent_producer(infra.kafka_bootstrap)
    await producer.start()
    try:
        await eventually(lambda: _drained(relay, producer), within=20)
    finally:
        await producer.stop()

    dead = await read_topic(infra.kafka_bootstrap, f"{topic_prefix}trajecten.deadletter", 2)
    reasons = {
        dict(r.headers)["dlq_offset"].decode(): dict(r.headers)["dlq_reason"].decode() for r in dead
    }
    assert "municipality_nis" in reasons["10"]
    assert "not JSON" in reasons["11"] or "missing header" in reasons["11"]
    assert {r.value for r in dead} >= {poison.value, garbage.value}, "original bytes kept"


async def _drained(relay: OutboxRelay, producer) -> bool:
    return await relay.publish_batch(producer) == 0


@pytest.mark.parametrize(
    "cause",
    [
        asyncpg.exceptions.ConnectionDoesNotExistError(
            "connection was closed in the middle of operation"
        ),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.SerializationError("could not serialize access"),
    ],
    ids=type,
)
async def test_a_database_outage_inside_the_handler_is_retried_not_parked(runtime_for, cause):
    """As seen during a Postgres restart: asyncpg's error arrives wrapped in SQLAlchemy's
    generic DBAPIError. The event must be applied once the database is back, not dead-lettered."""
    from trajecten.app.trajectories import on_person_registered

    runtime = runtime_for("trajecten")
    failures = [DBAPIError("INSERT …", None, cause)]

    async def flaky(uow, event, envelope):
        if failures:
            raise failures.pop()
        await on_person_registered(uow, event, envelope)

    consumer = InboxConsumer("trajecten", runtime.uow, {PersonRegistered: flaky}, max_backoff=0.1)
    person = uuid.uuid4()
    assert await consumer.handle(record_of(person_envelope(person), offset=20)) == "applied"
    assert await count_trajectories(runtime, person) == 1


async def test_a_record_with_a_header_without_value_is_parked_and_consumption_goes_on(
    runtime_for, topic_prefix
):
    runtime = runtime_for("trajecten")
    consumer = trajecten_consumer(runtime, topic_prefix)
    topic = f"{topic_prefix}intake.persons"
    envelope = person_envelope(uuid.uuid4())
    headers = {k: v.encode() for k, v in envelope.headers().items()} | {"ce_id": None}
    nulled = Record(topic, 0, 30, b"k", envelope.value(), headers)
    assert await consumer.handle(nulled) == "deadlettered"
    after = uuid.uuid4()
    assert await consumer.handle(record_of(person_envelope(after), 31, topic)) == "applied"
