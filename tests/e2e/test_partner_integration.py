"""What a partner integrator gets beside webhooks (issue 20), through the running processes:
a test event reaches its receiver and shows in the delivery log; a receiver that stays down
gets the subscription disabled and the partner's contact a mail (read from the mail catcher);
a time range is replayed; the discovery API matches the AsyncAPI document."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi import FastAPI, Request, Response
from standardwebhooks import Webhook

from civic_common.testing.plugin import free_port
from civic_common.testing.server import serving
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

API_SCOPES = "trajecten.subscriptions:write trajecten.feed:read"
BASIS = "ocmw-maatschappelijke-integratie"
OPENED = "trajecten.trajectory.opened.v1"
STOPPED = "trajecten.trajectory.stopped.v1"
TYPES = [OPENED, STOPPED]  # the OCMW's thin notifications
SCOPES = " ".join([API_SCOPES, *(f"events:{t}" for t in TYPES)])
ASYNCAPI = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


class Receiver:
    """Verifies every webhook; keeps each arrival (headers and body), duplicates included."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrivals: list[tuple[dict[str, str], dict]] = []
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            verified = Webhook(self.secret).verify(await request.body(), dict(request.headers))
            self.arrivals.append((dict(request.headers), verified))
            return Response(status_code=204)


async def _now(value: object) -> object:
    return value


