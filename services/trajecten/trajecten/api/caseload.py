""" "Mijn dossiers" for counsellors: GET /api/v1/my-trajectories, and the cursor its page
shares (civic_common.api.paging)."""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from civic_common.api.app import uow
from civic_common.api.paging import Page, decode_cursor, encode_cursor, unknown_cursor
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from trajecten.app.trajectories import caseload
from trajecten.domain.caseload import CaseloadPosition, CaseloadQuery, Due, Sort, sort_key
from trajecten.domain.trajectory import TrajectoryStatus

router = APIRouter(prefix="/api/v1", tags=["trajectories"])
Counsellor = Annotated[Principal, Depends(require_roles("counsellor", "admin"))]
Work = Annotated[UnitOfWork, Depends(uow)]
AGENCY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


class CaseloadItem(BaseModel):
    trajectory_id: UUID
    person_id: UUID = Field(description="The person in intake (GET /api/v1/persons/{id} there)")
    kind: str
    status: str
    municipality_nis: str
    agency: str | None
    opened_at: datetime
    version: int
    next_deadline: date | None = Field(description="Earliest deadline of an open required part")
    overdue: bool


def caseload_after(cursor: str | None, sort: Sort) -> CaseloadPosition | None:
    """Where a page of "Mijn dossiers" continues; 422 naming ``cursor`` if not ours, or made
    for another sort order."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        if position["s"] != sort:
            raise ValueError("another sort order")
        return CaseloadPosition(str(position["k"]), UUID(str(position["id"])))
    except (KeyError, ValueError) as exc:
        raise unknown_cursor() from exc


def caseload_page(
    rows: list[dict[str, Any]], limit: int, sort: Sort
) -> tuple[list[dict[str, Any]], str | None]:
    """The first ``limit`` of ``limit + 1`` rows fetched, and the cursor to the rest (if any)."""
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    key = sort_key(sort, last["next_deadline"], last["opened_at"], last["status"])
    return rows[:limit], encode_cursor({"s": sort, "k": key, "id": str(last["trajectory_id"])})


async def caseload_rows(
    work: UnitOfWork,
    principal: Principal,
    query: CaseloadQuery,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of "Mijn dossiers" and the cursor to the next (the API and the page)."""
    after = caseload_after(cursor, query.sort)
    try:
        rows = await caseload(work, query, date.today(), after, limit + 1, principal)
    except ValueError as exc:  # a cursor key that is no date, time or status
        raise unknown_cursor() from exc
    return caseload_page(rows, limit, query.sort)


@router.get("/my-trajectories", response_model=Page[CaseloadItem])
async def get_my_trajectories(
    principal: Counsellor,
    work: Work,
    scope: Literal["mine", "agency"] = "mine",
    status: TrajectoryStatus | None = None,
    due: Due | None = None,
    agency: Annotated[str | None, Query(pattern=AGENCY_PATTERN)] = None,
    sort: Sort = "deadline",
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[CaseloadItem]:
    """ "Mijn dossiers": the trajectories you acted on (``scope=mine``: opened, took up, recorded
    progress) or all your agency's (``scope=agency``), filtered by status, what is due
    (``overdue``, or ``soon``: within 14 days) and agency (admins), sorted by the next deadline
    (soonest first), the opening date (newest first) or status. No names: they stay in intake
    (GET /api/v1/persons/{person_id} there, with your own token)."""
    query = CaseloadQuery(scope == "mine", status, due, agency, sort)
    rows, next_cursor = await caseload_rows(work, principal, query, cursor, limit)
    return Page[CaseloadItem](
        items=[CaseloadItem.model_validate(row) for row in rows], next_cursor=next_cursor
    )
