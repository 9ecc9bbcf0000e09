"""Use cases of the partner edge: subscriptions, the feed, the sandbox, resends, and turning
consumed trajectory events into deliveries."""

import asyncio
import base64
import secrets
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import SecretStr
from sqlalchemy import and_, exists, false, func, or_, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from civic_common.api.problems import Problem
from civic_common.auth.legal_bases import chosen_legal_basis
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import EventData
from civic_common.events.envelope import Envelope
from trajecten.adapters.sealing import Keyring, UnsealError, parsed_keyring
from trajecten.adapters.subscriptions import (
    deliveries,
    delivery_attempts,
    partner_events,
    subscriptions,
)
from trajecten.adapters.tables import components, messaging, trajectories
from trajecten.domain.delivery import ERASURE_NOTICE, FEED_READ, payload
from trajecten.domain.subscriptions import (
    FORMATS,
    DataScope,
    Filters,
    LegalBasis,
    RetryLimits,
    address_problem,
    data_scope,
    legal_bases,
    matches,
    missing_event_scopes,
    url_problem,
    warn_threshold,
)
from trajecten.settings import TrajectenSettings

VDAB_REFERRAL = "vdab_referral"  # the template component that makes a person VDAB's


def _invalid(field: str, message: str) -> Problem:
    return Problem(422, "Ongeldige invoer", message, errors=[{"field": field, "message": message}])


@dataclass(frozen=True)
class EdgeRules:
    """What the operator set for the partner edge, handed to its use cases by the composition
    root (``main.py``); no use case reads settings itself."""

    vdab_organisations: frozenset[str]
    max_filter_values: int
    allow_private: bool  # http and loopback/private endpoint addresses (tests, local receivers)
    retry_seconds: tuple[float, ...]  # the default retry schedule
    disable_after_failures: int  # the default disable threshold
    warn_after_failures: float  # share of the threshold at which the partner is warned
    jitter: float
    secret_grace: timedelta  # how long a rotated secret still signs
    limits: RetryLimits  # what a partner may choose while no admin set limits
    replay_max_days: int
    replay_max_events: int
    secret_keys: SecretStr = field(repr=False)  # the keyring sealing webhook secrets

    @classmethod
    def of(cls, settings: TrajectenSettings) -> "EdgeRules":
        return cls(
            vdab_organisations=frozenset(settings.vdab_organisations),
            max_filter_values=settings.max_filter_values,
            allow_private=settings.webhooks_allow_private,
            retry_seconds=tuple(settings.delivery_retry_seconds),
            disable_after_failures=settings.disable_after_failures,
            warn_after_failures=settings.warn_after_failures,
            jitter=settings.delivery_jitter,
            secret_grace=timedelta(hours=settings.secret_grace_hours),
            limits=RetryLimits(
                settings.retry_min_seconds,
                settings.retry_max_seconds,
                settings.retry_max_steps,
                settings.disable_after_failures_min,
                settings.disable_after_failures_max,
            ),
            replay_max_days=settings.replay_max_days,
            replay_max_events=settings.replay_max_events,
            secret_keys=settings.webhook_secret_keys,
        )

    def keyring(self) -> Keyring:
        """Parsed on first use: a process that never touches a webhook secret needs none."""
        return parsed_keyring(self.secret_keys.get_secret_value())


def scope_of(principal: Principal, rules: EdgeRules) -> DataScope:
    return data_scope(principal.municipality, principal.organisation, rules.vdab_organisations)


@dataclass(frozen=True)
class Wish:
    """What a partner asks to receive (a subscription, a preview, a feed query)."""

    event_types: tuple[str, ...]
    legal_basis: str | None  # None: the one basis the client holds
    filters: Filters


