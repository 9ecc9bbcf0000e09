"""The partner edge of intake: `GET /partners/v1/persons/{id}` (scope `intake.persons`)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from civic_common.api.app import uow
from civic_common.api.problems import Problem
from civic_common.auth.legal_bases import chosen_legal_basis
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_partner_scope
from civic_common.db.uow import UnitOfWork
from intake.app.partners import read_person_for_partner
from intake.app.persons import PersonNotFound
from intake.domain.disclosure import NotDisclosed

router = APIRouter(prefix="/partners/v1", tags=["partners"])
Partner = Annotated[Principal, Depends(require_partner_scope("intake.persons"))]
Work = Annotated[UnitOfWork, Depends(uow)]


class PartnerPersonOut(BaseModel):
    """Only what the basis allows is present (for OCMWs: name and INSZ)."""

    id: UUID
    legal_basis: str
    given_name: str | None = None
    family_name: str | None = None
    insz: str | None = None


@router.get(
    "/persons/{person_id}",
    response_model=PartnerPersonOut,
    response_model_exclude_unset=True,
)
async def get_person(
    person_id: UUID,
    principal: Partner,
    work: Work,
    legal_basis: Annotated[str | None, Query(max_length=100)] = None,
) -> PartnerPersonOut:
    basis = chosen_legal_basis(legal_basis, principal)
    try:
        found = await read_person_for_partner(work, person_id, basis, principal)
    except NotDisclosed as exc:
        raise Problem(403, "Geen toegang", str(exc)) from exc
    except PersonNotFound as exc:
        raise Problem(404, "Onbekende persoon", "Geen persoon met dit id.") from exc
    return PartnerPersonOut(**found)
