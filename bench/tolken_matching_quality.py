"""Matching quality: a day's batch of interpreting requests assigned the way the service does it,
against an optimal assignment over the same candidates and scores.

An isolated database (created and dropped here) holds the registry (``--interpreters``, three
earlier bookings each, as in bench/tolken_matching.py) and ``--requests`` requests on one day.

- Service path: each request in the order received gets ``tolken.app.requests.proposals`` (what
  the service's offer cascade calls: the per-request candidate query through
  ``InterpreterRepository.situations``, the other open requests at the same time through
  ``RequestRepository.open_at_the_same_time``, then ``rank``: least contested, then best
  score) and its first proposal is booked with ``AssignmentRepository.add`` (the database refuses
  overlaps) and the request saved as assigned, so the next request sees both: greedy, as offers
  accepted at once would go.
- Optimum: the same candidates (every interpreter eligible for the request before the batch, by
  the service's ``refusals``) and the same scores (``score``, as at the start of the batch),
  solved as a 0/1 program with scipy's HiGHS (``milp``): at most one interpreter per request, no
  interpreter on two requests whose busy times (travel included) overlap, no interpreter beyond
  their weekly maximum; most requests filled first, then the highest total score.

Reported: fill rate, total score (both scored as at the start of the batch) and the spread of
work over the interpreters who had a candidacy (standard deviation and maximum of assignments
each). The last line is the service's fill rate as a share of the optimal one (goal >= 0.97).

    .venv/bin/python bench/tolken_matching_quality.py [--requests 400] [--interpreters 300]

Needs scipy (a bench-only dependency, in requirements-dev.txt).
"""

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections import Counter
from datetime import timedelta

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from tolken_matching import (
    POLICY,
    REPO,
    SERVICE,
    horizon_start,
    make_interpreter,
    make_request,
    seed,
    working_days,
)

from civic_common.db.migrate import upgrade
from civic_common.settings import ServiceSettings
from civic_common.testing.infra import test_infra
from civic_common.testing.plugin import isolated_environment
from tolken.adapters.registry import (
    AssignmentRepository,
    InterpreterRepository,
    RequestRepository,
    request_values,
)
from tolken.adapters.tables import requests as requests_table
from tolken.app.requests import proposals
from tolken.domain.matching import busy_range, refusals, score
from tolken.domain.requests import Request

Pair = tuple[int, uuid.UUID]  # (request index, interpreter id)


def optimal(
    batch: list[Request],
    candidates: dict[Pair, float],
    room: dict[uuid.UUID, int],
) -> dict[int, uuid.UUID]:
    """The 0/1 program: fill most, then score most; returns request index -> interpreter."""
    pairs = list(candidates)
    index = {pair: n for n, pair in enumerate(pairs)}
    busy = [busy_range(r.starts_at, r.ends_at, r.modality, POLICY) for r in batch]  # type: ignore[arg-type]
    rows: list[list[int]] = []
    upper: list[float] = []
    for r in range(len(batch)):  # one interpreter per request
        rows.append([index[p] for p in pairs if p[0] == r])
        upper.append(1)
    by_interpreter: dict[uuid.UUID, list[int]] = {}
    for r, i in pairs:
        by_interpreter.setdefault(i, []).append(r)
    for i, mine in by_interpreter.items():
        # Busy ranges are intervals: no two overlap iff at every range's start at most one of
        # them covers it (the cliques of an interval graph).
        for r in mine:
            point = busy[r][0]
            covering = [q for q in mine if busy[q][0] <= point < busy[q][1]]
            if len(covering) > 1:
                rows.append([index[q, i] for q in covering])
                upper.append(1)
        rows.append([index[r, i] for r in mine])  # the weekly maximum
        upper.append(room[i])
    matrix = lil_matrix((len(rows), len(pairs)))
    for n, columns in enumerate(rows):
        for column in columns:
            matrix[n, column] = 1
    # Filling a request outweighs any score (scores stay below 1000).
    cost = -np.array([1000.0 + candidates[p] for p in pairs])
    result = milp(
        cost,
        constraints=LinearConstraint(matrix.tocsr(), -np.inf, np.array(upper)),
        integrality=np.ones(len(pairs)),
        bounds=Bounds(0, 1),
    )
    if not result.success:
        raise RuntimeError(f"no optimum: {result.message}")
    return {pairs[n][0]: pairs[n][1] for n, x in enumerate(result.x) if x > 0.5}


