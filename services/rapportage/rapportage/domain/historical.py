"""The historical import format: one row of a file to the data of a historical event. Pure.

Columns are documented in docs/services/rapportage.md; cells may be empty where optional.
Lists are separated by '|'; amounts accept a decimal comma.
"""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from rapportage.domain.reports import REGIONS

TRAINING_COLUMNS = (
    "jaar",
    "agentschap",
    "regio",
    "thema",
    "aanbod",
    "titel",
    "omschrijving",
    "aantal",
    "organisatoren",
    "deelnemers_lokale_besturen",
    "deelnemers_andere",
    "andere_organisaties",
    "kostprijs_eur",
    "personeelsuren",
    "bevraagd",
    "respondenten",
    "tevreden",
    "beslissing",
)
TRAINING_REQUIRED = ("jaar", "agentschap", "regio", "thema")

TRAJECTORY_COLUMNS = (
    "editie",
    "agentschap",
    "partners",
    "provincie",
    "doel",
    "inhoud",
    "organisaties",
    "deelnemers",
    "deelnemende_organisaties",
    "kostprijs_eur",
    "personeelsuren",
    "resultaten",
    "evaluatiecriteria",
)
TRAJECTORY_REQUIRED = ("editie", "agentschap", "provincie", "doel", "inhoud")

OFFERS = {"": None, "open": "open", "open aanbod": "open", "op maat": "custom", "maat": "custom"}
OUTCOMES = {
    "": None,
    "voortgezet": "continued",
    "beëindigd": "stopped",
    "beeindigd": "stopped",
    "aangepast": "adjusted",
}


class RowError(ValueError):
    """Why a row cannot be imported, in Dutch, naming the column."""


def _text(row: Mapping[str, str], column: str) -> str:
    return (row.get(column) or "").strip()


def _required(row: Mapping[str, str], column: str) -> str:
    value = _text(row, column)
    if not value:
        raise RowError(f"{column}: verplicht")
    return value


def _int(row: Mapping[str, str], column: str, default: int | None = 0, low: int = 0) -> int | None:
    value = _text(row, column)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise RowError(f"{column}: '{value}' is geen geheel getal") from exc
    if number < low:
        raise RowError(f"{column}: moet minstens {low} zijn")
    return number


def _amount(row: Mapping[str, str], column: str) -> Decimal:
    value = _text(row, column).replace(" ", "").replace("€", "")
    if not value:
        return Decimal(0)
    if "," in value:  # 1.234,56 (Belgian) -> 1234.56
        value = value.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise RowError(f"{column}: '{_text(row, column)}' is geen bedrag") from exc
    if amount < 0 or not amount.is_finite():
        raise RowError(f"{column}: mag niet negatief zijn")
    return amount


def _list(row: Mapping[str, str], column: str) -> list[str]:
    return [part.strip() for part in _text(row, column).split("|") if part.strip()]


def _region(row: Mapping[str, str], column: str) -> str:
    value = _required(row, column)
    normal = value.removeprefix("Regio ").removeprefix("regio ").strip()
    for region in REGIONS:
        if normal.lower() == region.lower():
            return region
    raise RowError(f"{column}: '{value}' is geen regio ({', '.join(REGIONS)})")


def _choice(row: Mapping[str, str], column: str, choices: Mapping[str, str | None]) -> str | None:
    value = _text(row, column).lower()
    if value not in choices:
        allowed = ", ".join(sorted(c for c in choices if c))
        raise RowError(f"{column}: '{_text(row, column)}' is niet toegelaten ({allowed})")
    return choices[value]


def parse_training(row: Mapping[str, str], this_year: int) -> dict[str, Any]:
    year = _int(row, "jaar", default=None, low=1990)
    if year is None:
        raise RowError("jaar: verplicht")
    if year > this_year:
        raise RowError(f"jaar: {year} ligt in de toekomst")
    data: dict[str, Any] = {
        "year": year,
        "agencies": _list(row, "agentschap") or [_required(row, "agentschap")],
        "region": _region(row, "regio"),
        "theme": _required(row, "thema"),
        "offer": _choice(row, "aanbod", OFFERS),
        "title": _text(row, "titel"),
        "description": _text(row, "omschrijving"),
        "trainings": _int(row, "aantal", default=1, low=1),
        "organisers": _list(row, "organisatoren"),
        "local_government_participants": _int(row, "deelnemers_lokale_besturen"),
        "other_participants": _int(row, "deelnemers_andere"),
        "other_organisations": _list(row, "andere_organisaties"),
        "cost_eur": _amount(row, "kostprijs_eur"),
        "staff_hours": _amount(row, "personeelsuren"),
        "invited": _int(row, "bevraagd", default=None),
        "responded": _int(row, "respondenten", default=None),
        "satisfied": _int(row, "tevreden", default=None),
        "outcome": _choice(row, "beslissing", OUTCOMES),
    }
    invited, responded, satisfied = data["invited"], data["responded"], data["satisfied"]
    if invited is not None and responded is not None and responded > invited:
        raise RowError("respondenten: meer dan bevraagd")
    if responded is not None and satisfied is not None and satisfied > responded:
        raise RowError("tevreden: meer dan respondenten")
    return data


def training_key(data: dict[str, Any]) -> str:
    agencies = "|".join(sorted(data["agencies"]))
    return f"{data['year']}/{agencies}/{data['region']}/{data['theme']}/{data['title']}".lower()


def parse_trajectory(row: Mapping[str, str], this_year: int) -> dict[str, Any]:
    edition = _required(row, "editie")
    parts = edition.split("-")
    if not all(p.isdigit() and len(p) == 4 for p in parts) or len(parts) > 2:
        raise RowError(f"editie: '{edition}' is geen jaar of jaar-jaar (2019-2020)")
    if int(parts[0]) > this_year or int(parts[0]) < 1990:
        raise RowError(f"editie: {parts[0]} ligt buiten 1990-{this_year}")
    return {
        "edition": edition,
        "agencies": _list(row, "agentschap") or [_required(row, "agentschap")],
        "partners": _list(row, "partners"),
        "region": _region(row, "provincie"),
        "goal": _required(row, "doel"),
        "content": _required(row, "inhoud"),
        "organisations": _int(row, "organisaties"),
        "participants": _int(row, "deelnemers"),
        "organisation_names": _list(row, "deelnemende_organisaties"),
        "cost_eur": _amount(row, "kostprijs_eur"),
        "staff_hours": _amount(row, "personeelsuren"),
        "results": _text(row, "resultaten") or None,
        "evaluation_criteria": _list(row, "evaluatiecriteria"),
    }


def trajectory_key(data: dict[str, Any]) -> str:
    agencies = "|".join(sorted(data["agencies"]))
    return f"{data['edition']}/{agencies}/{data['region']}/{data['goal']}".lower()


def missing_columns(header: list[str], required: tuple[str, ...]) -> list[str]:
    present = {h.strip().lower() for h in header if h}
    return [c for c in required if c not in present]
