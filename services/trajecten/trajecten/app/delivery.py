"""Durable webhook delivery: claim due deliveries, POST them signed per Standard Webhooks,
record every attempt, retry with backoff, give up into dead, disable failing subscriptions."""

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import aliased
from standardwebhooks import Webhook

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.errors import is_transient
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.trajecten import SubscriptionDisabled, SubscriptionFailing
from civic_common.logging import HELD_REPEATS
from civic_common.runtime import Runtime
from trajecten.adapters.sealing import UnsealError, keyring
from trajecten.adapters.subscriptions import (
    deliveries,
    delivery_attempts,
    partner_events,
    subscriptions,
)
from trajecten.adapters.tables import messaging
from trajecten.app.webhook_metrics import count_attempts
from trajecten.domain.delivery import (
    ERASURE_NOTICE,
    FEED_READ,
    after_failure,
    cloudevent,
    cloudevent_headers,
    order_headers,
    payload,
    succeeded,
)
from trajecten.domain.subscriptions import address_problem, legal_bases, warn_threshold
from trajecten.settings import TrajectenSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class Signer:
    """A subscription's opened secrets, for one batch."""

    secret: str
    previous: str | None
    previous_until: datetime | None

    def sign(self, msg_id: str, at: datetime, body: str) -> str:
        """``v1,<sig>`` with the current secret, and with the previous one during its grace."""
        signatures = [Webhook(self.secret).sign(msg_id, at, body)]
        if self.previous and self.previous_until is not None and self.previous_until > at:
            signatures.append(Webhook(self.previous).sign(msg_id, at, body))
        return " ".join(signatures)


def _head_of_order() -> Any:
    """No earlier delivery of the same trajectory to the same subscription is still pending."""
    earlier = aliased(deliveries)
    return ~exists().where(
        earlier.c.subscription_id == deliveries.c.subscription_id,
        earlier.c.trajectory_id == deliveries.c.trajectory_id,
        earlier.c.status == "pending",
        or_(
            earlier.c.sequence < deliveries.c.sequence,
            and_(
                earlier.c.sequence == deliveries.c.sequence,
                earlier.c.event_pk < deliveries.c.event_pk,
            ),
        ),
    )


def _previous_id() -> Any:
    """The webhook-id of the delivery before this one of the same trajectory to the same
    subscription (by sequence, then arrival); NULL for the first."""
    earlier = aliased(deliveries)
    return (
        select(earlier.c.id)
        .where(
            earlier.c.subscription_id == deliveries.c.subscription_id,
            earlier.c.trajectory_id == deliveries.c.trajectory_id,
            earlier.c.status != "cancelled",
            or_(
                earlier.c.sequence < deliveries.c.sequence,
                and_(
                    earlier.c.sequence == deliveries.c.sequence,
                    earlier.c.event_pk < deliveries.c.event_pk,
                ),
            ),
        )
        .order_by(earlier.c.sequence.desc(), earlier.c.event_pk.desc())
        .limit(1)
        .correlate(deliveries)
        .scalar_subquery()
    )


def _later_delivered() -> Any:
    """A later delivery of the same trajectory already went out: this one arrives out of order
    (a dead one resent)."""
    later = aliased(deliveries)
    return exists().where(
        later.c.subscription_id == deliveries.c.subscription_id,
        later.c.trajectory_id == deliveries.c.trajectory_id,
        later.c.status == "delivered",
        or_(
            later.c.sequence > deliveries.c.sequence,
            and_(
                later.c.sequence == deliveries.c.sequence,
                later.c.event_pk > deliveries.c.event_pk,
            ),
        ),
    )


def message_id(delivery_id: UUID) -> str:
    return f"msg_{delivery_id.hex}"


class ClientStatus:
    """Whether a partner client is still active, and its legal bases, as the issuer says;
    answers reused for a few seconds. None when the issuer cannot answer (fail-closed)."""

    def __init__(self, url: str | None, cache_seconds: float, http: httpx.AsyncClient) -> None:
        self._url, self._ttl, self._http = url, cache_seconds, http
        self._known: dict[str, tuple[float, bool, frozenset[str]]] = {}

    async def of(self, client_id: str) -> tuple[bool, frozenset[str]] | None:
        if self._url is None:
            return True, frozenset()  # not configured: nothing to ask (in-process tests)
        now = time.monotonic()
        if (known := self._known.get(client_id)) and known[0] > now:
            return known[1], known[2]
        try:
            answer = await self._http.post(self._url, data={"client_id": client_id})
            answer.raise_for_status()
            body = answer.json()
            active, bases = bool(body["active"]), frozenset(body.get("legal_bases", []))
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            log.warning("partner client status unavailable (%s)", type(exc).__name__)
            return None
        self._known[client_id] = (now + self._ttl, active, bases)
        return active, bases