def spread(assigned: dict[int, uuid.UUID], eligible: set[uuid.UUID]) -> tuple[float, int]:
    work = Counter(assigned.values())
    counts = [work.get(i, 0) for i in eligible]
    return statistics.pstdev(counts), max(counts, default=0)


async def main(n_requests: int, n_interpreters: int) -> None:
    days = working_days(horizon_start(), 4)
    day = days[7]  # a Wednesday in the second week
    persons = [uuid.uuid4() for _ in range(3000)]
    registry = [make_interpreter() for _ in range(n_interpreters)]
    batch = [make_request([day], persons) for _ in range(n_requests)]
    buffer = timedelta(minutes=POLICY.travel_buffer_minutes)
    with test_infra(REPO) as infra:
        async with isolated_environment(infra) as (db, _prefix):
            runtime = SERVICE.runtime(ServiceSettings(database_url=db.url("tolken"), jwt_jwks="-"))
            try:
                await upgrade(runtime.engine, runtime.migrations, "tolken")
                async with runtime.sessionmaker() as session:
                    await seed(session, registry, days, persons)
                    await session.execute(
                        insert(requests_table),
                        [{"id": r.id, "created_by": "bench"} | request_values(r) for r in batch],
                    )
                    await session.commit()
                async with runtime.engine.connect() as conn:
                    await conn.execute(text("ANALYZE"))

                # Candidates and scores as at the start of the batch (the service's own query).
                candidates: dict[Pair, float] = {}
                room: dict[uuid.UUID, int] = {}
                async with runtime.sessionmaker() as session:
                    repository = InterpreterRepository(session)
                    for n, r in enumerate(batch):
                        for s in await repository.situations(r, buffer):
                            if not refusals(r, s, POLICY):
                                candidates[n, s.interpreter.id] = score(r, s, POLICY)[0]
                                room[s.interpreter.id] = (
                                    s.interpreter.max_assignments_per_week - s.week_load
                                )

                # The service path: proposals per request, the best one booked, in order.
                started = time.perf_counter()
                greedy: dict[int, uuid.UUID] = {}
                for n, r in enumerate(batch):
                    async with runtime.uow() as uow:
                        found = await proposals(uow, r, POLICY)
                        if found:
                            best = found[0].interpreter_id
                            busy = busy_range(r.starts_at, r.ends_at, r.modality, POLICY)  # type: ignore[arg-type]
                            await AssignmentRepository(uow.session).add(
                                uuid.uuid4(), r, best, busy, by_desk=False
                            )
                            # Assigned, as accepting the offer leaves it: no longer open, so no
                            # longer competing for the interpreters of the requests after it.
                            await RequestRepository(uow.session).save(r.assigned(best))
                            greedy[n] = best
                        await uow.commit()
                service_seconds = time.perf_counter() - started
            finally:
                await runtime.engine.dispose()

    started = time.perf_counter()
    best = optimal(batch, candidates, room)
    solve_seconds = time.perf_counter() - started

    eligible = {i for _, i in candidates}
    reachable = len({n for n, _ in candidates})
    print(
        f"{n_requests} requests on {day}, {n_interpreters} interpreters; "
        f"{reachable} requests had at least one candidate, {len(candidates)} candidacies"
    )
    for name, assigned, seconds in (
        ("service (greedy, per-request query)", greedy, service_seconds),
        ("optimum (HiGHS 0/1 program)", best, solve_seconds),
    ):
        total = sum(candidates.get((n, i), 0.0) for n, i in assigned.items())
        deviation, most = spread(assigned, eligible)
        print(
            f"{name}: filled {len(assigned)}/{n_requests} ({len(assigned) / n_requests:.1%}), "
            f"total score {total:,.0f}, work per interpreter sd {deviation:.2f} max {most}, "
            f"{seconds:.1f} s"
        )
    print(
        "machine: {} cores, load average {:.1f} {:.1f} {:.1f}".format(
            os.cpu_count(), *os.getloadavg()
        )
    )
    print(f"ratio fill rate service/optimum: {len(greedy) / max(len(best), 1):.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--interpreters", type=int, default=300)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.interpreters))