def checked_basis(wish: Wish, scope: DataScope, rules: EdgeRules) -> LegalBasis:
    """The legal basis of a wish after checking it against the configuration; 422 naming the
    field on anything unknown, too large or outside the partner's data scope."""
    basis = legal_bases().get(wish.legal_basis)
    if basis is None:
        known = ", ".join(sorted(legal_bases().bases))
        raise _invalid("legal_basis", f"onbekende rechtsgrond; gekend: {known}")
    unknown = sorted(set(wish.event_types) - basis.event_types)
    if not wish.event_types or unknown:
        raise _invalid(
            "event_types",
            f"niet toegelaten onder {basis.code}: {', '.join(unknown) or 'geen enkel type'}",
        )
    for name, values in (
        ("filters.municipalities", wish.filters.municipalities),
        ("filters.kinds", wish.filters.kinds),
    ):
        if len(values) > rules.max_filter_values or any(len(v) > 100 for v in values):
            raise _invalid(name, f"te groot (ten hoogste {rules.max_filter_values} waarden)")
    if scope.municipality is not None and any(
        m != scope.municipality for m in wish.filters.municipalities
    ):
        raise _invalid("filters.municipalities", "buiten de gemeente van deze partner")
    return basis


def checked(wish: Wish, by: Principal, rules: EdgeRules) -> tuple[LegalBasis, DataScope]:
    """A wish both the token and the legal basis allow: 403 naming every ``events:<type>``
    scope the token lacks (fail-closed, before anything else is looked at), then
    ``checked_basis``; with the legal basis and the token's data scope."""
    missing = missing_event_scopes(wish.event_types, by.scopes)
    if missing:
        raise Problem(
            403,
            "Geen toegang",
            f"Het token mist de scopes voor deze gebeurtenistypes: {', '.join(missing)}.",
            missing_scopes=missing,
        )
    scope = scope_of(by, rules)
    return checked_basis(replace(wish, legal_basis=granted_basis(wish, by)), scope, rules), scope


def require_scope(scope: DataScope) -> None:
    """A subscription (or its preview) needs a data scope: with none (fail-closed) it would
    never carry an event, so say so rather than accept it. An organisation whose clients name
    different municipalities gets none, never a guessed one. The feed stays open without one:
    erasure notices addressed to the organisation still reach it there."""
    if scope.municipality is None and not scope.vdab:
        raise Problem(
            403,
            "Geen gegevensbereik",
            "Uw client heeft geen gegevensbereik: geen gemeente (OCMW) en geen doorverwijzing "
            "(VDAB). Vraag de beheerder de gemeente van uw client vast te leggen.",
        )


def granted_basis(wish: Wish, by: Principal) -> str:
    """The legal basis a partner asks for, which must be one an admin granted its client (403
    otherwise); a client holding one basis gets it without naming it. The rule every partner
    edge shares (``civic_common.auth.legal_bases``)."""
    return chosen_legal_basis(wish.legal_basis, by)


async def check_endpoint(url: str, rules: EdgeRules) -> None:
    allow = rules.allow_private
    if (problem := url_problem(url, allow)) is not None:
        raise _invalid("endpoint_url", problem)
    host = urlsplit(url).hostname or ""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        found = []
    if (problem := address_problem({f[4][0] for f in found}, allow)) is not None:
        raise _invalid("endpoint_url", problem)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def retry_policy(row: Any, rules: EdgeRules) -> dict[str, Any]:
    """A subscription's retry policy in force (its own or the default)."""
    disable_after = row.disable_after_failures or rules.disable_after_failures
    return {
        "retry_seconds": list(row.retry_seconds or rules.retry_seconds),
        "disable_after_failures": disable_after,
        "warn_after_failures": warn_threshold(disable_after, rules.warn_after_failures),
        "jitter": rules.jitter,
        "own": row.retry_seconds is not None or row.disable_after_failures is not None,
    }


def _out(row: Any, rules: EdgeRules, secret: str | None = None) -> dict[str, Any]:
    out = {
        "id": str(row.id),
        "endpoint_url": row.endpoint_url,
        "event_types": row.event_types,
        "filters": row.filters,
        "legal_basis": row.legal_basis,
        "format": row.format,
        "status": row.status,
        "consecutive_failures": row.consecutive_failures,
        "retry_policy": retry_policy(row, rules),
        "created_at": row.created_at.isoformat(),
    }
    if secret is not None:
        out["secret"] = secret  # shown once, at creation or rotation
    return out


def checked_format(format_: str) -> str:
    if format_ not in FORMATS:
        raise _invalid("format", f"een van {', '.join(FORMATS)}")
    return format_


