"""Staff API: organisations (KBO) and their candidacies."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from civic_common.api.app import uow
from civic_common.api.idempotency import idempotent
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from intake.api.models import CandidacyIn, CandidacyOut, OrganisationIn, OrganisationOut
from intake.api.staff import field_problem
from intake.app.organisations import (
    DuplicateOrganisation,
    InvalidInput,
    read_organisation,
    register_organisation,
    submit_candidacy,
)

router = APIRouter(prefix="/api/v1", tags=["organisations"])

Counter = Annotated[Principal, Depends(require_roles("counter"))]
Work = Annotated[UnitOfWork, Depends(uow)]


@router.post("/organisations", status_code=201, response_model=OrganisationOut)
async def post_organisation(
    body: OrganisationIn, request: Request, principal: Counter, work: Work
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


@router.get("/organisations/{organisation_id}", response_model=OrganisationOut)
async def get_organisation(
    organisation_id: UUID,
    principal: Annotated[Principal, Depends(require_roles("counter", "counsellor"))],
    work: Work,
) -> OrganisationOut:
    organisation = await read_organisation(work, organisation_id)
    if organisation is None:
        raise Problem(404, "Niet gevonden", f"Geen organisatie met id {organisation_id}.")
    return OrganisationOut.model_validate(organisation)


@router.post("/candidacies", status_code=201, response_model=CandidacyOut)
async def post_candidacy(
    body: CandidacyIn, request: Request, principal: Counter, work: Work
) -> Response:
    """A candidacy for a learning and coaching trajectory or a request for a custom training.
    The eligibility check (seed 002) is advice shown to the counter; trajecten selects."""
    if body.kind == "custom_training" and body.theme is None:
        raise field_problem({"theme": "Kies het gevraagde thema van de vorming."})

    async def submit() -> JSONResponse:
        try:
            candidacy = await submit_candidacy(work, body.model_dump(), principal)
        except InvalidInput as exc:
            raise field_problem(exc.errors) from exc
        return JSONResponse(
            CandidacyOut.model_validate(candidacy).model_dump(mode="json"), status_code=201
        )

    return await idempotent(request, principal, work, submit)
