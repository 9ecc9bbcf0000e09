"""Rebuild every projection from the beginning of the topics: ``python -m rapportage.rebuild``.

Replays, in one transaction, every record up to the end offsets seen at start through the
projectors the worker uses (their writes applied in bulk per fetched batch: one upsert per
table over the batch's rows, the inbox entries with COPY, written while the next batch is fetched
and projected), then commits: reports switch from the old to the rebuilt state at once. The
worker carries on afterwards from its own committed offsets; the inbox (rebuilt here) makes it
skip what the rebuild applied.
"""

import argparse
import asyncio
import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import EventData
from civic_common.events.envelope import Envelope, InvalidEnvelope
from civic_common.runtime import Runtime
from rapportage.adapters.projection_store import BulkWriter, empty_projections, stage, unstage
from rapportage.adapters.tables import messaging
from rapportage.app.projections import PROJECTORS, Projector
from rapportage.settings import RapportageSettings

Advance = Callable[[int, int], None]  # (events replayed, events to replay)


@dataclass(frozen=True)
class RebuildResult:
    events: int
    applied: int
    skipped: int
    seconds: float


async def _end_offsets(
    consumer: AIOKafkaConsumer, prefix: str
) -> dict[TopicPartition, tuple[int, int]]:
    """(first, end) offset of every partition of every subscribed topic."""
    partitions: list[TopicPartition] = []
    for topic in PROJECTORS:
        found = consumer.partitions_for_topic(prefix + topic)
        for _ in range(50):
            if found:
                break
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
            found = consumer.partitions_for_topic(prefix + topic)
        partitions += [TopicPartition(prefix + topic, p) for p in sorted(found or ())]
    first = await consumer.beginning_offsets(partitions)
    end = await consumer.end_offsets(partitions)
    return {tp: (first[tp], end[tp]) for tp in partitions if end[tp] > first[tp]}


async def rebuild(
    runtime: Runtime, settings: RapportageSettings | None = None, progress: Advance | None = None
) -> RebuildResult:
    settings = settings or RapportageSettings()
    prefix = runtime.settings.topic_prefix
    handlers = {
        prefix + topic: {model.event_type: (model, p) for model, p in projectors.items()}
        for topic, projectors in PROJECTORS.items()
    }
    started = time.perf_counter()
    with _few_collections():
        return await _rebuild(runtime, settings, progress, prefix, handlers, started)


@contextmanager
def _few_collections() -> Iterator[None]:
    """The replay allocates a few objects per event, nearly all freed at once by reference
    counting; the cyclic collector's passes over the process's long-lived objects (modules,
    SQLAlchemy's metadata) took about a quarter of the replay's time. Those are frozen out of
    its passes, and it runs less often, for the replay only."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


async def _rebuild(
    runtime: Runtime,
    settings: RapportageSettings,
    progress: Advance | None,
    prefix: str,
    handlers: dict[str, dict[str, tuple[type[EventData], Projector]]],
    started: float,
) -> RebuildResult:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=runtime.settings.kafka_bootstrap,
        enable_auto_commit=False,
        max_poll_records=settings.rebuild_batch,
        fetch_max_bytes=50 * 1024 * 1024,
        max_partition_fetch_bytes=10 * 1024 * 1024,
    )
    await consumer.start()
    events = applied = 0
    try:
        bounds = await _end_offsets(consumer, prefix)
        if not bounds:
            pending: set[TopicPartition] = set()
        else:
            consumer.assign(list(bounds))
            for tp, (first, _) in bounds.items():
                consumer.seek(tp, first)
            pending = set(bounds)
        total = sum(end - first for first, end in bounds.values())
        async with runtime.uow() as uow:
            await empty_projections(uow.session, list(PROJECTORS))
            await stage(uow.session)
            seen: set[int] = set()
            # One batch is written while the next is fetched and projected: the database's
            # work and ours overlap; the batches still reach the database in order.
            writing: asyncio.Task[None] | None = None
            try:
                while pending:
                    batch = await consumer.getmany(*pending, timeout_ms=1000)
                    writer = BulkWriter()
                    inbox: list[tuple[object, ...]] = []
                    for tp, records in batch.items():
                        end = bounds[tp][1]
                        topic = tp.topic.removeprefix(prefix)
                        for record in records:
                            if record.offset >= end:
                                break
                            events += 1
                            entry = _project(writer, handlers[tp.topic], seen, record)
                            if entry is not None:
                                inbox.append((*entry, topic))
                    if inbox:
                        if writing is not None:
                            await writing
                        writing = asyncio.create_task(_write(uow, writer, inbox))
                        applied += len(inbox)
                    for tp in list(pending):
                        if await consumer.position(tp) >= bounds[tp][1]:
                            pending.discard(tp)
                    if progress:
                        progress(events, total)
                if writing is not None:
                    await writing
                await unstage(uow.session)
            finally:
                if writing is not None and not writing.done():
                    writing.cancel()  # the session is the unit's again before it rolls back
                    await asyncio.gather(writing, return_exceptions=True)
            await uow.commit()
    finally:
        await consumer.stop()
    return RebuildResult(events, applied, events - applied, time.perf_counter() - started)


async def _write(uow: UnitOfWork, writer: BulkWriter, inbox: list[tuple[object, ...]]) -> None:
    """A batch's writes, then its inbox entries (one COPY: the inbox was emptied for these
    topics and ``seen`` keeps repeats out, so every entry is new)."""
    await writer.flush(uow.session)
    connection = await uow.session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    inbox_table = messaging.inbox
    await raw.copy_records_to_table(
        inbox_table.name,
        schema_name=inbox_table.schema,
        columns=["event_id", "event_type", "topic"],
        records=inbox,
    )


def _project(
    writer: BulkWriter,
    projectors: dict[str, tuple[type[EventData], Projector]],
    seen: set[int],
    record: ConsumerRecord,
) -> tuple[object, str] | None:
    """Project one record as the worker would and return its inbox entry; None when skipped:
    an unknown type, a repeat of an event already replayed, or an invalid record the worker
    dead-lettered already (a rebuild does not park it twice).

    The inbox was emptied for these topics, so repeats are found in memory; writes and inbox
    entries go to the database per fetched batch, in bulk.
    """
    try:
        envelope = Envelope.from_record(dict(record.headers), record.value)
    except InvalidEnvelope:
        return None
    found = projectors.get(envelope.type)
    number = envelope.id.int
    if found is None or number in seen:
        return None
    model, project = found
    try:
        event = model.model_validate(envelope.data)
    except ValidationError:
        return None
    seen.add(number)
    writer.add(project(event, envelope))
    return envelope.id, envelope.type


def main() -> None:
    from rapportage.main import SERVICE

    argparse.ArgumentParser(
        description="Alle projecties herbouwen vanaf het begin van de topics (vervangt ze in één "
        "transactie; de rapporten tonen tot dan de oude cijfers)."
    ).parse_args()
    runtime = SERVICE.runtime()
    with Progress(
        TextColumn("Projecties herbouwen"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ) as bar:
        task = bar.add_task("rebuild", total=None)

        async def run() -> RebuildResult:
            try:
                return await rebuild(
                    runtime, progress=lambda n, total: bar.update(task, completed=n, total=total)
                )
            finally:
                await runtime.engine.dispose()

        result = asyncio.run(run())
    print(
        f"{result.events} events herlezen, {result.applied} toegepast, {result.skipped} "
        f"overgeslagen in {result.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
