"""The outbox relay: publishes committed outbox rows to Kafka, in order per aggregate."""

import asyncio
import logging

import asyncpg
from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from civic_common import tracing
from civic_common.db.engine import asyncpg_dsn
from civic_common.db.messaging import MessagingTables, outbox_channel
from civic_common.kafka import idempotent_producer

log = logging.getLogger(__name__)

PUBLISHED = Counter("civic_outbox_published_total", "Outbox rows sent to Kafka", ["service"])
BACKLOG = Gauge("civic_outbox_backlog", "Outbox rows not yet sent", ["service"])
LISTENING = Gauge(
    "civic_outbox_listening",
    "1 while inserts wake the relay at once (LISTEN), 0 while it finds them by polling",
    ["service"],
)
OLDEST = Gauge(
    "civic_outbox_oldest_age_seconds", "Age of the oldest unsent outbox row (0: none)", ["service"]
)


async def observe_backlog(
    engine: AsyncEngine, tables: MessagingTables, service: str, every: float = 10.0
) -> None:
    """Keep the backlog gauges current (a worker task); a failed look is tried again later."""
    o = tables.outbox
    query = select(
        func.count(),
        func.coalesce(func.extract("epoch", func.now() - func.min(o.c.created_at)), 0),
    )
    while True:
        try:
            async with engine.connect() as conn:
                count, age = (await conn.execute(query)).one()
            BACKLOG.labels(service).set(count)
            OLDEST.labels(service).set(float(age))
        except Exception as exc:  # the database may be away; the relay says so already
            log.debug("outbox backlog not observed: %s", type(exc).__name__)
        await asyncio.sleep(every)


class OutboxRelay:
    """Claims rows with FOR UPDATE SKIP LOCKED so several relays can run side by side.

    A relay only sends an aggregate's rows when it holds the oldest unsent ones of that
    aggregate, so a second relay never overtakes the first on the same aggregate. Rows are
    deleted in the transaction that claimed them, which commits after Kafka acknowledged every
    send.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        tables: MessagingTables,
        bootstrap: str,
        topic_prefix: str = "",
        service: str = "",
        batch_size: int = 500,
        poll_interval: float = 1.0,
        max_backoff: float = 1.0,
    ) -> None:
        self._engine = engine
        self._outbox = tables.outbox
        self._bootstrap = bootstrap
        self._prefix = topic_prefix
        self._service = service
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._polling_only = False  # said once per outage, not at every retry

    @property
    def listening(self) -> bool:
        """Whether inserts wake the relay at once (else it finds them by polling)."""
        return self._listener is not None and not self._listener.is_closed()

    async def run(self) -> None:
        """Relay until cancelled, riding out Kafka or database outages with backoff."""
        producer: AIOKafkaProducer | None = None
        backoff = 0.5
        failures = 0  # of the current outage: the first is logged as a warning, the rest quietly
        try:
            while True:
                await self._keep_listening()
                try:
                    if producer is None:
                        producer = idempotent_producer(self._bootstrap)
                        await producer.start()
                    # Cleared before the rows are read, not after: a row committed while a batch
                    # is out wakes the wait below at once instead of waiting for the next poll.
                    self._wake.clear()
                    while await self.publish_batch(producer) == self._batch_size:
                        pass
                    if failures:
                        log.info("outbox relay resumed after %d failed attempts", failures)
                    backoff, failures = 0.5, 0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # Kafka or database away: keep the rows, try again
                    failures += 1
                    log.log(
                        logging.WARNING if failures == 1 else logging.DEBUG,
                        "outbox relay failed (%r); retrying every %.1fs at most",
                        exc,
                        self._max_backoff,
                    )
                    if producer is not None:
                        await producer.stop()
                        producer = None
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self._max_backoff)
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval)
                except TimeoutError:
                    pass
        finally:
            if producer is not None:
                await producer.stop()
            if self._listener is not None:
                await self._listener.close()

    async def _keep_listening(self) -> None:
        """LISTEN for inserts so events leave at once; polling remains the fallback while the
        connection is down (a database restart closes it), and it is opened again here."""
        if self.listening:
            return
        self._listener = None
        LISTENING.labels(self._service).set(0)
        try:
            conn = await asyncpg.connect(asyncpg_dsn(self._engine.url.render_as_string(False)))
            try:
                await conn.add_listener(
                    outbox_channel(self._outbox.schema or ""), lambda *_: self._wake.set()
                )
            except BaseException:
                await conn.close()
                raise
        except Exception as exc:  # the database is away; the next round tries again
            if not self._polling_only:
                log.warning("outbox LISTEN unavailable (%s); polling", type(exc).__name__)
                self._polling_only = True
            return
        self._listener, self._polling_only = conn, False
        LISTENING.labels(self._service).set(1)
        self._wake.set()  # rows may have arrived while nobody listened
        log.info("outbox LISTEN on")

    async def publish_batch(self, producer: AIOKafkaProducer) -> int:
        """Send one batch; returns how many rows it sent.

        One statement claims the oldest rows (SKIP LOCKED), drops those of an aggregate whose
        older row another relay holds, and deletes the rest, returning them. They are sent, and
        the transaction commits only once Kafka acknowledged every send; a failed send rolls the
        delete back.
        """
        o = self._outbox
        candidates = (
            select(o.c.id, o.c.partition_key)
            .order_by(o.c.id)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
            .cte("candidates")
        )
        earlier = o.alias("earlier")
        held_elsewhere = (
            select(earlier.c.id)
            .where(
                earlier.c.partition_key == candidates.c.partition_key,
                earlier.c.id < candidates.c.id,
                earlier.c.id.not_in(select(candidates.c.id)),
            )
            .exists()
        )
        claim = delete(o).where(o.c.id == candidates.c.id, ~held_elsewhere).returning(*o.c)
        async with self._engine.begin() as conn:
            rows = sorted((await conn.execute(claim)).all(), key=lambda row: row.id)
            # A producer span per row, a child of the span that stored it (ce_traceparent).
            with tracing.publishing([(row.topic, row.headers, row.event_id) for row in rows]):
                futures = [
                    await producer.send(
                        self._prefix + row.topic,
                        value=row.payload,
                        key=row.partition_key.encode(),
                        headers=[(k, v.encode()) for k, v in row.headers.items()],
                    )
                    for row in rows
                ]
                await asyncio.gather(*futures)
        if rows:
            PUBLISHED.labels(self._service).inc(len(rows))
        return len(rows)
