"""Retention of the partner edge's logs: a periodic job of trajecten's worker (one worker a round,
every CIVIC_HOUSEKEEPING_SECONDS) deleting what a partner no longer reads back.

- ``partner_deliveries`` delivered or dead, with their ``partner_delivery_attempts``: kept
  ``delivery_log_retention_days`` (90) after they were delivered or given up (a dead delivery's
  ``next_attempt_at`` is when it died); the partner reads them in its delivery log and may
  resend a dead one until then. Pending deliveries always stay, and so do erasure notices
  (``trajecten.person.erased.v1``) with their attempts: the record that each partner was told of
  an erasure (GDPR art. 19, docs/privacy.md) is kept.
- ``partner_notifications`` sent or dead: the same retention after they were sent or given up;
  pending ones stay.
- ``partner_events`` stay: the feed and replays read them (docs/runbook.md, "Retention").
"""

from datetime import timedelta

from sqlalchemy import delete, func, select

from civic_common.housekeeping import DELETED
from civic_common.runtime import Runtime
from trajecten.adapters.subscriptions import (
    deliveries,
    delivery_attempts,
    notifications,
    partner_events,
)
from trajecten.domain.delivery import ERASURE_NOTICE

BATCH = 5000  # rows per transaction: no long lock on a large log


async def prune_delivery_log(runtime: Runtime, keep: timedelta) -> tuple[int, int]:
    """Delete the deliveries (with attempts) and notifications past ``keep``; returns how many
    of each went."""
    gone_deliveries = gone_notifications = 0
    while True:
        async with runtime.engine.begin() as conn:
            ids = (
                (
                    await conn.execute(
                        select(deliveries.c.id)
                        .join(partner_events, partner_events.c.id == deliveries.c.event_pk)
                        .where(
                            partner_events.c.event_type != ERASURE_NOTICE,
                            deliveries.c.status.in_(("delivered", "dead")),
                            func.coalesce(deliveries.c.delivered_at, deliveries.c.next_attempt_at)
                            < func.now() - keep,
                        )
                        .limit(BATCH)
                        .with_for_update(of=deliveries, skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            if ids:
                attempts = await conn.execute(
                    delete(delivery_attempts).where(delivery_attempts.c.delivery_id.in_(ids))
                )
                await conn.execute(delete(deliveries).where(deliveries.c.id.in_(ids)))
                DELETED.labels(runtime.service, "partner_delivery_attempts").inc(
                    attempts.rowcount or 0
                )
                DELETED.labels(runtime.service, "partner_deliveries").inc(len(ids))
        gone_deliveries += len(ids)
        if len(ids) < BATCH:
            break
    while True:
        async with runtime.engine.begin() as conn:
            old = (
                select(notifications.c.id)
                .where(
                    notifications.c.status.in_(("sent", "dead")),
                    func.coalesce(notifications.c.sent_at, notifications.c.next_attempt_at)
                    < func.now() - keep,
                )
                .limit(BATCH)
                .with_for_update(skip_locked=True)
                .scalar_subquery()
            )
            count = (
                await conn.execute(delete(notifications).where(notifications.c.id.in_(old)))
            ).rowcount or 0
        DELETED.labels(runtime.service, "partner_notifications").inc(count)
        gone_notifications += count
        if count < BATCH:
            break
    return gone_deliveries, gone_notifications
