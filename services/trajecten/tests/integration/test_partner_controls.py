"""The partner edge's controls against real Postgres and a real HTTP receiver: endpoint change,
pause and resume, the retry policy and its limits, test events, replay, the signals of an
out-of-order arrival, CloudEvents, the pinned address, the contact and its alerts."""

import asyncio
import json
import os
import random
import socket
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import select, text, update
from standardwebhooks import Webhook

from civic_common.consumer import InboxConsumer, Record
from civic_common.events.contracts import CONTRACTS
from civic_common.events.contracts.trajecten import SubscriptionDisabled
from civic_common.events.envelope import Envelope
from civic_common.testing.plugin import free_port
from civic_common.testing.server import serving
from trajecten.adapters.subscriptions import deliveries, notifications, subscriptions
from trajecten.app import alerts as alerts_app
from trajecten.app.alerts import on_partner_alert, warn_of_expiring_bases
from trajecten.domain.subscriptions import LegalBases, legal_bases
from trajecten.settings import TrajectenSettings

pytestmark = pytest.mark.integration

OCMW_BASIS = "ocmw-maatschappelijke-integratie"
OPENED = "trajecten.trajectory.opened.v1"
STOPPED = "trajecten.trajectory.stopped.v1"
SCOPES = " ".join(
    [
        "trajecten.subscriptions:write",
        "trajecten.feed:read",
        f"events:{OPENED}",
        f"events:{STOPPED}",
    ]
)


