"""Rebuild every projection from the beginning of the topics: ``python -m rapportage.rebuild``.

Replays, in one transaction, every record up to the end offsets seen at start through the same
handlers the worker uses, then commits: reports switch from the old to the rebuilt state at
once. The worker carries on afterwards from its own committed offsets; the inbox (rebuilt here)
makes it skip what the rebuild already applied.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from civic_common.consumer import Handler
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import EventData
from civic_common.events.envelope import Envelope, InvalidEnvelope
from civic_common.runtime import Runtime
from rapportage.adapters.projection_store import empty_projections
from rapportage.app.projections import SUBSCRIPTIONS
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
    for topic in SUBSCRIPTIONS:
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
        prefix + topic: {model.event_type: (model, h) for model, h in subscribed.items()}
        for topic, subscribed in SUBSCRIPTIONS.items()
    }
    started = time.perf_counter()
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
            await empty_projections(uow.session, list(SUBSCRIPTIONS))
            while pending:
                batch = await consumer.getmany(*pending, timeout_ms=1000)
                for tp, records in batch.items():
                    end = bounds[tp][1]
                    for record in records:
                        if record.offset >= end:
                            break
                        events += 1
                        applied += await _apply(uow, handlers[tp.topic], prefix, record)
                for tp in list(pending):
                    if await consumer.position(tp) >= bounds[tp][1]:
                        pending.discard(tp)
                if progress:
                    progress(events, total)
            await uow.commit()
    finally:
        await consumer.stop()
    return RebuildResult(events, applied, events - applied, time.perf_counter() - started)


async def _apply(
    uow: UnitOfWork,
    handlers: dict[str, tuple[type[EventData], Handler]],
    prefix: str,
    record: ConsumerRecord,
) -> int:
    """Apply one record as the worker would; 0 when skipped: an unknown type, or an invalid
    record the worker dead-lettered already (a rebuild does not park it twice)."""
    try:
        envelope = Envelope.from_record(dict(record.headers), record.value)
    except InvalidEnvelope:
        return 0
    found = handlers.get(envelope.type)
    if found is None:
        return 0
    model, handler = found
    try:
        event = model.model_validate(envelope.data)
    except ValidationError:
        return 0
    topic = record.topic.removeprefix(prefix)
    if not await uow.record_inbox(envelope.id, envelope.type, topic):
        return 0
    # A handler fault (dead-lettered live) aborts the rebuild instead: nothing is committed, the
    # old state stays, and the error names the event to look at.
    await handler(uow, event, envelope)
    return 1


def main() -> None:
    from rapportage.main import SERVICE

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
