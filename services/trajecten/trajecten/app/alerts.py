"""Alerts that reach the partner: its operational contact (e-mail and/or a webhook URL), the
consumer of ``trajecten.partner-alerts`` that queues one notification per channel, the loop
that sends them (SMTP; an HTTP POST) with retries, and the check for legal bases nearing their
end."""

import asyncio
import json
import logging
import smtplib
import uuid
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import EventData
from civic_common.events.contracts.trajecten import LegalBasisExpiring
from civic_common.events.envelope import Envelope
from civic_common.runtime import Runtime
from trajecten.adapters.subscriptions import contacts, notifications, subscriptions
from trajecten.app.delivery import log_failed_round
from trajecten.app.subscriptions import EdgeRules, check_endpoint
from trajecten.domain.alerts import email_problem, message
from trajecten.domain.delivery import after_failure
from trajecten.domain.subscriptions import address_problem, legal_bases
from trajecten.settings import TrajectenSettings

log = logging.getLogger(__name__)


def _owner(by: Principal) -> str:
    return by.organisation or by.subject


def _contact_out(organisation: str, row: Any) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "email": row.email if row else None,
        "webhook_url": row.webhook_url if row else None,
        "updated_at": row.updated_at.isoformat() if row else None,
    }


async def get_contact(work: UnitOfWork, by: Principal) -> dict[str, Any]:
    organisation = _owner(by)
    row = (
        await work.session.execute(select(contacts).where(contacts.c.organisation == organisation))
    ).first()
    return _contact_out(organisation, row)


async def set_contact(
    work: UnitOfWork, by: Principal, rules: EdgeRules, email: str | None, webhook_url: str | None
) -> dict[str, Any]:
    """The partner organisation's operational contact: an address, a URL, or both (neither:
    nobody is told)."""
    if email and (problem := email_problem(email)):
        raise Problem(
            422, "Ongeldige invoer", problem, errors=[{"field": "email", "message": problem}]
        )
    if webhook_url:
        try:
            await check_endpoint(webhook_url, rules)
        except Problem as exc:  # the same rules as an endpoint, named for this field
            detail = exc.detail
            raise Problem(
                422,
                "Ongeldige invoer",
                detail,
                errors=[{"field": "webhook_url", "message": detail}],
            ) from exc
    organisation = _owner(by)
    values = {"email": email or None, "webhook_url": webhook_url or None}
    row = (
        await work.session.execute(
            insert(contacts)
            .values(organisation=organisation, updated_at=datetime.now(UTC), **values)
            .on_conflict_do_update(
                index_elements=[contacts.c.organisation],
                set_={**values, "updated_at": datetime.now(UTC)},
            )
            .returning(*contacts.c)
        )
    ).one()
    await work.commit()
    return _contact_out(organisation, row)


async def on_partner_alert(work: UnitOfWork, event: EventData, envelope: Envelope) -> None:
    """Queue the alert for each channel of the organisation's contact (in the consumer's
    transaction: the inbox makes it once); an organisation without a contact is logged only."""
    organisation = envelope.data["organisation"]
    contact = (
        await work.session.execute(select(contacts).where(contacts.c.organisation == organisation))
    ).first()
    if contact is None or not (contact.email or contact.webhook_url):
        log.warning("partner alert %s: the organisation has no operational contact", envelope.type)
        return
    now = datetime.now(UTC)
    for channel, recipient in (("email", contact.email), ("webhook", contact.webhook_url)):
        if recipient:
            await work.session.execute(
                notifications.insert().values(
                    id=uuid.uuid4(),
                    organisation=organisation,
                    channel=channel,
                    recipient=recipient,
                    alert_type=envelope.type,
                    payload={"id": str(envelope.id), "type": envelope.type, "data": envelope.data},
                    status="pending",
                    next_attempt_at=now,
                )
            )


