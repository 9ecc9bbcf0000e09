"""No double booking under concurrency: the database decides (an exclusion constraint on the
interpreter's busy time and a unique live assignment per request), proven with many accepts
racing against the real Postgres."""

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tolken.adapters.registry import AssignmentRepository, RequestRepository

pytestmark = pytest.mark.integration

RACERS = 12


async def test_many_concurrent_accepts_book_an_interpreter_once_for_overlapping_time(
    client, auth, lang, org, add_interpreter, request_body, slot, tolken
):
    interpreter = await add_interpreter(lang, account=f"racer-{lang}")
    start, end = slot(days_ahead=40, hour=10)
    # Requests for the same hour, each offered to the only interpreter.
    created = []
    for _ in range(RACERS):
        body = request_body(lang, org, starts_at=start, ends_at=end, modality="on_site")
        response = await client.post(
            "/api/v1/requests", json=body, headers=auth("interpreter_desk")
        )
        created.append(response.json()["id"])
    async with tolken.engine.connect() as conn:
        offers = list(
            (
                await conn.execute(
                    text(
                        "SELECT id FROM tolken.offers"
                        " WHERE interpreter_id = :i AND status = 'pending'"
                    ),
                    {"i": interpreter},
                )
            ).scalars()
        )
    assert len(offers) == RACERS

    who = auth("interpreter", f"racer-{lang}")
    answers = await asyncio.gather(
        *(client.post(f"/api/v1/offers/{offer}/acceptance", headers=who) for offer in offers)
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * (RACERS - 1), [
        a.text for a in answers if a.status_code not in (200, 409)
    ]
    assert any("al geboekt" in a.json()["detail"] for a in answers if a.status_code == 409)
    async with tolken.engine.connect() as conn:
        live = await conn.scalar(
            text(
                "SELECT count(*) FROM tolken.assignments"
                " WHERE interpreter_id = :i AND released_at IS NULL"
            ),
            {"i": interpreter},
        )
        assigned = await conn.scalar(
            text(
                "SELECT count(*) FROM tolken.requests WHERE id = ANY(:ids) AND status = 'assigned'"
            ),
            {"ids": [uuid.UUID(c) for c in created]},
        )
    assert (live, assigned) == (1, 1)


async def test_many_concurrent_desk_assignments_assign_a_request_once(
    client, auth, lang, org, add_interpreter, request_body, tolken
):
    interpreters = [await add_interpreter(lang) for _ in range(RACERS)]
    created = (
        await client.post(
            "/api/v1/requests", json=request_body(lang, org), headers=auth("interpreter_desk")
        )
    ).json()
    path = f"/api/v1/requests/{created['id']}/assignment"
    answers = await asyncio.gather(
        *(
            client.post(path, json={"interpreter_id": i}, headers=auth("interpreter_desk"))
            for i in interpreters
        )
    )
    assert sorted(a.status_code for a in answers) == [200] + [409] * (RACERS - 1)
    async with tolken.engine.connect() as conn:
        assert (
            await conn.scalar(
                text(
                    "SELECT count(*) FROM tolken.assignments"
                    " WHERE request_id = :r AND released_at IS NULL"
                ),
                {"r": created["id"]},
            )
            == 1
        )


async def test_the_constraints_hold_even_for_writers_that_skip_every_check(
    client, auth, lang, org, add_interpreter, request_body, tolken
):
    """Straight inserts, no lock and no status check: only the database stands in the way."""
    interpreters = [uuid.UUID(await add_interpreter(lang)) for _ in range(RACERS)]
    lone = uuid.UUID(await add_interpreter(lang))
    created = (
        await client.post(
            "/api/v1/requests", json=request_body(lang, org), headers=auth("interpreter_desk")
        )
    ).json()
    others = [
        (
            await client.post(
                "/api/v1/requests", json=request_body(lang, org), headers=auth("interpreter_desk")
            )
        ).json()
        for _ in range(RACERS)
    ]

    async def insert(request_id: str, interpreter_id: uuid.UUID) -> bool:
        async with tolken.sessionmaker() as session:
            request = await RequestRepository(session).get(uuid.UUID(request_id))
            assert request is not None and request.starts_at and request.ends_at
            try:
                await AssignmentRepository(session).add(
                    uuid.uuid4(),
                    request,
                    interpreter_id,
                    (request.starts_at, request.ends_at),
                    False,
                )
                await session.commit()
                return True
            except IntegrityError:
                return False

    # One request, many interpreters at once: one live assignment.
    same_request = await asyncio.gather(*(insert(created["id"], i) for i in interpreters))
    assert sum(same_request) == 1
    # Many overlapping requests, one interpreter at once: one booking.
    same_interpreter = await asyncio.gather(*(insert(o["id"], lone) for o in others))
    assert sum(same_interpreter) == 1
