"""Consuming events exactly once in effect: validate, dedupe in the inbox, apply, commit.

The handler's change, the inbox row and any events it publishes share one transaction; the
worker acknowledges the Kafka offset only after that commit. Events that cannot be validated go
to the service's dead-letter topic (through the outbox) with the reason, and consumption goes on.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal

from opentelemetry.trace import Span, SpanKind
from prometheus_client import Counter
from pydantic import ValidationError

from civic_common import tracing
from civic_common.db.errors import is_transient
from civic_common.db.uow import UnitOfWork, UnitOfWorkFactory
from civic_common.events.contracts import EventData, deadletter_topic
from civic_common.events.envelope import Envelope, InvalidEnvelope

log = logging.getLogger(__name__)

EVENTS = Counter(
    "civic_consumer_events_total",
    "Records a consumer handled, by outcome (applied, duplicate, ignored, deadlettered)",
    ["service", "topic", "outcome"],
)

Handler = Callable[[UnitOfWork, EventData, Envelope], Awaitable[None]]
Outcome = Literal["applied", "duplicate", "ignored", "deadlettered"]


class EventRejected(Exception):
    """Raised by a handler for a valid event it cannot apply; the event is dead-lettered."""


class _NotTogether(Exception):
    """A record of a batch needs its own transaction (it is to be dead-lettered)."""


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Mapping[str, bytes | None]  # Kafka allows a header without a value


class InboxConsumer:
    def __init__(
        self,
        service: str,
        uow_factory: UnitOfWorkFactory,
        handlers: Mapping[type[EventData], Handler],
        topic_prefix: str = "",
        max_backoff: float = 2.0,  # an attempt is one connection; the database is back within it
    ) -> None:
        self._service = service
        self._uow = uow_factory
        self._handlers = {model.event_type: (model, handler) for model, handler in handlers.items()}
        self._prefix = topic_prefix
        self._max_backoff = max_backoff

    async def handle(self, record: Record) -> Outcome:
        """Apply or park ``record``; never returns before one of them committed, never raises.

        The worker acknowledges the offset once this returns, so nothing may escape it: a
        transient fault is retried in place, and so is anything unexpected while parking (it is
        logged at each attempt; the partition waits rather than skipping the record).
        """
        backoff = 0.5
        while True:
            try:
                outcome = await self._handle(record)
                EVENTS.labels(self._service, self._logical(record), outcome).inc()
                return outcome
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "could not apply or park %s[%d]@%d; retrying in %.1fs",
                    record.topic,
                    record.partition,
                    record.offset,
                    backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def handle_many(self, records: Sequence[Record]) -> None:
        """Apply ``records`` (of one partition, in its order) in one transaction: one commit
        for a poll's worth of events instead of one per event, which is what a busy day's
        consumers spend their time on. Each still gets its inbox row, its events go through
        the outbox, and the worker commits the offsets only after this returns.

        Anything but a clean run (an event to dead-letter, a handler's fault or rejection, the
        database away) rolls the whole transaction back, and the records are then handled one
        by one (``handle``), where each such case has its answer. So a batch never parks or
        skips an event that ``handle`` would have applied, and never applies one twice.
        """
        if len(records) > 1:
            try:
                outcomes = await self._apply_together(records)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # handled one by one below, each case in its own way
                log.debug("batch of %d handled one by one (%s)", len(records), type(exc).__name__)
            else:
                for record, outcome in zip(records, outcomes, strict=True):
                    EVENTS.labels(self._service, self._logical(record), outcome).inc()
                return
        for record in records:
            await self.handle(record)

    async def _apply_together(self, records: Sequence[Record]) -> list[Outcome]:
        """All of ``records`` in one unit of work, or _NotTogether / the handler's exception
        (the unit then rolls back)."""
        outcomes: list[Outcome] = []
        async with self._uow() as uow:
            for record in records:
                with self._span(record) as span:
                    outcome = await self._apply_within(uow, record)
                    tracing.annotate(span, {"civic.outcome": outcome})
                outcomes.append(outcome)
            await uow.commit()
        return outcomes

    async def _apply_within(self, uow: UnitOfWork, record: Record) -> Outcome:
        try:
            envelope = Envelope.from_record(dict(record.headers), record.value)
        except InvalidEnvelope as exc:
            raise _NotTogether("invalid envelope") from exc
        if envelope.type not in self._handlers:
            return "ignored"
        model, handler = self._handlers[envelope.type]
        try:
            event = model.model_validate(envelope.data)
        except ValidationError as exc:
            raise _NotTogether("invalid data") from exc
        if not await uow.record_inbox(envelope.id, envelope.type, self._logical(record)):
            return "duplicate"
        await handler(uow, event, envelope)
        return "applied"

    def _span(self, record: Record) -> AbstractContextManager[Span | None]:
        """A consumer span for ``record``, a child of the one that published it; the events
        its handler publishes are children of this span (civic_common.tracing)."""
        raw_trace = record.headers.get("ce_traceparent")
        raw_type = record.headers.get("ce_type")
        topic = self._logical(record)
        return tracing.span(
            f"{topic} process",
            kind=SpanKind.CONSUMER,
            parent=raw_trace.decode(errors="replace") if raw_trace else None,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": topic,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
                "messaging.consumer.group.name": self._service,
                "cloudevents.event_type": raw_type.decode(errors="replace") if raw_type else "",
            },
        )

    async def _handle(self, record: Record) -> Outcome:
        """Handle ``record`` in its consumer span (``_span``)."""
        with self._span(record) as span:
            outcome = await self._handle_traced(record)
            tracing.annotate(span, {"civic.outcome": outcome}, failed=outcome == "deadlettered")
            return outcome

    async def _handle_traced(self, record: Record) -> Outcome:
        try:
            envelope = Envelope.from_record(dict(record.headers), record.value)
        except InvalidEnvelope as exc:
            return await self._deadletter(record, None, f"invalid envelope: {exc}")
        if envelope.type not in self._handlers:
            return "ignored"  # readers ignore event types they do not use
        model, handler = self._handlers[envelope.type]
        try:
            event = model.model_validate(envelope.data)
        except ValidationError as exc:
            return await self._deadletter(record, envelope.id, f"invalid data: {_describe(exc)}")
        return await self._retrying(lambda: self._apply(record, envelope, event, handler))

    async def _apply(
        self, record: Record, envelope: Envelope, event: EventData, handler: Handler
    ) -> Outcome:
        try:
            async with self._uow() as uow:
                if not await uow.record_inbox(envelope.id, envelope.type, self._logical(record)):
                    return "duplicate"
                await handler(uow, event, envelope)
                await uow.commit()
                return "applied"
        except EventRejected as exc:
            return await self._deadletter(record, envelope.id, f"rejected: {exc}")
        except Exception as exc:
            if is_transient(exc):
                raise  # the database is away: the same event is tried again, never parked
            # A fault of the handler's own must not stall the partition: park the event.
            log.exception("handler failed for %s", envelope.type)
            return await self._deadletter(
                record, envelope.id, f"handler failed: {type(exc).__name__}: {exc}"
            )

    async def _deadletter(self, record: Record, event_id: uuid.UUID | None, reason: str) -> Outcome:
        log.warning(
            "dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason
        )
        # An unparseable record has no id of its own; its position identifies it for the inbox.
        inbox_id = event_id or uuid.uuid5(
            uuid.NAMESPACE_URL, f"kafka:{record.topic}:{record.partition}:{record.offset}"
        )
        headers = {  # a header without a value (null) is kept, empty
            k: (v or b"").decode(errors="replace") for k, v in record.headers.items()
        }
        headers |= {
            "dlq_reason": reason[:2000],
            "dlq_topic": record.topic,
            "dlq_partition": str(record.partition),
            "dlq_offset": str(record.offset),
            "dlq_service": self._service,
        }

        async def park() -> Outcome:
            async with self._uow() as uow:
                if not await uow.record_inbox(inbox_id, "deadletter", self._logical(record)):
                    return "duplicate"
                await uow.publish_raw(
                    deadletter_topic(self._service),
                    (record.key or b"").decode(errors="replace"),
                    headers,
                    record.value or b"",
                    uuid.uuid4(),
                    "deadletter",
                )
                await uow.commit()
                return "deadlettered"

        return await self._retrying(park)

    async def _retrying(self, attempt: Callable[[], Awaitable[Outcome]]) -> Outcome:
        """Retry through database outages: an event is never skipped for a transient fault."""
        backoff = 0.5
        while True:
            try:
                return await attempt()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning(
                    "database unavailable (%s); retrying in %.1fs", type(exc).__name__, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    def _logical(self, record: Record) -> str:
        return record.topic.removeprefix(self._prefix)


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
    )
