"""The partner edge for subscribers against real Postgres: subscriptions, signed webhooks to a
real HTTP receiver, retries, order per trajectory, rotation, the feed, the sandbox, data scope."""

import asyncio
import base64
import json
import os
import random
import secrets
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from pydantic import SecretStr
from sqlalchemy import text
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from civic_common.api.paging import encode_cursor
from civic_common.testing.server import serving
from trajecten.adapters.sealing import VARIABLE, keyring
from trajecten.app.delivery import DeliveryLoop
from trajecten.app.subscriptions import Resealed, reseal_secrets
from trajecten.main import SERVICE, build_app
from trajecten.settings import TrajectenSettings

pytestmark = pytest.mark.integration

API_SCOPES = "trajecten.subscriptions:write trajecten.feed:read"
OCMW_BASIS = "ocmw-maatschappelijke-integratie"
STARTED = "trajecten.trajectory.component-started.v1"
OPENED = "trajecten.trajectory.opened.v1"
STOPPED = "trajecten.trajectory.stopped.v1"
VDAB_BASIS = "vdab-arbeidsmarktactivering"


def scopes(*event_types: str) -> str:
    """The API scopes and one ``events:<type>`` scope per event type."""
    return " ".join([API_SCOPES, *(f"events:{t}" for t in event_types)])


SCOPES = scopes(OPENED, STOPPED, STARTED)


@pytest.fixture(autouse=True)
def allow_private(monkeypatch):
    monkeypatch.setenv("CIVIC_TRAJECTEN_WEBHOOKS_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("CIVIC_TRAJECTEN_DELIVERY_JITTER", "0")


def municipality() -> str:
    return f"{random.randint(10000, 99999)}"


@pytest.fixture
def partner(auth):
    def make(org: str, nis: str | None, scope: str = SCOPES) -> dict[str, str]:
        # The basis an admin grants a partner of this kind (the issuer puts it in the token).
        basis = VDAB_BASIS if org.startswith("vdab") else OCMW_BASIS
        return auth(
            "partner",
            f"client-{org}",
            organisation=org,
            municipality=nis,
            scope=scope,
            legal_bases=[basis],
        )

    return make


async def subscribe(client, headers, url: str, nis: str, **extra: Any) -> dict:
    body = {
        "endpoint_url": url,
        "event_types": [OPENED, STOPPED],
        "legal_basis": OCMW_BASIS,
        "filters": {"municipalities": [nis]},
    } | extra
    response = await client.post("/partners/v1/subscriptions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_subscriptions_are_created_listed_read_and_deleted(client, partner):
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    created = await client.post(
        "/partners/v1/subscriptions",
        json={
            "endpoint_url": "http://127.0.0.1:9/hook",
            "event_types": [OPENED],
            "legal_basis": OCMW_BASIS,
        },
        headers=me | {"Idempotency-Key": "k1"},
    )
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["secret"].startswith("whsec_") and sub["status"] == "active"
    again = await client.post(
        "/partners/v1/subscriptions",
        json={
            "endpoint_url": "http://127.0.0.1:9/hook",
            "event_types": [OPENED],
            "legal_basis": OCMW_BASIS,
        },
        headers=me | {"Idempotency-Key": "k1"},
    )
    assert again.json()["id"] == sub["id"]
    second = await subscribe(client, me, "http://127.0.0.1:9/other", nis)
    read = await client.get(f"/partners/v1/subscriptions/{sub['id']}", headers=me)
    assert read.status_code == 200 and "secret" not in read.json()
    first_page = await client.get("/partners/v1/subscriptions?limit=1", headers=me)
    assert len(first_page.json()["items"]) == 1 and first_page.json()["next_cursor"]
    rest = await client.get(
        f"/partners/v1/subscriptions?limit=5&cursor={first_page.json()['next_cursor']}",
        headers=me,
    )
    seen = {i["id"] for i in first_page.json()["items"] + rest.json()["items"]}
    assert seen == {sub["id"], second["id"]}
    assert (
        await client.delete(f"/partners/v1/subscriptions/{sub['id']}", headers=me)
    ).status_code == 204
    assert (
        await client.get(f"/partners/v1/subscriptions/{sub['id']}", headers=me)
    ).status_code == 404


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"event_types": ["trajecten.trajectory.nonsense.v1"]}, "event_types"),
        ({"event_types": ["trajecten.appointment.scheduled.v1"]}, "event_types"),
        (
            {"filters": {"municipalities": [str(10000 + i) for i in range(60)]}},
            "filters.municipalities",
        ),
        ({"filters": {"municipalities": ["11002"]}}, "filters.municipalities"),
        ({"endpoint_url": "ftp://127.0.0.1/hook"}, "endpoint_url"),
        ({"endpoint_url": "https://does-not-exist.invalid/hook"}, "endpoint_url"),
    ],
)
async def test_bad_subscriptions_are_422_naming_the_field(client, partner, change, field_name):
    body = {
        "endpoint_url": "http://127.0.0.1:9/hook",
        "event_types": [OPENED],
        "legal_basis": OCMW_BASIS,
    } | change
    # The token holds a scope for every type asked: the legal basis must still refuse.
    me = partner("ocmw-gent", "44021", scope=scopes(*body["event_types"]))
    response = await client.post("/partners/v1/subscriptions", json=body, headers=me)
    assert response.status_code == 422, response.text
    assert field_name in {e["field"] for e in response.json()["errors"]}


