"""Staff API for analysts: /api/v1/reports, /api/v1/answers and /api/v1/imports."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from civic_common.api.app import uow
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from rapportage.adapters.spreadsheets import UnreadableFile, read_sheet
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
from rapportage.app.imports import KINDS, MissingColumns, import_sheet
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


class ImportOut(BaseModel):
    kind: str
    import_id: str
    imported: int
    rejected: list[RejectionOut]


MAX_UPLOAD = 20 * 1024 * 1024


@router.post("/imports/{kind}")
async def import_historical(
    kind: Literal["trainings", "organisation-trajectories"],
    _: Analyst,
    work: Work,
    file: Annotated[UploadFile, File(description="CSV (; or ,) or XLSX, see the documentation")],
) -> ImportOut:
    """Valid rows are imported together, rejected rows reported; 422 only when the file as a
    whole cannot be read."""
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise _file_problem("het bestand is groter dan 20 MB")
    try:
        sheet = read_sheet(file.filename or "", content)
        result = await import_sheet(work, KINDS[kind], sheet, date.today())
    except UnreadableFile as exc:
        raise _file_problem(str(exc)) from exc
    except MissingColumns as exc:
        raise _file_problem(f"ontbrekende kolommen: {exc}") from exc
    return ImportOut(
        kind=result.kind,
        import_id=str(result.import_id),
        imported=result.imported,
        rejected=[RejectionOut(line=r.line, reason=r.reason) for r in result.rejected],
    )


def _file_problem(message: str) -> Problem:
    return Problem(422, "Ongeldig bestand", message, errors=[{"field": "file", "message": message}])
