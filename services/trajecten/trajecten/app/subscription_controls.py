"""Use cases a partner runs on its own subscriptions beyond create/delete: change the endpoint,
pause and resume, its retry policy, test events and replays by time range."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, select, update
from sqlalchemy.dialects.postgresql import insert

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import CONTRACTS
from trajecten.adapters.subscriptions import (
    deliveries,
    partner_events,
    retry_limits,
    subscriptions,
)
from trajecten.app.subscriptions import EdgeRules, _out, check_endpoint, own
from trajecten.domain.delivery import EXAMPLE_MUNICIPALITY, example
from trajecten.domain.subscriptions import (
    FORMATS,
    DataScope,
    Filters,
    RetryLimits,
    legal_bases,
    matches,
    retry_policy_problems,
)

# What a partner may do to a subscription in each status: a suspension, a revocation or a
# withdrawn basis is an admin's or the issuer's; the partner only sees them.
PAUSABLE = ("active", "disabled")


def _invalid(field: str, message: str) -> Problem:
    return Problem(422, "Ongeldige invoer", message, errors=[{"field": field, "message": message}])


def _conflict(status: str, what: str) -> Problem:
    return Problem(409, "Niet mogelijk", f"Een abonnement met status '{status}' kan niet {what}.")


async def _set(
    work: UnitOfWork, rules: EdgeRules, subscription_id: UUID, **values: Any
) -> dict[str, Any]:
    row = (
        await work.session.execute(
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(**values)
            .returning(*subscriptions.c)
        )
    ).one()
    await work.commit()
    return _out(row, rules)


async def change_endpoint(
    work: UnitOfWork, by: Principal, rules: EdgeRules, subscription_id: UUID, url: str
) -> dict[str, Any]:
    """A new endpoint URL, checked as at creation; what waits goes there, at once (the log and
    its resend history stay with the subscription)."""
    await own(work, by, subscription_id, lock=True)
    await check_endpoint(url, rules)
    await work.session.execute(
        update(deliveries)
        .where(deliveries.c.subscription_id == subscription_id, deliveries.c.status == "pending")
        .values(next_attempt_at=datetime.now(UTC))
    )
    return await _set(work, rules, subscription_id, endpoint_url=url)


async def pause(
    work: UnitOfWork, by: Principal, rules: EdgeRules, subscription_id: UUID
) -> dict[str, Any]:
    """Nothing goes out while paused; events keep being queued and wait, in order."""
    current = await own(work, by, subscription_id, lock=True)
    if current.status == "paused":
        return _out(current, rules)
    if current.status not in PAUSABLE:
        raise _conflict(current.status, "gepauzeerd worden")
    return await _set(work, rules, subscription_id, status="paused")


async def resume(
    work: UnitOfWork, by: Principal, rules: EdgeRules, subscription_id: UUID
) -> dict[str, Any]:
    """Active again: what waited goes out in order per trajectory, at once."""
    current = await own(work, by, subscription_id, lock=True)
    if current.status == "active":
        return _out(current, rules)
    if current.status != "paused":
        raise _conflict(current.status, "hervat worden")
    await work.session.execute(
        update(deliveries)
        .where(deliveries.c.subscription_id == subscription_id, deliveries.c.status == "pending")
        .values(next_attempt_at=datetime.now(UTC))
    )
    return await _set(work, rules, subscription_id, status="active", consecutive_failures=0)


async def current_limits(work: UnitOfWork, rules: EdgeRules) -> RetryLimits:
    """The limits an admin set, or the operator's settings while none did."""
    row = (await work.session.execute(select(retry_limits).where(retry_limits.c.id == 1))).first()
    if row is None:
        return rules.limits
    return RetryLimits(
        row.min_seconds, row.max_seconds, row.max_steps, row.disable_min, row.disable_max
    )


def limits_out(limits: RetryLimits) -> dict[str, Any]:
    return {
        "min_seconds": limits.min_seconds,
        "max_seconds": limits.max_seconds,
        "max_steps": limits.max_steps,
        "disable_after_failures_min": limits.disable_min,
        "disable_after_failures_max": limits.disable_max,
    }


async def policy_of(
    work: UnitOfWork, by: Principal, rules: EdgeRules, subscription_id: UUID
) -> dict[str, Any]:
    """A subscription's retry policy in force, with the limits it may be set within."""
    policy: dict[str, Any] = _out(await own(work, by, subscription_id), rules)["retry_policy"]
    return policy | {"limits": limits_out(await current_limits(work, rules))}