async def subscribe(http: httpx.AsyncClient, trajecten: str, headers: dict, url: str) -> dict:
    created = await http.post(
        f"{trajecten}/partners/v1/subscriptions",
        json={"endpoint_url": url, "event_types": TYPES, "legal_basis": BASIS},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return created.json()


async def open_trajectory(
    http: httpx.AsyncClient, trajecten: str, counsellor: dict, nis: str
) -> str:
    opened = await http.post(
        f"{trajecten}/api/v1/trajectories",
        json={
            "person_id": str(uuid.uuid4()),
            "template_version": "2024.1",
            "municipality_nis": nis,
            "target_group": "obligated",
            "job_seeker": False,
        },
        headers=counsellor,
    )
    assert opened.status_code == 201, opened.text
    return opened.json()["id"]


async def test_a_test_event_reaches_the_receiver_and_shows_in_the_delivery_log(
    system, partner_token
):
    nis = "11008"  # Brasschaat: no other e2e uses it
    trajecten = system.urls["trajecten"]
    ocmw = await partner_token("ocmw-brasschaat", SCOPES, municipality=nis)
    receiver, port = Receiver(), free_port()
    async with httpx.AsyncClient(timeout=15) as http, serving(receiver.app, port):
        sub = await subscribe(http, trajecten, ocmw, f"http://127.0.0.1:{port}/hook")
        receiver.secret = sub["secret"]
        sent = await http.post(
            f"{trajecten}/partners/v1/subscriptions/{sub['id']}/test-events",
            json={"event_type": OPENED},
            headers=ocmw,
        )
        assert sent.status_code == 202, sent.text
        [(headers, body)] = await eventually(lambda: _now(receiver.arrivals), within=60)
        assert headers["webhook-test"] == "true" and body["test"] is True
        assert body["type"] == OPENED and body["id"] == sent.json()["event_id"]
        # Only what the legal basis allows: the OCMW's thin notification, the person to fetch.
        assert "person_id" in body["data"] and set(body["data"]) <= {
            "trajectory_id",
            "person_id",
            "opened_at",
            "occurred_at",
        }

        async def logged() -> list[dict]:
            log = await http.get(
                f"{trajecten}/partners/v1/subscriptions/{sub['id']}/deliveries", headers=ocmw
            )
            return [
                d
                for d in log.json()["items"]
                if d["id"] == sent.json()["delivery_id"] and d["status"] == "delivered"
            ]

        [entry] = await eventually(logged, within=30)
        assert entry["test"] is True and entry["attempts"][0]["status_code"] == 204
        # A test event is in nobody's feed.
        feed = await http.get(
            f"{trajecten}/partners/v1/feed",
            params={"event_types": TYPES, "legal_basis": BASIS},
            headers=ocmw,
        )
        assert sent.json()["event_id"] not in {i["id"] for i in feed.json()["items"]}


async def test_a_receiver_down_until_disabled_gets_its_contact_a_mail(
    system, auth, partner_token, mail_catcher
):
    nis = "11009"  # Brecht: no other e2e uses it
    trajecten = system.urls["trajecten"]
    counsellor = auth("counsellor", "els@agii", organisation="agii")
    ocmw = await partner_token("ocmw-brecht", SCOPES, municipality=nis)
    address = f"webhooks-{uuid.uuid4().hex[:8]}@ocmw-brecht.example"
    async with httpx.AsyncClient(timeout=15) as http:
        contact = await http.put(
            f"{trajecten}/partners/v1/contact", json={"email": address}, headers=ocmw
        )
        assert contact.status_code == 200, contact.text
        # Nobody listens on this port: every attempt fails.
        sub = await subscribe(http, trajecten, ocmw, f"http://127.0.0.1:{free_port()}/hook")
        policy = await http.put(
            f"{trajecten}/partners/v1/subscriptions/{sub['id']}/retry-policy",
            json={"retry_seconds": [0.5, 0.5, 0.5], "disable_after_failures": 2},
            headers=ocmw,
        )
        assert policy.status_code == 200, policy.text
        assert policy.json()["disable_after_failures"] == 2
        await open_trajectory(http, trajecten, counsellor, nis)

        async def disabled() -> bool:
            got = await http.get(f"{trajecten}/partners/v1/subscriptions/{sub['id']}", headers=ocmw)
            return got.json()["status"] == "disabled"

        assert await eventually(disabled, within=60)

        def mails() -> list[dict]:
            return [
                m
                for m in mail_catcher.messages()
                if any(t["address"] == address for t in m["to"]) and "uitgeschakeld" in m["subject"]
            ]

        [mail] = await eventually(lambda: _now(mails()), within=60)
        assert sub["id"] in mail["subject"] and "mislukte" in mail["text"]
        alerts = await http.get(f"{trajecten}/partners/v1/alerts", headers=ocmw)
        kinds = {(a["alert_type"], a["status"]) for a in alerts.json()["items"]}
        assert ("trajecten.subscription.disabled.v1", "sent") in kinds


async def test_a_time_range_is_replayed_and_only_that(system, auth, partner_token):
    nis = "11005"  # Boom: no other e2e uses it
    trajecten = system.urls["trajecten"]
    counsellor = auth("counsellor", "els@agii", organisation="agii")
    ocmw = await partner_token("ocmw-boom", SCOPES, municipality=nis)
    receiver, port = Receiver(), free_port()
    async with httpx.AsyncClient(timeout=15) as http, serving(receiver.app, port):
        sub = await subscribe(http, trajecten, ocmw, f"http://127.0.0.1:{port}/hook")
        receiver.secret = sub["secret"]

        def opened(trajectory_id: str) -> list[dict]:
            return [
                b
                for _, b in receiver.arrivals
                if b["trajectory_id"] == trajectory_id and b["type"] == OPENED
            ]

        before = await open_trajectory(http, trajecten, counsellor, nis)
        await eventually(lambda: _now(opened(before)), within=60)
        await asyncio.sleep(1.5)
        since = datetime.now(UTC)
        inside = await open_trajectory(http, trajecten, counsellor, nis)
        await eventually(lambda: _now(opened(inside)), within=60)
        until = datetime.now(UTC) + timedelta(milliseconds=1)
        replayed = await http.post(
            f"{trajecten}/partners/v1/subscriptions/{sub['id']}/replay",
            json={"from": since.isoformat(), "to": until.isoformat()},
            headers=ocmw,
        )
        assert replayed.status_code == 202, replayed.text
        assert replayed.json()["requeued"] == 1
        await eventually(lambda: _now(len(opened(inside)) == 2), within=60)
        await asyncio.sleep(2)
        assert len(opened(before)) == 1  # outside the range: not sent again
        bad = await http.post(
            f"{trajecten}/partners/v1/subscriptions/{sub['id']}/replay",
            json={"from": until.isoformat(), "to": since.isoformat()},
            headers=ocmw,
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to"


def _asyncapi_payload(document: dict, event_type: str) -> dict:
    """A payload schema from the AsyncAPI document, with its hoisted $defs put back."""
    schemas = document["components"]["schemas"]
    prefix = f"{event_type}."
    payload = dict(schemas[event_type])
    defs = {k.removeprefix(prefix): v for k, v in schemas.items() if k.startswith(prefix)}
    if defs:
        payload["$defs"] = defs

    def rewrite(node: object) -> object:
        if isinstance(node, dict):
            return {
                k: v.replace(f"#/components/schemas/{prefix}", "#/$defs/")
                if k == "$ref"
                else rewrite(v)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [rewrite(i) for i in node]
        return node

    return rewrite(payload)  # type: ignore[return-value]


async def test_discovery_matches_the_asyncapi_document(system, partner_token):
    trajecten = system.urls["trajecten"]
    reader = await partner_token("ocmw-discovery", "trajecten.feed:read", municipality="11005")
    document = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    published = document["channels"]["trajecten.trajectories"]["messages"]
    async with httpx.AsyncClient(timeout=15) as http:
        types = (await http.get(f"{trajecten}/partners/v1/event-types", headers=reader)).json()
        bases = (await http.get(f"{trajecten}/partners/v1/legal-bases", headers=reader)).json()
        one = await http.get(f"{trajecten}/partners/v1/event-types/{OPENED}", headers=reader)
        missing = await http.get(f"{trajecten}/partners/v1/event-types/nope.v1", headers=reader)
        anonymous = await http.get(f"{trajecten}/partners/v1/event-types")
    assert anonymous.status_code == 401 and missing.status_code == 404
    assert one.status_code == 200 and one.json()["type"] == OPENED
    by_type = {t["type"]: t for t in types["items"]}
    offered = {t for b in bases["items"] for t in b["event_types"]}
    assert set(by_type) == offered and offered <= set(published)
    for name, item in by_type.items():
        assert item["schema"] == _asyncapi_payload(document, name), name
        # The example is valid against its schema's properties and required fields.
        assert set(item["schema"].get("required", [])) <= set(item["example"])
        assert set(item["example"]) <= set(item["schema"]["properties"])
    for basis in bases["items"]:
        fields = {f for t in basis["event_types"] for f in by_type[t]["schema"]["properties"]}
        # every field a basis allows is carried by one of its event types
        assert set(basis["fields"]) <= fields, basis["code"]
