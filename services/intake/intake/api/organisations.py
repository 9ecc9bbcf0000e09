"""Staff API: organisations (KBO) and their candidacies."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from civic_common.api.app import uow
from civic_common.api.idempotency import idempotent
from civic_common.api.paging import Page
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from civic_common.web.pages import staff_token
from intake.api.cursors import organisation_after, organisation_page
from intake.api.models import CandidacyIn, CandidacyOut, OrganisationIn, OrganisationOut
from intake.api.staff import field_problem
from intake.app import roles
from intake.app.organisations import (
    CallEligibility,
    DuplicateOrganisation,
    InvalidInput,
    organisation_candidacies,
    read_organisation,
    register_organisation,
    search_organisations,
    submit_candidacy,
)
from intake.domain.candidacy import EligibilityUnavailable

router = APIRouter(prefix="/api/v1", tags=["organisations"])

Registrar = Annotated[Principal, Depends(require_roles(*roles.REGISTER_ORGANISATIONS))]
Reader = Annotated[Principal, Depends(require_roles(*roles.READ_ORGANISATIONS))]
Submitter = Annotated[Principal, Depends(require_roles(*roles.SUBMIT_CANDIDACIES))]
Work = Annotated[UnitOfWork, Depends(uow)]


def call_eligibility(request: Request) -> CallEligibility:
    """Trajecten's eligibility decisions, as wired at the composition root."""
    return request.app.state.call_eligibility  # type: ignore[no-any-return]


Calls = Annotated[CallEligibility, Depends(call_eligibility)]


def trajecten_unavailable() -> Problem:
    return Problem(
        503,
        "Trajecten niet bereikbaar",
        "Trajecten beslist of een organisatie op een oproep kan ingaan en antwoordt nu niet. "
        "Er is niets bewaard; probeer het later opnieuw.",
        headers={"Retry-After": "30"},
    )


@router.post("/organisations", status_code=201, response_model=OrganisationOut)
async def post_organisation(
    body: OrganisationIn, request: Request, principal: Registrar, work: Work
) -> Response:
    async def register() -> JSONResponse:
        try:
            organisation = await register_organisation(work, body.model_dump(), principal)
        except InvalidInput as exc:
            raise field_problem(exc.errors) from exc
        except DuplicateOrganisation as exc:
            link = f"/api/v1/organisations/{exc.existing}"
            raise Problem(
                409,
                "Al geregistreerd",
                "Een organisatie met dit ondernemingsnummer is al geregistreerd.",
                headers={"Location": link},
                existing_organisation=link,
                errors=[{"field": "enterprise_number", "message": "al geregistreerd"}],
            ) from exc
        return JSONResponse(
            OrganisationOut.model_validate(organisation).model_dump(mode="json"),
            status_code=201,
            headers={"Location": f"/api/v1/organisations/{organisation['id']}"},
        )

    return await idempotent(request, principal, work, register)


@router.get("/organisations", response_model=Page[OrganisationOut])
async def get_organisations(
    principal: Reader,
    work: Work,
    q: Annotated[str | None, Query(max_length=200, description="Name or KBO number")] = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[OrganisationOut]:
    """Organisations by name or (part of) their KBO number, ordered by name; no criterion lists
    them all (organisations are no personal data)."""
    found = await search_organisations(work, q, organisation_after(cursor), limit + 1)
    items, next_cursor = organisation_page(found, limit)
    return Page[OrganisationOut](
        items=[OrganisationOut.model_validate(o) for o in items], next_cursor=next_cursor
    )


def _no_organisation(organisation_id: UUID) -> Problem:
    return Problem(404, "Niet gevonden", f"Geen organisatie met id {organisation_id}.")


@router.get("/organisations/{organisation_id}", response_model=OrganisationOut)
async def get_organisation(organisation_id: UUID, principal: Reader, work: Work) -> OrganisationOut:
    organisation = await read_organisation(work, organisation_id)
    if organisation is None:
        raise _no_organisation(organisation_id)
    return OrganisationOut.model_validate(organisation)


@router.get("/organisations/{organisation_id}/candidacies", response_model=list[CandidacyOut])
async def get_candidacies(
    organisation_id: UUID, principal: Reader, work: Work
) -> list[CandidacyOut]:
    """The organisation's candidacies, newest first, each with trajecten's eligibility
    decision as it was when submitted."""
    found = await organisation_candidacies(work, organisation_id)
    if found is None:
        raise _no_organisation(organisation_id)
    return [CandidacyOut.model_validate(c) for c in found]


@router.post("/candidacies", status_code=201, response_model=CandidacyOut)
async def post_candidacy(
    body: CandidacyIn, request: Request, principal: Submitter, work: Work, calls: Calls
) -> Response:
    """A candidacy for a learning and coaching trajectory (answering a call: ``call_id``) or a
    request for a custom training (which needs a theme). Its ``eligibility`` is trajecten's
    decision for the call (trajecten owns the rule; 422 naming ``call_id`` for a call trajecten
    does not know, 503 when trajecten does not answer); trajecten selects."""

    async def submit() -> JSONResponse:
        try:
            candidacy = await submit_candidacy(
                work, body.model_dump(), principal, calls, staff_token(request)
            )
        except InvalidInput as exc:
            raise field_problem(exc.errors) from exc
        except EligibilityUnavailable as exc:
            raise trajecten_unavailable() from exc
        return JSONResponse(
            CandidacyOut.model_validate(candidacy).model_dump(mode="json"), status_code=201
        )

    return await idempotent(request, principal, work, submit)