async def create(
    work: UnitOfWork,
    by: Principal,
    rules: EdgeRules,
    url: str,
    wish: Wish,
    format_: str = FORMATS[0],
    client_id: str | None = None,
) -> dict[str, Any]:
    """``client_id``: the partner client the subscription belongs to (its revocation stops it);
    by default the caller, a client itself. Staff signed in at the portal name one of their
    organisation's clients (``partner_staff.subscribing_client``)."""
    basis, scope = checked(wish, by, rules)
    require_scope(scope)
    checked_format(format_)
    await check_endpoint(url, rules)
    subscription_id, secret = uuid.uuid4(), new_secret()
    row = (
        await work.session.execute(
            subscriptions.insert()
            .values(
                id=subscription_id,
                organisation=by.organisation or by.subject,
                created_by=client_id or by.subject,
                scope_municipality=scope.municipality,
                scope_vdab=scope.vdab,
                endpoint_url=url,
                event_types=list(wish.event_types),
                filters={
                    "municipalities": list(wish.filters.municipalities),
                    "kinds": list(wish.filters.kinds),
                },
                legal_basis=basis.code,
                format=format_,
                sealed_secret=rules.keyring().seal(secret, subscription_id),
                status="active",
            )
            .returning(*subscriptions.c)
        )
    ).one()
    await work.commit()
    return _out(row, rules, secret)


def _owner(by: Principal) -> str:
    return by.organisation or by.subject


async def list_page(
    work: UnitOfWork, by: Principal, rules: EdgeRules, after: UUID | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    query = (
        select(subscriptions)
        .where(subscriptions.c.organisation == _owner(by), subscriptions.c.status != "deleted")
        .order_by(subscriptions.c.id)
        .limit(limit + 1)
    )
    if after:
        query = query.where(subscriptions.c.id > after)
    rows = (await work.session.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_out(r, rules) for r in rows], (str(rows[-1].id) if more else None)


async def own(work: UnitOfWork, by: Principal, subscription_id: UUID, lock: bool = False) -> Any:
    """A subscription of the caller's organisation; 404 for anyone else's (no probing)."""
    query = select(subscriptions).where(
        subscriptions.c.id == subscription_id,
        subscriptions.c.organisation == _owner(by),
        subscriptions.c.status != "deleted",
    )
    row = (await work.session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise Problem(404, "Niet gevonden", "Dit abonnement bestaat niet.")
    return row


async def get(
    work: UnitOfWork, by: Principal, rules: EdgeRules, subscription_id: UUID
) -> dict[str, Any]:
    return _out(await own(work, by, subscription_id), rules)


async def delete(work: UnitOfWork, by: Principal, subscription_id: UUID) -> None:
    await own(work, by, subscription_id, lock=True)
    await work.session.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id)
        .values(status="deleted", sealed_secret=None, sealed_previous_secret=None)
    )
    # What was still waiting is not sent any more; the log keeps what was.
    await work.session.execute(
        update(deliveries)
        .where(deliveries.c.subscription_id == subscription_id, deliveries.c.status == "pending")
        .values(status="cancelled")
    )
    await work.commit()


async def rotate_secret(
    work: UnitOfWork, by: Principal, rules: EdgeRules, subscription_id: UUID
) -> dict[str, Any]:
    """A new secret; the old one keeps signing beside it during the grace period (still sealed
    as it was: the associated data is the subscription, not the column)."""
    row = await own(work, by, subscription_id, lock=True)
    secret = new_secret()
    updated = (
        await work.session.execute(
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(
                sealed_secret=rules.keyring().seal(secret, subscription_id),
                sealed_previous_secret=row.sealed_secret,
                previous_secret_until=datetime.now(UTC) + rules.secret_grace,
            )
            .returning(*subscriptions.c)
        )
    ).one()
    await work.commit()
    return _out(updated, rules, secret)


async def enable(
    work: UnitOfWork, by: Principal, rules: EdgeRules, subscription_id: UUID
) -> dict[str, Any]:
    """Active again after an auto-disable; a suspension is an admin's to lift (409)."""
    current = await own(work, by, subscription_id, lock=True)
    if current.status == "suspended":
        raise Problem(
            409, "Geschorst", "Een beheerder schortte dit abonnement op; alleen die heft het op."
        )
    row = (
        await work.session.execute(
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(status="active", consecutive_failures=0)
            .returning(*subscriptions.c)
        )
    ).one()
    await work.commit()
    return _out(row, rules)


