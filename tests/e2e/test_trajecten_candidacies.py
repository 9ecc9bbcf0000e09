"""Organisations and candidacies published on intake's topics reach trajecten's worker: the
candidacy is assessed against the call and can be selected into a learning trajectory."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from civic_common.events.contracts.base import EventData
from civic_common.events.contracts.intake import CandidacySubmitted, OrganisationRegistered
from civic_common.events.envelope import Envelope
from civic_common.testing.waiting import eventually

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
