"""Report exchange for partners (VDAB, OCMW) and the Flemish administration: /partners/v1.

Only shareable reports (aggregates), scoped to the caller's municipality or agency claim, with
small cells suppressed. Until partner client credentials exist, a partner holds a bearer token
with role analyst or admin and its ``municipality`` / ``org`` claims.
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from civic_common.api.app import uow
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_partner_scope
from civic_common.db.uow import UnitOfWork
from rapportage.api.rendering import (
    DOWNLOADS,
    Format,
    ReportKey,
    render,
    report_params,
    settings_of,
)
from rapportage.app.catalogue import CATALOGUE, Params
from rapportage.app.publishing import publication
from rapportage.app.reports import report_for, shared_report
from rapportage.settings import RapportageSettings

router = APIRouter(prefix="/partners/v1", tags=["report exchange"])
# Partner client tokens, scoped by their claims; the agency's analysts use /api/v1/reports.
Partner = Annotated[Principal, Depends(require_partner_scope("rapportage.reports"))]
Work = Annotated[UnitOfWork, Depends(uow)]
Settings = Annotated[RapportageSettings, Depends(settings_of)]


class SharedReportOut(BaseModel):
    id: str
    title: str
    parameters: list[str]


@router.get("/reports")
async def list_shared_reports(_: Partner) -> list[SharedReportOut]:
    return [
        SharedReportOut(id=r.id, title=r.title, parameters=list(r.parameters))
        for r in CATALOGUE.values()
        if r.shareable
    ]


@router.get("/reports/{report_id}", response_model=None, responses=DOWNLOADS)
async def get_shared_report(
    report_id: ReportKey,
    principal: Partner,
    work: Work,
    settings: Settings,
    params: Annotated[Params, Depends(report_params)],
    format: Format = "json",
) -> Response:
    report = report_for(report_id, shared=True)
    scoped, tables = await shared_report(work, report, principal, params, settings)
    meta = {"id": report.id, "title": report.title, "parameters": scoped.as_json()}
    # The tables are already suppressed: every format, the PDF too, shows only what may leave.
    return await render(tables, format, report.id, title=report.title, params=scoped, meta=meta)


@router.get("/publications/{publication_id}")
async def get_publication(publication_id: UUID, _: Partner, work: Work) -> JSONResponse:
    """Publications are Flanders-wide aggregates, already suppressed: every partner may read."""
    found = await publication(work, publication_id)
    if found is None:
        raise Problem(404, "Onbekende publicatie", f"Er is geen publicatie {publication_id}.")
    return JSONResponse(found)
