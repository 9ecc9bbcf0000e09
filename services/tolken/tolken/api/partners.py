"""The partner edge for requesting organisations: /partners/v1.

Until partner client credentials exist, a partner calls with a bearer token holding the role
interpreter_desk or admin and an ``org`` claim; it sees only its own organisation's requests.
"""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from civic_common.api.app import uow
from civic_common.api.idempotency import idempotent
from civic_common.api.paging import CursorParam, Page, cursor_position, encode_cursor
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_partner_scope
from civic_common.db.uow import UnitOfWork
from tolken.api.models import RequestIn, RequestOut, policy
from tolken.app.requests import (
    cancel_request,
    read_request,
    requests_of_organisation,
    submit_partner_request,
)
from tolken.domain.policy import Policy

router = APIRouter(prefix="/partners/v1", tags=["partners"])
_partner = require_partner_scope("tolken.requests")


async def partner(principal: Annotated[Principal, Depends(_partner)]) -> Principal:
    if not principal.organisation:
        raise Problem(403, "Geen toegang", "Het token noemt geen organisatie (claim org).")
    return principal


Partner = Annotated[Principal, Depends(partner)]
Work = Annotated[UnitOfWork, Depends(uow)]
Rules = Annotated[Policy, Depends(policy)]


class SubjectOut(BaseModel):
    subject_category: str
    certified_interpreter_required: bool


@router.get("/subjects")
async def get_subjects(_: Partner, rules: Rules) -> list[SubjectOut]:
    """The subject categories a request may name; some need a certified interpreter."""
    return [
        SubjectOut(
            subject_category=subject,
            certified_interpreter_required=subject in rules.certified_subjects,
        )
        for subject in sorted(rules.subjects)
    ]


@router.post("/requests", status_code=201, response_model=RequestOut)
async def post_request(
    body: RequestIn, request: Request, principal: Partner, work: Work, rules: Rules
) -> Response:
    async def submit() -> JSONResponse:
        assert principal.organisation is not None
        new = body.to_domain(principal.organisation)
        await submit_partner_request(work, new, principal, rules)
        return JSONResponse(
            RequestOut.of(new).model_dump(mode="json"),
            status_code=201,
            headers={"Location": f"/partners/v1/requests/{new.id}"},
        )

    return await idempotent(request, principal, work, submit)


@router.get("/requests")
async def get_requests(
    principal: Partner,
    work: Work,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[RequestOut]:
    after = cursor_position(cursor, {"at": datetime, "id": UUID})
    found = await requests_of_organisation(work, after, limit, principal)
    following = (
        encode_cursor({"at": found[-1].received_at.isoformat(), "id": found[-1].id})
        if len(found) == limit
        else None
    )
    return Page(items=[RequestOut.of(r) for r in found], next_cursor=following)


@router.get("/requests/{request_id}")
async def get_request(request_id: UUID, principal: Partner, work: Work) -> RequestOut:
    return RequestOut.of(
        await read_request(work, request_id, principal, organisation=principal.organisation)
    )


@router.post("/requests/{request_id}/cancellation")
async def post_cancellation(
    request_id: UUID, principal: Partner, work: Work, rules: Rules
) -> RequestOut:
    return RequestOut.of(
        await cancel_request(
            work, request_id, principal, rules, organisation=principal.organisation
        )
    )