async def test_private_and_plain_http_endpoints_are_refused_unless_allowed(client_with, partner):
    me = partner("ocmw-gent", "44021")
    async with client_with(webhooks_allow_private=False) as client:
        for url in (
            "http://partner.example/hook",
            "https://127.0.0.1/hook",
            "https://localhost/x",
        ):
            response = await client.post(
                "/partners/v1/subscriptions",
                json={"endpoint_url": url, "event_types": [OPENED], "legal_basis": OCMW_BASIS},
                headers=me,
            )
            assert response.status_code == 422, url
            assert response.json()["errors"][0]["field"] == "endpoint_url"


async def test_scopes_and_roles_are_required(client, partner, counsellor):
    body = {"endpoint_url": "http://127.0.0.1:9/h", "event_types": [OPENED], "legal_basis": "x"}
    no_write = partner("ocmw-gent", "44021", scope="trajecten.feed:read")
    refused = await client.post("/partners/v1/subscriptions", json=body, headers=no_write)
    assert refused.status_code == 403 and "trajecten.subscriptions:write" in refused.text
    no_feed = partner("ocmw-gent", "44021", scope="trajecten.subscriptions:write")
    feed = await client.get(
        f"/partners/v1/feed?legal_basis={OCMW_BASIS}&event_types={OPENED}", headers=no_feed
    )
    assert feed.status_code == 403 and "trajecten.feed:read" in feed.text
    staff = await client.get("/partners/v1/subscriptions", headers=counsellor)
    assert staff.status_code == 403


async def test_a_client_without_a_data_scope_is_told_instead_of_subscribing_to_nothing(
    client, partner
):
    """An OCMW client with no municipality (or an organisation whose clients name different
    ones) sees nobody's trajectories: a subscription would never carry an event, so creating
    one, or previewing it, is refused with the reason; the feed stays open for the erasure
    notices addressed to the organisation."""
    nowhere = partner("ocmw-nergens", None)
    body = {"endpoint_url": "http://127.0.0.1:9/h", "event_types": [OPENED]}
    refused = await client.post("/partners/v1/subscriptions", json=body, headers=nowhere)
    assert refused.status_code == 403 and "gegevensbereik" in refused.text
    preview = await client.post("/partners/v1/subscriptions/preview", json=body, headers=nowhere)
    assert preview.status_code == 403 and "gegevensbereik" in preview.text
    feed = await client.get(f"/partners/v1/feed?event_types={OPENED}", headers=nowhere)
    assert feed.status_code == 200, feed.text