@dataclass(frozen=True)
class Resealed:
    count: int  # subscriptions now sealed under the first key only
    unopenable: list[UUID]  # sealed under no listed key, or altered: they cannot sign either


async def reseal_secrets(work: UnitOfWork, keys: Keyring) -> Resealed:
    """Seal again, under the keyring's first key, every secret sealed under another: the step
    after an operator prepends a new key, before the old one can be dropped."""
    current = keys.current_prefix
    rows = (
        await work.session.execute(
            select(
                subscriptions.c.id,
                subscriptions.c.sealed_secret,
                subscriptions.c.sealed_previous_secret,
            )
            .where(
                or_(
                    ~subscriptions.c.sealed_secret.startswith(current, autoescape=True),
                    ~subscriptions.c.sealed_previous_secret.startswith(current, autoescape=True),
                )
            )
            .order_by(subscriptions.c.id)
            .with_for_update()
        )
    ).all()

    def again(sealed: str | None, subscription_id: UUID) -> str | None:
        if sealed is None or keys.is_current(sealed):
            return sealed
        return keys.seal(keys.open(sealed, subscription_id), subscription_id)

    unopenable: list[UUID] = []
    for row in rows:
        try:
            values = {
                "sealed_secret": again(row.sealed_secret, row.id),
                "sealed_previous_secret": again(row.sealed_previous_secret, row.id),
            }
        except UnsealError:
            unopenable.append(row.id)
            continue
        await work.session.execute(
            update(subscriptions).where(subscriptions.c.id == row.id).values(**values)
        )
    await work.commit()
    return Resealed(len(rows) - len(unopenable), unopenable)


# --- admins: every organisation's subscriptions --------------------------------------------


async def admin_page(
    work: UnitOfWork, rules: EdgeRules, organisation: str | None, after: UUID | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    query = (
        select(subscriptions)
        .where(subscriptions.c.status != "deleted")
        .order_by(subscriptions.c.id)
        .limit(limit + 1)
    )
    if organisation:
        query = query.where(subscriptions.c.organisation == organisation)
    if after:
        query = query.where(subscriptions.c.id > after)
    rows = (await work.session.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_out(r, rules) | {"organisation": r.organisation} for r in rows], (
        str(rows[-1].id) if more else None
    )


async def set_suspended(
    work: UnitOfWork, by: Principal, rules: EdgeRules, subscription_id: UUID, suspended: bool
) -> dict[str, Any]:
    """An admin stops a subscription (a revoked partner, a contract ended): nothing more is
    queued or sent until an admin lifts it; the partner cannot re-enable it. Audited."""
    found = (
        await work.session.execute(
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id, subscriptions.c.status != "deleted")
            .values(
                status="suspended" if suspended else "active",
                **({} if suspended else {"consecutive_failures": 0}),
            )
            .returning(*subscriptions.c)
        )
    ).first()
    if found is None:
        raise Problem(404, "Niet gevonden", "Dit abonnement bestaat niet.")
    action = "subscription.suspend" if suspended else "subscription.resume"
    await work.audit(by, action, "subscription", subscription_id, "beheer")
    await work.commit()
    return _out(found, rules) | {"organisation": found.organisation}


# --- events into deliveries (the worker, in the consumer's transaction) ---------------------


def _vdab_referral(trajectory_id: Any) -> ColumnElement[bool]:
    return exists().where(
        components.c.trajectory_id == trajectory_id,
        components.c.code == VDAB_REFERRAL,
        components.c.required.is_(True),
    )


