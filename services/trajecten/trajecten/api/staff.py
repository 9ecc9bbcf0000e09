"""Staff API for trajectory counsellors: /api/v1/trajectories."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from civic_common.api.app import uow
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from trajecten.app.trajectories import trajectories_of

router = APIRouter(prefix="/api/v1", tags=["trajectories"])


class TrajectoryOut(BaseModel):
    id: UUID
    person_id: UUID
    kind: str
    template_version: str
    status: str
    municipality_nis: str
    opened_at: datetime


@router.get("/trajectories")
async def list_trajectories(
    person_id: UUID,
    principal: Annotated[Principal, Depends(require_roles("counsellor", "counter"))],
    work: Annotated[UnitOfWork, Depends(uow)],
) -> list[TrajectoryOut]:
    found = await trajectories_of(work, person_id, principal)
    return [TrajectoryOut.model_validate(t, from_attributes=True) for t in found]
