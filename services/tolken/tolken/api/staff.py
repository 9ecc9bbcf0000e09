"""Staff API for the interpreter desk and interpreters: /api/v1."""

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from civic_common.api.app import uow
from civic_common.api.etag import IfMatch, expected_version
from civic_common.api.guard import Day
from civic_common.api.idempotency import idempotent
from civic_common.api.paging import CursorParam, Page, after_cursor, cursor_after
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from tolken.api.models import (
    AssignmentIn,
    CompletionIn,
    DeclineIn,
    DeskRequestIn,
    InterpreterIn,
    InterpreterOut,
    LanguageProfileOut,
    OfferOut,
    ProposalOut,
    QueueItemOut,
    RequestOut,
    UnfulfilledIn,
    policy,
)
from tolken.app.profiles import profile_of
from tolken.app.registry import (
    change_interpreter,
    list_interpreters,
    read_interpreter,
    register_interpreter,
)
from tolken.app.requests import (
    accept_offer,
    assign_by_desk,
    cancel_request,
    complete_request,
    decline_offer,
    desk_queue,
    mark_unfulfilled,
    offers_of,
    read_request,
    submit_request,
)
from tolken.domain.policy import Policy

router = APIRouter(prefix="/api/v1")
Desk = Annotated[Principal, Depends(require_roles("interpreter_desk"))]
Own = Annotated[Principal, Depends(require_roles("interpreter"))]
Work = Annotated[UnitOfWork, Depends(uow)]
Rules = Annotated[Policy, Depends(policy)]


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


# ---------------------------------------------------------------- language profiles


@router.get("/language-profiles/{person_id}", tags=["language profiles"])
async def get_profile(person_id: UUID, principal: Desk, work: Work) -> LanguageProfileOut:
    profile = await profile_of(work, person_id, principal)
    if profile is None:
        raise Problem(404, "Niet gevonden", f"Geen taalprofiel voor persoon {person_id}.")
    return LanguageProfileOut.model_validate(profile, from_attributes=True)


# ---------------------------------------------------------------- registry


@router.post("/interpreters", status_code=201, response_model=InterpreterOut, tags=["registry"])
async def post_interpreter(
    body: InterpreterIn, request: Request, principal: Desk, work: Work
) -> Response:
    async def register() -> JSONResponse:
        interpreter = body.to_domain(uuid4())
        await register_interpreter(work, interpreter, principal)
        return JSONResponse(
            InterpreterOut.of(interpreter).model_dump(mode="json"),
            status_code=201,
            headers={"Location": f"/api/v1/interpreters/{interpreter.id}"}
            | _etag(interpreter.version),
        )

    return await idempotent(request, principal, work, register)


@router.get("/interpreters", tags=["registry"])
async def get_interpreters(
    principal: Desk,
    work: Work,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2,3}$")] = None,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[InterpreterOut]:
    after = cursor_after(cursor, UUID)
    found = await list_interpreters(work, after, limit, language, principal)
    following = after_cursor(found[-1].id if len(found) == limit else None)
    return Page(items=[InterpreterOut.of(i) for i in found], next_cursor=following)


@router.get("/interpreters/{interpreter_id}", tags=["registry"])
async def get_interpreter(
    interpreter_id: UUID, response: Response, principal: Desk, work: Work
) -> InterpreterOut:
    interpreter = await read_interpreter(work, interpreter_id, principal)
    response.headers.update(_etag(interpreter.version))
    return InterpreterOut.of(interpreter)


@router.put("/interpreters/{interpreter_id}", tags=["registry"])
async def put_interpreter(
    interpreter_id: UUID,
    body: InterpreterIn,
    response: Response,
    principal: Desk,
    work: Work,
    if_match: IfMatch = None,
) -> InterpreterOut:
    expected = expected_version(if_match, what="de tolk")
    changed = await change_interpreter(work, body.to_domain(interpreter_id), expected, principal)
    response.headers.update(_etag(changed.version))
    return InterpreterOut.of(changed)


# ---------------------------------------------------------------- requests (desk)


