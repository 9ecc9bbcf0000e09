"""A person registered at intake becomes a trajectory, a language profile and a count — across
four services, over real Kafka and Postgres, with every process running."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from civic_common.events.contracts import PersonRegistered
from civic_common.events.envelope import Envelope
from civic_common.testing.kafka import read_topic
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e


def person(municipality_nis: str) -> dict[str, object]:
    return {
        "given_name": "Yusuf",
        "family_name": "Demir",
        "birth_date": "1987-09-14",
        "municipality_nis": municipality_nis,
        "languages": ["tr"],
        "contact_language": "tr",
        "interpreter_language": "tr",
        # Registered more than once on purpose (each time someone else to intake, who would
        # otherwise answer 409 with the earlier registrations as likely duplicates).
        "confirm_new_person": True,
    }


async def register(http: httpx.AsyncClient, system, auth, municipality_nis: str) -> str:
    response = await http.post(
        f"{system.urls['intake']}/api/v1/persons",
        json=person(municipality_nis),
        headers=auth("counter"),
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def trajectories(http, system, auth, person_id: str) -> list[dict]:
    response = await http.get(
        f"{system.urls['trajecten']}/api/v1/trajectories",
        params={"person_id": person_id},
        headers=auth("counsellor"),
    )
    return response.json()


async def counts(http, system, auth, municipality_nis: str) -> dict | None:
    month = datetime.now(UTC).strftime("%Y-%m")
    response = await http.get(
        f"{system.urls['rapportage']}/api/v1/reports/monthly-counts",
        params={"from_month": month, "to_month": month, "municipality_nis": municipality_nis},
        headers=auth("analyst"),
    )
    rows = response.json()
    return rows[0] if rows else None


async def test_a_registered_person_flows_through_all_four_services(system, auth):
    async with httpx.AsyncClient(timeout=10) as http:
        person_id = await register(http, system, auth, "44021")

        opened = await eventually(lambda: trajectories(http, system, auth, person_id), within=60)
        assert opened[0]["kind"] == "inburgeringstraject"

        async def profile():
            response = await http.get(
                f"{system.urls['tolken']}/api/v1/language-profiles/{person_id}",
                headers=auth("interpreter_desk"),
            )
            return response.json() if response.status_code == 200 else None

        assert (await eventually(profile, within=60))["interpreter_language"] == "tr"

        async def both_counted():
            row = await counts(http, system, auth, "44021")
            return row if row and row["trajectories_opened"] == 1 else None

        row = await eventually(both_counted, within=60)
        assert (row["intakes"], row["trajectories_opened"]) == (1, 1)


async def test_poison_is_dead_lettered_and_redeliveries_change_nothing(system, auth, infra):
    topic = f"{system.topic_prefix}intake.persons"
    async with httpx.AsyncClient(timeout=10) as http:
        first = await register(http, system, auth, "11002")

        async def counted_once():
            row = await counts(http, system, auth, "11002")
            return row if row and row["trajectories_opened"] == 1 else None

        await eventually(counted_once, within=60)
        [original] = [
            r for r in await read_topic(infra.kafka_bootstrap, topic, 2) if r.key.decode() == first
        ]

        # On the same partition as the original: garbage, the original again, then a marker.
        marker = uuid.uuid4()
        marker_event = PersonRegistered(
            person_id=marker,
            registered_at=datetime.now(UTC),
            municipality_nis="21004",
            agency="agii",  # the agency of the test's staff, so its counsellor sees the case
        )
        marker_envelope = Envelope(
            type=marker_event.event_type,
            source="/civic/e2e",
            partitionkey=first,
            sequence=1,
            data=marker_event.model_dump(mode="json"),
        )
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            key = first.encode()
            await producer.send_and_wait(
                topic, b"\x00garbage", key=key, headers=[("ce_specversion", b"1.0")]
            )
            await producer.send_and_wait(
                topic, original.value, key=key, headers=list(original.headers)
            )
            await producer.send_and_wait(
                topic,
                marker_envelope.value(),
                key=key,
                headers=[(k, v.encode()) for k, v in marker_envelope.headers().items()],
            )
        finally:
            await producer.stop()

        # The consumers carried on past the poison: the marker arrives everywhere.
        await eventually(lambda: trajectories(http, system, auth, str(marker)), within=60)

        async def marker_counted():
            row = await counts(http, system, auth, "21004")
            return row if row and row["trajectories_opened"] == 1 else None

        await eventually(marker_counted, within=60)

        # The redelivered original changed nothing.
        assert len(await trajectories(http, system, auth, first)) == 1
        row = await counts(http, system, auth, "11002")
        assert (row["intakes"], row["trajectories_opened"]) == (1, 1)

    for service in ("trajecten", "tolken", "rapportage"):
        topic = f"{system.topic_prefix}{service}.deadletter"

        async def parked(topic: str = topic) -> list:  # ours: other tests park records there too
            everything = await read_topic(infra.kafka_bootstrap, topic, 10**6, within=3)
            return [r for r in everything if r.key == first.encode()]

        dead = await eventually(parked, within=30)
        assert [r.value for r in dead] == [b"\x00garbage"], service
        assert b"invalid envelope" in dict(dead[0].headers)["dlq_reason"]
