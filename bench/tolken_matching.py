"""Match 10,000 interpreting requests against 2,000 interpreters.

Tolken's matcher (``tolken.domain.matching.rank``: every hard constraint, then the score and its
reasons) runs on the registry loaded once (the load is timed too), indexed by language and
modality as the service's query filters. The baseline is a plain SQL candidate query per request
with the same hard constraints and score, against the same data in the same Postgres, in the same
process; at about 15 requests a second it runs on the first ``--baseline-sample`` requests (all
with ``--baseline-sample 10000``: some ten minutes). Both run on a database of their own (created
and dropped here). Both must pick the same best candidate; the last line is the ratio of rates.

    .venv/bin/python bench/tolken_matching.py [--requests 10000] [--interpreters 2000]
        [--baseline-sample 1000]
"""

import argparse
import asyncio
import random
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import Range, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from civic_common.db.migrate import upgrade
from civic_common.settings import ServiceSettings
from civic_common.testing.infra import test_infra
from civic_common.testing.plugin import isolated_environment
from tolken.adapters.registry import interpreter_of, interpreter_values, request_values
from tolken.adapters.tables import assignments, interpreters, requests
from tolken.domain.interpreters import (
    BRUSSELS,
    Certificate,
    Interpreter,
    Leave,
    Modality,
    Relation,
    Tier,
    WeeklyWindow,
    place_of_municipality,
)
from tolken.domain.matching import Booking, Situation, busy_range, rank
from tolken.domain.policy import Policy
from tolken.domain.requests import Kind, Place, Request, Status
from tolken.main import SERVICE

LANGUAGES = "ar tr prs ps ru uk fa so ti am ro bg pl es pt fr en zh vi ku sq sr ur bn hi".split()
NIS = ["11002", "21004", "23062", "24062", "31005", "41002", "44021", "46021", "71016", "72003"]
ORGANISATIONS = [f"org-{n}" for n in range(30)]
POLICY = Policy()
rng = random.Random(20261122)
REPO = Path(__file__).resolve().parents[1]


def horizon_start() -> date:
    today = datetime.now(BRUSSELS).date()
    return today + timedelta(days=7 - today.weekday())  # next Monday


def working_days(first: date, weeks: int) -> list[date]:
    return [first + timedelta(days=d) for d in range(weeks * 7) if d % 7 < 5]


def make_interpreter() -> Interpreter:
    tier = rng.choices(list(Tier), weights=[40, 35, 25])[0]
    cert = None
    if tier is Tier.CERTIFIED:
        until = date.today() + timedelta(days=rng.randint(-60, 900))  # some lapse in the horizon
        cert = Certificate(f"VR-{rng.randint(1000, 9999)}", date(2022, 1, 1), until)
    days = rng.sample(range(5), rng.randint(3, 5))
    hours = rng.choice([(8, 17), (9, 13), (12, 20), (7, 19)])
    first = horizon_start()
    leave = ()
    if rng.random() < 0.1:
        start = first + timedelta(days=rng.randint(0, 20))
        leave = (Leave(start, start + timedelta(days=6)),)
    return Interpreter(
        id=uuid.uuid4(),
        name=f"Tolk {rng.randint(1, 10**6)}",
        tier=tier,
        languages=frozenset(
            rng.sample(LANGUAGES[:12] if rng.random() < 0.7 else LANGUAGES, rng.randint(1, 3))
        ),
        modalities=frozenset(rng.sample(list(Modality), rng.randint(1, 3))),
        regions=frozenset(),
        latitude=rng.uniform(50.7, 51.4),
        longitude=rng.uniform(2.6, 5.9),
        travel_range_km=rng.choice([20, 40, 60, 80]),
        max_assignments_per_week=rng.randint(3, 15),
        certificate=cert,
        weekly=tuple(WeeklyWindow(d, clock(hours[0]), clock(hours[1])) for d in sorted(days)),
        leave=leave,
        organisations={
            rng.choice(ORGANISATIONS): rng.choice(list(Relation)) for _ in range(rng.randint(0, 2))
        },
    )


def make_request(days: list[date], persons: list[uuid.UUID]) -> Request:
    day = rng.choice(days)
    start = datetime.combine(day, clock(rng.randint(8, 16)), BRUSSELS)
    nis = rng.choice(NIS)
    region, lat, lon = place_of_municipality(nis)
    return Request(
        id=uuid.uuid4(),
        kind=Kind.INTERPRETING,
        organisation=rng.choice(ORGANISATIONS),
        language=rng.choice(LANGUAGES[:12] if rng.random() < 0.8 else LANGUAGES),
        subject_category=rng.choice(sorted(POLICY.subjects)),
        urgent=rng.random() < 0.1,
        received_at=datetime.now(UTC),
        modality=rng.choice(list(Modality)),
        starts_at=start.astimezone(UTC),
        ends_at=(start + timedelta(minutes=rng.choice([60, 90, 120]))).astimezone(UTC),
        place=Place(nis, None, lat + rng.uniform(-0.1, 0.1), lon + rng.uniform(-0.1, 0.1), region),
        person_id=rng.choice(persons) if rng.random() < 0.5 else None,
    )