async def on_trajectory_event(work: UnitOfWork, event: EventData, envelope: Envelope) -> None:
    """Keep the event for the feed, with its trajectory's scope as it is now (when the event
    happened), and queue one delivery per subscription it matches."""
    data = envelope.data
    trajectory_id = UUID(data["trajectory_id"])
    trajectory = (
        await work.session.execute(
            select(
                trajectories.c.municipality_nis,
                trajectories.c.kind,
                _vdab_referral(trajectories.c.id).label("vdab"),
            ).where(trajectories.c.id == trajectory_id)
        )
    ).first()
    if trajectory is None:
        return  # erased since: nothing of it is kept for partners
    event_pk = (
        await work.session.execute(
            partner_events.insert()
            .values(
                event_id=envelope.id,
                event_type=envelope.type,
                trajectory_id=trajectory_id,
                person_id=data.get("person_id"),
                sequence=envelope.sequence,
                occurred_at=envelope.time,
                data=data,
                municipality_nis=trajectory.municipality_nis,
                kind=trajectory.kind,
                vdab=trajectory.vdab,
            )
            .returning(partner_events.c.id)
        )
    ).scalar_one()
    # A paused subscription's deliveries are queued too: they wait, in order, for its resume.
    active = (
        await work.session.execute(
            select(subscriptions).where(subscriptions.c.status.in_(("active", "paused")))
        )
    ).all()
    now = datetime.now(UTC)
    for sub in active:
        basis = legal_bases().get(sub.legal_basis)
        if basis is None or not matches(
            envelope.type,
            sub.event_types,
            basis,
            DataScope(sub.scope_municipality, sub.scope_vdab),
            Filters.of(sub.filters),
            trajectory.municipality_nis,
            trajectory.kind,
            trajectory.vdab,
        ):
            continue
        await work.session.execute(
            deliveries.insert().values(
                id=uuid.uuid4(),
                subscription_id=sub.id,
                event_pk=event_pk,
                trajectory_id=trajectory_id,
                sequence=envelope.sequence,
                status="pending",
                next_attempt_at=now,
            )
        )


async def feed_readers(work: UnitOfWork, person_id: UUID) -> list[str]:
    """The organisations that read any of the person's events in the feed (from the audit log,
    which keeps every feed read per person and outlives the events)."""
    log = messaging.audit_log
    return list(
        (
            await work.session.execute(
                select(log.c.organisation)
                .where(
                    log.c.action == FEED_READ,
                    log.c.subject_type == "person",
                    log.c.subject_id == str(person_id),
                    log.c.organisation.is_not(None),
                )
                .distinct()
                .order_by(log.c.organisation)
            )
        ).scalars()
    )


async def move_partner_data(work: UnitOfWork, person_id: UUID, into: UUID) -> None:
    """A person's records merged in intake: the events kept for partners under the record merged
    away are the surviving record's from now on (an erasure of that person takes them along).
    The events themselves stay as they were published."""
    await work.session.execute(
        update(partner_events)
        .where(partner_events.c.person_id == person_id, partner_events.c.addressee.is_(None))
        .values(person_id=into)
    )


async def forget_partner_data(
    work: UnitOfWork, person_id: UUID, trajectory_ids: list[UUID], at: datetime
) -> None:
    """The person's events leave the feed, with their queued and past deliveries; every
    subscription that received any of them gets an erasure notice instead (GDPR art. 19),
    whatever its legal basis, delivered and retried like any webhook, so the delivery log says
    when it went out and when the partner acknowledged it; every organisation that read them in
    the feed finds a notice addressed to it there, and when it fetched it is kept."""
    event_pks = select(partner_events.c.id).where(
        or_(
            partner_events.c.person_id == person_id,
            partner_events.c.trajectory_id.in_(trajectory_ids),
        )
    )
    recipients = list(
        (
            await work.session.execute(
                select(deliveries.c.subscription_id)
                .where(deliveries.c.event_pk.in_(event_pks), deliveries.c.status == "delivered")
                .distinct()
            )
        ).scalars()
    )
    delivery_ids = select(deliveries.c.id).where(deliveries.c.event_pk.in_(event_pks))
    await work.session.execute(
        delivery_attempts.delete().where(delivery_attempts.c.delivery_id.in_(delivery_ids))
    )
    await work.session.execute(deliveries.delete().where(deliveries.c.event_pk.in_(event_pks)))
    await work.session.execute(partner_events.delete().where(partner_events.c.id.in_(event_pks)))
    order_key = trajectory_ids[0] if trajectory_ids else person_id
    notice = {
        "event_type": ERASURE_NOTICE,
        "trajectory_id": order_key,
        "person_id": person_id,
        "sequence": 0,
        "occurred_at": at,
        "data": {"person_id": str(person_id), "erased_at": at.isoformat()},
    }
    # Partners that read the person's events in the feed find the notice in their feed.
    for organisation in await feed_readers(work, person_id):
        await work.session.execute(
            partner_events.insert().values(event_id=uuid.uuid4(), addressee=organisation, **notice)
        )
    if not recipients:
        return
    notice_pk = (
        await work.session.execute(
            partner_events.insert()
            .values(event_id=uuid.uuid4(), **notice)
            .returning(partner_events.c.id)
        )
    ).scalar_one()
    for subscription_id in recipients:
        await work.session.execute(
            deliveries.insert().values(
                id=uuid.uuid4(),
                subscription_id=subscription_id,
                event_pk=notice_pk,
                trajectory_id=order_key,
                sequence=0,
                status="pending",
                next_attempt_at=datetime.now(UTC),
            )
        )


