"""Tables as JSON, CSV, XLSX or PDF responses, and the query parameters every report takes."""

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from civic_common.agencies import canonical, display
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


FILTERS = ("from_year", "to_year", "agency", "region", "municipality_nis")


def _unknown_filters(keys: list[str], also: tuple[str, ...] = ()) -> None:
    """A filter no report knows is refused, never ignored."""
    unknown = sorted({k for k in keys if k not in FILTERS and k not in also})
    if unknown:
        raise Problem(
            422,
            "Onbekende filter",
            f"Deze filters bestaan niet: {', '.join(unknown)}.",
            errors=[{"field": k, "message": "onbekende filter"} for k in unknown],
        )


def _agency(value: str | None, settings: RapportageSettings) -> str | None:
    """The agency's canonical code (``AgII``, ``agii`` -> ``agii``); an unknown one is a 422."""
    if value is None:
        return None
    code = canonical(value, settings.agencies)
    if code is None:
        known = ", ".join(settings.agencies)
        message = f"'{value}' is geen gekend agentschap ({known})"
        raise Problem(
            422,
            "Onbekend agentschap",
            message,
            errors=[{"field": "agency", "message": message}],
        )
    return code


def report_params(
    request: Request,
    from_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    to_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    agency: Annotated[line(50, min_length=1) | None, Query()] = None,  # type: ignore[valid-type]
    region: Annotated[Literal[REGIONS] | None, Query()] = None,  # type: ignore[valid-type]
    municipality_nis: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
) -> Params:
    _unknown_filters(list(request.query_params), also=("format",))
    code = _agency(agency, settings_of(request))
    return Params(from_year, to_year, code, region, municipality_nis)


class _Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_year: int | None = Field(None, ge=1990, le=2100)
    to_year: int | None = Field(None, ge=1990, le=2100)
    agency: line(50) | None = None  # type: ignore[valid-type]
    region: Literal[REGIONS] | None = None  # type: ignore[valid-type]
    municipality_nis: str | None = Field(None, pattern=r"^\d{5}$")


def _in_dutch(field: str, kind: str) -> str:
    """What is wrong with a filter, in words an analyst reads (pages show these)."""
    if field in ("from_year", "to_year"):
        return "Geef een jaartal tussen 1990 en 2100, bv. 2024."
    if field == "municipality_nis":
        return "Geef de NIS-code van een gemeente: 5 cijfers, bv. 44021."
    if field == "region" or kind == "literal_error":
        return "Kies een regio uit de lijst."
    if kind == "string_too_long":
        return "Te lang."
    return "Deze waarde klopt niet."


def form_params(request: Request) -> Params:
    """Report parameters from a page's filter form, where an empty field means no filter."""
    raw = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    _unknown_filters(list(raw))
    try:
        params = Params(**_Filters.model_validate(raw).model_dump())
    except ValidationError as exc:
        errors = [
            {"field": str(e["loc"][0]), "message": _in_dutch(str(e["loc"][0]), e["type"])}
            for e in exc.errors()
        ]
        raise Problem(422, "Ongeldige filter", "Controleer de filters.", errors=errors) from exc
    return replace(params, agency=_agency(params.agency, settings_of(request)))


def settings_of(request: Request) -> RapportageSettings:
    return request.app.state.rapportage_settings


def parameter_lines(params: Params) -> list[tuple[str, str]]:
    """The parameters a document was made with, as its readers know them."""
    lines = [
        ("Van jaar", params.from_year),
        ("Tot en met jaar", params.to_year),
        ("Agentschap", display(params.agency) if params.agency else None),
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
