"""The OCMW basis as the law says (integration decree art. 20 §7, VVSG protocol), through the
running system: an OCMW gets thin notifications only (a contract began or ended, an attest was
issued: opened, stopped, completed, each with the person to fetch), never a component, a result
or a failure, by webhook or feed; it then fetches name and INSZ at intake, of its own
inhabitant only (the Open Notificaties pattern)."""

import uuid

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Request, Response
from standardwebhooks import Webhook

from civic_common.db.engine import asyncpg_dsn
from civic_common.testing.plugin import free_port
from civic_common.testing.server import serving
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

NIS = "44088"  # Merelbeke-Melle: no other e2e registers people there
ELSEWHERE = "46029"  # Lokeren: nor there
BASIS = "ocmw-maatschappelijke-integratie"
OPENED = "trajecten.trajectory.opened.v1"
STOPPED = "trajecten.trajectory.stopped.v1"
COMPLETED = "trajecten.trajectory.completed.v1"
THIN = [OPENED, STOPPED, COMPLETED]
COMPONENT_TYPES = [
    "trajecten.trajectory.component-started.v1",
    "trajecten.trajectory.component-completed.v1",
    "trajecten.trajectory.component-failed.v1",
]
# The token even holds the component scopes: the legal basis must refuse on its own.
SCOPES = " ".join(
    [
        "trajecten.subscriptions:write",
        "trajecten.feed:read",
        "intake.persons",
        *(f"events:{t}" for t in THIN + COMPONENT_TYPES),
    ]
)
THIN_FIELDS = {"trajectory_id", "person_id", "opened_at", "occurred_at"}


async def _now(value: object) -> object:
    return value


async def test_an_ocmw_gets_thin_notifications_and_fetches_its_own_inhabitant(
    system, auth, partner_token
):
    intake, trajecten = system.urls["intake"], system.urls["trajecten"]
    counter = auth("counter")
    counsellor = auth("counsellor", "els@agii", organisation="agii")
    ocmw = await partner_token("ocmw-merelbeke-melle", SCOPES, municipality=NIS)
    arrivals: list[dict] = []
    hooks, port = FastAPI(), free_port()
    secret = ""

    @hooks.post("/hook")
    async def hook(request: Request) -> Response:
        arrivals.append(Webhook(secret).verify(await request.body(), dict(request.headers)))
        return Response(status_code=204)

    async with httpx.AsyncClient(timeout=15) as http:
        # Component events are not the OCMW's to receive: refused on subscribe and in the feed.
        for types in ([COMPONENT_TYPES[1]], [OPENED, COMPONENT_TYPES[2]]):
            refused = await http.post(
                f"{trajecten}/partners/v1/subscriptions",
                json={
                    "endpoint_url": f"http://127.0.0.1:{port}/hook",
                    "event_types": types,
                    "legal_basis": BASIS,
                },
                headers=ocmw,
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["errors"][0]["field"] == "event_types"
            feed = await http.get(
                f"{trajecten}/partners/v1/feed",
                params={"legal_basis": BASIS, "event_types": types},
                headers=ocmw,
            )
            assert feed.status_code == 422, feed.text

        created = await http.post(
            f"{trajecten}/partners/v1/subscriptions",
            json={
                "endpoint_url": f"http://127.0.0.1:{port}/hook",
                "event_types": THIN,
                "legal_basis": BASIS,
            },
            headers=ocmw,
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]

        async def register(nis: str, given: str, insz: str, birth: str) -> str:
            person = await http.post(
                f"{intake}/api/v1/persons",
                json={
                    "given_name": given,
                    "family_name": "Dunmelding",
                    "birth_date": birth,
                    "insz": insz,
                    "municipality_nis": nis,
                    "nationality": "SY",
                    "residence_category": "recognised_refugee",
                    "languages": ["ar"],
                },
                headers=counter,
            )
            assert person.status_code == 201, person.text
            return str(person.json()["id"])

        inhabitant = await register(NIS, "Rania", "85031212362", "1985-03-12")
        neighbour = await register(ELSEWHERE, "Samir", "92071904112", "1992-07-19")

        async def trajectory_of(person_id: str) -> dict:
            async def found() -> list[dict]:
                answer = await http.get(
                    f"{trajecten}/api/v1/trajectories",
                    params={"person_id": person_id},
                    headers=counsellor,
                )
                return answer.json()

            [trajectory] = await eventually(found, within=60)
            return trajectory

        trajectory = await trajectory_of(inhabitant)
        await trajectory_of(neighbour)

        async def act(path: str, body: dict) -> None:
            response = await http.post(
                f"{trajecten}/api/v1/trajectories/{trajectory['id']}{path}",
                json=body,
                headers=counsellor | {"If-Match": f'"{trajectory["version"]}"'},
            )
            assert response.status_code == 200, (path, response.text)
            trajectory["version"] = int(response.headers["etag"].strip('"'))

        async with serving(hooks, port):
            # A component completed, one failed (with a result), then the contract ended.
            await act("/components/guidance/transitions", {"action": "start"})
            await act("/components/guidance/transitions", {"action": "complete"})
            await act("/components/mo_course/transitions", {"action": "start"})
            await act("/components/mo_course/transitions", {"action": "fail"})
            await act(
                "/transitions", {"action": "stop", "reason": "verhuisd", "reason_code": "moved"}
            )

            def mine() -> list[dict]:
                return [a for a in arrivals if a["trajectory_id"] == trajectory["id"]]

            # Per trajectory in order: once the stop is in, every earlier event was handled.
            await eventually(lambda: _now(STOPPED in [a["type"] for a in mine()]), within=90)
            got = mine()
        assert [a["type"] for a in got] == [OPENED, STOPPED]
        assert all(set(a["data"]) <= THIN_FIELDS for a in got), [a["data"] for a in got]
        assert {a["data"]["person_id"] for a in got} == {inhabitant}
        assert not any(a["trajectory_id"] != trajectory["id"] for a in arrivals), (
            "nobody of another municipality"
        )

        feed = await http.get(
            f"{trajecten}/partners/v1/feed",
            params={"legal_basis": BASIS, "event_types": THIN, "limit": 500},
            headers=ocmw,
        )
        assert feed.status_code == 200, feed.text
        items = [i for i in feed.json()["items"] if i["trajectory_id"] == trajectory["id"]]
        assert [i["type"] for i in items] == [OPENED, STOPPED]
        assert all(set(i["data"]) <= THIN_FIELDS for i in items)

        # The notification names the person; the OCMW fetches name and INSZ at intake.
        person_id = got[0]["data"]["person_id"]
        read = await http.get(f"{intake}/partners/v1/persons/{person_id}", headers=ocmw)
        assert read.status_code == 200, read.text
        assert read.json() == {
            "id": inhabitant,
            "legal_basis": BASIS,
            "given_name": "Rania",
            "family_name": "Dunmelding",
            "insz": "85031212362",
        }
        other = await http.get(f"{intake}/partners/v1/persons/{neighbour}", headers=ocmw)
        assert other.status_code == 404, "another municipality's inhabitant looks unknown"

    # Not vacuous: the component events with their results did reach the partner edge.
    conn = await asyncpg.connect(asyncpg_dsn(system.db.url("trajecten")))
    try:
        kept = await conn.fetch(
            "SELECT event_type FROM trajecten.partner_events WHERE trajectory_id = $1",
            uuid.UUID(trajectory["id"]),
        )
    finally:
        await conn.close()
    kept_types = [k["event_type"] for k in kept]
    assert set(COMPONENT_TYPES) <= set(kept_types), kept_types
