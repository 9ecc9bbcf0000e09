"""tolken's matching and desk-booking rules through the running system (issue 18): the desk
submits requests and books over HTTP with role tokens, the running tolken api matches them
against the registry in Postgres. Each test uses a language no other e2e test registers an
interpreter for, so the matcher weighs this test's interpreters only."""

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

pytestmark = pytest.mark.e2e
BRUSSELS = ZoneInfo("Europe/Brussels")
# Municipalities no other e2e test uses: Kortrijk (West-Vlaanderen), Bocholt (Limburg).
KORTRIJK, BOCHOLT = "34022", "72003"
WEEKDAYS = [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)]


def weekday_at_ten(days_ahead: int) -> datetime:
    day = datetime.now(BRUSSELS).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, tzinfo=BRUSSELS)


def interpreter(language: str, name: str, **fields: object) -> dict:
    """A registry entry that fits a weekday video or on-site request in West-Vlaanderen;
    ``fields`` change what a test is about."""
    return {
        "name": name,
        "tier": "aspirant",
        "languages": [language],
        "modalities": ["on_site", "video"],
        "regions": ["West-Vlaanderen"],
        "latitude": 51.2093,
        "longitude": 3.2247,
        "travel_range_km": 40,
        "max_assignments_per_week": 10,
        "weekly": WEEKDAYS,
    } | fields


def interpreting(language: str, starts_at: datetime, **fields: object) -> dict:
    return {
        "organisation": "in-gent",
        "language": language,
        "modality": "video",
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=1)).isoformat(),
        "subject_category": "algemeen",
    } | fields