async def test_each_event_type_asked_needs_its_own_scope_on_create_preview_and_feed(
    client, partner, open_in, pump
):
    """Fail-closed: one type without its ``events:`` scope refuses the whole request, naming
    every missing scope; what the token does hold still works."""
    nis = municipality()
    await open_in(nis)
    await pump()
    wish = {"event_types": [OPENED, STOPPED], "legal_basis": OCMW_BASIS}
    some = partner(f"ocmw-{nis}", nis, scope=scopes(OPENED))
    none = partner(f"ocmw-{nis}", nis, scope=API_SCOPES)
    both = sorted([f"events:{OPENED}", f"events:{STOPPED}"])
    for token, missing in ((some, [f"events:{STOPPED}"]), (none, both)):
        answers = [
            await client.post(
                "/partners/v1/subscriptions",
                json=wish | {"endpoint_url": "http://127.0.0.1:9/hook"},
                headers=token,
            ),
            await client.post(
                "/partners/v1/subscriptions/preview",
                json=wish | {"endpoint_url": "http://127.0.0.1:9/hook"},
                headers=token,
            ),
            await client.get(
                "/partners/v1/feed",
                params={"legal_basis": OCMW_BASIS, "event_types": [OPENED, STOPPED]},
                headers=token,
            ),
        ]
        for answer in answers:
            assert answer.status_code == 403, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["missing_scopes"] == missing
            assert all(m in answer.json()["detail"] for m in missing)
    listed = await client.get("/partners/v1/subscriptions", headers=some)
    assert listed.json()["items"] == []  # nothing half-applied
    # The type the token does hold is served, on all three.
    assert (await subscribe(client, some, "http://127.0.0.1:9/hook", nis, event_types=[OPENED]))[
        "event_types"
    ] == [OPENED]
    preview = await client.post(
        "/partners/v1/subscriptions/preview",
        json={"endpoint_url": "http://127.0.0.1:9/hook", "event_types": [OPENED],
              "legal_basis": OCMW_BASIS},
        headers=some,
    )  # fmt: skip
    assert preview.status_code == 200 and [i["type"] for i in preview.json()["items"]] == [OPENED]
    feed = await client.get(
        "/partners/v1/feed",
        params={"legal_basis": OCMW_BASIS, "event_types": [OPENED]},
        headers=some,
    )
    assert feed.status_code == 200 and [i["type"] for i in feed.json()["items"]] == [OPENED]


async def test_signed_deliveries_reach_a_real_receiver_in_order_with_only_allowed_fields(
    client, partner, receiver, open_in, stop, pump, deliver, auth
):
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    sub = await subscribe(client, me, receiver.url, nis)
    mine = await open_in(nis)
    elsewhere = await open_in(municipality())
    await stop(mine)
    await stop(elsewhere)
    await pump()
    await deliver()
    bodies = [Webhook(sub["secret"]).verify(body, headers) for headers, body in receiver.received]
    assert [b["type"] for b in bodies] == [OPENED, STOPPED]
    assert {b["trajectory_id"] for b in bodies} == {mine["id"]}
    assert [b["sequence"] for b in bodies] == sorted(b["sequence"] for b in bodies)
    # Thin: the person to fetch, no actor, no reason, no template (not under this basis).
    assert set(bodies[1]["data"]) == {"trajectory_id", "person_id", "occurred_at"}
    assert set(bodies[0]["data"]) == {"trajectory_id", "person_id", "opened_at"}
    assert bodies[0]["data"]["person_id"] == mine["person_id"]
    log = await client.get(f"/partners/v1/subscriptions/{sub['id']}/deliveries", headers=me)
    assert [d["status"] for d in log.json()["items"]] == ["delivered"] * 2
    assert log.json()["items"][0]["attempts"][0]["status_code"] == 204
    recipients = await client.get(
        f"/api/v1/persons/{mine['person_id']}/partner-recipients", headers=auth("admin", "a@x")
    )
    assert {r["organisation"] for r in recipients.json()["items"]} == {f"ocmw-{nis}"}
    other = await client.get(
        f"/api/v1/persons/{elsewhere['person_id']}/partner-recipients",
        headers=auth("admin", "a@x"),
    )
    assert other.json()["items"] == []


