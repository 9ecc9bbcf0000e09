"""Tables as JSON, CSV or XLSX responses, and the query parameters every report takes."""

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response

from rapportage.adapters.exports import to_csv, to_xlsx
from rapportage.app.catalogue import Params
from rapportage.domain.reports import REGIONS, Cell, Table
from rapportage.settings import RapportageSettings

Format = Literal["json", "csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_params(
    from_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    to_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    agency: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    region: Annotated[Literal[REGIONS] | None, Query()] = None,  # type: ignore[valid-type]
    municipality_nis: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
) -> Params:
    return Params(from_year, to_year, agency, region, municipality_nis)


def settings_of(request: Request) -> RapportageSettings:
    return request.app.state.rapportage_settings


def _json(value: Cell) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def table_json(table: Table) -> dict[str, Any]:
    return {
        "title": table.title,
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in table.columns],
        "rows": [{k: _json(v) for k, v in row.items()} for row in table.records()],
        "notes": list(table.notes),
    }


def render(
    tables: list[Table],
    fmt: Format,
    filename: str,
    meta: dict[str, Any],
    numbered: bool = False,
) -> Response:
    if fmt == "csv":
        return Response(
            "\ufeff" + to_csv(tables),  # the BOM makes Excel read UTF-8
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            to_xlsx(tables, numbered),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )
    return JSONResponse(meta | {"tables": [table_json(t) for t in tables]})


def params_json(params: Params) -> dict[str, Any]:
    return {k: v for k, v in vars(params).items() if v is not None}