async def set_limits(work: UnitOfWork, by: Principal, limits: RetryLimits) -> dict[str, Any]:
    """An admin's limits (audited); they bind what partners set from now on. A policy set
    before keeps working: a tighter limit is not applied to it behind the partner's back."""
    problems = []
    if limits.min_seconds <= 0 or limits.max_seconds < limits.min_seconds:
        problems.append(("max_seconds", "0 < min_seconds <= max_seconds"))
    if limits.max_steps < 1:
        problems.append(("max_steps", "ten minste 1"))
    if limits.disable_min < 1 or limits.disable_max < limits.disable_min:
        problems.append(("disable_after_failures_max", "1 <= disable_after_failures_min <= _max"))
    if problems:
        raise Problem(
            422,
            "Ongeldige invoer",
            "Deze grenzen zijn onmogelijk.",
            errors=[{"field": f, "message": m} for f, m in problems],
        )
    values = {
        "min_seconds": limits.min_seconds,
        "max_seconds": limits.max_seconds,
        "max_steps": limits.max_steps,
        "disable_min": limits.disable_min,
        "disable_max": limits.disable_max,
        "updated_by": by.subject,
        "updated_at": datetime.now(UTC),
    }
    await work.session.execute(
        insert(retry_limits)
        .values(id=1, **values)
        .on_conflict_do_update(index_elements=[retry_limits.c.id], set_=values)
    )
    await work.audit(by, "partner.retry-limits.set", "retry_limits", "1", "beheer")
    await work.commit()
    return limits_out(limits)


async def set_retry_policy(
    work: UnitOfWork,
    by: Principal,
    rules: EdgeRules,
    subscription_id: UUID,
    retry_seconds: list[float] | None,
    disable_after_failures: int | None,
) -> dict[str, Any]:
    """The partner's own schedule and disable threshold, within the operator's limits (422
    naming the field otherwise); None puts back the default."""
    problems = retry_policy_problems(
        retry_seconds, disable_after_failures, await current_limits(work, rules)
    )
    if problems:
        raise Problem(
            422,
            "Ongeldige invoer",
            "Het herhaalbeleid valt buiten de grenzen van de beheerder.",
            errors=[{"field": f, "message": m} for f, m in problems],
        )
    await own(work, by, subscription_id, lock=True)
    await _set(
        work,
        rules,
        subscription_id,
        retry_seconds=retry_seconds,
        disable_after_failures=disable_after_failures,
    )
    return await policy_of(work, by, rules, subscription_id)


async def send_test_event(
    work: UnitOfWork,
    by: Principal,
    rules: EdgeRules,
    subscription_id: UUID,
    event_type: str,
    endpoint_url: str | None = None,
) -> dict[str, Any]:
    """A made-up event of a type the subscription receives, with only the fields its legal
    basis allows, delivered (and retried, and logged) like a real one but marked as a test;
    also while the subscription is paused or disabled, to check the endpoint before resuming,
    and to another endpoint (checked as at creation) to try it before switching to it. It is in
    nobody's feed and does not count towards disabling."""
    sub = await own(work, by, subscription_id)
    if sub.status not in ("active", "paused", "disabled"):
        raise _conflict(sub.status, "een testbericht krijgen")
    if event_type not in sub.event_types:
        raise _invalid("event_type", f"dit abonnement ontvangt geen {event_type}")
    if endpoint_url is not None and endpoint_url != sub.endpoint_url:
        await check_endpoint(endpoint_url, rules)
    else:
        endpoint_url = None
    model = CONTRACTS.get(event_type)
    basis = legal_bases().get(sub.legal_basis)
    if model is None or basis is None:
        raise _invalid("event_type", f"onbekend gebeurtenistype {event_type}")
    trajectory_id, now = uuid.uuid4(), datetime.now(UTC)
    municipality = (sub.filters.get("municipalities") or [None])[0] or sub.scope_municipality
    data = example(
        model.model_json_schema(),
        {
            "trajectory_id": str(trajectory_id),
            "person_id": str(uuid.uuid4()),
            "municipality_nis": municipality or EXAMPLE_MUNICIPALITY,
            "occurred_at": now.isoformat(),
        },
    )
    event_id = uuid.uuid4()
    event_pk = (
        await work.session.execute(
            partner_events.insert()
            .values(
                event_id=event_id,
                event_type=event_type,
                trajectory_id=trajectory_id,
                person_id=None,
                sequence=1,
                occurred_at=now,
                data=basis.strip(data),  # only what the basis allows is ever kept
                municipality_nis=municipality,
                test=True,
            )
            .returning(partner_events.c.id)
        )
    ).scalar_one()
    delivery_id = uuid.uuid4()
    await work.session.execute(
        deliveries.insert().values(
            id=delivery_id,
            subscription_id=subscription_id,
            event_pk=event_pk,
            trajectory_id=trajectory_id,
            sequence=1,
            status="pending",
            next_attempt_at=now,
            endpoint_url=endpoint_url,
        )
    )
    await work.commit()
    return {"delivery_id": str(delivery_id), "event_id": str(event_id), "event_type": event_type}