async def notifications_of(work: UnitOfWork, by: Principal, limit: int) -> list[dict[str, Any]]:
    rows = (
        await work.session.execute(
            select(notifications)
            .where(notifications.c.organisation == _owner(by))
            .order_by(notifications.c.created_at.desc())
            .limit(limit)
        )
    ).all()
    return [
        {
            "id": str(r.id),
            "channel": r.channel,
            "recipient": r.recipient,
            "alert_type": r.alert_type,
            "data": r.payload.get("data", {}),
            "status": r.status,
            "attempts": r.attempts,
            "last_error": r.last_error,
            "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]


class NotificationLoop:
    """Sends queued alerts: a mail over SMTP, or a JSON POST to the contact's webhook URL
    (checked address, as deliveries); retried per ``notification_retry_seconds``, then dead."""

    def __init__(self, runtime: Runtime, settings: TrajectenSettings) -> None:
        self._runtime = runtime
        self._settings = settings
        self._http = httpx.AsyncClient(
            timeout=self._settings.delivery_timeout_seconds, follow_redirects=False
        )

    async def run(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception as exc:  # a broken round must not end alerts; the next retries
                log_failed_round(log, "notification", exc)
                busy = 0
            if not busy:
                await asyncio.sleep(max(self._settings.delivery_poll_seconds, 0.5))

    async def close(self) -> None:
        await self._http.aclose()

    async def run_once(self) -> int:
        now = datetime.now(UTC)
        async with self._runtime.uow() as work:
            rows = (
                await work.session.execute(
                    select(notifications)
                    .where(
                        notifications.c.status == "pending", notifications.c.next_attempt_at <= now
                    )
                    .order_by(notifications.c.next_attempt_at)
                    .limit(20)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                error = await self._send(row)
                tries = row.attempts + 1
                if error is None:
                    values: dict[str, Any] = {"status": "sent", "sent_at": datetime.now(UTC)}
                else:
                    # Not the error text: an SMTP answer may quote the recipient's address.
                    log.warning("alert %s over %s failed (attempt %d)", row.id, row.channel, tries)
                    outcome = after_failure(
                        tries, now, self._settings.notification_retry_seconds, 0.0
                    )
                    values = {
                        "status": outcome.status,
                        "next_attempt_at": outcome.next_attempt_at or now,
                    }
                await work.session.execute(
                    update(notifications)
                    .where(notifications.c.id == row.id)
                    .values(attempts=tries, last_error=error, **values)
                )
            await work.commit()
        return len(rows)

    async def _send(self, row: Any) -> str | None:
        subject, text = message(row.alert_type, row.payload.get("data", {}))
        if row.channel == "email":
            if not self._settings.smtp_host:
                return "geen SMTP-server ingesteld (CIVIC_TRAJECTEN_SMTP_HOST)"
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = (
                self._settings.mail_from,
                row.recipient,
                subject,
            )
            mail["Message-ID"] = f"<{row.id}@trajecten.civic>"
            mail.set_content(text)
            try:
                await asyncio.to_thread(self._smtp, mail)
            except (OSError, smtplib.SMTPException) as exc:
                return f"{type(exc).__name__}: {exc}"[:300]
            return None
        host = httpx.URL(row.recipient).host
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, None)
        except OSError as exc:
            return f"host onbekend: {exc}"[:300]
        if problem := address_problem(
            {f[4][0] for f in found}, self._settings.webhooks_allow_private
        ):
            return f"geweigerd: {problem}"
        body = row.payload | {"subject": subject, "text": text}
        try:
            answer = await self._http.post(
                row.recipient,
                content=json.dumps(body, separators=(",", ":")),
                headers={"content-type": "application/json", "webhook-id": f"alert_{row.id.hex}"},
            )
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:300]
        return None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"

    def _smtp(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(
            self._settings.smtp_host or "", self._settings.smtp_port, timeout=10
        ) as smtp:
            if self._settings.smtp_starttls:
                smtp.starttls()
            smtp.send_message(mail)


async def warn_of_expiring_bases(work: UnitOfWork, today: date, settings: TrajectenSettings) -> int:
    """Every live subscription whose legal basis ends within ``basis_expiry_warn_days`` gets
    one alert per end date (``basis_expiry_warned`` remembers it)."""
    ending = {
        code: basis.valid_until
        for code, basis in legal_bases().bases.items()
        if basis.ends_within(today, settings.basis_expiry_warn_days)
    }
    if not ending:
        return 0
    rows = (
        await work.session.execute(
            select(subscriptions)
            .where(
                subscriptions.c.legal_basis.in_(sorted(ending)),
                subscriptions.c.status.notin_(("deleted", "revoked", "basis_withdrawn")),
            )
            .with_for_update(skip_locked=True)
        )
    ).all()
    count = 0
    for row in rows:
        until = ending[row.legal_basis]
        if until is None or row.basis_expiry_warned == until:
            continue
        await work.publish(
            LegalBasisExpiring(
                subscription_id=row.id,
                organisation=row.organisation,
                legal_basis=row.legal_basis,
                valid_until=until,
            ),
            key=row.id,
            sequence=row.consecutive_failures,
        )
        await work.session.execute(
            update(subscriptions)
            .where(subscriptions.c.id == row.id)
            .values(basis_expiry_warned=until)
        )
        count += 1
    await work.commit()
    return count
