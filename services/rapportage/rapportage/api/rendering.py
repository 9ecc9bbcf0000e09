"""Tables as JSON, CSV, XLSX or PDF responses, and the query parameters every report takes."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from civic_common.api.guard import line
from civic_common.api.openapi import download_responses
from civic_common.api.problems import Problem
from rapportage.adapters.exports import to_csv, to_xlsx
from rapportage.adapters.pdf import Document, to_pdf
from rapportage.app.catalogue import QUESTIONS, Params
from rapportage.domain.monthly_counts import BRUSSELS
from rapportage.domain.reports import REGIONS, Table, region_label
from rapportage.settings import RapportageSettings

Format = Literal["json", "csv", "xlsx", "pdf"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# responses= of every route answering through ``render``: JSON, CSV, XLSX or PDF.
DOWNLOADS = download_responses("text/csv", XLSX, "application/pdf")
ReportKey = Annotated[str, Path(max_length=100)]


def report_params(
    from_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    to_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    agency: Annotated[line(50, min_length=1) | None, Query()] = None,  # type: ignore[valid-type]
    region: Annotated[Literal[REGIONS] | None, Query()] = None,  # type: ignore[valid-type]
    municipality_nis: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
) -> Params:
    return Params(from_year, to_year, agency, region, municipality_nis)


class _Filters(BaseModel):
    from_year: int | None = Field(None, ge=1990, le=2100)
    to_year: int | None = Field(None, ge=1990, le=2100)
    agency: line(50) | None = None  # type: ignore[valid-type]
    region: Literal[REGIONS] | None = None  # type: ignore[valid-type]
    municipality_nis: str | None = Field(None, pattern=r"^\d{5}$")


def form_params(request: Request) -> Params:
    """Report parameters from a page's filter form, where an empty field means no filter."""
    raw = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    try:
        return Params(**_Filters.model_validate(raw).model_dump())
    except ValidationError as exc:
        errors = [{"field": str(e["loc"][0]), "message": e["msg"]} for e in exc.errors()]
        raise Problem(422, "Ongeldige filter", "Controleer de filters.", errors=errors) from exc


def settings_of(request: Request) -> RapportageSettings:
    return request.app.state.rapportage_settings


def parameter_lines(params: Params) -> list[tuple[str, str]]:
    """The parameters a document was made with, as its readers know them."""
    lines = [
        ("Van jaar", params.from_year),
        ("Tot en met jaar", params.to_year),
        ("Agentschap", params.agency),
        ("Regio", region_label(params.region) if params.region else None),
        ("Gemeente (NIS-code)", params.municipality_nis),
    ]
    shown = [(label, str(value)) for label, value in lines if value is not None]
    return shown or [("Filters", "geen: alle jaren, agentschappen, regio's en gemeenten")]


async def render(
    tables: list[Table],
    fmt: Format,
    filename: str,
    *,
    title: str,
    params: Params,
    meta: dict[str, Any],
    numbered: bool = False,
) -> Response:
    """``meta`` goes with the tables in JSON; ``title`` and ``params`` head a PDF. Documents
    are built in a worker thread: a PDF of thousands of rows takes seconds of CPU that would
    otherwise stall every other request."""
    if fmt == "csv":
        return Response(
            "\ufeff" + to_csv(tables),  # the BOM makes Excel read UTF-8
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            await run_in_threadpool(to_xlsx, tables, numbered),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )
    if fmt == "pdf":
        document = Document(
            title, parameter_lines(params), tables, datetime.now(BRUSSELS), numbered
        )
        return Response(
            await run_in_threadpool(to_pdf, document),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
        )
    return JSONResponse(meta | {"tables": [t.as_json() for t in tables]})


def answer_title(question: str) -> str:
    return f"Antwoord op {QUESTIONS[question]}"
