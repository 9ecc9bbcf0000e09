"""Prometheus metrics of partner webhooks, served by the worker (CIVIC_WORKER_METRICS_PORT):
attempts by outcome, and the subscriptions and deliveries by status as the database holds them
(so every worker reports the same, whichever of them delivered). The alert rules in
deploy/observability watch disabled subscriptions and dead deliveries."""

import asyncio
import logging
from collections.abc import Sequence

from prometheus_client import Counter, Gauge
from sqlalchemy import func, select

from civic_common.runtime import Runtime
from trajecten.adapters.subscriptions import deliveries, subscriptions

log = logging.getLogger(__name__)

ATTEMPTS = Counter(
    "civic_webhook_attempts_total", "Webhook delivery attempts, by outcome", ["outcome"]
)
SUBSCRIPTIONS = Gauge(
    "civic_webhook_subscriptions", "Partner webhook subscriptions, by status", ["status"]
)
DELIVERIES = Gauge(
    "civic_webhook_deliveries",
    "Webhook deliveries, by status (pending, delivered, dead: given up)",
    ["status"],
)
SUBSCRIPTION_STATUSES = ("active", "paused", "disabled")
DELIVERY_STATUSES = ("pending", "delivered", "dead")


def count_attempts(delivered: Sequence[bool]) -> None:
    """After a batch of attempts committed: how many reached the partner, how many failed."""
    ATTEMPTS.labels("delivered").inc(sum(delivered))
    ATTEMPTS.labels("failed").inc(len(delivered) - sum(delivered))


async def observe_webhooks(runtime: Runtime, every: float = 15.0) -> None:
    """Keep the status gauges current (a worker task); a failed look is tried again later."""
    by_subscription = select(subscriptions.c.status, func.count()).group_by(subscriptions.c.status)
    by_delivery = select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
    while True:
        try:
            async with runtime.engine.connect() as conn:
                subs = dict((await conn.execute(by_subscription)).tuples().all())
                dels = dict((await conn.execute(by_delivery)).tuples().all())
            for status in {*SUBSCRIPTION_STATUSES, *subs}:
                SUBSCRIPTIONS.labels(status).set(subs.get(status, 0))
            for status in {*DELIVERY_STATUSES, *dels}:
                DELIVERIES.labels(status).set(dels.get(status, 0))
        except Exception as exc:  # the database may be away; the next look tries again
            log.debug("webhook gauges not observed: %s", type(exc).__name__)
        await asyncio.sleep(every)
