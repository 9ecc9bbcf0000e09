"""Tables as JSON, CSV or XLSX responses, and the query parameters every report takes."""

from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response

from rapportage.adapters.exports import to_csv, to_xlsx
from rapportage.app.catalogue import Params
from rapportage.domain.reports import REGIONS, Table
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
    return JSONResponse(meta | {"tables": [t.as_json() for t in tables]})