@router.post("/requests", status_code=201, response_model=RequestOut, tags=["requests"])
async def post_request(
    body: DeskRequestIn, request: Request, principal: Desk, work: Work, rules: Rules
) -> Response:
    async def submit() -> JSONResponse:
        new = body.to_domain(body.organisation)
        await submit_request(work, new, principal, rules)
        return JSONResponse(
            RequestOut.of(new).model_dump(mode="json"),
            status_code=201,
            headers={"Location": f"/api/v1/requests/{new.id}"},
        )

    return await idempotent(request, principal, work, submit)


@router.get("/requests", tags=["requests"])
async def get_queue(
    principal: Desk,
    work: Work,
    rules: Rules,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2,3}$")] = None,
    day: Annotated[Day | None, Query()] = None,
) -> list[QueueItemOut]:
    """The desk's queue: open requests with the pending offer and the proposed candidates."""
    items, _ = await desk_queue(work, language, day, rules, principal)
    return [
        QueueItemOut(
            request=RequestOut.of(i.request),
            offered_to=i.pending.interpreter_id if i.pending else None,
            answer_by=i.pending.answer_by if i.pending else None,
            proposals=[ProposalOut.of(p) for p in i.proposals],
        )
        for i in items
    ]


@router.get("/requests/{request_id}", tags=["requests"])
async def get_request(request_id: UUID, principal: Desk, work: Work) -> RequestOut:
    return RequestOut.of(await read_request(work, request_id, principal))


@router.post("/requests/{request_id}/assignment", tags=["requests"])
async def post_assignment(
    request_id: UUID, body: AssignmentIn, principal: Desk, work: Work, rules: Rules
) -> RequestOut:
    """The desk books an interpreter directly: a proposed one, or another (override)."""
    return RequestOut.of(
        await assign_by_desk(
            work, request_id, body.interpreter_id, principal, rules, reason=body.reason
        )
    )


@router.post("/requests/{request_id}/cancellation", tags=["requests"])
async def post_cancellation(
    request_id: UUID, principal: Desk, work: Work, rules: Rules
) -> RequestOut:
    return RequestOut.of(await cancel_request(work, request_id, principal, rules))


@router.post("/requests/{request_id}/completion", tags=["requests"])
async def post_completion(
    request_id: UUID, body: CompletionIn, principal: Desk, work: Work
) -> RequestOut:
    return RequestOut.of(await complete_request(work, request_id, body.actual_minutes, principal))


@router.post("/requests/{request_id}/unfulfilment", tags=["requests"])
async def post_unfulfilment(
    request_id: UUID, body: UnfulfilledIn, principal: Desk, work: Work
) -> RequestOut:
    return RequestOut.of(await mark_unfulfilled(work, request_id, body.reason, principal))


# ---------------------------------------------------------------- offers (interpreter)


@router.get("/offers", tags=["offers"])
async def get_offers(principal: Own, work: Work) -> list[OfferOut]:
    """The signed-in interpreter's open offers."""
    return [
        OfferOut(
            id=o.id,
            request_id=r.id,
            answer_by=o.answer_by,
            language=r.language,
            modality=r.modality,
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            deadline=r.deadline,
            municipality_nis=r.place.municipality_nis if r.place else None,
            address=r.place.address if r.place else None,
            subject_category=r.subject_category,
        )
        for o, r in await offers_of(work, principal)
    ]


@router.post("/offers/{offer_id}/acceptance", tags=["offers"])
async def post_acceptance(offer_id: UUID, principal: Own, work: Work, rules: Rules) -> RequestOut:
    return RequestOut.of(await accept_offer(work, offer_id, principal, rules))


@router.post("/offers/{offer_id}/decline", status_code=204, tags=["offers"])
async def post_decline(
    offer_id: UUID,
    principal: Own,
    work: Work,
    rules: Rules,
    body: Annotated[DeclineIn | None, Body()] = None,
) -> Response:
    """Decline an offer, optionally saying why from the closed list (the desk sees it)."""
    await decline_offer(work, offer_id, principal, rules, body.reason if body else None)
    return Response(status_code=204)
