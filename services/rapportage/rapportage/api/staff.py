"""Staff API for analysts: /api/v1/reports, /api/v1/answers and /api/v1/imports."""

import asyncio
import uuid
from datetime import date
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from civic_common.api.app import runtime_of, uow
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from rapportage.adapters.spreadsheets import UnreadableFile, read_sheet, rows_hint
from rapportage.api.rendering import (
    DOWNLOADS,
    Format,
    ReportKey,
    answer_title,
    render,
    report_params,
    settings_of,
)
from rapportage.app.catalogue import CATALOGUE, Params
from rapportage.app.counts import monthly_counts
from rapportage.app.imports import (
    KINDS,
    MissingColumns,
    NotReplaceable,
    UnknownBatch,
    announce,
    batch,
    batches,
    import_sheet,
    run_in_background,
    withdraw,
)
from rapportage.app.reports import answer, generate, report_for
from rapportage.domain.monthly_counts import Metric
from rapportage.settings import RapportageSettings

router = APIRouter(prefix="/api/v1", tags=["reports"])
Analyst = Annotated[Principal, Depends(require_roles("analyst", "admin"))]
Work = Annotated[UnitOfWork, Depends(uow)]
Settings = Annotated[RapportageSettings, Depends(settings_of)]
ReportParams = Annotated[Params, Depends(report_params)]