async def seed(
    session: AsyncSession, registry: list[Interpreter], days: list[date], persons: list[uuid.UUID]
) -> None:
    """The registry, and three earlier bookings per interpreter on distinct days."""
    await session.execute(
        insert(interpreters), [{"id": i.id} | interpreter_values(i) for i in registry]
    )
    booked, held = [], []
    for i in registry:
        for day in rng.sample(days, 3):
            start = datetime.combine(day, clock(rng.choice([9, 14])), BRUSSELS).astimezone(UTC)
            modality = rng.choice(sorted(i.modalities))
            r = Request(
                id=uuid.uuid4(),
                kind=Kind.INTERPRETING,
                organisation=rng.choice(ORGANISATIONS),
                language=rng.choice(sorted(i.languages)),
                subject_category="algemeen",
                urgent=False,
                received_at=datetime.now(UTC),
                modality=modality,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                person_id=rng.choice(persons),
                status=Status.ASSIGNED,
                interpreter_id=i.id,
            )
            booked.append({"id": r.id, "created_by": "bench"} | request_values(r))
            busy = busy_range(r.starts_at, r.ends_at, modality, POLICY)
            held.append(
                {
                    "id": uuid.uuid4(),
                    "request_id": r.id,
                    "interpreter_id": i.id,
                    "person_id": r.person_id,
                    "day": day,
                    "busy": Range(*busy),
                    "by_desk": False,
                }
            )
    await session.execute(insert(requests), booked)
    await session.execute(insert(assignments), held)
    await session.commit()


async def match_all(session: AsyncSession, todo: list[Request]) -> list[uuid.UUID | None]:
    """Tolken's matcher: load the registry and live bookings once, then rank each request."""
    assert all(r.modality is not None for r in todo)
    # Indexed by language and modality, as the service's query filters on both.
    index: dict[tuple[str, Modality], list[Interpreter]] = defaultdict(list)
    for row in (await session.execute(select(interpreters).where(interpreters.c.active))).all():
        interpreter = interpreter_of(row)
        for language in interpreter.languages:
            for modality in interpreter.modalities:
                index[language, modality].append(interpreter)
    bookings: dict[uuid.UUID, list[Booking]] = defaultdict(list)
    loads: dict[tuple[uuid.UUID, date], int] = defaultdict(int)
    served: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    live = select(
        assignments.c.interpreter_id, assignments.c.busy, assignments.c.day, assignments.c.person_id
    ).where(assignments.c.released_at.is_(None))
    for interpreter_id, busy, day, person_id in (await session.execute(live)).all():
        if busy is not None:
            bookings[interpreter_id].append(Booking(busy.lower, busy.upper))
        loads[interpreter_id, day - timedelta(days=day.weekday())] += 1
        if person_id is not None:
            served[person_id].add(interpreter_id)
    best = []
    for r in todo:
        monday = r.day - timedelta(days=r.day.weekday())
        known = served.get(r.person_id, set()) if r.person_id else set()
        proposals = rank(
            r,
            (
                Situation(
                    i, tuple(bookings.get(i.id, ())), loads.get((i.id, monday), 0), i.id in known
                )
                for i in index.get((r.language, r.modality), ())
            ),
            POLICY,
        )
        best.append(proposals[0].interpreter_id if proposals else None)
    return best