async def test_failures_retry_later_keep_order_and_disable_with_an_alert(
    client, partner, receiver, open_in, stop, pump, deliver, runtime_for, monkeypatch
):
    monkeypatch.setenv("CIVIC_TRAJECTEN_DISABLE_AFTER_FAILURES", "2")
    monkeypatch.setenv("CIVIC_TRAJECTEN_DELIVERY_RETRY_SECONDS", "[0, 3600]")
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    sub = await subscribe(client, me, receiver.url, nis)
    t = await open_in(nis)
    await stop(t)
    await pump()
    receiver.failing = True
    await deliver()  # the opening fails twice (0 s wait), the stop waits behind it
    log = (
        await client.get(f"/partners/v1/subscriptions/{sub['id']}/deliveries", headers=me)
    ).json()["items"]
    assert [len(d["attempts"]) for d in log] == [2, 0]
    assert [d["attempts"][0]["status_code"] for d in log[:1]] == [503]
    assert (await client.get(f"/partners/v1/subscriptions/{sub['id']}", headers=me)).json()[
        "status"
    ] == "disabled"
    async with runtime_for("trajecten").engine.connect() as conn:
        alerts = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM trajecten.outbox WHERE partition_key = :k"
                    " AND event_type = 'trajecten.subscription.disabled.v1'"
                ),
                {"k": sub["id"]},
            )
        ).scalar_one()
    assert alerts == 1
    receiver.failing = False
    enabled = await client.post(f"/partners/v1/subscriptions/{sub['id']}/enable", headers=me)
    assert enabled.json()["status"] == "active"
    monkeypatch.setenv("CIVIC_TRAJECTEN_DELIVERY_RETRY_SECONDS", "[0, 0]")
    resent = await client.post(
        f"/partners/v1/subscriptions/{sub['id']}/resend", json={"status": "all"}, headers=me
    )
    assert resent.status_code == 200
    await deliver()
    assert [b["type"] for b in receiver.bodies()] == [OPENED, STOPPED]


async def test_a_dead_delivery_is_resent_by_an_admin(
    client, partner, receiver, open_in, pump, deliver, auth, monkeypatch
):
    monkeypatch.setenv("CIVIC_TRAJECTEN_DELIVERY_RETRY_SECONDS", "[]")
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    sub = await subscribe(client, me, receiver.url, nis)
    await open_in(nis)
    await pump()
    receiver.failing = True
    await deliver()
    dead = await client.get(
        f"/api/v1/partner-subscriptions/{sub['id']}/deliveries?status=dead",
        headers=auth("admin", "a@x"),
    )
    assert len(dead.json()["items"]) == 1
    receiver.failing = False
    resent = await client.post(
        "/api/v1/partner-deliveries/resend",
        json={"subscription_ids": [sub["id"]], "status": "dead"},
        headers=auth("admin", "a@x"),
    )
    assert resent.json() == {"queued": 1}
    await deliver()
    assert [b["type"] for b in receiver.bodies()] == [OPENED]


