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
from civic_common.api.paging import Page, decode_cursor, encode_cursor
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
    subject_id: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
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
    if position := decode_cursor(cursor):
        query = query.where(log.c.id < int(position.get("before", 0)))
    async with runtime.uow() as work:
        rows = (await work.session.execute(query)).mappings().all()
        await work.audit(principal, "read", "audit_log", subject_id or "*", "audit query")
        await work.commit()
    page = [AuditEntry.model_validate(dict(row)) for row in rows[:limit]]
    more = len(rows) > limit
    return Page[AuditEntry](
        items=page, next_cursor=encode_cursor({"before": page[-1].id}) if more else None
    )
