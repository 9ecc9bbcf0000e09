"""Staff API for the interpreter desk: /api/v1/language-profiles."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from civic_common.api.app import uow
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from tolken.app.profiles import profile_of

router = APIRouter(prefix="/api/v1", tags=["language profiles"])


class LanguageProfileOut(BaseModel):
    person_id: UUID
    languages: list[str]
    contact_language: str | None
    interpreter_language: str | None
    needs_interpreter: bool


@router.get("/language-profiles/{person_id}")
async def get_profile(
    person_id: UUID,
    principal: Annotated[Principal, Depends(require_roles("interpreter_desk"))],
    work: Annotated[UnitOfWork, Depends(uow)],
) -> LanguageProfileOut:
    profile = await profile_of(work, person_id, principal)
    if profile is None:
        raise Problem(404, "Niet gevonden", f"Geen taalprofiel voor persoon {person_id}.")
    return LanguageProfileOut.model_validate(profile, from_attributes=True)