async def test_a_rotated_secret_signs_beside_the_old_one_during_the_grace(
    client, partner, receiver, open_in, pump, deliver
):
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    sub = await subscribe(client, me, receiver.url, nis)
    rotated = await client.post(f"/partners/v1/subscriptions/{sub['id']}/secret", headers=me)
    new_secret = rotated.json()["secret"]
    assert new_secret != sub["secret"]
    await open_in(nis)
    await pump()
    await deliver()
    headers, body = receiver.received[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (sub["secret"], new_secret):
        Webhook(secret).verify(body, headers)


async def test_the_feed_pages_and_replays_and_the_sandbox_previews(
    client, partner, open_in, stop, pump
):
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    first = await open_in(nis)
    await stop(first)
    await open_in(nis)
    await pump()
    query = f"/partners/v1/feed?legal_basis={OCMW_BASIS}&event_types={OPENED}&event_types={STOPPED}"
    page1 = (await client.get(f"{query}&limit=2", headers=me)).json()
    page2 = (await client.get(f"{query}&limit=2&cursor={page1['next_cursor']}", headers=me)).json()
    items = page1["items"] + page2["items"]
    assert [i["type"] for i in items] == [OPENED, STOPPED, OPENED]
    assert all("actor" not in i["data"] for i in items)
    replay = (await client.get(f"{query}&limit=2&cursor={page1['next_cursor']}", headers=me)).json()
    assert replay["items"] == page2["items"]
    preview = await client.post(
        "/partners/v1/subscriptions/preview",
        json={
            "endpoint_url": "http://127.0.0.1:9/hook",
            "event_types": [STOPPED],
            "legal_basis": OCMW_BASIS,
        },
        headers=me,
    )
    assert preview.status_code == 200, preview.text
    assert [(i["type"], sorted(i["data"])) for i in preview.json()["items"]] == [
        (STOPPED, ["occurred_at", "person_id", "trajectory_id"])  # no reason: thin
    ]


async def test_two_ocmws_never_see_each_others_people(
    client, partner, open_in, stop, pump, deliver, auth
):
    """Through the subscriptions API, the feed and webhooks alike."""
    app = FastAPI()
    got: dict[str, list[dict]] = {"a": [], "b": []}

    @app.post("/{who}")
    async def hook(who: str, request: Request) -> Response:
        got[who].append(json.loads(await request.body()))
        return Response(status_code=200)

    nis_a, nis_b = municipality(), municipality()
    a, b = partner(f"ocmw-{nis_a}", nis_a), partner(f"ocmw-{nis_b}", nis_b)
    async with serving(app) as base:
        # Each subscribes without a municipality filter: the token's scope still decides.
        sub_a = await subscribe(client, a, f"{base}/a", nis_a, filters={})
        sub_b = await subscribe(client, b, f"{base}/b", nis_b, filters={})
        ta, tb = await open_in(nis_a), await open_in(nis_b)
        await stop(ta)
        await stop(tb)
        await pump()
        await deliver()
    assert got["a"] and {e["trajectory_id"] for e in got["a"]} == {ta["id"]}
    assert got["b"] and {e["trajectory_id"] for e in got["b"]} == {tb["id"]}
    for me, other in ((a, sub_b), (b, sub_a)):
        for path in ("", "/deliveries"):
            response = await client.get(
                f"/partners/v1/subscriptions/{other['id']}{path}", headers=me
            )
            assert response.status_code == 404
        listed = (await client.get("/partners/v1/subscriptions?limit=100", headers=me)).json()
        assert other["id"] not in {s["id"] for s in listed["items"]}
        refused = await client.post(
            f"/partners/v1/subscriptions/{other['id']}/resend", json={"status": "all"}, headers=me
        )
        assert refused.status_code == 404
    for me, own, foreign in ((a, ta, tb), (b, tb, ta)):
        feed = await client.get(
            f"/partners/v1/feed?legal_basis={OCMW_BASIS}&event_types={OPENED}"
            f"&event_types={STOPPED}&limit=500",
            headers=me,
        )
        seen = {i["trajectory_id"] for i in feed.json()["items"]}
        assert own["id"] in seen and foreign["id"] not in seen
        foreign_filter = await client.get(
            f"/partners/v1/feed?legal_basis={OCMW_BASIS}&event_types={OPENED}"
            f"&municipalities={foreign['municipality_nis']}",
            headers=me,
        )
        assert foreign_filter.status_code == 422
        preview = await client.post(
            "/partners/v1/subscriptions/preview",
            json={
                "endpoint_url": "http://127.0.0.1:9/hook",
                "event_types": [OPENED, STOPPED],
                "legal_basis": OCMW_BASIS,
            },
            headers=me,
        )
        shown = {i["trajectory_id"] for i in preview.json()["items"]}
        assert own["id"] in shown and foreign["id"] not in shown


async def test_a_partner_over_its_rate_gets_429_with_retry_after(settings_for, migrate, partner):
    migrate("trajecten")
    limited = settings_for("trajecten").model_copy(
        update={"partner_burst": 3, "partner_rate_per_second": 0.1}
    )
    app = build_app(SERVICE.runtime(limited))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://trajecten") as client:
        me = partner("ocmw-rate", "44021")
        codes = [
            (await client.get("/partners/v1/subscriptions", headers=me)).status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        last = await client.get("/partners/v1/subscriptions", headers=me)
        assert int(last.headers["Retry-After"]) >= 1
        other = await client.get("/partners/v1/subscriptions", headers=partner("ocmw-x", "11002"))
        assert other.status_code == 200
        await app.state.runtime.engine.dispose()


async def test_an_endpoint_resolving_to_a_private_address_at_delivery_time_gets_nothing(
    client, partner, receiver, open_in, pump, deliver, monkeypatch
):
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    sub = await subscribe(client, me, receiver.url, nis)
    await open_in(nis)
    await pump()
    monkeypatch.setenv("CIVIC_TRAJECTEN_WEBHOOKS_ALLOW_PRIVATE", "false")
    await deliver()
    assert receiver.received == []
    log = await client.get(f"/partners/v1/subscriptions/{sub['id']}/deliveries", headers=me)
    [attempt] = log.json()["items"][0]["attempts"]
    assert attempt["status_code"] is None and "niet publiek" in attempt["error"]


async def test_vdab_receives_only_people_referred_to_it(
    client, partner, receiver, open_in, start, pump, deliver
):
    vdab = partner("vdab", None)
    sub = await subscribe(
        client,
        vdab,
        receiver.url,
        "",
        legal_basis=VDAB_BASIS,
        event_types=[STARTED],
        filters={},
    )
    nis = municipality()
    referred = await open_in(nis, job_seeker=True)
    not_referred = await open_in(nis)
    await start(referred, "guidance")
    await start(not_referred, "guidance")
    await pump()
    await deliver()
    bodies = [Webhook(sub["secret"]).verify(b, h) for h, b in receiver.received]
    seen = {b["trajectory_id"] for b in bodies}
    assert referred["id"] in seen and not_referred["id"] not in seen
    assert all(set(b["data"]) <= {"trajectory_id", "person_id", "component", "occurred_at",
                                  "result", "cefr_level"} for b in bodies)  # fmt: skip


async def test_after_the_grace_only_the_new_secret_signs(
    client, client_with, partner, receiver, open_in, pump, deliver, runtime_for
):
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    sub = await subscribe(client, me, receiver.url, nis)
    async with client_with(secret_grace_hours=0) as no_grace:
        new_secret = (
            await no_grace.post(f"/partners/v1/subscriptions/{sub['id']}/secret", headers=me)
        ).json()["secret"]
    await open_in(nis)
    await pump()
    await deliver()
    headers, body = receiver.received[0]
    Webhook(new_secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(sub["secret"]).verify(body, headers)
    # A deleted subscription's waiting deliveries are cancelled, not sent.
    await open_in(nis)
    await pump()
    assert (
        await client.delete(f"/partners/v1/subscriptions/{sub['id']}", headers=me)
    ).status_code == 204
    async with runtime_for("trajecten").engine.connect() as conn:
        statuses = (
            (
                await conn.execute(
                    text(
                        "SELECT status FROM trajecten.partner_deliveries WHERE subscription_id = :s"
                        " ORDER BY event_pk"
                    ),
                    {"s": sub["id"]},
                )
            )
            .scalars()
            .all()
        )
    assert statuses == ["delivered", "cancelled"]


@pytest.mark.parametrize("path", ["/partners/v1/subscriptions", "/partners/v1/feed"])
async def test_a_cursor_not_of_ours_is_422(client, partner, path):
    response = await client.get(
        path,
        params={
            "cursor": encode_cursor({"after": "nonsense"}),
            "legal_basis": OCMW_BASIS,
            "event_types": OPENED,
        },
        headers=partner("ocmw-gent", "44021"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "cursor"


async def test_two_delivery_loops_share_the_queue_without_duplicates_or_disorder(
    client, partner, receiver, open_in, start, stop, pump, runtime_for
):
    """Three events per trajectory: VDAB's basis, which carries component events, and people
    referred to it (job seekers); the filter keeps other tests' trajectories out."""
    nis = municipality()
    vdab = partner("vdab", None)
    await subscribe(
        client, vdab, receiver.url, nis, legal_basis=VDAB_BASIS, event_types=[STARTED, STOPPED]
    )
    trajectories = [await open_in(nis, job_seeker=True) for _ in range(6)]
    for t in trajectories:
        await start(t, "guidance")
        await start(t, "mo_course")
        await stop(t)
    await pump()
    loops = [DeliveryLoop(runtime_for("trajecten"), TrajectenSettings()) for _ in range(2)]

    async def drain(loop: DeliveryLoop) -> None:
        while await loop.run_once():
            pass

    try:
        await asyncio.gather(*(drain(loop) for loop in loops))
        await drain(loops[0])  # one may have stopped while the other still held the heads
    finally:
        for loop in loops:
            await loop.close()
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert len(ids) == len(set(ids)) == 3 * len(trajectories)
    for t in trajectories:
        got = [b for b in receiver.bodies() if b["trajectory_id"] == t["id"]]
        assert [b["type"] for b in got] == [STARTED, STARTED, STOPPED]
        assert [b["sequence"] for b in got] == sorted(b["sequence"] for b in got)


async def sealed_columns(runtime_for, subscription_id: str) -> tuple[str, str | None, str]:
    """The stored secret columns, and the whole row as text (to look for a clear secret)."""
    async with runtime_for("trajecten").engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT sealed_secret, sealed_previous_secret, s::text AS whole"
                    " FROM trajecten.partner_subscriptions s WHERE id = :id"
                ),
                {"id": subscription_id},
            )
        ).one()
    return row.sealed_secret, row.sealed_previous_secret, row.whole


def clear_parts(secret: str) -> list[str]:
    return [secret, secret.removeprefix("whsec_")]


async def test_secrets_are_sealed_at_rest_and_both_still_sign_during_the_grace(
    client, partner, receiver, open_in, pump, deliver, runtime_for
):
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    sub = await subscribe(client, me, receiver.url, nis)
    rotated = await client.post(f"/partners/v1/subscriptions/{sub['id']}/secret", headers=me)
    new_secret = rotated.json()["secret"]
    sealed, sealed_previous, whole = await sealed_columns(runtime_for, sub["id"])
    assert sealed.startswith("v1.test.") and sealed_previous.startswith("v1.test.")
    for clear in clear_parts(sub["secret"]) + clear_parts(new_secret):
        assert clear not in whole
    await open_in(nis)
    await pump()
    await deliver()
    [(headers, body)] = receiver.received
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (new_secret, sub["secret"]):
        assert Webhook(secret).verify(body, headers)["type"] == OPENED
    deleted = await client.delete(f"/partners/v1/subscriptions/{sub['id']}", headers=me)
    assert deleted.status_code == 204
    assert (await sealed_columns(runtime_for, sub["id"]))[:2] == (None, None)


async def test_a_sealed_secret_copied_to_another_subscription_does_not_sign(
    client, partner, receiver, open_in, pump, deliver, runtime_for
):
    """The subscription id is the associated data: the copy fails visibly in the log, and the
    subscription it came from still delivers."""
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    source = await subscribe(client, me, receiver.url, nis)
    target = await subscribe(client, me, receiver.url, nis)
    async with runtime_for("trajecten").engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE trajecten.partner_subscriptions SET sealed_secret ="
                " (SELECT sealed_secret FROM trajecten.partner_subscriptions WHERE id = :source)"
                " WHERE id = :target"
            ),
            {"source": source["id"], "target": target["id"]},
        )
    await open_in(nis)
    await pump()
    await deliver()
    assert [Webhook(source["secret"]).verify(b, h)["type"] for h, b in receiver.received] == [
        OPENED
    ]
    log = await client.get(f"/partners/v1/subscriptions/{target['id']}/deliveries", headers=me)
    [attempt] = log.json()["items"][0]["attempts"]
    assert attempt["status_code"] is None and "geheim" in attempt["error"]


