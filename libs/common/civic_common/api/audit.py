"""The audit log of a service, for admins: who read or changed whose personal data, and why.

Every service serves its own log at /api/v1/audit (the log lives in each service's schema and a
trigger keeps it append-only). Reading the log is itself personal data, so it is audited too.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from civic_common.api.app_state import runtime_of
from civic_common.api.guard import Instant, line
from civic_common.api.paging import CursorParam, Page, cursor_position, next_page
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles

router = APIRouter(prefix="/api/v1", tags=["audit"])


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str
    organisation: str | None
    action: str
    subject_type: str
    subject_id: str
    purpose: str | None
    trace_id: str | None


@router.get("/audit")
async def read_audit_log(
    request: Request,
    principal: Annotated[Principal, Depends(require_roles("admin"))],
    subject_id: Annotated[line(100) | None, Query()] = None,  # type: ignore[valid-type]
    actor: Annotated[line(200) | None, Query()] = None,  # type: ignore[valid-type]
    since: Annotated[Instant | None, Query()] = None,
    until: Annotated[Instant | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: CursorParam = None,
) -> Page[AuditEntry]:
    """Newest first; filter by the person (subject_id), the actor and a time window."""
    runtime = runtime_of(request)
    log = runtime.tables.audit_log
    query = select(log).order_by(log.c.id.desc()).limit(limit + 1)
    if subject_id:
        query = query.where(log.c.subject_id == subject_id)
    if actor:
        query = query.where(log.c.actor == actor)
    if since:
        query = query.where(log.c.at >= since)
    if until:
        query = query.where(log.c.at < until)
    if position := cursor_position(cursor, {"before": int}):
        query = query.where(log.c.id < position[0])
    async with runtime.uow() as work:
        rows = (await work.session.execute(query)).mappings().all()
        await work.audit(principal, "read", "audit_log", subject_id or "*", "audit query")
        await work.commit()
    page, following = next_page(
        [AuditEntry.model_validate(dict(row)) for row in rows], limit, lambda e: {"before": e.id}
    )
    return Page[AuditEntry](items=page, next_cursor=following)