class Desk:
    """The interpreter desk on the running tolken api."""

    def __init__(self, http: httpx.AsyncClient, url: str, auth: Callable[..., dict]) -> None:
        self.http, self.url, self.headers = http, url, auth("interpreter_desk", "desk@agii")

    async def register(self, body: dict) -> str:
        answer = await self.http.post(
            f"{self.url}/api/v1/interpreters", json=body, headers=self.headers
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    async def submit(self, body: dict) -> str:
        answer = await self.http.post(
            f"{self.url}/api/v1/requests", json=body, headers=self.headers
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    async def queued(self, language: str, request_id: str) -> dict:
        """The request's item in the desk's queue: who it is offered to, who else fits."""
        answer = await self.http.get(
            f"{self.url}/api/v1/requests", params={"language": language}, headers=self.headers
        )
        assert answer.status_code == 200, answer.text
        [item] = [i for i in answer.json() if i["request"]["id"] == request_id]
        return item

    async def request(self, request_id: str) -> dict:
        answer = await self.http.get(
            f"{self.url}/api/v1/requests/{request_id}", headers=self.headers
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def book(self, request_id: str, interpreter_id: str, **reason: str) -> httpx.Response:
        return await self.http.post(
            f"{self.url}/api/v1/requests/{request_id}/assignment",
            json={"interpreter_id": interpreter_id} | reason,
            headers=self.headers,
        )


async def test_an_interpreter_outside_the_region_of_an_on_site_request_is_not_offered(system, auth):
    language = "sm"
    async with httpx.AsyncClient(timeout=10) as http:
        desk = Desk(http, system.urls["tolken"], auth)
        # At the place tolken uses for Kortrijk (its province centre) and closer than the other
        # one, so only the region can keep this one out.
        elsewhere = await desk.register(
            interpreter(language, "Tala Faleolo", regions=["Limburg"], travel_range_km=60)
        )
        inside = await desk.register(interpreter(language, "Sina Tuilagi", latitude=51.1))
        request_id = await desk.submit(
            interpreting(
                language, weekday_at_ten(10), modality="on_site", municipality_nis=KORTRIJK
            )
        )
        item = await desk.queued(language, request_id)
        assert item["request"]["status"] == "offered"
        assert item["offered_to"] == inside, "the interpreter working in West-Vlaanderen is asked"
        assert item["proposals"] == [], f"{elsewhere} works in Limburg only: not a candidate"

        # A video request has no place: there the region does not matter, both are candidates.
        video = await desk.queued(
            language, await desk.submit(interpreting(language, weekday_at_ten(11)))
        )
        candidates = {video["offered_to"], *(p["interpreter_id"] for p in video["proposals"])}
        assert candidates == {elsewhere, inside}


async def test_the_better_tier_ranks_first_between_otherwise_equal_interpreters(system, auth):
    language = "fj"
    async with httpx.AsyncClient(timeout=10) as http:
        desk = Desk(http, system.urls["tolken"], auth)
        # Received before anyone speaks the language: nobody is offered it, and the queue shows
        # the live ranking of everyone who fits, with scores.
        waiting = await desk.submit(interpreting(language, weekday_at_ten(10)))
        aspirant = await desk.register(interpreter(language, "Litia Naivalu"))
        certified = await desk.register(
            interpreter(
                language,
                "Mere Vakaloloma",
                tier="certified",
                certificate={
                    "number": "VR-E2E-TIER",
                    "valid_from": "2024-01-01",
                    "valid_until": "2031-12-31",
                },
            )
        )
        item = await desk.queued(language, waiting)
        assert item["offered_to"] is None
        ranked = [(p["interpreter_id"], p["score"]) for p in item["proposals"]]
        assert [i for i, _ in ranked] == [certified, aspirant], ranked
        assert ranked[0][1] > ranked[1][1], "the tier alone tells them apart"
        assert "gecertificeerd" in item["proposals"][0]["why"]
        assert "aspirant-tolk" in item["proposals"][1]["why"]

        # A new request goes to the better tier first.
        offered = await desk.submit(interpreting(language, weekday_at_ten(11)))
        item = await desk.queued(language, offered)
        assert item["offered_to"] == certified
        assert [p["interpreter_id"] for p in item["proposals"]] == [aspirant]


async def test_the_desk_cannot_book_an_interpreter_on_leave(system, auth):
    language = "mi"
    starts_at = weekday_at_ten(10)
    day = starts_at.date()
    async with httpx.AsyncClient(timeout=10) as http:
        desk = Desk(http, system.urls["tolken"], auth)
        away = await desk.register(
            interpreter(
                language,
                "Aroha Ngata",
                leave=[
                    {
                        "first_day": (day - timedelta(days=1)).isoformat(),
                        "last_day": (day + timedelta(days=1)).isoformat(),
                    }
                ],
            )
        )
        request_id = await desk.submit(interpreting(language, starts_at))
        item = await desk.queued(language, request_id)
        assert (item["offered_to"], item["proposals"]) == (None, []), "not offered while on leave"

        for attempt in ({}, {"reason": "telefonisch afgesproken met de tolk"}):
            refused = await desk.book(request_id, away, **attempt)
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert "met verlof" in refused.json()["detail"], refused.text

        after = await desk.request(request_id)
        assert (after["status"], after["interpreter_id"]) == ("received", None), "nothing booked"


async def test_a_desk_override_past_the_weekly_pattern_and_regions_needs_a_reason(system, auth):
    language = "ty"
    async with httpx.AsyncClient(timeout=10) as http:
        desk = Desk(http, system.urls["tolken"], auth)
        # Works in Antwerpen on Saturdays only; the request is on a weekday in Limburg, within
        # the interpreter's travel range.
        weekend = await desk.register(
            interpreter(
                language,
                "Hinano Teriierooiterai",
                regions=["Antwerpen"],
                latitude=51.0,
                longitude=5.2,
                weekly=[{"weekday": 5, "start": "08:00", "end": "18:00"}],
            )
        )
        request_id = await desk.submit(
            interpreting(language, weekday_at_ten(10), modality="on_site", municipality_nis=BOCHOLT)
        )
        assert (await desk.queued(language, request_id))["proposals"] == []

        refused = await desk.book(request_id, weekend)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["title"] == "Reden vereist"
        assert [e["field"] for e in problem["errors"]] == ["reason"]
        assert (
            "niet beschikbaar" in problem["detail"] and "werkt niet in Limburg" in problem["detail"]
        )
        blank = await desk.book(request_id, weekend, reason="   ")
        assert blank.status_code == 422, blank.text
        unbooked = await desk.request(request_id)
        assert (unbooked["status"], unbooked["interpreter_id"]) == ("received", None)

        reason = "vaste tolk van dit gezin, komt uitzonderlijk"
        booked = await desk.book(request_id, weekend, reason=reason)
        assert booked.status_code == 200, booked.text
        assert (booked.json()["status"], booked.json()["interpreter_id"]) == ("assigned", weekend)

        audit = await http.get(
            f"{system.urls['tolken']}/api/v1/audit",
            params={"subject_id": request_id},
            headers=auth("admin", "dpo@agii"),
        )
        assert audit.status_code == 200, audit.text
        [entry] = [e for e in audit.json()["items"] if e["action"] == "assign"]
        assert entry["actor"] == "desk@agii" and entry["role"] == "interpreter_desk"
        assert entry["purpose"].endswith(f"reden: {reason}"), entry
        assert "werkt niet in Limburg" in entry["purpose"], entry
