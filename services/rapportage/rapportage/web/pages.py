"""Pages for analysts (Dutch): the dashboard, every report as a table, and the answers to the
written questions, each with their exports."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from civic_common.api.app import uow
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.web.pages import page_principal, page_templates
from rapportage.adapters import charts
from rapportage.api.rendering import answer_title, form_params, render, settings_of
from rapportage.app import catalogue
from rapportage.app.catalogue import ANSWERS, CATALOGUE, QUESTIONS, Params
from rapportage.app.imports import batches
from rapportage.app.reports import answer, check, generate, report_for
from rapportage.domain.reports import REGIONS, Cell, NotRegistered, Table, region_label
from rapportage.settings import RapportageSettings

templates: Jinja2Templates = page_templates(Path(__file__).parent / "templates", "Rapportage")
router = APIRouter(include_in_schema=False)


def dutch_number(value: object) -> object:
    """1234.5 -> '1.234,50' as Dutch readers expect; other values unchanged."""
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return value


def key_figure(rows: Sequence[tuple[Cell, ...]], index: int, prefix: str = "") -> str:
    """A total over the years: every training once (the totals table counts a joint one
    once). Years whose figure is not registered are named, never added as 0."""
    known = sum((r[index] for r in rows if isinstance(r[index], Decimal)), Decimal(0))
    missing = [str(r[0]) for r in rows if isinstance(r[index], NotRegistered)]
    if missing and len(missing) == len(rows):
        return NotRegistered.TEXT
    text = f"{prefix}{dutch_number(known)}"
    return f"{text} (niet geregistreerd: {', '.join(missing)})" if missing else text


templates.env.filters["nl"] = dutch_number
Analyst = Annotated[Principal, Depends(page_principal("analyst", "admin"))]
Work = Annotated[UnitOfWork, Depends(uow)]
Settings = Annotated[RapportageSettings, Depends(settings_of)]
Filters = Annotated[Params, Depends(form_params)]
Export = Literal["csv", "xlsx", "pdf"]


def _query(params: Params, **extra: object) -> str:
    return urlencode(params.as_json() | {k: v for k, v in extra.items() if v is not None})


def _context(params: Params, agencies: dict[str, str], **values: object) -> dict[str, object]:
    return {
        "params": params,
        "agencies": list(agencies.items()),
        "query": _query(params),
        "regions": [(r, region_label(r)) for r in REGIONS],
        "catalogue": CATALOGUE.values(),
        "questions": QUESTIONS,
        **values,
    }


@router.get("/", response_class=HTMLResponse)
async def dashboard(
    request: Request, _: Analyst, work: Work, settings: Settings, params: Filters
) -> Response:
    check(params)
    # Trainings are not registered per municipality: with one chosen, their figures are not
    # shown (never silently shown for all municipalities).
    per_municipality = params.municipality_nis is not None
    async with work:
        session = work.session
        if per_municipality:
            per_year = per_region = Table("", (), ())
            cost: list[Table] = []
        else:
            [per_year] = await catalogue.trainings_per_year(session, params, settings)
            [per_region] = await catalogue.trainings_per_region(session, params, settings)
            cost = await catalogue.cost_and_vte_per_year(session, params, settings)
        [intakes] = await catalogue.intakes_per_month(session, params, settings)
        [stand] = await catalogue.trajectory_status(session, params, settings)
        [requests] = await catalogue.interpreter_requests_report(
            session, replace(params, agency=None, region=None, municipality_nis=None), settings
        )
    years = [str(r[0]) for r in per_year.rows]
    counts = [int(r[1] or 0) for r in per_year.rows]
    regions = {label: sum(int(v or 0) for v in row[1:]) for label, *row in per_region.rows[:-1]}
    monthly: dict[str, int] = defaultdict(int)
    for month, *_, n in intakes.rows:
        monthly[str(month)] += int(n or 0)
    not_here = "niet per gemeente geregistreerd"
    totals = cost[0].rows if cost else ()
    started = sum(int(r[1]) for r in stand.rows)
    completed = sum(int(r[5]) for r in stand.rows)
    fulfilled = sum(int(r[3]) for r in requests.rows)
    decided = fulfilled + sum(int(r[4]) for r in requests.rows)
    share = f"{Decimal(fulfilled * 100) / decided:.0f} %" if decided else "–"
    drill = [
        (year, n, _query(params, from_year=year, to_year=year))
        for year, n in zip(years, counts, strict=True)
    ]
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        _context(
            params,
            settings.agencies,
            figures=[
                (
                    "Vormingen",
                    not_here if per_municipality else f"{sum(counts):,}".replace(",", "."),
                ),
                (
                    "Kostprijs vormingen",
                    not_here if per_municipality else key_figure(totals, 2, "€ "),
                ),
                ("VTE vormingen", not_here if per_municipality else key_figure(totals, 4)),
                ("Inschrijvingen onthaal", f"{sum(monthly.values()):,}".replace(",", ".")),
                ("Trajecten gestart", str(started)),
                ("Trajecten afgerond (attest)", str(completed)),
                (
                    "Tolkaanvragen ingevuld",
                    # Interpreter requests are not registered per region or agency.
                    f"{share} (heel Vlaanderen en Brussel)"
                    if params.agency or params.region or params.municipality_nis
                    else share,
                ),
            ],
            per_year_chart=charts.bar_chart("Vormingen per jaar", years, {"Vormingen": counts}),
            per_region_chart=charts.horizontal_bar_chart("Vormingen per regio", regions),
            intakes_chart=charts.line_chart(
                "Inschrijvingen per maand",
                list(monthly),
                {"Inschrijvingen": list(monthly.values())},
            )
            if monthly
            else None,
            drill=drill,
            cost=cost[:2],
            per_municipality=per_municipality,
        ),
    )


@router.get("/rapporten/{report_id}", response_class=HTMLResponse)
async def report_page(
    request: Request,
    report_id: str,
    _: Analyst,
    work: Work,
    settings: Settings,
    params: Filters,
) -> Response:
    report = report_for(report_id)
    tables = await generate(work, report, params, settings)
    return templates.TemplateResponse(
        request,
        "report.html",
        _context(
            params,
            settings.agencies,
            report=report,
            tables=tables,
            export=f"/rapporten/{report.id}/export",
        ),
    )


@router.get("/rapporten/{report_id}/export.{fmt}")
async def report_export(
    report_id: str, fmt: Export, _: Analyst, work: Work, settings: Settings, params: Filters
) -> Response:
    report = report_for(report_id)
    tables = await generate(work, report, params, settings)
    return await render(tables, fmt, report.id, title=report.title, params=params, meta={})


@router.get("/antwoorden/{question}", response_class=HTMLResponse)
async def answer_page(
    request: Request, question: str, _: Analyst, work: Work, settings: Settings, params: Filters
) -> Response:
    tables: list[Table] = await answer(work, question, params, settings)
    return templates.TemplateResponse(
        request,
        "answer.html",
        _context(
            params,
            settings.agencies,
            question=question,
            heading=QUESTIONS[question],
            tables=tables,
            export=f"/antwoorden/{question}/export",
            report_ids=ANSWERS[question],
        ),
    )


@router.get("/antwoorden/{question}/export.{fmt}")
async def answer_export(
    question: str, fmt: Export, _: Analyst, work: Work, settings: Settings, params: Filters
) -> Response:
    tables = await answer(work, question, params, settings)
    return await render(
        tables,
        fmt,
        f"antwoord-vraag-{question}",
        title=answer_title(question),
        params=params,
        meta={},
        numbered=True,
    )


IMPORT_KINDS = {"trainings": "vormingen", "organisation-trajectories": "leertrajecten"}
IMPORT_STATUSES = {
    "running": "bezig",
    "imported": "geïmporteerd",
    "failed": "mislukt",
    "withdrawn": "ingetrokken",
    "replaced": "vervangen",
}


@router.get("/imports", response_class=HTMLResponse)
async def imports_page(request: Request, _: Analyst, work: Work) -> Response:
    """Every import batch with its progress; refreshes itself while one runs."""
    listed = await batches(work)
    return templates.TemplateResponse(
        request,
        "imports.html",
        {
            "batches": listed,
            "kinds": IMPORT_KINDS,
            "statuses": IMPORT_STATUSES,
            "running": any(
                b["status"] == "running" or not b["visible"]
                for b in listed
                if b["status"] in ("running", "imported")
            ),
        },
    )
