"""Fixtures of tolken's tests: the API in process on the run's database, and a registry.

Every test draws its own language code and organisation, so matching in one test never sees
another test's interpreters in the shared run database."""

import random
import string
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from tolken.main import build_app

BRUSSELS = ZoneInfo("Europe/Brussels")


def make_slot(days_ahead: int = 14, hour: int = 10, minutes: int = 60) -> tuple[str, str]:
    """A weekday slot in Brussels time, ``days_ahead`` days or a little later (not a weekend)."""
    day = datetime.now(BRUSSELS).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    start = datetime(day.year, day.month, day.day, hour, tzinfo=BRUSSELS)
    return start.isoformat(), (start + timedelta(minutes=minutes)).isoformat()


_USED_LANGUAGES: set[str] = {"nld"}  # Dutch is never the language interpreted into


@pytest.fixture
def lang() -> str:
    """A language code no other test of this run uses: every test's interpreters live in the
    same database, and one test's interpreter must never be a candidate in another's matching."""
    while (code := "".join(random.choices(string.ascii_lowercase, k=3))) in _USED_LANGUAGES:
        pass
    _USED_LANGUAGES.add(code)
    return code


@pytest.fixture
def org() -> str:
    return "org-" + "".join(random.choices(string.ascii_lowercase, k=8))


@pytest.fixture
async def tolken(runtime_for):
    return runtime_for("tolken")


@pytest.fixture
async def client(tolken):
    app = build_app(tolken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tolken") as http:
        yield http


def make_interpreter_body(lang: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Samira El Idrissi",
        "tier": "certified",
        "certificate": {
            "number": "VR-2024-117",
            "valid_from": "2024-01-01",
            "valid_until": "2030-12-31",
        },
        "languages": [lang],
        "modalities": ["on_site", "phone", "video"],
        "regions": ["Oost-Vlaanderen"],
        "latitude": 51.05,
        "longitude": 3.72,
        "travel_range_km": 60,
        "max_assignments_per_week": 20,
        "weekly": [{"weekday": d, "start": "07:00", "end": "20:00"} for d in range(5)],
    } | changes


@pytest.fixture
def add_interpreter(client, auth) -> Callable[..., Awaitable[str]]:
    async def add(lang: str, **changes: Any) -> str:
        response = await client.post(
            "/api/v1/interpreters",
            json=make_interpreter_body(lang, **changes),
            headers=auth("interpreter_desk"),
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    return add


def make_request_body(lang: str, organisation: str | None = None, **changes: Any) -> dict[str, Any]:
    starts_at, ends_at = make_slot()
    body = {
        "language": lang,
        "modality": "on_site",
        "starts_at": starts_at,
        "ends_at": ends_at,
        "municipality_nis": "44021",
        "address": "Sint-Pietersnieuwstraat 1, Gent",
        "subject_category": "welzijn",
    } | changes
    if organisation is not None:
        body["organisation"] = organisation
    return body


@pytest.fixture
def events(tolken) -> Callable[[str], Awaitable[list[str]]]:
    """The event types waiting in the outbox for one aggregate, in order."""

    async def of(key: str) -> list[str]:
        async with tolken.engine.connect() as conn:
            return list(
                (
                    await conn.execute(
                        text(
                            "SELECT event_type FROM tolken.outbox"
                            " WHERE partition_key = :k ORDER BY id"
                        ),
                        {"k": key},
                    )
                ).scalars()
            )

    return of


@pytest.fixture
def slot() -> Callable[..., tuple[str, str]]:
    return make_slot


@pytest.fixture
def interpreter_body() -> Callable[..., dict[str, Any]]:
    return make_interpreter_body


@pytest.fixture
def request_body() -> Callable[..., dict[str, Any]]:
    return make_request_body