async def replay(
    work: UnitOfWork,
    by: Principal,
    rules: EdgeRules,
    subscription_id: UUID,
    since: datetime,
    until: datetime,
) -> dict[str, int]:
    """Every event of the subscription that happened in [since, until) is sent again, oldest
    first: what it had (delivered, dead or waiting) from attempt zero, with the earlier attempts
    kept in the log; and what matched it but was never queued (while it was disabled, or
    before it existed) as new deliveries."""
    if since.tzinfo is None or until.tzinfo is None:
        raise _invalid("from", "tijdstippen met tijdzone (ISO 8601)")
    if until <= since:
        raise _invalid("to", "to ligt na from")
    if until - since > timedelta(days=rules.replay_max_days):
        raise _invalid("to", f"ten hoogste {rules.replay_max_days} dagen per keer")
    sub = await own(work, by, subscription_id, lock=True)
    if sub.status in ("revoked", "basis_withdrawn", "suspended"):
        raise _conflict(sub.status, "opnieuw verstuurd worden")
    basis = legal_bases().get(sub.legal_basis)
    if basis is None:
        raise _conflict(sub.status, "opnieuw verstuurd worden")
    in_range = and_(
        partner_events.c.occurred_at >= since,
        partner_events.c.occurred_at < until,
        partner_events.c.test.is_(False),
    )
    now = datetime.now(UTC)
    requeued = len(
        (
            await work.session.execute(
                update(deliveries)
                .where(
                    deliveries.c.subscription_id == subscription_id,
                    deliveries.c.status.in_(("delivered", "dead", "pending")),
                    deliveries.c.event_pk.in_(select(partner_events.c.id).where(in_range)),
                )
                .values(status="pending", attempts=0, next_attempt_at=now)
                .returning(deliveries.c.id)
            )
        ).all()
    )
    missing = (
        await work.session.execute(
            select(partner_events)
            .where(
                in_range,
                partner_events.c.event_type.in_(sorted(set(sub.event_types) & basis.event_types)),
                ~exists().where(
                    deliveries.c.subscription_id == subscription_id,
                    deliveries.c.event_pk == partner_events.c.id,
                ),
            )
            .order_by(partner_events.c.id)
            .limit(rules.replay_max_events)
        )
    ).all()
    scope = DataScope(sub.scope_municipality, sub.scope_vdab)
    filters = Filters.of(sub.filters)
    added = 0
    for event in missing:
        if event.event_type.startswith("trajecten.person.") or not matches(
            event.event_type,
            sub.event_types,
            basis,
            scope,
            filters,
            event.municipality_nis or "",
            event.kind or "",
            event.vdab,
        ):
            continue
        await work.session.execute(
            deliveries.insert().values(
                id=uuid.uuid4(),
                subscription_id=subscription_id,
                event_pk=event.id,
                trajectory_id=event.trajectory_id,
                sequence=event.sequence,
                status="pending",
                next_attempt_at=now,
            )
        )
        added += 1
    await work.commit()
    return {"requeued": requeued, "queued": added}


async def change_format(
    work: UnitOfWork, by: Principal, rules: EdgeRules, subscription_id: UUID, format_: str
) -> dict[str, Any]:
    """Standard Webhooks' JSON, or a CloudEvent in binary or structured mode; signed alike."""
    if format_ not in FORMATS:
        raise _invalid("format", f"een van {', '.join(FORMATS)}")
    await own(work, by, subscription_id, lock=True)
    return await _set(work, rules, subscription_id, format=format_)
