"""The worker process of a service: a faust app running its consumers and its outbox relay."""

import asyncio
import contextlib
import logging
import socket
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import faust

from civic_common.consumer import Handler, InboxConsumer, Record
from civic_common.events.contracts import TOPICS, EventData
from civic_common.logging import logging_config
from civic_common.outbox import OutboxRelay
from civic_common.periodic import PeriodicJob, PeriodicRunner
from civic_common.runtime import Runtime

log = logging.getLogger(__name__)

Subscriptions = Mapping[str, Mapping[type[EventData], Handler]]


class RelayWorker:
    """The worker of a service that consumes nothing: its outbox relay (and periodic jobs).

    faust cannot start a consumer with no topics, so such a service runs the relay directly.
    """

    def __init__(self, runtime: Runtime, periodic: Sequence[PeriodicJob] = ()) -> None:
        self._runtime = runtime
        self._periodic = periodic

    async def run(self) -> None:
        settings = self._runtime.settings
        relay = _relay(self._runtime)
        heartbeat = Path(settings.worker_heartbeat_file) if settings.worker_heartbeat_file else None

        async def beat() -> None:
            while heartbeat is not None:
                heartbeat.touch()
                await asyncio.sleep(5.0)

        jobs = [_runner(self._runtime, job).run_forever() for job in self._periodic]
        try:
            await asyncio.gather(relay.run(), beat(), *jobs)
        finally:
            await self._runtime.engine.dispose()

    def main(self) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self.run())


def _relay(runtime: Runtime) -> OutboxRelay:
    settings = runtime.settings
    return OutboxRelay(
        runtime.engine, runtime.tables, settings.kafka_bootstrap, settings.topic_prefix
    )


def _runner(runtime: Runtime, job: PeriodicJob) -> PeriodicRunner:
    return PeriodicRunner(runtime.engine, runtime.service, job)


def create_worker(
    runtime: Runtime, subscriptions: Subscriptions, periodic: Sequence[PeriodicJob] = ()
) -> faust.App | RelayWorker:
    """One agent per subscribed topic, each with concurrency=1: an offset is acknowledged only
    after its event's transaction committed (faust-streaming issue #606 makes higher concurrency
    commit past unprocessed messages). Periodic jobs run as tasks in every worker, one round at
    a time across them (civic_common.periodic); faust's own leader election is off."""
    if not subscriptions:
        return RelayWorker(runtime, periodic)
    settings = runtime.settings
    app = faust.App(
        f"{settings.topic_prefix}{runtime.service}",
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        datadir=str(Path(tempfile.gettempdir()) / "civic-faust"),  # unused with memory stores
        web_enabled=False,
        topic_allow_declare=False,  # topics are provisioned explicitly, with their partitions
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.broker_session_timeout,
        broker_rebalance_timeout=settings.broker_rebalance_timeout,
        broker_heartbeat_interval=settings.broker_heartbeat_interval,
        consumer_group_instance_id=_instance_id(runtime),
        broker_commit_interval=1.0,
        producer_acks=-1,
        logging_config=logging_config(f"{runtime.service}-worker", settings.log_level),
    )

    for topic, handlers in subscriptions.items():
        _add_agent(app, runtime, topic, handlers)

    relay = _relay(runtime)

    @app.task
    async def relay_outbox() -> None:
        await relay.run()

    for job in periodic:
        app.task(_runner(runtime, job).run_forever)

    if settings.worker_heartbeat_file:
        heartbeat = Path(settings.worker_heartbeat_file)

        @app.timer(5.0)
        async def beat() -> None:
            heartbeat.touch()  # noqa: ASYNC240 - a metadata update, too small for a thread

    return app


def _instance_id(runtime: Runtime) -> str | None:
    """The worker's static group membership id (settings.worker_instance_id)."""
    configured = runtime.settings.worker_instance_id
    if configured == "hostname":
        return f"{runtime.service}-{socket.gethostname()}"
    return configured


def _add_agent(
    app: faust.App, runtime: Runtime, topic: str, handlers: Mapping[type[EventData], Handler]
) -> None:
    prefix = runtime.settings.topic_prefix
    channel = app.topic(
        prefix + topic,
        key_serializer="raw",
        value_serializer="raw",
        partitions=TOPICS[topic],
    )
    consumer = InboxConsumer(runtime.service, runtime.uow, handlers, prefix)

    async def consume(stream: Any) -> None:
        # handle() returns only once the record is applied or parked, and never raises, so the
        # offset faust acknowledges after it never passes a record the inbox has not recorded.
        async for event in stream.events():
            message = event.message
            headers = message.headers or {}
            await consumer.handle(
                Record(
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    key=message.key,
                    value=message.value,
                    headers=dict(headers.items() if isinstance(headers, dict) else headers),
                )
            )

    app.agent(channel, name=f"{runtime.service}.{topic}", concurrency=1)(consume)