# --- the feed and the sandbox ----------------------------------------------------------------


def _scope_clause(scope: DataScope) -> ColumnElement[bool]:
    """Whether the event was in the partner's scope when it happened."""
    if scope.municipality is not None:
        return partner_events.c.municipality_nis == scope.municipality
    if scope.vdab:
        return partner_events.c.vdab
    return false()


PREVIEW_SIZE = 20  # the sandbox shows this many of the most recent events


async def events_for(
    work: UnitOfWork, by: Principal, rules: EdgeRules, wish: Wish, after: int, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """The feed: the events a wish receives, field-stripped, from position ``after`` on; with
    the position of the last one for the next page."""
    basis, scope = checked(wish, by, rules)
    return await _events(work, by, wish, basis, scope, after, limit)


async def preview(
    work: UnitOfWork, by: Principal, rules: EdgeRules, url: str, wish: Wish
) -> list[dict[str, Any]]:
    """The sandbox: the most recent events, oldest first, with exactly the fields this
    subscription would receive; nothing is stored but the audit of what was shown."""
    basis, scope = checked(wish, by, rules)
    require_scope(scope)
    await check_endpoint(url, rules)
    items, _ = await _events(work, by, wish, basis, scope, 0, PREVIEW_SIZE, newest_first=True)
    await work.commit()
    return list(reversed(items))


async def _events(
    work: UnitOfWork,
    by: Principal,
    wish: Wish,
    basis: LegalBasis,
    scope: DataScope,
    after: int,
    limit: int,
    newest_first: bool = False,
) -> tuple[list[dict[str, Any]], int | None]:
    """Every person whose data is shown is audited, per person with the reading organisation
    and its basis (so an erasure notice reaches it, and the person's access report names it).
    The feed (not the sandbox) also holds the erasure notices addressed to the caller's
    organisation, whatever the wish, with their fetching recorded."""
    filters = [
        partner_events.c.event_type.in_(sorted(set(wish.event_types) & basis.event_types)),
        _scope_clause(scope),
        partner_events.c.municipality_nis.in_(wish.filters.municipalities)
        if wish.filters.municipalities
        else true(),
        partner_events.c.kind.in_(wish.filters.kinds) if wish.filters.kinds else true(),
        partner_events.c.addressee.is_(None),
    ]
    addressed = (
        partner_events.c.addressee == by.organisation
        if by.organisation and not newest_first
        else false()
    )
    query = (
        select(partner_events)
        # a partner's test events are not anyone's feed
        .where(partner_events.c.test.is_(False), or_(and_(*filters), addressed))
        .limit(limit + 1)
    )
    if newest_first:
        query = query.order_by(partner_events.c.id.desc())
    else:
        query = query.where(partner_events.c.id > after).order_by(partner_events.c.id)
    rows = (await work.session.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    notices = [r.id for r in rows if r.addressee is not None]
    for person in {r.person_id for r in rows if r.person_id is not None and r.addressee is None}:
        await work.audit(by, FEED_READ, "person", person, f"rechtsgrond {basis.code}")
    if notices:
        await work.session.execute(
            update(partner_events)
            .where(partner_events.c.id.in_(notices), partner_events.c.fetched_at.is_(None))
            .values(fetched_at=func.now())
        )
    items = [
        payload(
            str(r.event_id),
            r.event_type,
            r.occurred_at,
            str(r.trajectory_id),
            r.sequence,
            r.data if r.addressee is not None else basis.strip(r.data),
        )
        for r in rows
    ]
    return items, (rows[-1].id if more and rows else None)
