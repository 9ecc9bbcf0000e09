"""The unit of work: one transaction holding a change, the events it causes and its audit trail."""

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.event import listen
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civic_common.auth.principal import Principal
from civic_common.db.messaging import MessagingTables
from civic_common.events.contracts import EventData
from civic_common.events.envelope import Envelope
from civic_common.logging import current_traceparent, trace_id


def uuid4_text(random16: bytes) -> str:
    """A random (version 4) UUID as text from 16 random bytes: ``str(uuid4())`` without the
    object, for many at once."""
    b = bytearray(random16)
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True)
class IdempotencyClaim:
    principal: str
    key: str
    request_hash: str


class RepeatedRequest(Exception):
    """The Idempotency-Key was used before; nothing of this attempt was committed."""

    def __init__(self, claim: IdempotencyClaim) -> None:
        super().__init__(claim.key)
        self.claim = claim


class UnitOfWork:
    """``async with uow: ...; await uow.commit()`` — leaving without commit rolls back."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], tables: MessagingTables, service: str
    ) -> None:
        self._sessionmaker = sessionmaker
        self._tables = tables
        self._source = f"/civic/{service}"
        self.session: AsyncSession
        # Set by an endpoint taking an Idempotency-Key (api/idempotency.py): the key is claimed
        # first thing in the transaction, and the transaction commits with the answer.
        self.idempotency: IdempotencyClaim | None = None
        self._held = False  # committed by the use case, waiting for its answer
        # Audit entries and outbox rows of this transaction not written yet: they go to the
        # database together, in one statement, when the unit commits (in the order they were
        # made, still under the row locks their callers hold). One round trip less per change.
        self._audits: list[dict[str, object]] = []
        self._events: list[dict[str, object]] = []

    async def __aenter__(self) -> Self:
        if self._held:
            return self  # a second block of the same request continues the held transaction
        self.session = self._sessionmaker()
        self._audits, self._events = [], []
        # What a rollback undoes is not written afterwards either.
        listen(self.session.sync_session, "after_rollback", self._forget_pending)
        if self.idempotency is not None:
            # Before any check the use case makes: a retry racing this request waits here on
            # the key's row until this transaction ends, then replays its answer or runs.
            await self._claim(self.idempotency)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._held and exc is None:
            return  # finish_with_answer commits
        await self.release()

    def _forget_pending(self, _session: object) -> None:
        self._audits.clear()
        self._events.clear()

    async def write_pending(self) -> None:
        """Write the audit entries and outbox rows made so far (one statement for both); the
        unit does it itself before it commits and before anything else that writes the outbox."""
        audits, events = self._audits, self._events
        if not audits and not events:
            return
        self._audits, self._events = [], []
        outbox, audit_log = self._tables.outbox, self._tables.audit_log
        if not events:
            await self.session.execute(audit_log.insert().values(audits))
            return
        statement = outbox.insert().values(events)
        if audits:
            statement = statement.add_cte(audit_log.insert().values(audits).cte("audited"))
        await self.session.execute(statement)

    async def commit(self) -> None:
        await self.write_pending()
        if self.idempotency is not None:
            await self.session.flush()  # constraint errors surface now, inside the use case
            self._held = True
            return
        await self.session.commit()

    @property
    def holds_change(self) -> bool:
        """Whether a committed change waits for its answer (Idempotency-Key requests)."""
        return self._held

    async def finish_with_answer(self, status_code: int, body: bytes) -> None:
        """Commit the held change together with the answer a retry will replay."""
        assert self.idempotency is not None and self._held
        table = self._tables.idempotency_keys
        try:
            await self.write_pending()
            await self.session.execute(
                update(table)
                .where(
                    table.c.principal == self.idempotency.principal,
                    table.c.key == self.idempotency.key,
                )
                .values(status_code=status_code, body=body)
            )
            await self.session.commit()
        finally:
            self._held = False
            await self.session.close()

    async def release(self) -> None:
        """Roll back whatever is open: the change, and with it the key's claim."""
        self._held = False
        await self.session.rollback()
        await self.session.close()

    async def _claim(self, claim: "IdempotencyClaim") -> None:
        """The change commits only if this request's key was not used before."""
        table = self._tables.idempotency_keys
        claimed = await self.session.execute(
            insert(table)
            .values(principal=claim.principal, key=claim.key, request_hash=claim.request_hash)
            .on_conflict_do_nothing()
            .returning(table.c.key)
        )
        if claimed.first() is None:
            await self.session.rollback()
            await self.session.close()
            raise RepeatedRequest(claim)

    async def publish(
        self, event: EventData, *, key: UUID | str, sequence: int, subject: str | None = None
    ) -> Envelope:
        """Put an event in the outbox; the relay sends it once this transaction commits.

        ``key`` is the aggregate id (Kafka key, order per aggregate); ``sequence`` its version.
        Callers hold the aggregate's row lock, so outbox ids follow the aggregate's order.
        """
        envelope = Envelope(
            type=event.event_type,
            source=self._source,
            partitionkey=str(key),
            sequence=sequence,
            subject=subject,
            traceparent=current_traceparent(),
            data=event.model_dump(mode="json"),
        )
        await self.publish_raw(
            event.topic,
            envelope.partitionkey,
            envelope.headers(),
            envelope.value(),
            envelope.id,
            envelope.type,
        )
        return envelope

    async def publish_many(
        self, events: Sequence[tuple[EventData, UUID | str, int]], *, batch: int = 5000
    ) -> None:
        """Put many events in the outbox in one COPY (asyncpg; a multi-row insert per
        ``batch`` on another driver): an import of tens of thousands of rows in seconds. Inside
        this unit's transaction, like ``publish``. ``(event, key, sequence)`` each."""
        parent = current_traceparent()
        columns = ("event_id", "topic", "partition_key", "event_type", "headers", "payload")
        records = []
        for event, key, sequence in events:
            # The value as ``Envelope.value`` would write it, serialised by pydantic at once.
            envelope = Envelope(
                type=event.event_type,
                source=self._source,
                partitionkey=str(key),
                sequence=sequence,
                traceparent=parent,
                data={},
            )
            records.append(
                (
                    envelope.id,
                    event.topic,
                    envelope.partitionkey,
                    envelope.type,
                    envelope.headers(),
                    event.model_dump_json().encode(),
                )
            )
        if not records:
            return
        await self.write_pending()  # the outbox keeps the order the events were made in
        outbox = self._tables.outbox
        connection = await self.session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        if hasattr(raw, "copy_records_to_table"):
            await raw.copy_records_to_table(
                outbox.name,
                schema_name=outbox.schema,
                columns=list(columns),
                records=[(*r[:4], json.dumps(r[4]), r[5]) for r in records],
            )
            return
        rows = [dict(zip(columns, r, strict=True)) for r in records]
        for start in range(0, len(rows), batch):
            await self.session.execute(outbox.insert(), rows[start : start + batch])

    async def publish_payloads(
        self, event_type: type[EventData], payloads: Sequence[tuple[str, bytes]], sequence: int
    ) -> None:
        """Many events of one type whose JSON the caller wrote itself (``(key, payload)``
        each), in one COPY: ``publish_many`` without an event object and an envelope per event,
        for imports of tens of thousands of rows. The caller answers for each payload fitting
        the event's contract; consumers validate it as they validate every event (and send
        one that does not fit to the dead-letter topic)."""
        if not payloads:
            return
        await self.write_pending()  # the outbox keeps the order the events were made in
        base = Envelope(
            type=event_type.event_type,
            source=self._source,
            partitionkey="",
            sequence=sequence,
            traceparent=current_traceparent(),
            data={},
        ).headers()
        del base["ce_id"], base["ce_partitionkey"]
        # The headers as JSON, only the id and the key differing per event: one template.
        head = json.dumps(base)[:-1]
        randomness = os.urandom(16 * len(payloads))
        records = []
        for n, (key, payload) in enumerate(payloads):
            event_id = uuid4_text(randomness[16 * n : 16 * n + 16])
            headers = f'{head}, "ce_id": "{event_id}", "ce_partitionkey": {json.dumps(key)}}}'
            records.append((event_id, event_type.topic, key, base["ce_type"], headers, payload))
        outbox = self._tables.outbox
        connection = await self.session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        await raw.copy_records_to_table(
            outbox.name,
            schema_name=outbox.schema,
            columns=["event_id", "topic", "partition_key", "event_type", "headers", "payload"],
            records=records,
        )

    async def publish_raw(
        self,
        topic: str,
        key: str,
        headers: dict[str, str],
        payload: bytes,
        event_id: UUID,
        event_type: str,
    ) -> None:
        self._events.append(
            {
                "event_id": event_id,
                "topic": topic,
                "partition_key": key,
                "event_type": event_type,
                "headers": headers,
                "payload": payload,
            }
        )

    async def record_inbox(self, event_id: UUID, event_type: str, topic: str) -> bool:
        """Remember a consumed event; False when it was handled before (a redelivery)."""
        result = await self.session.execute(
            insert(self._tables.inbox)
            .values(event_id=event_id, event_type=event_type, topic=topic)
            .on_conflict_do_nothing()
            .returning(self._tables.inbox.c.event_id)
        )
        return result.first() is not None

    async def audit(
        self,
        principal: Principal,
        action: str,
        subject_type: str,
        subject_id: UUID | str,
        purpose: str | None = None,
    ) -> None:
        """Append who did what to whose data; staff cannot edit the log (a trigger refuses).
        Written with the change when the unit commits (``write_pending``)."""
        self._audits.append(
            {
                "actor": principal.subject,
                "role": principal.primary_role(),
                "organisation": principal.organisation,
                "action": action,
                "subject_type": subject_type,
                "subject_id": str(subject_id),
                "purpose": purpose,
                "trace_id": trace_id(),
            }
        )


UnitOfWorkFactory = Callable[[], UnitOfWork]