async def test_a_new_key_is_prepended_secrets_are_resealed_and_the_old_key_dropped(
    client, partner, receiver, open_in, pump, deliver, runtime_for, monkeypatch
):
    old_ring = os.environ[VARIABLE]
    new_key = "k2:" + base64.b64encode(secrets.token_bytes(32)).decode()
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    sub = await subscribe(client, me, receiver.url, nis)
    new_secret = (
        await client.post(f"/partners/v1/subscriptions/{sub['id']}/secret", headers=me)
    ).json()["secret"]
    runtime = runtime_for("trajecten")

    async def reseal() -> Resealed:
        async with runtime.uow() as work:
            return await reseal_secrets(work, keyring())

    monkeypatch.setenv(VARIABLE, f"{new_key},{old_ring}")
    try:
        first = await reseal()
        assert first.count >= 1 and uuid.UUID(sub["id"]) not in first.unopenable
        assert (await reseal()).count == 0  # nothing left under the old key
        sealed, sealed_previous, _ = await sealed_columns(runtime_for, sub["id"])
        assert sealed.startswith("v1.k2.") and sealed_previous.startswith("v1.k2.")
        monkeypatch.setenv(VARIABLE, new_key)  # the old key is gone
        await open_in(nis)
        await pump()
        await deliver()
        [(headers, body)] = receiver.received
        for secret in (new_secret, sub["secret"]):
            Webhook(secret).verify(body, headers)
    finally:  # the other tests of this run share the table: back under their key
        monkeypatch.setenv(VARIABLE, f"{old_ring},{new_key}")
        await reseal()


