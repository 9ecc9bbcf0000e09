"""Case-driven interpreter booking across the running services: a person who needs an
interpreter is registered at intake, an appointment is scheduled for them, tolken turns it into
a request, offers it, the interpreter accepts, and the assignment is published."""

import json
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from civic_common.testing.kafka import read_topic
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e
# Sint-Niklaas: a municipality no other e2e test registers people in (rapportage counts per
# municipality are asserted elsewhere).
NIS = "46021"
RARE_LANGUAGES = ["wo", "ln", "ha", "yo", "ig", "kg", "ff", "bm", "tn", "st", "rw", "rn"]


def next_weekday_at_ten(days_ahead: int) -> datetime:
    day = datetime.now(ZoneInfo("Europe/Brussels")).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo("Europe/Brussels"))


async def test_an_appointment_of_a_person_needing_an_interpreter_ends_in_an_assignment(
    system, auth, infra
):
    # A real ISO 639 code (intake checks them) that no other e2e test uses: the matcher must
    # find this test's interpreter only.
    language = random.choice(RARE_LANGUAGES)
    account = f"tolk-{language}@e2e"
    tolken, intake = system.urls["tolken"], system.urls["intake"]
    async with httpx.AsyncClient(timeout=10) as http:
        interpreter = await http.post(
            f"{tolken}/api/v1/interpreters",
            json={
                "name": "Leyla Aydın",
                "account": account,
                "tier": "certified",
                "certificate": {
                    "number": "VR-E2E-1",
                    "valid_from": "2024-01-01",
                    "valid_until": "2031-12-31",
                },
                "languages": [language],
                "modalities": ["on_site", "video"],
                "regions": ["Oost-Vlaanderen"],
                "latitude": 51.05,
                "longitude": 3.72,
                "travel_range_km": 50,
                "max_assignments_per_week": 10,
                "weekly": [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)],
            },
            headers=auth("interpreter_desk"),
        )
        assert interpreter.status_code == 201, interpreter.text
        interpreter_id = interpreter.json()["id"]

        # IN-Gent's counter registers the person, so the case is IN-Gent's and its counsellor
        # sees it.
        counsellor = auth("counsellor", "els@in-gent", organisation="in-gent")
        person = await http.post(
            f"{intake}/api/v1/persons",
            json={
                "given_name": "Nour",
                "family_name": "Haddad",
                "birth_date": "1991-03-08",
                "municipality_nis": NIS,
                "languages": [language],
                "contact_language": language,
                "interpreter_language": language,
            },
            headers=auth("counter", "lien@in-gent", organisation="in-gent"),
        )
        assert person.status_code == 201, person.text
        person_id = person.json()["id"]

        async def profile() -> bool:
            response = await http.get(
                f"{tolken}/api/v1/language-profiles/{person_id}", headers=auth("interpreter_desk")
            )
            return response.status_code == 200

        await eventually(profile, within=60)

        async def trajectory() -> str | None:
            response = await http.get(
                f"{system.urls['trajecten']}/api/v1/trajectories",
                params={"person_id": person_id},
                headers=counsellor,
            )
            found = response.json() if response.status_code == 200 else []
            return found[0]["id"] if found else None

        trajectory_id = await eventually(trajectory, within=60)
        starts_at = next_weekday_at_ten(14)
        scheduled = await http.post(
            f"{system.urls['trajecten']}/api/v1/trajectories/{trajectory_id}/appointments",
            json={
                "starts_at": starts_at.isoformat(),
                "ends_at": (starts_at + timedelta(hours=1)).isoformat(),
                "municipality_nis": NIS,
                "location": "Sint-Pietersnieuwstraat 41, Gent",
                "subject_category": "trajectbegeleiding",
            },
            headers=counsellor,
        )
        assert scheduled.status_code == 201, scheduled.text

        async def offers() -> list[dict]:
            response = await http.get(
                f"{tolken}/api/v1/offers", headers=auth("interpreter", account)
            )
            return response.json() if response.status_code == 200 else []

        [offer] = await eventually(offers, within=60)
        assert offer["language"] == language and offer["modality"] == "on_site"

        accepted = await http.post(
            f"{tolken}/api/v1/offers/{offer['id']}/acceptance",
            headers=auth("interpreter", account),
        )
        assert accepted.status_code == 200, accepted.text
        request_id = accepted.json()["id"]
        assert accepted.json()["status"] == "assigned"
        # Two weeks before it starts, the assignment cannot be completed (issue 18).
        early = await http.post(
            f"{tolken}/api/v1/requests/{request_id}/completion",
            json={"actual_minutes": 60},
            headers=auth("interpreter_desk"),
        )
        assert early.status_code == 409 and "nog niet afgerond" in early.text, early.text

    topic = f"{system.topic_prefix}tolken.requests"

    async def lifecycle() -> list[tuple[str, dict]] | None:
        records = await read_topic(infra.kafka_bootstrap, topic, 1, within=5)
        mine = [
            (dict(r.headers)["ce_type"].decode(), json.loads(r.value))
            for r in records
            if r.key.decode() == request_id
        ]
        return mine if any(t == "tolken.request.assigned.v1" for t, _ in mine) else None

    events = await eventually(lifecycle, within=60)
    assert [t for t, _ in events] == [
        "tolken.request.received.v1",
        "tolken.request.offered.v1",
        "tolken.request.accepted.v1",
        "tolken.request.assigned.v1",
    ]
    received, assigned = events[0][1], events[-1][1]
    assert received["appointment_id"] == scheduled.json()["id"]
    assert assigned["interpreter_id"] == interpreter_id
    assert assigned["language"] == language and assigned["by_desk"] is False
    assert all(
        "Haddad" not in json.dumps(data) and "Leyla" not in json.dumps(data) for _, data in events
    )

    # The person's access report (GDPR art. 15): tolken names the request about them, its
    # assignment and the interpreter who received it; trajecten the appointment.
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.get(
            f"{intake}/api/v1/persons/{person_id}/data-subject-report",
            headers=auth("admin", "dpo@agii"),
        )
    assert answer.status_code == 200, answer.text
    sections = {s["service"]: s["section"] for s in answer.json()["sections"]}
    held = {h["kind"]: h["records"] for h in sections["tolken"]["held"]}
    assert [r["id"] for r in held["requests"]] == [request_id]
    [assignment] = held["assignments"]
    assert (assignment["interpreter_name"], assignment["request_id"]) == ("Leyla Aydın", request_id)
    interpreters = [
        r for r in sections["tolken"]["recipients"] if r["channel"] == "interpreter-assignment"
    ]
    assert [r["organisation"] for r in interpreters] == ["tolk Leyla Aydın"]
    assert any(
        a["subject_type"] == "person.language_profile" and a["role"] == "interpreter_desk"
        for a in sections["tolken"]["accesses"]
    )
    meetings = {h["kind"]: h["records"] for h in sections["trajecten"]["held"]}["appointments"]
    assert [m["id"] for m in meetings] == [scheduled.json()["id"]]
