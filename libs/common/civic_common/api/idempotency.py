"""``Idempotency-Key`` on POST endpoints: a retried request gets the first answer, not a second
effect.

The key is claimed first thing in the transaction of the change (``UnitOfWork.__aenter__``),
before any check the use case makes, and that transaction commits only with the answer
(``UnitOfWork.finish_with_answer``). So a change, its key and its answer commit together or not
at all: a retry replays the answer of a request that committed, runs again if it never did, and
one that races the first waits on the key's row until the first ends, then replays.
"""

import hashlib
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import IdempotencyClaim, RepeatedRequest, UnitOfWork
from civic_common.runtime import Runtime

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


async def idempotent(
    request: Request,
    principal: Principal,
    work: UnitOfWork,
    run: Callable[[], Awaitable[JSONResponse]],
) -> Response:
    """Run ``run`` (which uses ``work``) at most once per Idempotency-Key and caller."""
    key = request.headers.get(HEADER)
    if key is None:
        return await run()
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        raise Problem(
            422,
            "Ongeldige invoer",
            f"{HEADER} moet 1 tot {MAX_KEY_LENGTH} tekens tellen.",
            errors=[{"field": HEADER, "message": "ongeldige lengte"}],
        )
    runtime: Runtime = request.app.state.runtime
    claim = IdempotencyClaim(
        principal.subject, key, hashlib.sha256(await request.body()).hexdigest()
    )
    if (earlier := await _earlier_answer(runtime, claim)) is not None:
        return earlier
    work.idempotency = claim
    try:
        response = await run()
        if work.holds_change:
            await work.finish_with_answer(response.status_code, bytes(response.body))
    except RepeatedRequest:
        return await _earlier_answer(runtime, claim) or _in_flight()
    except BaseException:
        if work.holds_change:
            await work.release()  # nothing of this attempt commits; the key is free again
        raise
    return response


async def _earlier_answer(runtime: Runtime, claim: IdempotencyClaim) -> Response | None:
    table = runtime.tables.idempotency_keys
    async with runtime.sessionmaker() as session:
        row = (
            await session.execute(
                select(table.c.request_hash, table.c.status_code, table.c.body).where(
                    table.c.principal == claim.principal, table.c.key == claim.key
                )
            )
        ).first()
    if row is None:
        return None
    if row.request_hash != claim.request_hash:
        raise Problem(
            422,
            "Idempotency-Key hergebruikt",
            f"Deze {HEADER} hoorde bij een ander verzoek; gebruik een nieuwe sleutel.",
            errors=[{"field": HEADER, "message": "hoort bij een ander verzoek"}],
        )
    if row.status_code is None:
        return _in_flight()
    return Response(
        row.body,
        status_code=row.status_code,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


def _in_flight() -> Response:
    raise Problem(
        409,
        "Verzoek in behandeling",
        f"Een verzoek met deze {HEADER} wordt nog verwerkt; probeer zo dadelijk opnieuw.",
        headers={"Retry-After": "1"},
    )
