"""The worker process of a service: its consumers, its outbox relay, periodic jobs and tasks.

The consumers are one aiokafka group member per process (``GroupConsumer``). It commits an
offset only after ``InboxConsumer.handle`` returned for that record and every record before it
in its partition, so the committed offset never passes an event the database has not applied or
parked. docs/architecture.md says why this replaced faust agents.
"""

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

import uvloop
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError
from prometheus_client import Gauge, start_http_server

from civic_common.consumer import Handler, InboxConsumer, Record
from civic_common.events.contracts import EventData
from civic_common.housekeeping import housekeeping_job
from civic_common.outbox import OutboxRelay, observe_backlog
from civic_common.periodic import PeriodicJob, PeriodicRunner
from civic_common.runtime import Runtime

log = logging.getLogger(__name__)

Subscriptions = Mapping[str, Mapping[type[EventData], Handler]]
Task = Callable[[], Awaitable[None]]

MAX_RECORDS = 100  # per poll; a batch is committed once all of it is applied or parked
POLL_MS = 500

LAG = Gauge(
    "civic_consumer_lag",
    "Records in a partition not yet handled by this worker (high watermark - next offset)",
    ["service", "topic", "partition"],
)


class GroupConsumer:
    """Consumes the subscribed topics as a member of the service's consumer group.

    In partition order, a poll's records of one partition in one transaction
    (``InboxConsumer.handle_many``). After each poll's records are handled the offsets reached
    are committed; when partitions are revoked in a rebalance, the record in hand is
    finished and its offset committed before they go. A commit that fails (broker away, member
    fenced) is retried with the next poll; at worst another member applies a record again, which
    its inbox answers as a duplicate. Nothing is ever committed past a record not handled.
    """

    def __init__(self, runtime: Runtime, subscriptions: Subscriptions) -> None:
        settings = runtime.settings
        prefix = settings.topic_prefix
        self._runtime = runtime
        self._group = f"{prefix}{runtime.service}"
        self._inboxes = {
            prefix + topic: InboxConsumer(runtime.service, runtime.uow, handlers, prefix)
            for topic, handlers in subscriptions.items()
        }
        self._lock = asyncio.Lock()  # held while handling; a revocation waits for it
        self._reached: dict[TopicPartition, int] = {}  # next offset to commit, per partition
        self._committed: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None

    @property
    def topics(self) -> list[str]:
        return sorted(self._inboxes)

    def _create(self) -> AIOKafkaConsumer:
        settings = self._runtime.settings
        return AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=self._group,
            group_instance_id=instance_id(self._runtime),
            client_id=f"{self._runtime.service}-worker",
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # a partition without a commit is read from its start
            session_timeout_ms=int(settings.broker_session_timeout * 1000),
            rebalance_timeout_ms=int(settings.broker_rebalance_timeout * 1000),
            heartbeat_interval_ms=int(settings.broker_heartbeat_interval * 1000),
            max_poll_records=MAX_RECORDS,
        )

    async def run(self) -> None:
        consumer = await self._start()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=POLL_MS, max_records=MAX_RECORDS)
                async with self._lock:
                    for tp, records in batch.items():
                        if tp not in consumer.assignment():
                            continue  # revoked between poll and lock: its new owner reads it
                        if not records:
                            continue
                        # One transaction for the partition's records (InboxConsumer.handle_many)
                        await self._inboxes[tp.topic].handle_many(
                            [
                                Record(
                                    topic=message.topic,
                                    partition=message.partition,
                                    offset=message.offset,
                                    key=message.key,
                                    value=message.value,
                                    headers=dict(message.headers),
                                )
                                for message in records
                            ]
                        )
                        self._reached[tp] = records[-1].offset + 1
                    await self._commit()
                self._observe_lag(consumer)
        finally:
            with contextlib.suppress(Exception):
                async with self._lock:
                    await self._commit()
            await consumer.stop()

    def _observe_lag(self, consumer: AIOKafkaConsumer) -> None:
        prefix = self._runtime.settings.topic_prefix
        for tp, reached in self._reached.items():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                LAG.labels(
                    self._runtime.service, tp.topic.removeprefix(prefix), str(tp.partition)
                ).set(max(highwater - reached, 0))

    async def _start(self) -> AIOKafkaConsumer:
        """Join the group, waiting for the broker as long as it takes."""
        backoff = 0.5
        while True:
            consumer = self._create()
            consumer.subscribe(self.topics, listener=_Rebalance(self))
            try:
                await consumer.start()
            except KafkaConnectionError as exc:
                await consumer.stop()
                log.warning("kafka unavailable (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._runtime.settings.broker_retry_max_backoff)
                continue
            self._consumer = consumer
            return consumer

    async def _commit(self, only: set[TopicPartition] | None = None) -> None:
        """Commit the offsets reached and not yet committed; the caller holds the lock."""
        consumer = self._consumer
        if consumer is None:
            return
        assigned = consumer.assignment()
        due = {
            tp: offset
            for tp, offset in self._reached.items()
            if tp in assigned and self._committed.get(tp) != offset and (only is None or tp in only)
        }
        if not due:
            return
        try:
            await consumer.commit(due)
        except KafkaError as exc:  # retried after the next poll; never skipped
            log.warning("offset commit failed (%s); kept for the next attempt", exc)
            return
        self._committed.update(due)

    async def revoked(self, partitions: set[TopicPartition]) -> None:
        async with self._lock:
            await self._commit(only=partitions)
            for tp in partitions:
                self._reached.pop(tp, None)
                self._committed.pop(tp, None)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: GroupConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._owner.revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info(
            "partitions assigned: %s", sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned)
        )


