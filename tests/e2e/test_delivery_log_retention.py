"""trajecten's running worker keeps its partner logs bounded: delivered and dead webhook
deliveries (with their attempts) and sent or dead partner alerts go after the retention (90 days
by default); pending ones, and everything younger, stay. The job runs every
CIVIC_HOUSEKEEPING_SECONDS (2 s in e2e)."""

import json
import uuid

import asyncpg
import pytest

from civic_common.db.engine import asyncpg_dsn
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e


async def test_the_running_worker_prunes_the_delivery_log_after_the_retention(system):
    conn = await asyncpg.connect(asyncpg_dsn(system.db.url("trajecten")))
    try:
        subscription = uuid.uuid4()
        await conn.execute(
            "INSERT INTO trajecten.partner_subscriptions (id, organisation, created_by,"
            " endpoint_url, event_types, filters, legal_basis, status)"
            " VALUES ($1, 'ocmw-retention', 'e2e', 'http://127.0.0.1:9/hook', '[]', $2,"
            " 'ocmw-maatschappelijke-integratie', 'paused')",
            subscription,
            # As the edge writes them: the worker fans every event out over the subscriptions
            # (paused ones included), and this one asks for no event type.
            json.dumps({"municipalities": [], "kinds": []}),
        )
        event_pk = await conn.fetchval(
            "INSERT INTO trajecten.partner_events (event_id, event_type, trajectory_id,"
            " sequence, occurred_at, data) VALUES ($1, 'trajecten.trajectory.opened.v1', $2, 1,"
            " now() - interval '120 days', '{}') RETURNING id",
            uuid.uuid4(),
            uuid.uuid4(),
        )
        notice_pk = await conn.fetchval(
            "INSERT INTO trajecten.partner_events (event_id, event_type, trajectory_id,"
            " sequence, occurred_at, data) VALUES ($1, 'trajecten.person.erased.v1', $2, 2,"
            " now() - interval '120 days', '{}') RETURNING id",
            uuid.uuid4(),
            uuid.uuid4(),
        )
        # (status, days since it was delivered or given up) -> kept? The subscription is paused,
        # so the delivery loop leaves its pending delivery alone.
        cases = {
            ("delivered", 100): False,
            ("dead", 100): False,
            ("delivered", 10): True,
            ("dead", 80): True,
            ("pending", 100): True,  # never pruned: still to be delivered
        }
        ids = {case: uuid.uuid4() for case in cases}
        # An erasure notice, acknowledged long ago: the proof the partner was told stays.
        cases[("notice", 200)] = True
        ids[("notice", 200)] = uuid.uuid4()
        for (status, days), delivery in ids.items():
            pk, status = (notice_pk, "delivered") if status == "notice" else (event_pk, status)
            await conn.execute(
                "INSERT INTO trajecten.partner_deliveries (id, subscription_id, event_pk,"
                " trajectory_id, sequence, status, attempts, next_attempt_at, delivered_at)"
                " VALUES ($1, $2, $3, $4, 1, $5, 1, now() - make_interval(days => $6),"
                " CASE WHEN $5 = 'delivered' THEN now() - make_interval(days => $6) END)",
                delivery,
                subscription,
                pk,
                uuid.uuid4(),
                status,
                days,
            )
            await conn.execute(
                "INSERT INTO trajecten.partner_delivery_attempts (delivery_id, attempted_at,"
                " status_code, duration_ms) VALUES ($1, now() - make_interval(days => $2), 500, 3)",
                delivery,
                days,
            )
        # A pending alert may be sent meanwhile (the notification loop runs): then it is fresh.
        alerts = {
            ("sent", 100): False,
            ("dead", 100): False,
            ("sent", 5): True,
            ("pending", 100): True,
        }
        alert_ids = {case: uuid.uuid4() for case in alerts}
        for (status, days), alert in alert_ids.items():
            await conn.execute(
                "INSERT INTO trajecten.partner_notifications (id, organisation, channel,"
                " recipient, alert_type, payload, status, next_attempt_at, sent_at)"
                " VALUES ($1, 'ocmw-retention', 'email', 'ops@ocmw-retention.example',"
                " 'trajecten.subscription.disabled.v1', $2, $3, now() - make_interval(days => $4),"
                " CASE WHEN $3 = 'sent' THEN now() - make_interval(days => $4) END)",
                alert,
                json.dumps({}),
                status,
                days,
            )

        async def pruned() -> tuple[set, set, set] | None:
            left = {
                r["id"]
                for r in await conn.fetch(
                    "SELECT id FROM trajecten.partner_deliveries WHERE subscription_id = $1",
                    subscription,
                )
            }
            attempts = {
                r["delivery_id"]
                for r in await conn.fetch(
                    "SELECT delivery_id FROM trajecten.partner_delivery_attempts"
                    " WHERE delivery_id = ANY($1::uuid[])",
                    list(ids.values()),
                )
            }
            notes = {
                r["id"]
                for r in await conn.fetch(
                    "SELECT id FROM trajecten.partner_notifications WHERE organisation ="
                    " 'ocmw-retention'"
                )
            }
            done = len(left) == sum(cases.values()) and len(notes) == sum(alerts.values())
            return (left, attempts, notes) if done else None

        left, attempts, notes = await eventually(pruned, within=30)
        assert left == {ids[c] for c, kept in cases.items() if kept}
        assert attempts == left  # a pruned delivery's attempts went with it, the others stay
        assert notes == {alert_ids[c] for c, kept in alerts.items() if kept}
        # The partner event stays: the feed and replays read it.
        assert await conn.fetchval(
            "SELECT count(*) FROM trajecten.partner_events WHERE id = $1", event_pk
        )
    finally:
        await conn.close()
