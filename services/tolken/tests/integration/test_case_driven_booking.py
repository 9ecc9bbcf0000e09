"""Case-driven booking: an appointment for a person who needs an interpreter becomes a request,
offered first to the interpreter who served the person before. Applied through the inbox
consumer, as the worker applies it."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from civic_common.consumer import InboxConsumer, Record
from civic_common.events.contracts import PersonRegistered
from civic_common.events.contracts.intake import PersonCorrected, PersonErased
from civic_common.events.contracts.trajecten import AppointmentScheduled
from civic_common.events.envelope import Envelope
from tolken.app.booking import appointment_handler
from tolken.app.profiles import on_person_erased, on_person_registered
from tolken.settings import TolkenSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def deliver(tolken, topic_prefix):
    consumer = InboxConsumer(
        "tolken",
        tolken.uow,
        {
            PersonRegistered: on_person_registered,
            PersonCorrected: on_person_registered,
            PersonErased: on_person_erased,
            AppointmentScheduled: appointment_handler(TolkenSettings().policy()),
        },
        topic_prefix,
    )

    async def send(event, key) -> str:
        envelope = Envelope(
            type=event.event_type,
            source="/civic/test",
            partitionkey=str(key),
            sequence=1,
            data=event.model_dump(mode="json"),
        )
        return await consumer.handle(
            Record(
                topic=topic_prefix + event.topic,
                partition=0,
                offset=0,
                key=str(key).encode(),
                value=envelope.value(),
                headers={k: v.encode() for k, v in envelope.headers().items()},
            )
        )

    return send


def appointment(person_id, slot, organisation, location="Zuid 1, Gent"):
    starts_at, ends_at = slot(days_ahead=20)
    return AppointmentScheduled(
        appointment_id=uuid.uuid4(),
        trajectory_id=uuid.uuid4(),
        person_id=person_id,
        starts_at=datetime.fromisoformat(starts_at),
        ends_at=datetime.fromisoformat(ends_at),
        municipality_nis="44021",
        location=location,
        organisation=organisation,
        subject_category="trajectbegeleiding",
    )


async def requests_for(tolken, person_id):
    async with tolken.engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT r.id, r.language, r.modality, r.status, o.interpreter_id"
                    " FROM tolken.requests r LEFT JOIN tolken.offers o"
                    " ON o.request_id = r.id AND o.status = 'pending'"
                    " WHERE r.person_id = :p ORDER BY r.received_at"
                ),
                {"p": person_id},
            )
        ).all()


async def test_an_appointment_of_a_person_needing_an_interpreter_books_one_once(
    deliver, tolken, lang, org, slot, add_interpreter, client, auth
):
    interpreter = await add_interpreter(lang)
    person = uuid.uuid4()
    await deliver(
        PersonRegistered(
            person_id=person,
            registered_at=datetime.now(UTC),
            municipality_nis="44021",
            languages=[lang],
            interpreter_language=lang,
        ),
        person,
    )
    event = appointment(person, slot, org)
    assert await deliver(event, event.trajectory_id) == "applied"
    [row] = await requests_for(tolken, person)
    assert (row.language, row.modality, row.status) == (lang, "on_site", "offered")
    assert row.interpreter_id == uuid.UUID(interpreter)

    # The same appointment again under a new event id: still one request.
    again = event.model_copy()
    assert await deliver(again, event.trajectory_id) == "applied"
    assert len(await requests_for(tolken, person)) == 1


async def test_the_interpreter_who_served_the_person_before_is_asked_first(
    deliver, tolken, lang, org, slot, add_interpreter, client, auth
):
    person = uuid.uuid4()
    await deliver(
        PersonRegistered(
            person_id=person,
            registered_at=datetime.now(UTC),
            municipality_nis="44021",
            interpreter_language=lang,
        ),
        person,
    )
    await add_interpreter(lang, latitude=51.05, longitude=3.72, account=f"near-{lang}")
    familiar = await add_interpreter(lang, latitude=51.2, longitude=4.4)
    first = appointment(person, slot, org, location=None)
    await deliver(first, first.trajectory_id)
    [row] = await requests_for(tolken, person)
    assert row.modality == "video", "an appointment without a place is by video"
    assigned = await client.post(
        f"/api/v1/requests/{row.id}/assignment",
        json={"interpreter_id": familiar},
        headers=auth("interpreter_desk"),
    )
    assert assigned.status_code == 200, assigned.text

    # Later the same day, on site: far enough after the first for the travel buffer.
    second = appointment(person, slot, org)
    second = second.model_copy(
        update={
            "starts_at": second.ends_at + timedelta(hours=1),
            "ends_at": second.ends_at + timedelta(hours=2),
        }
    )
    await deliver(second, second.trajectory_id)
    rows = await requests_for(tolken, person)
    assert rows[-1].interpreter_id == uuid.UUID(familiar), "continuity beats distance"


async def test_an_appointment_of_a_person_without_interpreter_need_books_nothing(
    deliver, tolken, lang, org, slot
):
    person = uuid.uuid4()
    await deliver(
        PersonRegistered(
            person_id=person, registered_at=datetime.now(UTC), municipality_nis="44021"
        ),
        person,
    )
    event = appointment(person, slot, org)
    assert await deliver(event, event.trajectory_id) == "applied"
    assert await requests_for(tolken, person) == []


async def test_a_corrected_need_books_and_an_erased_person_is_unlinked(
    deliver, tolken, lang, org, slot, add_interpreter, client, auth
):
    await add_interpreter(lang)
    person = uuid.uuid4()
    now = datetime.now(UTC)
    await deliver(
        PersonRegistered(person_id=person, registered_at=now, municipality_nis="44021"), person
    )
    await deliver(
        PersonCorrected(
            person_id=person,
            corrected_at=now,
            changed_fields=["interpreter_language"],
            municipality_nis="44021",
            interpreter_language=lang,
        ),
        person,
    )
    event = appointment(person, slot, org)
    await deliver(event, event.trajectory_id)
    [row] = await requests_for(tolken, person)
    assert row.language == lang

    await deliver(PersonErased(person_id=person, erased_at=now), person)
    assert await requests_for(tolken, person) == []
    profile = await client.get(
        f"/api/v1/language-profiles/{person}", headers=auth("interpreter_desk")
    )
    assert profile.status_code == 404
    request = await client.get(f"/api/v1/requests/{row.id}", headers=auth("interpreter_desk"))
    assert request.json()["person_id"] is None and request.json()["status"] == "offered"


async def test_the_persons_preferred_modality_is_booked_when_the_appointment_allows(
    deliver, tolken, lang, org, slot, add_interpreter
):
    await add_interpreter(lang)
    person = uuid.uuid4()
    await deliver(
        PersonRegistered(
            person_id=person,
            registered_at=datetime.now(UTC),
            municipality_nis="44021",
            languages=[lang],
            interpreter_language=lang,
            interpreter_modality="phone",
        ),
        person,
    )
    event = appointment(person, slot, org)  # with a place, yet the person prefers the phone
    assert await deliver(event, event.trajectory_id) == "applied"
    [row] = await requests_for(tolken, person)
    assert row.modality == "phone"


async def test_an_appointment_in_a_municipality_no_province_holds_is_dead_lettered(
    deliver, tolken, lang, org, slot, add_interpreter
):
    """The contract allows any five digits; the worker parks what it cannot place and goes on."""
    await add_interpreter(lang)
    person = uuid.uuid4()
    await deliver(
        PersonRegistered(
            person_id=person,
            registered_at=datetime.now(UTC),
            municipality_nis="44021",
            interpreter_language=lang,
        ),
        person,
    )
    nowhere = appointment(person, slot, org).model_copy(update={"municipality_nis": "00000"})
    assert await deliver(nowhere, nowhere.trajectory_id) == "deadlettered"
    assert await requests_for(tolken, person) == []
    async with tolken.engine.connect() as conn:
        reason = (
            await conn.execute(
                text(
                    "SELECT headers->>'dlq_reason' FROM tolken.outbox"
                    " WHERE event_type = 'deadletter' ORDER BY created_at DESC LIMIT 1"
                )
            )
        ).scalar_one()
    assert "no known province" in reason

    # The next appointment is applied: the partition goes on.
    placed = appointment(person, slot, org)
    assert await deliver(placed, placed.trajectory_id) == "applied"
    assert len(await requests_for(tolken, person)) == 1