BASELINE = text(
    """
    SELECT i.id FROM interpreters i
    LEFT JOIN LATERAL (
        SELECT count(*) AS n FROM assignments a
        WHERE a.interpreter_id = i.id AND a.released_at IS NULL
          AND a.day BETWEEN :monday AND :sunday
    ) l ON true
    CROSS JOIN LATERAL (
        SELECT 6371.0 * 2 * asin(sqrt(power(sin(radians(:lat - i.latitude) / 2), 2)
            + cos(radians(i.latitude)) * cos(radians(:lat))
            * power(sin(radians(:lon - i.longitude) / 2), 2))) AS km
    ) d
    WHERE i.active AND i.languages @> ARRAY[CAST(:language AS text)]
      AND i.modalities @> ARRAY[CAST(:modality AS text)]
      AND (NOT :certified OR (i.tier = 'certified'
           AND i.certificate_valid_from <= :day AND i.certificate_valid_until >= :day))
      AND coalesce(i.organisations ->> :organisation, '') <> 'blocked'
      AND l.n < i.max_assignments_per_week
      AND EXISTS (SELECT 1 FROM jsonb_array_elements(i.weekly) w
                  WHERE (w ->> 'weekday')::int = :weekday
                    AND (w ->> 'start')::time <= :local_start AND (w ->> 'end')::time >= :local_end)
      AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(i.leave) v
                      WHERE (v ->> 'first_day')::date <= :day AND (v ->> 'last_day')::date >= :day)
      AND NOT EXISTS (SELECT 1 FROM assignments a
                      WHERE a.interpreter_id = i.id AND a.released_at IS NULL
                        AND a.busy && tstzrange(:busy_start, :busy_end))
      AND (:modality <> 'on_site' OR d.km <= i.travel_range_km)
    ORDER BY round(CAST(
        CASE WHEN EXISTS (SELECT 1 FROM assignments h
                          WHERE h.person_id = :person AND h.interpreter_id = i.id)
             THEN 40 ELSE 0 END
        + CASE WHEN :modality = 'on_site'
               THEN 20 * greatest(0, 1 - d.km / greatest(i.travel_range_km, 1)) ELSE 0 END
        + 25 * (1 - l.n::float / greatest(i.max_assignments_per_week, 1))
        + CASE WHEN i.organisations ->> :organisation = 'preferred' THEN 15 ELSE 0 END
        AS numeric), 2) DESC, i.id::text
    LIMIT 1
    """
)


async def baseline(connection: AsyncConnection, todo: list[Request]) -> list[uuid.UUID | None]:
    best = []
    for r in todo:
        assert r.starts_at and r.ends_at and r.place and r.modality
        local_start, local_end = r.starts_at.astimezone(BRUSSELS), r.ends_at.astimezone(BRUSSELS)
        monday = r.day - timedelta(days=r.day.weekday())
        busy_start, busy_end = busy_range(r.starts_at, r.ends_at, r.modality, POLICY)
        row = (
            await connection.execute(
                BASELINE,
                {
                    "language": r.language,
                    "modality": r.modality.value,
                    "certified": r.subject_category in POLICY.certified_subjects,
                    "day": r.day,
                    "monday": monday,
                    "sunday": monday + timedelta(days=6),
                    "organisation": r.organisation,
                    "weekday": local_start.weekday(),
                    "local_start": local_start.time(),
                    "local_end": local_end.time(),
                    "busy_start": busy_start,
                    "busy_end": busy_end,
                    "lat": r.place.latitude,
                    "lon": r.place.longitude,
                    "person": r.person_id,
                },
            )
        ).first()
        best.append(row.id if row else None)
    return best


async def main(n_requests: int, n_interpreters: int, sample: int) -> None:
    days = working_days(horizon_start(), 4)
    persons = [uuid.uuid4() for _ in range(3000)]
    registry = [make_interpreter() for _ in range(n_interpreters)]
    todo = [make_request(days, persons) for _ in range(n_requests)]
    with test_infra(REPO) as infra:
        async with isolated_environment(infra) as (db, _prefix):
            runtime = SERVICE.runtime(ServiceSettings(database_url=db.url("tolken"), jwt_jwks="-"))
            try:
                await upgrade(runtime.engine, runtime.migrations, "tolken")
                async with runtime.sessionmaker() as session:
                    await seed(session, registry, days, persons)
                async with runtime.engine.connect() as conn:
                    await conn.execute(text("ANALYZE"))

                started = time.perf_counter()
                async with runtime.sessionmaker() as session:
                    ours = await match_all(session, todo)
                ours_rate = n_requests / (time.perf_counter() - started)

                started = time.perf_counter()
                async with runtime.engine.connect() as conn:
                    theirs = await baseline(conn, todo[:sample])
                sql_rate = len(theirs) / (time.perf_counter() - started)
            finally:
                await runtime.engine.dispose()

    matched = sum(b is not None for b in ours)
    agree = sum(a == b for a, b in zip(ours, theirs, strict=False)) / len(theirs)
    print(
        f"{n_requests} requests against {n_interpreters} interpreters; {matched} found a candidate"
    )
    print(f"tolken matcher: {ours_rate:,.0f} requests matched per second")
    print(
        f"SQL candidate query baseline: {sql_rate:,.1f} requests matched per second"
        f" (over {len(theirs)} requests)"
    )
    print(f"same best candidate in {agree:.1%} of the requests both matched")
    print(f"ratio tolken matcher / SQL baseline: {ours_rate / sql_rate:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--interpreters", type=int, default=2_000)
    parser.add_argument("--baseline-sample", type=int, default=1_000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.interpreters, arguments.baseline_sample))