class Worker:
    """A service's worker process: consumers (if it subscribes to anything), the outbox relay,
    periodic jobs (one round at a time across workers, civic_common.periodic) and tasks."""

    def __init__(
        self,
        runtime: Runtime,
        subscriptions: Subscriptions,
        periodic: Sequence[PeriodicJob] = (),
        tasks: Sequence[Task] = (),
    ) -> None:
        self._runtime = runtime
        self.consumer = GroupConsumer(runtime, subscriptions) if subscriptions else None
        self._periodic = [*periodic, housekeeping_job(runtime)]
        self._tasks = tasks

    async def run(self) -> None:
        runtime = self._runtime
        settings = runtime.settings
        relay = OutboxRelay(
            runtime.engine,
            runtime.tables,
            settings.kafka_bootstrap,
            settings.topic_prefix,
            service=runtime.service,
            max_backoff=settings.broker_retry_max_backoff,
        )
        if settings.worker_metrics_port is not None:
            start_http_server(settings.worker_metrics_port, addr=settings.http_host)
        heartbeat = Path(settings.worker_heartbeat_file) if settings.worker_heartbeat_file else None

        async def beat() -> None:
            while heartbeat is not None:
                heartbeat.touch()
                await asyncio.sleep(5.0)

        parts: list[Awaitable[None]] = [
            relay.run(),
            beat(),
            observe_backlog(runtime.engine, runtime.tables, runtime.service),
        ]
        if self.consumer is not None:
            parts.append(self.consumer.run())
        parts += [
            PeriodicRunner(runtime.engine, runtime.service, j).run_forever() for j in self._periodic
        ]
        parts += [task() for task in self._tasks]
        try:
            await asyncio.gather(*parts)
        finally:
            await runtime.engine.dispose()

    def main(self) -> None:
        """Run until SIGTERM or SIGINT; the consumer commits what it reached before it leaves."""

        async def until_stopped() -> None:
            main = asyncio.ensure_future(self.run())
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, main.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                await main

        # uvloop: the consumers, the relay and asyncpg spend less CPU per event on it than on
        # the default loop (docs/architecture.md, "Performance"); uvicorn picks it for the api.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(until_stopped())


def create_worker(
    runtime: Runtime,
    subscriptions: Subscriptions,
    periodic: Sequence[PeriodicJob] = (),
    tasks: Sequence[Task] = (),
) -> Worker:
    return Worker(runtime, subscriptions, periodic, tasks)


def instance_id(runtime: Runtime) -> str | None:
    """The worker's static group membership id (settings.worker_instance_id)."""
    configured = runtime.settings.worker_instance_id
    if configured == "hostname":
        return f"{runtime.service}-{socket.gethostname()}"
    return configured