@pytest.fixture(autouse=True)
def allow_private(monkeypatch):
    monkeypatch.setenv("CIVIC_TRAJECTEN_WEBHOOKS_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("CIVIC_TRAJECTEN_DELIVERY_JITTER", "0")
    monkeypatch.setenv("CIVIC_TRAJECTEN_RETRY_MIN_SECONDS", "0.1")


def municipality() -> str:
    return f"{random.randint(10000, 99999)}"


@pytest.fixture
def partner(auth):
    def make(nis: str) -> dict[str, str]:
        return auth(
            "partner",
            f"client-ocmw-{nis}",
            organisation=f"ocmw-{nis}",
            municipality=nis,
            scope=SCOPES,
            legal_bases=[OCMW_BASIS],
        )

    return make


async def subscribe(client, headers, url: str, **extra: Any) -> dict:
    body = {"endpoint_url": url, "event_types": [OPENED, STOPPED], "legal_basis": OCMW_BASIS}
    response = await client.post("/partners/v1/subscriptions", json=body | extra, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_pause_holds_deliveries_and_resume_sends_them_in_order(
    client, partner, receiver, open_in, stop, pump, deliver
):
    nis = municipality()
    me = partner(nis)
    sub = await subscribe(client, me, receiver.url)
    paused = await client.post(f"/partners/v1/subscriptions/{sub['id']}/pause", headers=me)
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    trajectory = await open_in(nis)
    await stop(trajectory)
    await pump()
    await deliver()
    assert receiver.received == []  # waiting, not dropped
    log = await client.get(f"/partners/v1/subscriptions/{sub['id']}/deliveries", headers=me)
    assert [d["status"] for d in log.json()["items"]] == ["pending", "pending"]
    resumed = await client.post(f"/partners/v1/subscriptions/{sub['id']}/resume", headers=me)
    assert resumed.json()["status"] == "active"
    await deliver()
    assert [b["type"] for b in receiver.bodies()] == [OPENED, STOPPED]
    again = await client.post(f"/partners/v1/subscriptions/{sub['id']}/resume", headers=me)
    assert again.status_code == 200  # resuming an active one changes nothing


async def test_a_suspended_subscription_cannot_be_paused_or_resumed(client, partner, auth):
    nis = municipality()
    me = partner(nis)
    sub = await subscribe(client, me, "http://127.0.0.1:9/hook")
    admin = auth("admin", "ops@agii")
    await client.post(f"/api/v1/partner-subscriptions/{sub['id']}/suspension", headers=admin)
    for action in ("pause", "resume"):
        answer = await client.post(f"/partners/v1/subscriptions/{sub['id']}/{action}", headers=me)
        assert answer.status_code == 409, action


async def test_a_new_endpoint_is_checked_and_gets_what_waits_keeping_the_log(
    client, partner, receiver, open_in, pump, deliver
):
    nis = municipality()
    me = partner(nis)
    sub = await subscribe(client, me, "http://127.0.0.1:9/nobody-listens")
    await open_in(nis)
    await pump()
    await deliver()  # fails: nothing listens on port 9
    refused = await client.patch(
        f"/partners/v1/subscriptions/{sub['id']}",
        json={"endpoint_url": "ftp://127.0.0.1/x"},
        headers=me,
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "endpoint_url"
    changed = await client.patch(
        f"/partners/v1/subscriptions/{sub['id']}", json={"endpoint_url": receiver.url}, headers=me
    )
    assert changed.status_code == 200 and changed.json()["endpoint_url"] == receiver.url
    await deliver()
    assert [b["type"] for b in receiver.bodies()] == [OPENED]
    log = await client.get(f"/partners/v1/subscriptions/{sub['id']}/deliveries", headers=me)
    [entry] = log.json()["items"]
    assert entry["status"] == "delivered"
    assert (
        entry["attempts"][0]["status_code"] is None and entry["attempts"][1]["status_code"] == 204
    )
    other = partner(municipality())
    assert (
        await client.patch(
            f"/partners/v1/subscriptions/{sub['id']}",
            json={"endpoint_url": receiver.url},
            headers=other,
        )
    ).status_code == 404


async def test_the_retry_policy_is_shown_and_kept_within_the_admins_limits(client, partner, auth):
    me = partner(municipality())
    sub = await subscribe(client, me, "http://127.0.0.1:9/hook")
    shown = sub["retry_policy"]
    assert shown["retry_seconds"] == TrajectenSettings().delivery_retry_seconds
    assert shown["own"] is False
    read = await client.get(f"/partners/v1/subscriptions/{sub['id']}/retry-policy", headers=me)
    assert read.json()["limits"]["max_steps"] >= 20
    for body, field_name in (
        ({"retry_seconds": [0.01]}, "retry_seconds"),
        ({"retry_seconds": [10] * 21}, "retry_seconds"),
        ({"retry_seconds": []}, "retry_seconds"),
        ({"disable_after_failures": 1}, "disable_after_failures"),
        ({"disable_after_failures": 100000}, "disable_after_failures"),
    ):
        answer = await client.put(
            f"/partners/v1/subscriptions/{sub['id']}/retry-policy", json=body, headers=me
        )
        assert answer.status_code == 422, body
        assert answer.json()["errors"][0]["field"] == field_name
    ok = await client.put(
        f"/partners/v1/subscriptions/{sub['id']}/retry-policy",
        json={"retry_seconds": [1, 2], "disable_after_failures": 4},
        headers=me,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["retry_seconds"] == [1, 2] and ok.json()["warn_after_failures"] == 2
    read = await client.get(f"/partners/v1/subscriptions/{sub['id']}/retry-policy", headers=me)
    assert read.json()["own"] is True

    # An admin tightens the limits: what a partner sets from now on must fit them.
    admin = auth("admin", "ops@agii")
    limits = {
        "min_seconds": 30,
        "max_seconds": 600,
        "max_steps": 5,
        "disable_after_failures_min": 3,
        "disable_after_failures_max": 10,
    }
    assert (
        await client.put("/api/v1/partner-retry-limits", json=limits, headers=me)
    ).status_code == 403
    impossible = await client.put(
        "/api/v1/partner-retry-limits", json=limits | {"max_seconds": 10}, headers=admin
    )
    assert impossible.status_code == 422
    put = await client.put("/api/v1/partner-retry-limits", json=limits, headers=admin)
    assert put.status_code == 200 and put.json() == limits
    try:
        refused = await client.put(
            f"/partners/v1/subscriptions/{sub['id']}/retry-policy",
            json={"retry_seconds": [10]},
            headers=me,
        )
        assert refused.status_code == 422
        ok = await client.put(
            f"/partners/v1/subscriptions/{sub['id']}/retry-policy",
            json={"retry_seconds": [30, 600], "disable_after_failures": 10},
            headers=me,
        )
        assert ok.status_code == 200 and ok.json()["limits"] == limits
    finally:  # the database is this run's: put back what other tests expect
        defaults = {
            "min_seconds": 0.1,
            "max_seconds": 86400,
            "max_steps": 20,
            "disable_after_failures_min": 2,
            "disable_after_failures_max": 200,
        }
        await client.put("/api/v1/partner-retry-limits", json=defaults, headers=admin)


async def test_the_own_policy_disables_after_its_threshold_and_warns_before(
    client, partner, open_in, pump, deliver, runtime_for
):
    nis = municipality()
    me = partner(nis)
    sub = await subscribe(client, me, "http://127.0.0.1:9/hook")
    await client.put(
        f"/partners/v1/subscriptions/{sub['id']}/retry-policy",
        json={"retry_seconds": [0.1, 0.1, 0.1], "disable_after_failures": 3},
        headers=me,
    )
    await open_in(nis)
    await pump()
    for _ in range(3):
        await deliver()
        await asyncio.sleep(0.15)
    read = await client.get(f"/partners/v1/subscriptions/{sub['id']}", headers=me)
    assert read.json()["status"] == "disabled"
    async with runtime_for("trajecten").engine.connect() as conn:
        published = (
            (
                await conn.execute(
                    text(
                        "SELECT event_type FROM trajecten.outbox"
                        " WHERE partition_key = :k ORDER BY id"
                    ),
                    {"k": sub["id"]},
                )
            )
            .scalars()
            .all()
        )
    assert published == ["trajecten.subscription.failing.v1", "trajecten.subscription.disabled.v1"]


async def test_a_test_event_carries_only_the_bases_fields_and_is_marked(
    client, partner, receiver, deliver
):
    me = partner(municipality())
    sub = await subscribe(client, me, receiver.url)
    await client.post(f"/partners/v1/subscriptions/{sub['id']}/pause", headers=me)
    sent = await client.post(
        f"/partners/v1/subscriptions/{sub['id']}/test-events",
        json={"event_type": OPENED},
        headers=me,
    )
    assert sent.status_code == 202, sent.text
    await deliver()  # also to a paused subscription: checking the endpoint before resuming
    [(headers, raw)] = receiver.received
    body = json.loads(raw)
    Webhook(sub["secret"]).verify(raw, headers)
    assert headers["webhook-test"] == "true" and body["test"] is True
    allowed = legal_bases().get(OCMW_BASIS).fields
    assert set(body["data"]) <= allowed and "template_version" not in body["data"]
    wrong = await client.post(
        f"/partners/v1/subscriptions/{sub['id']}/test-events",
        json={"event_type": "trajecten.trajectory.component-started.v1"},
        headers=me,
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "event_type"

    # To another endpoint the subscription may use: checked as at creation, logged with it.
    other = FastAPI()
    elsewhere: list[dict[str, str]] = []

    @other.post("/new-hook")
    async def new_hook(request: Request) -> Response:
        elsewhere.append(dict(request.headers))
        return Response(status_code=204)

    refused = await client.post(
        f"/partners/v1/subscriptions/{sub['id']}/test-events",
        json={"event_type": OPENED, "endpoint_url": "ftp://127.0.0.1/x"},
        headers=me,
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "endpoint_url"
    async with serving(other) as base:
        sent = await client.post(
            f"/partners/v1/subscriptions/{sub['id']}/test-events",
            json={"event_type": OPENED, "endpoint_url": f"{base}/new-hook"},
            headers=me,
        )
        assert sent.status_code == 202, sent.text
        await deliver()
    assert len(receiver.received) == 1 and elsewhere[0]["webhook-test"] == "true"
    log = await client.get(f"/partners/v1/subscriptions/{sub['id']}/deliveries", headers=me)
    [entry] = [d for d in log.json()["items"] if d["id"] == sent.json()["delivery_id"]]
    assert entry["endpoint_url"] == f"{base}/new-hook" and entry["status"] == "delivered"


async def test_a_resent_dead_delivery_says_it_arrives_out_of_order(
    client, partner, receiver, open_in, stop, pump, deliver, runtime_for
):
    nis = municipality()
    me = partner(nis)
    sub = await subscribe(client, me, receiver.url)
    trajectory = await open_in(nis)
    await stop(trajectory)
    await pump()
    # The first delivery died (a long outage); the second went out after it.
    async with runtime_for("trajecten").uow() as work:
        await work.session.execute(
            update(deliveries)
            .where(deliveries.c.subscription_id == uuid.UUID(sub["id"]), deliveries.c.sequence == 1)
            .values(status="dead")
        )
        await work.commit()
    await deliver()
    [(second_headers, _)] = receiver.received
    assert (
        second_headers["webhook-sequence"] == "2" and "webhook-out-of-order" not in second_headers
    )
    first_id = second_headers["webhook-previous-id"]
    resent = await client.post(
        f"/partners/v1/subscriptions/{sub['id']}/resend", json={"status": "dead"}, headers=me
    )
    assert resent.json() == {"queued": 1}
    await deliver()
    late_headers, late_body = receiver.received[1]
    assert late_headers["webhook-id"] == first_id and late_headers["webhook-out-of-order"] == "true"
    assert "webhook-previous-id" not in late_headers and json.loads(late_body)["sequence"] == 1


async def test_replay_sends_a_time_range_again_and_what_was_never_queued(
    client, partner, receiver, open_in, pump, deliver
):
    nis = municipality()
    me = partner(nis)
    await open_in(nis)  # before the subscription existed: never queued for it
    await pump()
    sub = await subscribe(client, me, receiver.url)
    await open_in(nis)
    await pump()
    await deliver()
    assert len(receiver.received) == 1
    now = datetime.now(UTC)
    replayed = await client.post(
        f"/partners/v1/subscriptions/{sub['id']}/replay",
        json={"from": (now - timedelta(hours=1)).isoformat(), "to": now.isoformat()},
        headers=me,
    )
    assert replayed.json() == {"requeued": 1, "queued": 1}
    await deliver()
    assert len(receiver.received) == 3
    for body, field_name in (
        ({"from": now.isoformat(), "to": (now - timedelta(hours=1)).isoformat()}, "to"),
        ({"from": (now - timedelta(days=40)).isoformat(), "to": now.isoformat()}, "to"),
        ({"from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00"}, "from"),
    ):
        bad = await client.post(
            f"/partners/v1/subscriptions/{sub['id']}/replay", json=body, headers=me
        )
        assert bad.status_code == 422, body
        assert bad.json()["errors"][0]["field"] == field_name


@pytest.mark.parametrize("mode", ["cloudevents-structured", "cloudevents-binary"])
async def test_cloudevents_over_http_signed_the_same_way(
    client, partner, receiver, open_in, pump, deliver, mode
):
    nis = municipality()
    me = partner(nis)
    sub = await subscribe(client, me, receiver.url, format=mode)
    assert sub["format"] == mode
    trajectory = await open_in(nis)
    await pump()
    await deliver()
    [(headers, raw)] = receiver.received
    Webhook(sub["secret"]).verify(raw, headers)
    body = json.loads(raw)
    if mode == "cloudevents-structured":
        assert headers["content-type"] == "application/cloudevents+json"
        assert body["specversion"] == "1.0" and body["type"] == OPENED
        assert body["subject"] == trajectory["id"] and body["source"] == "/civic/trajecten"
        assert body["data"]["trajectory_id"] == trajectory["id"]
    else:
        assert headers["ce-specversion"] == "1.0" and headers["ce-type"] == OPENED
        assert headers["ce-subject"] == trajectory["id"] and headers["ce-sequence"] == "1"
        assert headers["content-type"] == "application/json"
        assert body["trajectory_id"] == trajectory["id"] and "specversion" not in body
    switched = await client.patch(
        f"/partners/v1/subscriptions/{sub['id']}", json={"format": "bogus"}, headers=me
    )
    assert switched.status_code == 422


async def test_the_connection_goes_to_the_address_that_was_checked(
    client, partner, receiver, open_in, pump, deliver, monkeypatch
):
    """The host is resolved once per attempt, by the check; the HTTP client connects to that
    address (no second lookup a rebinding DNS could answer differently) with the Host header
    of the URL."""
    nis = municipality()
    me = partner(nis)
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    loop = asyncio.get_running_loop()
    real, asked = loop.getaddrinfo, []

    async def fake(host, *args, **kwargs):
        asked.append(host)
        if host == "partner-hook.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return await real(host, *args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", fake)
    sub = await subscribe(client, me, f"http://partner-hook.test:{port}/hook")
    asked.clear()
    await open_in(nis)
    await pump()
    await deliver()
    [(headers, _)] = receiver.received
    assert headers["host"] == f"partner-hook.test:{port}"
    assert asked.count("partner-hook.test") == 1
    assert sub["id"]


async def test_the_contact_is_checked_and_alerts_are_queued_per_channel(
    client, partner, runtime_for
):
    nis = municipality()
    me = partner(nis)
    bad = await client.put("/partners/v1/contact", json={"email": "not-an-address"}, headers=me)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "email"
    bad_url = await client.put(
        "/partners/v1/contact", json={"webhook_url": "ftp://x/y"}, headers=me
    )
    assert bad_url.status_code == 422 and bad_url.json()["errors"][0]["field"] == "webhook_url"
    put = await client.put(
        "/partners/v1/contact",
        json={"email": "ops@ocmw.example", "webhook_url": "http://127.0.0.1:9/alerts"},
        headers=me,
    )
    assert put.status_code == 200 and put.json()["email"] == "ops@ocmw.example"
    assert (await client.get("/partners/v1/contact", headers=me)).json() == put.json()

    runtime = runtime_for("trajecten")
    sub_id = uuid.uuid4()
    consumer = InboxConsumer(
        "trajecten",
        runtime.uow,
        {m: on_partner_alert for m in CONTRACTS.values() if m.topic == "trajecten.partner-alerts"},
    )
    event = SubscriptionDisabled(
        subscription_id=sub_id,
        organisation=f"ocmw-{nis}",
        consecutive_failures=50,
        disabled_at=datetime.now(UTC),
    )
    envelope = Envelope(
        type=event.event_type,
        source="/civic/trajecten",
        partitionkey=str(sub_id),
        sequence=50,
        data=event.model_dump(mode="json"),
    )
    headers = {k: v.encode() for k, v in envelope.headers().items()}
    record = Record(
        "trajecten.partner-alerts", 0, 1, str(sub_id).encode(), envelope.value(), headers
    )
    assert await consumer.handle(record) == "applied"
    assert await consumer.handle(record) == "duplicate"
    broken = Record("trajecten.partner-alerts", 0, 2, b"k", b"{not json", headers)
    assert await consumer.handle(broken) == "deadlettered"
    async with runtime.engine.connect() as conn:
        queued = (
            await conn.execute(
                select(notifications.c.channel, notifications.c.recipient).where(
                    notifications.c.organisation == f"ocmw-{nis}"
                )
            )
        ).all()
    assert sorted(queued) == [
        ("email", "ops@ocmw.example"),
        ("webhook", "http://127.0.0.1:9/alerts"),
    ]
    listed = await client.get("/partners/v1/alerts", headers=me)
    assert {a["channel"] for a in listed.json()["items"]} == {"email", "webhook"}


async def test_a_legal_basis_nearing_its_end_is_announced_once(
    client, partner, runtime_for, monkeypatch
):
    me = partner(municipality())
    sub = await subscribe(client, me, "http://127.0.0.1:9/hook")
    today = date.today()
    current = legal_bases()
    ending = LegalBases(
        current.version,
        {
            code: (
                type(b)(b.code, b.description, b.event_types, b.fields, today + timedelta(days=10))
                if code == OCMW_BASIS
                else b
            )
            for code, b in current.bases.items()
        },
    )
    monkeypatch.setattr(alerts_app, "legal_bases", lambda: ending)
    runtime = runtime_for("trajecten")
    settings = TrajectenSettings()
    async with runtime.uow() as work:
        first = await warn_of_expiring_bases(work, today, settings)
    async with runtime.uow() as work:
        second = await warn_of_expiring_bases(work, today, settings)
    assert first >= 1 and second == 0
    async with runtime.engine.connect() as conn:
        warned = (
            await conn.execute(
                select(subscriptions.c.basis_expiry_warned).where(
                    subscriptions.c.id == uuid.UUID(sub["id"])
                )
            )
        ).scalar_one()
        published = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM trajecten.outbox WHERE partition_key = :k "
                    "AND event_type = 'trajecten.legal-basis.expiring.v1'"
                ),
                {"k": sub["id"]},
            )
        ).scalar_one()
    assert warned == today + timedelta(days=10) and published == 1


GUIDE_RECEIVER = Path(__file__).resolve().parents[4] / "docs" / "partners" / "receiver.py"


async def test_the_guides_example_receiver_verifies_dedupes_and_flags(
    client, partner, open_in, stop, pump, deliver, runtime_for
):
    """docs/partners.md's receiver, run as its own process, takes real deliveries: each once,
    a test event marked, a late resend flagged out of order, a forged request refused."""
    nis = municipality()
    me = partner(nis)
    port = free_port()
    sub = await subscribe(client, me, f"http://127.0.0.1:{port}/hook")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(GUIDE_RECEIVER),
        env=os.environ | {"WEBHOOK_SECRET": sub["secret"], "PORT": str(port)},
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None

    async def line() -> dict:
        return json.loads(await asyncio.wait_for(process.stdout.readline(), 20))

    try:
        assert (await line()) == {"listening": port}
        trajectory = await open_in(nis)
        await stop(trajectory)
        await pump()
        async with runtime_for("trajecten").uow() as work:  # the first one died
            await work.session.execute(
                update(deliveries)
                .where(
                    deliveries.c.subscription_id == uuid.UUID(sub["id"]),
                    deliveries.c.sequence == 1,
                )
                .values(status="dead")
            )
            await work.commit()
        await deliver()
        second = await line()
        assert second["message"]["type"] == STOPPED and second["in_order"] is True
        await client.post(
            f"/partners/v1/subscriptions/{sub['id']}/resend", json={"status": "dead"}, headers=me
        )
        await deliver()  # the dead one, late
        late = await line()
        assert late["message"]["type"] == OPENED and late["in_order"] is False
        await client.post(
            f"/partners/v1/subscriptions/{sub['id']}/resend",
            json={"status": "delivered"},
            headers=me,
        )
        await deliver()  # both again: duplicates, acknowledged and not shown
        await client.post(
            f"/partners/v1/subscriptions/{sub['id']}/test-events",
            json={"event_type": OPENED},
            headers=me,
        )
        await deliver()
        test = await line()
        assert test["test"] is True and test["message"]["test"] is True
        async with httpx.AsyncClient() as http:
            forged = await http.post(
                f"http://127.0.0.1:{port}/hook",
                content=b'{"type":"x"}',
                headers={
                    "webhook-id": "msg_forged",
                    "webhook-timestamp": str(int(datetime.now(UTC).timestamp())),
                    "webhook-signature": "v1,AAAA",
                },
            )
        assert forged.status_code == 401
    finally:
        process.terminate()
        await process.wait()


def _self_signed(tmp_path: Path, host: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


async def test_https_to_the_pinned_address_keeps_sni_and_the_certificate_check(
    client, partner, open_in, pump, deliver, monkeypatch, tmp_path
):
    """Over https the connection goes to the checked address while TLS still names the host:
    a certificate for the URL's host verifies; the same address under another name does not."""
    import uvicorn

    cert_file, key_file = _self_signed(tmp_path, "partner-hook.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # the test's own trust anchor
    hooks = FastAPI()
    received: list[dict[str, str]] = []

    @hooks.post("/hook")
    async def hook(request: Request) -> Response:
        received.append(dict(request.headers))
        return Response(status_code=204)

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            hooks,
            host="127.0.0.1",
            port=port,
            ssl_certfile=str(cert_file),
            ssl_keyfile=str(key_file),
            log_config=None,
            access_log=False,
        )
    )
    task = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def fake(host, *args, **kwargs):
        if host in ("partner-hook.test", "other-name.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return await real(host, *args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", fake)
    try:
        while not server.started:
            if task.done():
                task.result()  # re-raise what stopped it
            await asyncio.sleep(0.05)
        nis = municipality()
        me = partner(nis)
        good = await subscribe(client, me, f"https://partner-hook.test:{port}/hook")
        bad = await subscribe(client, me, f"https://other-name.test:{port}/hook")
        await open_in(nis)
        await pump()
        await deliver()
        assert len(received) == 1 and received[0]["host"] == f"partner-hook.test:{port}"
        for sub, delivered in ((good, True), (bad, False)):
            log = await client.get(f"/partners/v1/subscriptions/{sub['id']}/deliveries", headers=me)
            [entry] = log.json()["items"]
            assert (entry["status"] == "delivered") is delivered
            if not delivered:
                assert "certificate" in entry["attempts"][0]["error"].lower()
    finally:
        server.should_exit = True
        await task


async def test_alerts_go_to_the_contacts_webhook_and_a_mail_without_smtp_waits(
    client, partner, receiver, runtime_for
):
    from trajecten.app.alerts import NotificationLoop

    nis = municipality()
    me = partner(nis)
    await client.put(
        "/partners/v1/contact",
        json={"email": "ops@ocmw.example", "webhook_url": receiver.url},
        headers=me,
    )
    runtime = runtime_for("trajecten")
    event = SubscriptionDisabled(
        subscription_id=uuid.uuid4(),
        organisation=f"ocmw-{nis}",
        consecutive_failures=50,
        last_status_code=503,
        disabled_at=datetime.now(UTC),
    )
    envelope = Envelope(
        type=event.event_type,
        source="/civic/trajecten",
        partitionkey=str(event.subscription_id),
        sequence=50,
        data=event.model_dump(mode="json"),
    )
    async with runtime.uow() as work:
        await on_partner_alert(work, event, envelope)
        await work.commit()
    sender = NotificationLoop(runtime, TrajectenSettings(smtp_host=None))
    try:
        assert await sender.run_once() >= 2
    finally:
        await sender.close()
    [body] = [b for b in receiver.bodies() if b["id"] == str(envelope.id)]
    assert body["type"] == "trajecten.subscription.disabled.v1"
    assert "uitgeschakeld" in body["subject"] and str(event.subscription_id) in body["text"]
    listed = {
        a["channel"]: a
        for a in (await client.get("/partners/v1/alerts", headers=me)).json()["items"]
    }
    assert listed["webhook"]["status"] == "sent"
    assert listed["email"]["status"] == "pending" and "SMTP" in listed["email"]["last_error"]


async def test_a_host_with_several_addresses_is_tried_address_by_address(
    client, partner, receiver, open_in, pump, deliver, monkeypatch
):
    """Pinned, but not to one address only: an IPv6 address that refuses the connection is
    followed by the host's IPv4 one, both checked."""
    nis = municipality()
    me = partner(nis)
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def fake(host, *args, **kwargs):
        if host == "dual-stack.test":
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            ]
        return await real(host, *args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", fake)
    sub = await subscribe(client, me, f"http://dual-stack.test:{port}/hook")
    await open_in(nis)
    await pump()
    await deliver()
    assert len(receiver.received) == 1
    log = await client.get(f"/partners/v1/subscriptions/{sub['id']}/deliveries", headers=me)
    assert [a["status_code"] for a in log.json()["items"][0]["attempts"]] == [204]