def log_failed_round(logger: logging.Logger, loop: str, exc: Exception) -> None:
    """A polling loop's failed round. The database (or a connection) away fails every round
    until it is back: one warning line without a traceback, repeats held back by the
    log's RepeatFilter. Anything else is unexpected and keeps its traceback. The exception's
    type only, never its message: that may quote the data of the round."""
    if is_transient(exc):
        logger.warning(
            "%s round failed: database or connection unavailable (%s); retrying",
            loop,
            type(exc).__name__,
            extra=HELD_REPEATS,
        )
    else:
        logger.exception("%s round failed", loop)


class DeliveryLoop:
    def __init__(self, runtime: Runtime, settings: TrajectenSettings) -> None:
        self._runtime = runtime
        self._settings = settings
        self._client = httpx.AsyncClient(
            timeout=self._settings.delivery_timeout_seconds, follow_redirects=False
        )
        # One connection pool per endpoint host: connections go to the checked address, so a
        # pool keyed by address alone could reuse one host's TLS session for another.
        self._pinned: dict[str, httpx.AsyncClient] = {}
        self._status = ClientStatus(
            self._settings.partner_client_status_url,
            self._settings.partner_client_status_cache_seconds,
            self._client,
        )

    async def run(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception as exc:  # a broken round must not end delivery; the next retries
                log_failed_round(log, "delivery", exc)
                busy = 0
            if not busy:
                await asyncio.sleep(self._settings.delivery_poll_seconds)

    async def close(self) -> None:
        await self._client.aclose()
        for client in self._pinned.values():
            await client.aclose()
        self._pinned.clear()

    def _client_for(self, host: str) -> httpx.AsyncClient:
        client = self._pinned.get(host)
        if client is None:
            if len(self._pinned) >= 256:  # a bound on open pools; the oldest goes
                oldest = next(iter(self._pinned))
                asyncio.get_running_loop().create_task(self._pinned.pop(oldest).aclose())
            client = self._pinned[host] = httpx.AsyncClient(
                timeout=self._settings.delivery_timeout_seconds, follow_redirects=False
            )
        return client

    async def run_once(self) -> int:
        """One batch: claimed under SKIP LOCKED, so several workers share the queue."""
        now = datetime.now(UTC)
        async with self._runtime.uow() as work:
            rows = (
                await work.session.execute(
                    select(
                        deliveries.c.id,
                        deliveries.c.attempts,
                        deliveries.c.subscription_id,
                        deliveries.c.sequence,
                        func.coalesce(
                            deliveries.c.endpoint_url, subscriptions.c.endpoint_url
                        ).label("endpoint_url"),
                        subscriptions.c.legal_basis,
                        subscriptions.c.created_by,
                        subscriptions.c.sealed_secret,
                        subscriptions.c.sealed_previous_secret,
                        subscriptions.c.previous_secret_until,
                        subscriptions.c.format,
                        subscriptions.c.retry_seconds,
                        subscriptions.c.disable_after_failures,
                        partner_events.c.event_id,
                        partner_events.c.event_type,
                        partner_events.c.trajectory_id,
                        partner_events.c.occurred_at,
                        partner_events.c.data,
                        partner_events.c.test,
                        _previous_id().label("previous_id"),
                        _later_delivered().label("later_delivered"),
                    )
                    .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                    .join(partner_events, partner_events.c.id == deliveries.c.event_pk)
                    .where(
                        deliveries.c.status == "pending",
                        deliveries.c.next_attempt_at <= now,
                        or_(
                            subscriptions.c.status == "active",
                            # a test event also checks a paused or disabled endpoint
                            and_(
                                partner_events.c.test,
                                subscriptions.c.status.in_(("paused", "disabled")),
                            ),
                        ),
                        _head_of_order(),
                    )
                    .order_by(deliveries.c.next_attempt_at)
                    .limit(self._settings.delivery_batch)
                    .with_for_update(of=deliveries, skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            rows = await self._still_allowed(work, rows)
            if not rows:
                await work.commit()
                return 0
            signers = self._signers(rows)
            attempts = await asyncio.gather(
                *(self._post(r, signers[r.subscription_id]) for r in rows)
            )
            await self._record(work, list(zip(rows, attempts, strict=True)))
            await work.commit()
        count_attempts([a.status_code is not None and succeeded(a.status_code) for a in attempts])
        return len(rows)

    async def _still_allowed(self, work: UnitOfWork, rows: list[Any]) -> list[Any]:
        """Only deliveries whose client is still active and still holds the subscription's
        legal basis go out. A revoked client's subscriptions become ``revoked`` and one whose
        basis was withdrawn ``basis_withdrawn``, with no admin step; while the issuer cannot
        answer, nothing goes out (the deliveries wait)."""
        verdicts: dict[UUID, str | None] = {}
        for row in rows:
            if row.subscription_id in verdicts:
                continue
            status = await self._status.of(row.created_by)
            if status is None:
                verdicts[row.subscription_id] = "wait"
                continue
            active, bases = status
            basis = legal_bases().get(row.legal_basis)
            if not active:
                verdicts[row.subscription_id] = "revoked"
            elif basis is None or basis.expired(datetime.now(UTC).date()):
                verdicts[row.subscription_id] = "basis_expired"
            elif self._status_configured and row.legal_basis not in bases:
                verdicts[row.subscription_id] = "basis_withdrawn"
            else:
                verdicts[row.subscription_id] = None
        for subscription_id, verdict in verdicts.items():
            if verdict in ("revoked", "basis_withdrawn", "basis_expired"):
                log.warning("subscription %s stopped: %s", subscription_id, verdict)
                await work.session.execute(
                    update(subscriptions)
                    .where(subscriptions.c.id == subscription_id)
                    .values(status=verdict)
                )
        return [r for r in rows if verdicts[r.subscription_id] is None]

    @property
    def _status_configured(self) -> bool:
        return self._settings.partner_client_status_url is not None

    def _signers(self, rows: list[Any]) -> dict[UUID, Signer | None]:
        """Each subscription's secrets, opened once per batch; None for one that does not open
        (its deliveries fail visibly in the log instead of stopping everyone's)."""
        keys = keyring(self._settings)  # a missing keyring stops the round: nothing can sign
        signers: dict[UUID, Signer | None] = {}
        for row in rows:
            if row.subscription_id in signers:
                continue
            try:
                signers[row.subscription_id] = Signer(
                    keys.open(row.sealed_secret, row.subscription_id),
                    keys.open(row.sealed_previous_secret, row.subscription_id)
                    if row.sealed_previous_secret
                    else None,
                    row.previous_secret_until,
                )
            except UnsealError as exc:
                log.error("subscription %s: secret does not open: %s", row.subscription_id, exc)
                signers[row.subscription_id] = None
        return signers

    async def _post(self, row: Any, signer: Signer | None) -> Attempt:
        if signer is None:
            return Attempt(None, "het geheim van dit abonnement kan niet geopend worden", 0)
        basis = legal_bases().get(row.legal_basis)
        if row.event_type == ERASURE_NOTICE:
            data = row.data  # the person id the partner already had, and when it was erased
        else:
            data = basis.strip(row.data) if basis is not None else {}
        event = payload(
            str(row.event_id),
            row.event_type,
            row.occurred_at,
            str(row.trajectory_id),
            row.sequence,
            data,
            test=row.test,
        )
        headers: dict[str, str] = {"content-type": "application/json"}
        if row.format == "cloudevents-structured":
            headers["content-type"] = "application/cloudevents+json"
            content: Any = cloudevent(event)
        elif row.format == "cloudevents-binary":
            ce = cloudevent(event)
            headers |= cloudevent_headers(ce)
            content = ce["data"]
        else:
            content = event
        body = json.dumps(content, separators=(",", ":"))
        at = datetime.now(UTC)
        msg_id = message_id(row.id)  # the same on every retry: receivers dedupe on it
        headers |= {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signer.sign(msg_id, at, body),
        }
        headers |= order_headers(
            row.sequence,
            message_id(row.previous_id) if row.previous_id is not None else None,
            bool(row.later_delivered),
        )
        if row.test:
            headers["webhook-test"] = "true"
        started = time.perf_counter()
        pinned = await self._pin(row.endpoint_url)
        if isinstance(pinned, str):
            return Attempt(None, pinned, 0)
        urls, extensions, host_header = pinned
        headers["host"] = host_header
        code: int | None = None
        error: str | None = None
        for url in urls:  # each checked address in turn, while none can be connected to
            try:
                response = await self._client_for(host_header).post(
                    url, content=body, headers=headers, extensions=extensions
                )
                code = response.status_code
                error = None if succeeded(response.status_code) else response.text[:300]
                break
            except httpx.ConnectError as exc:
                code, error = None, f"{type(exc).__name__}: {exc}"[:300]
            except httpx.HTTPError as exc:
                code, error = None, f"{type(exc).__name__}: {exc}"[:300]
                break
        return Attempt(code, error, int((time.perf_counter() - started) * 1000))

    async def _pin(self, url: str) -> tuple[list[httpx.URL], dict[str, Any], str] | str:
        """Resolve the host at delivery time, check every address (a host that now points
        inside our network, DNS rebinding, gets nothing) and connect to the checked address
        itself, so the HTTP client does not resolve it again; the Host header and, for https,
        SNI and the certificate check keep the host name. Up to three addresses, in the
        resolver's order, for a host that has several (IPv6 and IPv4). A refusal is a string."""
        target = httpx.URL(url)
        host = target.host
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, target.port or (443 if target.scheme == "https" else 80)
            )
        except OSError as exc:
            return f"host onbekend: {exc}"[:300]
        addresses = [f[4][0] for f in found]
        problem = address_problem(set(addresses), self._settings.webhooks_allow_private)
        if problem:
            return f"geweigerd: {problem}"[:300]
        host_header = target.netloc.decode("ascii")  # host[:port], brackets for IPv6
        extensions: dict[str, Any] = {}
        if target.scheme == "https":
            extensions["sni_hostname"] = host
        ordered = list(dict.fromkeys(addresses))[:3]
        return [target.copy_with(host=a) for a in ordered], extensions, host_header

    async def _record(self, work: UnitOfWork, results: list[tuple[Any, Attempt]]) -> None:
        """Log every attempt; successes in bulk, failures one by one (the rare path)."""
        now = datetime.now(UTC)
        await work.session.execute(
            delivery_attempts.insert(),
            [
                {
                    "delivery_id": row.id,
                    "attempted_at": now,
                    "status_code": attempt.status_code,
                    "error": attempt.error,
                    "duration_ms": attempt.duration_ms,
                }
                for row, attempt in results
            ],
        )
        ok: list[tuple[Any, Attempt]] = []
        failed: list[tuple[Any, Attempt]] = []
        for row, attempt in results:
            good = attempt.status_code is not None and succeeded(attempt.status_code)
            (ok if good else failed).append((row, attempt))
        if ok:
            await work.session.execute(
                update(deliveries)
                .where(deliveries.c.id == bindparam("delivery"))
                .values(
                    status="delivered",
                    attempts=deliveries.c.attempts + 1,
                    delivered_at=now,
                    last_status_code=bindparam("code"),
                    last_error=None,
                ),
                [{"delivery": r.id, "code": a.status_code} for r, a in ok],
            )
            await work.session.execute(
                update(subscriptions)
                .where(
                    subscriptions.c.id.in_({r.subscription_id for r, _ in ok}),
                    subscriptions.c.consecutive_failures != 0,
                )
                .values(consecutive_failures=0)
            )
        failed.sort(key=lambda p: str(p[0].subscription_id))
        for row, attempt in failed:  # in subscription order: no lock cycles between workers
            await self._failed(work, row, attempt, now)

    async def _failed(self, work: UnitOfWork, row: Any, attempt: Attempt, now: datetime) -> None:
        tries = row.attempts + 1
        outcome = after_failure(
            tries,
            now,
            row.retry_seconds or self._settings.delivery_retry_seconds,
            self._settings.delivery_jitter,
        )
        await work.session.execute(
            update(deliveries)
            .where(deliveries.c.id == row.id)
            .values(
                status=outcome.status,
                attempts=tries,
                next_attempt_at=outcome.next_attempt_at or now,
                last_status_code=attempt.status_code,
                last_error=attempt.error,
            )
        )
        if row.test:
            return  # a partner's test event does not count towards disabling
        disable_after = row.disable_after_failures or self._settings.disable_after_failures
        sub = (
            await work.session.execute(
                update(subscriptions)
                .where(subscriptions.c.id == row.subscription_id)
                .values(consecutive_failures=subscriptions.c.consecutive_failures + 1)
                .returning(
                    subscriptions.c.consecutive_failures,
                    subscriptions.c.status,
                    subscriptions.c.organisation,
                )
            )
        ).one()
        warn_at = warn_threshold(disable_after, self._settings.warn_after_failures)
        if sub.status == "active" and sub.consecutive_failures == warn_at < disable_after:
            await work.publish(
                SubscriptionFailing(
                    subscription_id=row.subscription_id,
                    organisation=sub.organisation,
                    consecutive_failures=sub.consecutive_failures,
                    disable_after_failures=disable_after,
                    last_status_code=attempt.status_code,
                    at=now,
                ),
                key=row.subscription_id,
                sequence=sub.consecutive_failures,
            )
        if sub.status == "active" and sub.consecutive_failures >= disable_after:
            await work.session.execute(
                update(subscriptions)
                .where(subscriptions.c.id == row.subscription_id)
                .values(status="disabled")
            )
            await work.publish(
                SubscriptionDisabled(
                    subscription_id=row.subscription_id,
                    organisation=sub.organisation,
                    consecutive_failures=sub.consecutive_failures,
                    last_status_code=attempt.status_code,
                    disabled_at=now,
                ),
                key=row.subscription_id,
                sequence=sub.consecutive_failures,
            )


# --- the delivery log and resends --------------------------------------------------------------


async def delivery_log(
    work: UnitOfWork,
    subscription_id: UUID,
    status: str | None,
    after: int | None,
    limit: int,
    newest_first: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    """The deliveries of a subscription with every attempt, oldest first from a cursor (the
    API), or the most recent ``limit`` newest first (the portal)."""
    query = (
        select(
            deliveries,
            partner_events.c.event_id,
            partner_events.c.event_type,
            partner_events.c.occurred_at,
            partner_events.c.test,
        )
        .join(partner_events, partner_events.c.id == deliveries.c.event_pk)
        .where(deliveries.c.subscription_id == subscription_id)
        .order_by(
            *(
                (deliveries.c.event_pk.desc(), deliveries.c.id.desc())
                if newest_first
                else (deliveries.c.event_pk, deliveries.c.id)
            )
        )
        .limit(limit + 1)
    )
    if status:
        query = query.where(deliveries.c.status == status)
    if after:
        query = query.where(deliveries.c.event_pk > after)
    rows = (await work.session.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    tries = (
        await work.session.execute(
            select(delivery_attempts)
            .where(delivery_attempts.c.delivery_id.in_([r.id for r in rows]))
            .order_by(delivery_attempts.c.id)
        )
    ).all()
    by_delivery: dict[UUID, list[dict[str, Any]]] = {}
    for t in tries:
        by_delivery.setdefault(t.delivery_id, []).append(
            {
                "at": t.attempted_at.isoformat(),
                "status_code": t.status_code,
                "error": t.error,
                "duration_ms": t.duration_ms,
            }
        )
    items = [
        {
            "id": str(r.id),
            "event_id": str(r.event_id),
            "event_type": r.event_type,
            "trajectory_id": str(r.trajectory_id),
            "sequence": r.sequence,
            "occurred_at": r.occurred_at.isoformat(),
            "test": r.test,
            "endpoint_url": r.endpoint_url,  # another endpoint than the subscription's (a test)
            "status": r.status,
            "attempts": by_delivery.get(r.id, []),
            "next_attempt_at": r.next_attempt_at.isoformat() if r.status == "pending" else None,
            "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
        }
        for r in rows
    ]
    return items, (str(rows[-1].event_pk) if more else None)


async def resend(
    work: UnitOfWork,
    subscription_ids: list[UUID] | None,
    delivery_ids: list[UUID] | None,
    statuses: list[str],
) -> int:
    """Queue deliveries again as new (attempts from zero); the log keeps earlier attempts."""
    conditions = [deliveries.c.status.in_(statuses)]
    if subscription_ids is not None:
        conditions.append(deliveries.c.subscription_id.in_(subscription_ids))
    if delivery_ids is not None:
        conditions.append(deliveries.c.id.in_(delivery_ids))
    result = await work.session.execute(
        update(deliveries)
        .where(*conditions)
        .values(status="pending", attempts=0, next_attempt_at=datetime.now(UTC))
        .returning(deliveries.c.id)
    )
    count = len(result.all())
    await work.commit()
    return count


async def recipients(work: UnitOfWork, by: Principal, person_id: UUID) -> list[dict[str, Any]]:
    """Which partners received a person's data (audited read): by webhook, from the delivery
    log, and by reading the feed, from the audit log (one entry per read, with the basis).
    After an erasure, the erasure notices with their status: a webhook notice when it went out
    and whether the partner acknowledged it (2xx), a feed notice whether and when the
    partner's feed fetched it."""
    rows = (
        await work.session.execute(
            select(
                subscriptions.c.organisation,
                subscriptions.c.id.label("subscription_id"),
                subscriptions.c.legal_basis,
                partner_events.c.event_type,
                partner_events.c.trajectory_id,
                deliveries.c.status,
                deliveries.c.attempts,
                deliveries.c.delivered_at,
            )
            .join(deliveries, deliveries.c.subscription_id == subscriptions.c.id)
            .join(partner_events, partner_events.c.id == deliveries.c.event_pk)
            .where(
                partner_events.c.person_id == person_id,
                or_(
                    deliveries.c.status == "delivered",
                    partner_events.c.event_type == ERASURE_NOTICE,
                ),
            )
            .order_by(deliveries.c.created_at)
        )
    ).all()
    audit_log = messaging.audit_log
    reads = (
        await work.session.execute(
            select(audit_log.c.organisation, audit_log.c.actor, audit_log.c.purpose, audit_log.c.at)
            .where(
                audit_log.c.action == FEED_READ,
                audit_log.c.subject_type == "person",
                audit_log.c.subject_id == str(person_id),
            )
            .order_by(audit_log.c.id)
        )
    ).all()
    notices = (
        await work.session.execute(
            select(partner_events)
            .where(partner_events.c.person_id == person_id, partner_events.c.addressee.is_not(None))
            .order_by(partner_events.c.id)
        )
    ).all()
    await work.audit(by, "partner.recipients.read", "person", person_id)
    await work.commit()
    return (
        [
            {
                "organisation": r.organisation,
                "channel": "webhook",
                "subscription_id": str(r.subscription_id),
                "legal_basis": r.legal_basis,
                "event_type": r.event_type,
                "trajectory_id": str(r.trajectory_id),
                "status": r.status,
                "attempts": r.attempts,
                "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
            }
            for r in rows
        ]
        + [
            {
                "organisation": r.organisation or r.actor,
                "channel": "feed",
                "subscription_id": None,
                "legal_basis": r.purpose.split()[-1] if r.purpose else None,
                "event_type": None,
                "trajectory_id": None,
                "status": "read",
                "attempts": None,
                "delivered_at": r.at.isoformat(),
            }
            for r in reads
        ]
        + [
            {
                "organisation": n.addressee,
                "channel": "feed",
                "subscription_id": None,
                "legal_basis": None,
                "event_type": n.event_type,
                "trajectory_id": str(n.trajectory_id),
                "status": "fetched" if n.fetched_at else "waiting",
                "attempts": None,
                "delivered_at": n.fetched_at.isoformat() if n.fetched_at else None,
            }
            for n in notices
        ]
    )


def statuses_for(status: str) -> list[str]:
    """Which deliveries a resend of ``status`` takes: a pending one is tried at once."""
    if status not in ("dead", "delivered", "pending", "all"):
        raise Problem(
            422,
            "Ongeldige invoer",
            "status is dead, delivered, pending of all.",
            errors=[{"field": "status", "message": "dead, delivered, pending of all"}],
        )
    return ["dead", "delivered", "pending"] if status == "all" else [status]
