"""Kafka clients configured the way we need them (aiokafka's defaults are not)."""

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

log = logging.getLogger(__name__)


def idempotent_producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        acks="all",
        linger_ms=0,  # the relay awaits each batch: waiting for more only adds latency
        request_timeout_ms=15000,
    )


async def ensure_topics(
    bootstrap: str,
    topics: dict[str, int],
    replication_factor: int = 1,
    min_insync_replicas: int | None = None,
) -> list[str]:
    """Create the topics that do not exist yet; returns those it created.

    One broker (the embedded default, compose): replication 1. Production: 3 replicas with
    ``min.insync.replicas=2``, so a send acknowledged by ``acks=all`` survives a lost broker
    (civic-provision's ``--replication-factor`` and ``--min-insync-replicas``)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = {name: parts for name, parts in topics.items() if name not in existing}
        if missing:
            configs = (
                {"min.insync.replicas": str(min_insync_replicas)} if min_insync_replicas else {}
            )
            await admin.create_topics(
                [
                    NewTopic(name, parts, replication_factor, topic_configs=configs)
                    for name, parts in missing.items()
                ]
            )
        return sorted(missing)
    finally:
        await admin.close()


async def kafka_reachable(bootstrap: str, within: float = 3.0) -> bool:
    """A bounded metadata round trip, for readiness checks."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(within * 1000))
    try:
        async with asyncio.timeout(within):
            await admin.start()
            await admin.list_topics()
        return True
    except Exception:  # any failure means "not ready"; the reason is in the debug log
        log.debug("kafka not reachable", exc_info=True)
        return False
    finally:
        await admin.close()