Month = Annotated[
    str, Query(pattern=r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM, 1900-2999")
]


class ReportOut(BaseModel):
    id: str
    title: str
    question: str | None
    shareable: bool
    parameters: list[str]


@router.get("/reports")
async def list_reports(_: Analyst) -> list[ReportOut]:
    return [
        ReportOut(
            id=r.id,
            title=r.title,
            question=r.question,
            shareable=r.shareable,
            parameters=list(r.parameters),
        )
        for r in CATALOGUE.values()
    ]


class MonthlyCountOut(BaseModel):
    month: str
    municipality_nis: str
    intakes: int
    trajectories_opened: int


def _first_day(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)


@router.get("/reports/monthly-counts")
async def get_monthly_counts(
    _: Analyst,
    work: Work,
    from_month: Month,
    to_month: Month,
    municipality_nis: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
) -> list[MonthlyCountOut]:
    first, last = _first_day(from_month), _first_day(to_month)
    if last < first:
        raise Problem(
            422,
            "Ongeldige invoer",
            "to_month ligt voor from_month.",
            errors=[{"field": "to_month", "message": "ligt voor from_month"}],
        )
    return [
        MonthlyCountOut(
            month=row.month.strftime("%Y-%m"),
            municipality_nis=row.municipality_nis,
            intakes=row.counts.get(Metric.INTAKES, 0),
            trajectories_opened=row.counts.get(Metric.TRAJECTORIES_OPENED, 0),
        )
        for row in await monthly_counts(work, first, last, municipality_nis)
    ]


@router.get("/reports/{report_id}", response_model=None, responses=DOWNLOADS)
async def get_report(
    report_id: ReportKey,
    _: Analyst,
    work: Work,
    settings: Settings,
    params: ReportParams,
    format: Format = "json",
) -> Response:
    report = report_for(report_id)
    tables = await generate(work, report, params, settings)
    meta = {"id": report.id, "title": report.title, "parameters": params.as_json()}
    return await render(tables, format, report.id, title=report.title, params=params, meta=meta)


@router.get("/answers/{question}", response_model=None, responses=DOWNLOADS)
async def get_answer(
    question: ReportKey,
    _: Analyst,
    work: Work,
    settings: Settings,
    params: ReportParams,
    format: Format = "json",
) -> Response:
    tables = await answer(work, question, params, settings)
    meta = {"question": question, "parameters": params.as_json()}
    return await render(
        tables,
        format,
        f"antwoord-vraag-{question}",
        title=answer_title(question),
        params=params,
        meta=meta,
        numbered=True,
    )


class RejectionOut(BaseModel):
    line: int
    reason: str


class DeclaredOut(BaseModel):
    line: int
    year: int
    agencies: list[str]
    trainings: int | None
    cost_eur: str | None


class ImportOut(BaseModel):
    kind: str
    import_id: str
    status: str = "imported"  # or running: a background job, follow /api/v1/imports/{id}
    imported: int
    rejected: list[RejectionOut]
    declared: list[DeclaredOut] = []


class BatchOut(BaseModel):
    import_id: str
    kind: str
    filename: str
    imported_at: str
    status: str
    rows_total: int
    rows_done: int
    imported: int
    rejected_count: int
    applied: int = Field(description="Rows the read models hold; the batch shows when all are in")
    visible: bool
    replaces: str | None


class BatchDetailOut(BatchOut):
    rejected: list[RejectionOut]
    declared: list[DeclaredOut]


MAX_UPLOAD = 20 * 1024 * 1024


@router.post("/imports/{kind}", status_code=200)
async def import_historical(
    kind: Literal["trainings", "organisation-trajectories"],
    request: Request,
    response: Response,
    _: Analyst,
    work: Work,
    settings: Settings,
    file: Annotated[UploadFile, File(description="CSV (; or ,) or XLSX, see the documentation")],
    replaces: Annotated[
        uuid.UUID | None, Query(description="The batch this file corrects (it is replaced)")
    ] = None,
) -> ImportOut:
    """Valid rows are imported together, rejected rows reported; 422 only when the file as a
    whole cannot be read. A file of more than ``background_import_rows`` rows is imported by a
    background job: 202 at once, progress at ``/api/v1/imports/{import_id}``."""
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise _file_problem("het bestand is groter dan 20 MB")
    filename = file.filename or ""
    try:
        if rows_hint(filename, content) > settings.background_import_rows:
            if replaces is not None:  # refused now, not after the 202
                corrected = await batch(work, replaces)
                if corrected["kind"] != kind or corrected["status"] != "imported":
                    raise NotReplaceable(f"{corrected['kind']}, {corrected['status']}")
            runtime = runtime_of(request)
            total = rows_hint(filename, content)
            import_id = await announce(work, KINDS[kind], filename, total, replaces)
            job = asyncio.create_task(
                run_in_background(
                    runtime.uow,
                    KINDS[kind],
                    partial(read_sheet, filename, content),
                    date.today(),
                    import_id=import_id,
                    agencies=settings.agencies,
                    filename=filename,
                    replaces=replaces,
                )
            )
            _JOBS.add(job)
            job.add_done_callback(_JOBS.discard)
            response.status_code = 202
            response.headers["Location"] = f"/api/v1/imports/{import_id}"
            return ImportOut(
                kind=kind, import_id=str(import_id), status="running", imported=0, rejected=[]
            )
        sheet = await run_in_threadpool(read_sheet, filename, content)
        result = await import_sheet(
            work,
            KINDS[kind],
            sheet,
            date.today(),
            agencies=settings.agencies,
            filename=filename,
            replaces=replaces,
        )
    except UnreadableFile as exc:
        raise _file_problem(str(exc)) from exc
    except MissingColumns as exc:
        raise _file_problem(f"ontbrekende kolommen: {exc}") from exc
    except UnknownBatch as exc:
        raise Problem(404, "Onbekende import", f"Er is geen import {replaces}.") from exc
    except NotReplaceable as exc:
        raise Problem(
            409, "Niet te vervangen", f"Import {replaces} kan niet vervangen worden ({exc})."
        ) from exc
    return ImportOut(
        kind=result.kind,
        import_id=str(result.import_id),
        imported=result.imported,
        rejected=[RejectionOut(line=r.line, reason=r.reason) for r in result.rejected],
        declared=[DeclaredOut(**d) for d in result.declared],
    )


def _file_problem(message: str) -> Problem:
    return Problem(422, "Ongeldig bestand", message, errors=[{"field": "file", "message": message}])


# Background imports running in this process (kept, so they are not collected mid-way).
_JOBS: set[asyncio.Task[None]] = set()


@router.get("/imports")
async def list_imports(_: Analyst, work: Work) -> list[BatchOut]:
    return [BatchOut(**b) for b in await batches(work)]


@router.get("/imports/{import_id}")
async def get_import(import_id: uuid.UUID, _: Analyst, work: Work) -> BatchDetailOut:
    try:
        return BatchDetailOut(**await batch(work, import_id))
    except UnknownBatch as exc:
        raise Problem(404, "Onbekende import", f"Er is geen import {import_id}.") from exc


@router.post("/imports/{import_id}/withdraw")
async def withdraw_import(import_id: uuid.UUID, principal: Analyst, work: Work) -> BatchDetailOut:
    """The batch leaves every report at once."""
    try:
        await withdraw(work, principal, import_id)
        return BatchDetailOut(**await batch(work, import_id))
    except UnknownBatch as exc:
        raise Problem(404, "Onbekende import", f"Er is geen import {import_id}.") from exc
    except NotReplaceable as exc:
        raise Problem(
            409, "Niet in te trekken", f"Import {import_id} kan niet ingetrokken worden ({exc})."
        ) from exc
