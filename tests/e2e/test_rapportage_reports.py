"""A historical CSV and a live training both reach the answer to question 321, with every
process running: the import goes out through rapportage's outbox and comes back through its
worker, the live snapshot arrives on trajecten's topic."""

import uuid
from datetime import date
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from civic_common.events.contracts.reporting import ParticipatingOrganisation, Session
from civic_common.events.contracts.trajecten import TrainingRecorded
from civic_common.events.envelope import Envelope
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e


def historical_csv(agency: str) -> bytes:
    return (
        "jaar;agentschap;regio;thema;aantal;kostprijs_eur;personeelsuren\n"
        f"2016;{agency};Regio Antwerpen;Duidelijke taal;110;1000;0\n"
        f"2016;{agency};Regio Limburg;Duidelijke taal;77;500;0\n"
        f"2017;{agency};Mars;Duidelijke taal;1;0;0\n"
    ).encode()


async def publish_live_training(bootstrap: str, prefix: str, agency: str) -> None:
    training = TrainingRecorded(
        training_id=uuid.uuid4(),
        agencies=[agency],
        offer="custom",
        theme="Meertaligheid",
        title="Meertaligheid in de kinderopvang",
        region="Limburg",
        status="held",
        sessions=[Session(held_on=date(2020, 10, 6), half_days=2)],
        participating_organisations=[
            ParticipatingOrganisation(
                name="Gemeente Bree", organisation_type="local_government", participants=9
            )
        ],
        staff_hours=Decimal(8),
    )
    envelope = Envelope(
        type=training.event_type,
        source="/civic/e2e",
        partitionkey=str(training.training_id),
        sequence=1,
        data=training.model_dump(mode="json"),
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            f"{prefix}{training.topic}",
            envelope.value(),
            key=envelope.partitionkey.encode(),
            headers=[(k, v.encode()) for k, v in envelope.headers().items()],
        )
    finally:
        await producer.stop()


async def test_the_321_answer_includes_imported_history_and_live_registrations(system, auth, infra):
    agency = f"E2E-{uuid.uuid4().hex[:6]}"
    url = system.urls["rapportage"]
    async with httpx.AsyncClient(timeout=10) as http:
        imported = await http.post(
            f"{url}/api/v1/imports/trainings",
            files={"file": ("historiek.csv", historical_csv(agency), "text/csv")},
            headers=auth("analyst"),
        )
        assert imported.status_code == 200, imported.text
        assert imported.json()["imported"] == 2
        assert imported.json()["rejected"][0]["line"] == 4

        await publish_live_training(infra.kafka_bootstrap, system.topic_prefix, agency)

        async def both_counted() -> dict | None:
            response = await http.get(
                f"{url}/api/v1/answers/321",
                params={"agency": agency, "from_year": 2016, "to_year": 2020},
                headers=auth("analyst"),
            )
            per_year = {r["year"]: r["trainings"] for r in response.json()["tables"][0]["rows"]}
            return response.json() if per_year["2016"] == 187 and per_year["2020"] == 1 else None

        answer = await eventually(both_counted, within=90)
    tables = answer["tables"]
    assert tables[0]["rows"][0] == {"year": "2016", "trainings": 187}
    regions = {r["label"]: r for r in tables[3]["rows"]}
    assert regions["Regio Antwerpen"]["2016"] == 110
    assert regions["Regio Limburg"]["2020"] == 1
    details = tables[2]["rows"]
    live = next(r for r in details if r["source"] == "registratie")
    assert live["local_government_participants"] == 9
    assert {r["source"] for r in details} == {"registratie", "historisch"}