async def test_without_a_keyring_the_edge_still_answers_but_stores_no_subscription(
    client_with, partner
):
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    async with client_with(webhook_secret_keys=SecretStr("")) as client:
        assert (await client.get("/partners/v1/subscriptions", headers=me)).status_code == 200
        refused = await client.post(
            "/partners/v1/subscriptions",
            json={"endpoint_url": "http://127.0.0.1:9/hook", "event_types": [OPENED],
                  "legal_basis": OCMW_BASIS},
            headers=me,
        )  # fmt: skip
        assert refused.status_code == 500
        listed = await client.get("/partners/v1/subscriptions", headers=me)
        assert listed.json()["items"] == []


async def test_an_admin_suspends_a_partners_subscription_and_only_an_admin_lifts_it(
    client, partner, receiver, open_in, pump, deliver, auth
):
    nis = municipality()
    me = partner(f"ocmw-{nis}", nis)
    sub = await subscribe(client, me, receiver.url, nis)
    admin = auth("admin", "ops@agii")
    listed = await client.get(
        "/api/v1/partner-subscriptions", params={"organisation": f"ocmw-{nis}"}, headers=admin
    )
    assert [s["id"] for s in listed.json()["items"]] == [sub["id"]]

    suspended = await client.post(
        f"/api/v1/partner-subscriptions/{sub['id']}/suspension", headers=admin
    )
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    await open_in(nis)
    await pump()
    await deliver()
    assert receiver.received == [], "a suspended subscription gets nothing"
    refused = await client.post(f"/partners/v1/subscriptions/{sub['id']}/enable", headers=me)
    assert refused.status_code == 409

    resumed = await client.delete(
        f"/api/v1/partner-subscriptions/{sub['id']}/suspension", headers=admin
    )
    assert resumed.json()["status"] == "active"
    await open_in(nis)
    await pump()
    await deliver()
    assert len(receiver.received) == 1, "after the suspension, new events flow again"
    counsellor = auth("counsellor", "els@agii")
    assert (
        await client.post(
            f"/api/v1/partner-subscriptions/{sub['id']}/suspension", headers=counsellor
        )
    ).status_code == 403
    missing = await client.post(
        f"/api/v1/partner-subscriptions/{uuid.uuid4()}/suspension", headers=admin
    )
    assert missing.status_code == 404


