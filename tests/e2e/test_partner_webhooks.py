"""Partners' webhooks through the running system. VDAB subscribes to the component events of
the people referred to it (the basis that lawfully carries them; an OCMW gets thin notifications
only); its receiver verifies every webhook with the Standard Webhooks reference library, is
down for a while and comes back, and ends with every event exactly once, in order per
trajectory."""

import asyncio
import uuid

import httpx
import pytest

from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

API_SCOPES = "trajecten.subscriptions:write trajecten.feed:read"
BASIS = "ocmw-maatschappelijke-integratie"
VDAB_BASIS = "vdab-arbeidsmarktactivering"
NIS = "44019"  # Evergem: no other e2e registers people there (they count theirs)
TYPES = [  # what VDAB's basis carries, in the order the test causes them per trajectory
    "trajecten.trajectory.component-started.v1",
    "trajecten.trajectory.component-completed.v1",
    "trajecten.trajectory.component-failed.v1",
    "trajecten.trajectory.stopped.v1",
]
VDAB_SCOPES = " ".join([API_SCOPES, *(f"events:{t}" for t in TYPES)])  # one scope per type
THIN_TYPES = ["trajecten.trajectory.opened.v1", "trajecten.trajectory.stopped.v1"]
SCOPES = " ".join([API_SCOPES, *(f"events:{t}" for t in THIN_TYPES)])  # an OCMW's


async def test_webhooks_survive_a_receiver_outage_exactly_once_in_order(
    system, auth, partner_token, webhook_receiver
):
    counsellor = auth("counsellor", "els@agii", organisation="agii")
    vdab = await partner_token("vdab", VDAB_SCOPES, legal_bases=(VDAB_BASIS,))
    trajecten = system.urls["trajecten"]
    receiver = webhook_receiver
    async with httpx.AsyncClient(timeout=15) as http:
        created = await http.post(
            f"{trajecten}/partners/v1/subscriptions",
            json={
                "endpoint_url": receiver.url,
                "event_types": TYPES,
                "legal_basis": VDAB_BASIS,
                "filters": {"municipalities": [NIS]},
            },
            headers=vdab,
        )
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]

        async def job_seeker() -> dict:
            """A trajectory with the VDAB referral: a person VDAB's scope admits."""
            opened = await http.post(
                f"{trajecten}/api/v1/trajectories",
                json={
                    "person_id": str(uuid.uuid4()),
                    "template_version": "2024.1",
                    "municipality_nis": NIS,
                    "target_group": "obligated",
                    "job_seeker": True,
                },
                headers=counsellor,
            )
            assert opened.status_code == 201, opened.text
            return opened.json()

        async def act(trajectory: dict, path: str, body: dict) -> None:
            response = await http.post(
                f"{trajecten}/api/v1/trajectories/{trajectory['id']}{path}",
                json=body,
                headers=counsellor | {"If-Match": f'"{trajectory["version"]}"'},
            )
            assert response.status_code == 200, (path, response.text)
            trajectory["version"] = int(response.headers["etag"].strip('"'))

        async with receiver.listening():
            trajectories = [await job_seeker() for _ in range(3)]
            for t in trajectories:
                await act(t, "/components/guidance/transitions", {"action": "start"})
            mine = {t["id"] for t in trajectories}

            async def some_arrived() -> bool:
                return len({m["trajectory_id"] for m in receiver.messages.values()} & mine) == 3

            await eventually(some_arrived, within=60)
        # The receiver is down: these changes queue up and their first attempts fail.
        for t in trajectories:
            await act(t, "/components/guidance/transitions", {"action": "complete"})
            await act(t, "/components/mo_course/transitions", {"action": "start"})
        await asyncio.sleep(4)
        for t in trajectories:
            await act(t, "/components/mo_course/transitions", {"action": "fail"})
            await act(t, "/transitions", {"action": "stop", "reason": "verhuisd"})
        async with receiver.listening():

            async def all_arrived() -> bool:
                got = [m for m in receiver.messages.values() if m["trajectory_id"] in mine]
                return len(got) == 5 * len(trajectories)

            await eventually(all_arrived, within=120)
        log = await http.get(
            f"{trajecten}/partners/v1/subscriptions/{created.json()['id']}/deliveries",
            params={"limit": 100},
            headers=vdab,
        )
        failed = [
            d for d in log.json()["items"] if any(a["status_code"] != 204 for a in d["attempts"])
        ]
        assert failed, "the outage should show as failed attempts in the delivery log"

    started, completed, failed_type, stopped = TYPES
    for t in trajectories:
        got = [m for m in receiver.messages.values() if m["trajectory_id"] == t["id"]]
        # in order, each once
        assert [m["type"] for m in got] == [started, completed, started, failed_type, stopped]
        assert [m["sequence"] for m in got] == sorted(m["sequence"] for m in got)
        assert len({m["id"] for m in got}) == len(got)
        assert all("actor" not in m["data"] and "reason" not in m["data"] for m in got)


