"""Organisations and candidacies published on intake's topics reach trajecten's worker: the
candidacy is assessed against the call and can be selected into a learning trajectory."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from civic_common.events.contracts.base import EventData
from civic_common.events.contracts.intake import CandidacySubmitted, OrganisationRegistered
from civic_common.events.envelope import Envelope
from civic_common.testing.waiting import eventually
from intake.domain.kbo import make_enterprise_number

pytestmark = pytest.mark.e2e


async def publish(infra, prefix: str, event: EventData, key: uuid.UUID) -> None:
    envelope = Envelope(
        type=event.event_type,
        source="/civic/e2e",
        partitionkey=str(key),
        sequence=1,
        data=event.model_dump(mode="json"),
    )
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            prefix + event.topic,
            envelope.value(),
            key=str(key).encode(),
            headers=[(k, v.encode()) for k, v in envelope.headers().items()],
        )
    finally:
        await producer.stop()


async def test_a_candidacy_from_intake_is_assessed_and_selected(system, auth, infra):
    staff = auth("counsellor", "els@agii", organisation="agii")
    base = f"{system.urls['trajecten']}/api/v1"
    async with httpx.AsyncClient(timeout=10) as http:
        call = await http.post(
            f"{base}/calls",
            json={
                "edition": "2019-2020",
                "title": "Cultuursensitieve zorg",
                "agencies": ["agii"],
                "opens_on": "2019-05-01",
                "closes_on": "2019-06-16",
            },
            headers=staff,
        )
        assert call.status_code == 201, call.text
        trajectory = await http.post(
            f"{base}/organisation-trajectories",
            json={
                "call_id": call.json()["id"],
                "edition": "2019-2020",
                "agencies": ["agii"],
                "partners": ["VIVO"],
                "region": "Antwerpen",
                "goal": "Organisatiebeleid cultuursensitieve zorg",
                "content": "Vijf werksessies en coaching",
            },
            headers=staff,
        )
        assert trajectory.status_code == 201, trajectory.text

        organisation_id, candidacy_id = uuid.uuid4(), uuid.uuid4()
        await publish(
            infra,
            system.topic_prefix,
            OrganisationRegistered(
                organisation_id=organisation_id,
                enterprise_number="0123456749",
                name="WZC De Linde",
                organisation_type="care_and_welfare",
                staff_size=120,
                municipality_nis="11002",
                registered_at=datetime.now(UTC),
            ),
            organisation_id,
        )
        await publish(
            infra,
            system.topic_prefix,
            CandidacySubmitted(
                candidacy_id=candidacy_id,
                organisation_id=organisation_id,
                kind="learning_and_coaching",
                call_id=uuid.UUID(call.json()["id"]),
                organisation_type="care_and_welfare",
                staff_size=120,
                municipality_nis="11002",
                participant_roles=["manager", "diversity_officer"],
                motivation="Onze bewoners worden diverser",
                submitted_at=datetime(2019, 6, 3, tzinfo=UTC),
            ),
            candidacy_id,
        )

        async def assessed() -> dict | None:
            listed = (await http.get(f"{base}/candidacies", headers=staff)).json()["items"]
            return next((c for c in listed if c["id"] == str(candidacy_id)), None)

        candidacy = await eventually(assessed, within=60)
        assert candidacy["status"] == "eligible"

        async def selected() -> httpx.Response | None:
            # The organisation's own event may still be on its way: retry until it is known.
            response = await http.post(
                f"{base}/candidacies/{candidacy_id}/decision",
                json={
                    "selected": True,
                    "reason": "sterke motivatie",
                    "organisation_trajectory_id": trajectory.json()["id"],
                },
                headers=staff,
            )
            return response if response.status_code == 200 else None

        await eventually(selected, within=60)
        joined = (
            await http.get(
                f"{base}/organisation-trajectories/{trajectory.json()['id']}", headers=staff
            )
        ).json()
        assert [p["name"] for p in joined["participating_organisations"]] == ["WZC De Linde"]

        # The call reads back as created; the trajectory tracks its template's components and
        # keeps to their order and to its lifecycle.
        read_back = await http.get(f"{base}/calls/{call.json()['id']}", headers=staff)
        assert read_back.status_code == 200 and read_back.json() == call.json()
        path = f"{base}/organisation-trajectories/{trajectory.json()['id']}"
        assert joined["component_actions"]["intake_call"] == ["start"]

        async def post(suffix: str, body: dict, version: int) -> httpx.Response:
            return await http.post(
                f"{path}/{suffix}", json=body, headers=staff | {"If-Match": f'"{version}"'}
            )

        early = await post("components/coaching", {"action": "start", "on": "2019-10-01"}, 2)
        assert early.status_code == 422, early.text
        assert "na het afronden van intake_call" in early.json()["errors"][0]["message"]
        started = await post("components/intake_call", {"action": "start", "on": "2019-09-02"}, 2)
        assert started.status_code == 200, started.text
        running = await post("status", {"status": "running"}, 3)
        assert running.status_code == 200, running.text
        unfinished = await post("status", {"status": "completed"}, 4)
        assert unfinished.status_code == 422
        assert "nog niet afgerond: intake_call" in unfinished.json()["errors"][0]["message"]
        backwards = await post("status", {"status": "planned"}, 4)
        assert backwards.status_code == 422, "running never goes back to planned"
        now = (await http.get(path, headers=staff)).json()
        assert (now["version"], now["status"]) == (4, "running")
        assert now["components"][0]["status"] == "started"


ORGANISATION_PAGE = re.compile(r".*/organisaties/[0-9a-f-]{36}(\?.*)?$")


async def test_intake_shows_what_trajecten_decides_and_the_worker_agrees(system, auth, signed_in):
    """Trajecten is the one owner of eligibility for a call: intake's API and page show its
    decision (a call closed in 2019, a school for the care-and-welfare call, an unknown call),
    and trajecten's worker assesses the published candidacy the same way."""
    staff = auth("counsellor", "els@agii", organisation="agii")
    counter = auth("counter", "balie@agii", organisation="agii")
    trajecten, intake = (f"{system.urls[s]}/api/v1" for s in ("trajecten", "intake"))
    today = date.today()
    async with httpx.AsyncClient(timeout=20) as http:
        calls = {}
        for name, opens_on, closes_on in (
            ("closed", date(2019, 5, 1), date(2019, 6, 16)),
            ("open", today - timedelta(days=5), today + timedelta(days=30)),
        ):
            created = await http.post(
                f"{trajecten}/calls",
                json={
                    "edition": "2019-2020"
                    if name == "closed"
                    else f"{today.year}-{today.year + 1}",
                    "title": f"Cultuursensitieve zorg ({name})",
                    "agencies": ["agii"],
                    "opens_on": opens_on.isoformat(),
                    "closes_on": closes_on.isoformat(),
                },
                headers=staff,
            )
            assert created.status_code == 201, created.text
            calls[name] = created.json()["id"]

        organisations = {}
        for kind in ("care_and_welfare", "school"):
            number = make_enterprise_number(uuid.uuid4().int % 19_999_999)
            registered = await http.post(
                f"{intake}/organisations",
                json={
                    "enterprise_number": number,
                    "name": f"{kind} {number}",
                    "organisation_type": kind,
                    "staff_size": 40,
                    "municipality_nis": "11002",
                },
                headers=counter,
            )
            assert registered.status_code == 201, registered.text
            organisations[kind] = registered.json()["id"]

        async def submit(organisation: str, call_id: str) -> httpx.Response:
            return await http.post(
                f"{intake}/candidacies",
                json={
                    "organisation_id": organisations[organisation],
                    "kind": "learning_and_coaching",
                    "call_id": call_id,
                    "participant_roles": ["manager", "staff_member"],
                    "motivation": "Onze cliënten worden diverser",
                },
                headers=counter,
            )

        decided = {}
        for case, organisation, call_id, eligible, reasons in (
            ("fit", "care_and_welfare", calls["open"], True, []),
            (
                "closed",
                "care_and_welfare",
                calls["closed"],
                False,
                ["de oproep is gesloten sinds 16/06/2019"],
            ),
            (
                "school",
                "school",
                calls["open"],
                False,
                ["de oproep is voor een zorg- en welzijnsorganisatie (niet: school)"],
            ),
        ):
            answer = await submit(organisation, call_id)
            assert answer.status_code == 201, (case, answer.text)
            eligibility = answer.json()["eligibility"]
            assert eligibility["decided_by"] == "trajecten", case
            assert (eligibility["eligible"], eligibility["reasons"]) == (eligible, reasons), case
            decided[answer.json()["id"]] = eligible

        unknown = await submit("care_and_welfare", str(uuid.uuid4()))
        assert unknown.status_code == 422, unknown.text
        assert [e["field"] for e in unknown.json()["errors"]] == ["call_id"]
        kept = await http.get(
            f"{intake}/organisations/{organisations['care_and_welfare']}/candidacies",
            headers=counter,
        )
        assert len(kept.json()) == 2, "the refused one is not stored"

        async def assessed() -> dict | None:
            listed = (
                await http.get(f"{trajecten}/candidacies", params={"limit": 200}, headers=staff)
            ).json()["items"]
            found = {c["id"]: c["status"] for c in listed if c["id"] in decided}
            return found if len(found) == len(decided) else None

        statuses = await eventually(assessed, within=60)
        assert statuses == {
            candidacy: "eligible" if eligible else "ineligible"
            for candidacy, eligible in decided.items()
        }

    async with signed_in(system.urls["intake"], "counter", "balie@agii") as page:
        await page.goto(f"/organisaties/{organisations['school']}/kandidatuur")
        await page.select_option("#kind", "learning_and_coaching")
        await page.check("#participant_roles-manager")
        await page.fill("#motivation", "Wij willen leren")
        await page.fill("#call_id", calls["closed"])
        await page.click("main button[type=submit]")
        await page.wait_for_url(ORGANISATION_PAGE)
        shown = await page.inner_text("table[aria-describedby=kandidaturen]")
        assert "gesloten sinds 16/06/2019" in shown
        assert "niet: school" in shown
        assert "beslissing van trajecten" in shown.lower()
