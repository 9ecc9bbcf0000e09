"""Fixtures of rapportage's tests: events onto the run's real topics, applied as the worker
applies them, and the API in process."""

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import func, select

from civic_common.consumer import InboxConsumer, Record
from civic_common.events.contracts import TOPICS, EventData
from civic_common.events.contracts.reporting import (
    CostLine,
    Evaluation,
    ParticipatingOrganisation,
    Session,
)
from civic_common.events.contracts.trajecten import TrainingRecorded
from civic_common.events.envelope import Envelope
from civic_common.kafka import idempotent_producer
from civic_common.outbox import OutboxRelay
from rapportage.adapters.tables import messaging
from rapportage.app.projections import SUBSCRIPTIONS
from rapportage.main import build_app
from rapportage.settings import RapportageSettings


def _training(**changes: Any) -> TrainingRecorded:
    """A held training of AgII in Limburg, 2019, with two organisations and an evaluation."""
    fields: dict[str, Any] = {
        "training_id": uuid.uuid4(),
        "agencies": ["AgII"],  # as an older producer spelled it: stored as agii
        "offer": "open",
        "theme": "Duidelijke taal",
        "title": "Helder schrijven",
        "description": "Schrijven in duidelijk Nederlands",
        "region": "Limburg",
        "status": "held",
        "sessions": [Session(held_on=date(2019, 3, 5), half_days=2)],
        "organisers": ["consulenten integratie Limburg"],
        "participating_organisations": [
            ParticipatingOrganisation(
                name="Stad Genk", organisation_type="local_government", participants=7
            ),
            ParticipatingOrganisation(
                name="CAW Limburg", organisation_type="care_and_welfare", participants=3
            ),
        ],
        "cost_lines": [CostLine(description="zaal", amount_eur=Decimal("250"), borne_by="agii")],
        "staff_hours": Decimal("15.96"),
        "evaluation": Evaluation(invited=10, responded=8, satisfied=7),
        "outcome": "continued",
    }
    return TrainingRecorded(**(fields | changes))


class Events:
    """Publishes events onto the run's topics and applies them through the inbox consumer."""

    def __init__(self, bootstrap: str, prefix: str, runtime: Any) -> None:
        self.bootstrap, self.prefix, self.runtime = bootstrap, prefix, runtime

    async def publish(self, *events: tuple[EventData, str, int]) -> list[Envelope]:
        """(event, key, sequence) each; returns the envelopes sent."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        await producer.start()
        sent = []
        try:
            for event, key, sequence in events:
                envelope = Envelope(
                    type=event.event_type,
                    source="/civic/test",
                    partitionkey=key,
                    sequence=sequence,
                    data=event.model_dump(mode="json"),
                )
                await producer.send_and_wait(
                    self.prefix + event.topic,
                    envelope.value(),
                    key=key.encode(),
                    headers=[(k, v.encode()) for k, v in envelope.headers().items()],
                )
                sent.append(envelope)
        finally:
            await producer.stop()
        return sent

    async def apply(self, envelopes: list[Envelope], topic: str) -> list[str]:
        """Deliver the published envelopes (read back from Kafka) as the worker would."""
        return await self.apply_ids({str(e.id) for e in envelopes}, topic)

    async def outbox_ids(self, import_id: str) -> list[str]:
        """The event ids of one import's events in rapportage's outbox, in order."""
        async with self.runtime.engine.connect() as conn:
            ids = (
                (
                    await conn.execute(
                        select(messaging.outbox.c.event_id)
                        .where(
                            func.convert_from(messaging.outbox.c.payload, "UTF8").contains(
                                import_id
                            )
                        )
                        .order_by(messaging.outbox.c.id)
                    )
                )
                .scalars()
                .all()
            )
        return [str(i) for i in ids]

    async def relay_and_apply(self, topic: str, import_id: str) -> list[str]:
        """Send rapportage's outbox to Kafka (the worker's relay) and apply one import's events."""
        ids = await self.outbox_ids(import_id)
        await self.relay()
        return await self.apply_ids(set(ids), topic)

    async def relay(self) -> None:
        """Send rapportage's outbox to Kafka, as the worker's relay does."""
        runtime = self.runtime
        relay = OutboxRelay(runtime.engine, runtime.tables, self.bootstrap, self.prefix)
        producer = idempotent_producer(self.bootstrap)
        await producer.start()
        try:
            while await relay.publish_batch(producer):
                pass
        finally:
            await producer.stop()

    async def apply_ids(self, ids: set[str], topic: str) -> list[str]:
        mine = await self._read(self.prefix + topic, ids)
        consumer = InboxConsumer("rapportage", self.runtime.uow, SUBSCRIPTIONS[topic], self.prefix)
        return [
            await consumer.handle(
                Record(r.topic, r.partition, r.offset, r.key, r.value, dict(r.headers))
            )
            for r in mine
        ]

    async def _read(self, topic: str, ids: set[str]) -> list[ConsumerRecord]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [
                TopicPartition(topic, p) for p in range(TOPICS[topic.removeprefix(self.prefix)])
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            found: list[ConsumerRecord] = []
            for _ in range(60):
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    found += [
                        r for r in records if dict(r.headers).get("ce_id", b"").decode() in ids
                    ]
                if len(found) >= len(ids):
                    break
            return sorted(found, key=lambda r: (r.partition, r.offset))
        finally:
            await consumer.stop()

    async def deliver(self, *events: tuple[EventData, str, int]) -> list[str]:
        envelopes = await self.publish(*events)
        topics = {e.topic for e, _, _ in events}
        outcomes: list[str] = []
        for topic in sorted(topics):
            outcomes += await self.apply(
                [env for env, (e, _, _) in zip(envelopes, events, strict=True) if e.topic == topic],
                topic,
            )
        return outcomes


@pytest.fixture
def events(infra, topic_prefix, runtime_for) -> Events:
    return Events(infra.kafka_bootstrap, topic_prefix, runtime_for("rapportage"))


@pytest.fixture
def training() -> Callable[..., TrainingRecorded]:
    return _training


@pytest.fixture
def report_settings() -> RapportageSettings:
    return RapportageSettings(annual_hours_per_fte=Decimal(1596), small_cell_threshold=5)


@pytest.fixture
def agency(report_settings) -> Callable[[], str]:
    """A fresh agency of this test's own (the run's database is shared by every test), known
    to the API under test: reports refuse an agency they do not know."""

    def new() -> str:
        code = f"t-{uuid.uuid4().hex[:8]}"
        report_settings.agencies[code] = code
        return code

    return new


@pytest.fixture
async def client(runtime_for, report_settings):
    app = build_app(runtime_for("rapportage"), report_settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://rapportage") as http:
        yield http


@pytest.fixture
def now() -> Callable[[], datetime]:
    return lambda: datetime.now(UTC)