async def test_a_revoked_partners_next_delivery_does_not_go_out(
    system, auth, partner_token, webhook_receiver
):
    """Revocation at the issuer stops webhooks at once, with no admin step at trajecten."""
    nis = "44013"  # Destelbergen: no other e2e registers people there
    issuer, trajecten = system.urls["issuer"], system.urls["trajecten"]
    admin = auth("admin", "ops@agii")
    counsellor = auth("counsellor", "els@agii", organisation="agii")
    ocmw = await partner_token("ocmw-destelbergen", SCOPES, municipality=nis)
    receiver = webhook_receiver
    async with httpx.AsyncClient(timeout=15) as http, receiver.listening():
        created = await http.post(
            f"{trajecten}/partners/v1/subscriptions",
            json={"endpoint_url": receiver.url, "event_types": THIN_TYPES},
            headers=ocmw,
        )
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]

        async def open_one() -> str:
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

        def arrived(trajectory_id: str) -> bool:
            return any(m["trajectory_id"] == trajectory_id for m in receiver.messages.values())

        first = await open_one()
        await eventually(lambda: _now(arrived(first)), within=60)

        # The client behind the subscription is revoked at the issuer.
        clients = await http.get(f"{issuer}/api/v1/partner-clients", headers=admin)
        [client] = [c for c in clients.json() if c["organisation"] == "ocmw-destelbergen"]
        revoked = await http.post(
            f"{issuer}/api/v1/partner-clients/{client['client_id']}/revocation", headers=admin
        )
        assert revoked.status_code == 200, revoked.text
        await asyncio.sleep(6)  # longer than trajecten reuses an issuer's answer (5 s)

        second = await open_one()

        async def stopped() -> bool:
            listed = await http.get(
                f"{trajecten}/api/v1/partner-subscriptions",
                params={"organisation": "ocmw-destelbergen"},
                headers=admin,
            )
            return any(s["status"] == "revoked" for s in listed.json()["items"])

        assert await eventually(stopped, within=30)
        await asyncio.sleep(3)
        assert not arrived(second)


async def _now(value: bool) -> bool:
    return value


async def test_a_partner_that_had_a_persons_data_is_told_of_their_erasure(
    system, auth, partner_token, webhook_receiver
):
    """GDPR art. 17 and 19: the erasure reaches every partner that received the person's data,
    and the platform records when the notice went out and that the partner acknowledged it."""
    nis = "44064"  # no other e2e registers people there
    intake, trajecten = system.urls["intake"], system.urls["trajecten"]
    admin = auth("admin", "dpo@agii")
    ocmw = await partner_token("ocmw-de-pinte", SCOPES, municipality=nis)
    receiver = webhook_receiver
    async with httpx.AsyncClient(timeout=15) as http, receiver.listening():
        created = await http.post(
            f"{trajecten}/partners/v1/subscriptions",
            json={"endpoint_url": receiver.url, "event_types": THIN_TYPES},
            headers=ocmw,
        )
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]
        person = await http.post(
            f"{intake}/api/v1/persons",
            json={
                "given_name": "Yara",
                "family_name": "Wisverzoek",
                "birth_date": "1993-08-09",
                "municipality_nis": nis,
                "languages": ["ar"],
            },
            headers=auth("counter"),
        )
        assert person.status_code == 201, person.text
        person_id = person.json()["id"]

        def received(event_type: str) -> list[dict]:
            return [
                m
                for m in receiver.messages.values()
                if m["type"] == event_type and m["data"].get("person_id") == person_id
            ]

        await eventually(lambda: _now(received("trajecten.trajectory.opened.v1")), within=60)
        erased = await http.post(
            f"{intake}/api/v1/persons/{person_id}/erasure",
            json={"reason": "verzoek van de persoon"},
            headers=admin,
        )
        assert erased.status_code == 200, erased.text

        [notice] = await eventually(lambda: _now(received("trajecten.person.erased.v1")), within=60)
        assert set(notice["data"]) == {"person_id", "erased_at"}

        async def acknowledged() -> list[dict]:
            answer = await http.get(
                f"{trajecten}/api/v1/persons/{person_id}/partner-recipients", headers=admin
            )
            return [
                r
                for r in answer.json()["items"]
                if r["event_type"] == "trajecten.person.erased.v1" and r["delivered_at"]
            ]

        [record] = await eventually(acknowledged, within=30)
        assert (record["organisation"], record["status"]) == ("ocmw-de-pinte", "delivered")