@pytest.mark.parametrize("basis", ["vdab-arbeidsmarktactivering", "nieuwsgierigheid"])
async def test_a_partner_cannot_pick_a_legal_basis_it_was_not_granted(client, partner, basis):
    """An OCMW client, even with every event scope, cannot subscribe or read the feed under the
    VDAB basis (or any other not granted to it): 403 naming what it was granted."""
    types = ["trajecten.trajectory.component-completed.v1"]
    me = partner("ocmw-gent", "44021", scope=scopes(*types))
    created = await client.post(
        "/partners/v1/subscriptions",
        json={
            "endpoint_url": "http://127.0.0.1:9/hook",
            "event_types": types,
            "legal_basis": basis,
        },
        headers=me,
    )
    assert created.status_code == 403, created.text
    assert created.json()["granted_legal_bases"] == [OCMW_BASIS]
    feed = await client.get(
        "/partners/v1/feed", params={"legal_basis": basis, "event_types": types}, headers=me
    )
    assert feed.status_code == 403, feed.text


async def test_a_client_with_one_basis_gets_it_without_naming_it(client, partner):
    me = partner("ocmw-gent", "44021", scope=scopes(OPENED))
    feed = await client.get("/partners/v1/feed", params={"event_types": [OPENED]}, headers=me)
    assert feed.status_code == 200, feed.text
    created = await client.post(
        "/partners/v1/subscriptions",
        json={"endpoint_url": "http://127.0.0.1:9/hook", "event_types": [OPENED]},
        headers=me,
    )
    assert created.status_code == 201, created.text
    assert created.json()["legal_basis"] == OCMW_BASIS
