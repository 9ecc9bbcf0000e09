"""The historical import format: one row of a file to the data of a historical event. Pure.

Columns are documented in docs/services/rapportage.md; cells may be empty where optional.
Lists are separated by '|'. Numbers are read one way only (``number``): a value that could be
read two ways is refused, never guessed. An empty cost or staff-hours cell is *not registered*
(None), not 0. A row whose region, theme or title says "Totaal" is the file's declared total,
not a registration (``declared_total``).
"""

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from civic_common.agencies import AGENCIES, canonical
from rapportage.domain.reports import REGIONS


class Exact(str):
    """A cell that was a number in the file itself (XLSX): its text is unambiguous."""


# nl-BE: 1.250,50 / 1250,50 / 1.250.000 ; plain decimals: 1250.50 / 1250.5 / 1250
_NL_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")
_NL_DECIMAL = re.compile(r"^\d+,\d+$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$")
_THREE_AFTER = re.compile(r"^\d{1,3}[.,]\d{3}$")

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
    "sessies",
    "groepen",
    "bevraagd",
    "respondenten",
    "tevreden",
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
    """A cell's text; the readers (``adapters.spreadsheets``) strip every cell already."""
    return row.get(column) or ""


def _required(row: Mapping[str, str], column: str) -> str:
    value = _text(row, column)
    if not value:
        raise RowError(f"{column}: verplicht")
    return value


def number(text: str, exact: bool = False) -> Decimal:
    """A number written nl-BE (``1.250,50``, ``1.250.000``, ``1250,5``) or as a plain decimal
    (``1250.50``). Refused as ambiguous: one separator followed by exactly three digits
    (``1.250``, ``1,250``: a thousands mark or a decimal?) and a comma before a point
    (``1,234.56``: English notation in a Belgian file). ``exact``: the file held a number
    (XLSX), not text. Raises ValueError with the reason in Dutch."""
    if text.isdigit():  # the common case, read at once
        return Decimal(text)
    value = text.replace(" ", "").replace("\u00a0", "").replace("€", "")
    if exact:
        return Decimal(value)
    if _THREE_AFTER.match(value):
        raise ValueError(
            f"'{text}' is dubbelzinnig (duizendtal of decimaal?): schrijf zonder "
            "duizendtalpunt (1250) of met decimalen (1.250,00 of 1250.00)"
        )
    if "," in value and "." in value and value.index(",") < value.index("."):
        raise ValueError(f"'{text}' is Engelse notatie: schrijf 1.234,56 of 1234.56")
    if _NL_GROUPED.match(value):
        return Decimal(value.replace(".", "").replace(",", "."))
    if _NL_DECIMAL.match(value):
        return Decimal(value.replace(",", "."))
    if _PLAIN.match(value):
        return Decimal(value)
    raise ValueError(f"'{text}' is geen getal")


# What the projection's columns hold (Postgres integer, numeric(12,2)): a row beyond them is
# refused here, never left for the worker to fail on.
MAX_COUNT = 2**31 - 1
MAX_AMOUNT = Decimal("9999999999.99")


def _int(row: Mapping[str, str], column: str, default: int | None = 0, low: int = 0) -> int | None:
    value = _text(row, column)
    if not value:
        return default
    if value.isdigit():
        if int(value) < low:
            raise RowError(f"{column}: moet minstens {low} zijn")
        if int(value) > MAX_COUNT:
            raise RowError(f"{column}: hoogstens {MAX_COUNT}")
        return int(value)
    try:
        parsed = number(value, isinstance(row.get(column), Exact))
    except ValueError as exc:
        raise RowError(f"{column}: {exc}") from exc
    except InvalidOperation as exc:
        raise RowError(f"{column}: '{value}' is geen geheel getal") from exc
    if parsed != parsed.to_integral_value():
        raise RowError(f"{column}: '{value}' is geen geheel getal")
    if parsed < low:
        raise RowError(f"{column}: moet minstens {low} zijn")
    if parsed > MAX_COUNT:
        raise RowError(f"{column}: hoogstens {MAX_COUNT}")
    return int(parsed)


def _amount(row: Mapping[str, str], column: str) -> Decimal | None:
    """None: the cell is empty, the figure not registered (not 0)."""
    value = _text(row, column)
    if not value:
        return None
    if value.startswith("-"):
        raise RowError(f"{column}: mag niet negatief zijn")
    try:
        amount = number(value, isinstance(row.get(column), Exact))
    except ValueError as exc:
        raise RowError(f"{column}: {exc}") from exc
    except InvalidOperation as exc:
        raise RowError(f"{column}: '{value}' is geen bedrag") from exc
    if amount < 0 or not amount.is_finite():
        raise RowError(f"{column}: mag niet negatief zijn")
    if amount != amount.quantize(Decimal("0.01")):
        raise RowError(f"{column}: '{value}' heeft meer dan twee decimalen")
    if amount > MAX_AMOUNT:
        raise RowError(f"{column}: hoogstens {MAX_AMOUNT}")
    return amount


def _agencies(row: Mapping[str, str], column: str, known: Mapping[str, str]) -> list[str]:
    """Each agency to its code (``AgII`` -> ``agii``); one the reference list does not know is
    refused, so no agency is counted twice under two spellings."""
    names = _list(row, column) or [_required(row, column)]
    codes: list[str] = []
    for name in names:
        code = canonical(name, known)
        if code is None:
            raise RowError(
                f"{column}: '{name}' is geen gekend agentschap ({', '.join(known.values())})"
            )
        if code not in codes:
            codes.append(code)
    return codes


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


def _year(row: Mapping[str, str], this_year: int) -> int:
    year = _int(row, "jaar", default=None, low=1990)
    if year is None:
        raise RowError("jaar: verplicht")
    if year > this_year:
        raise RowError(f"jaar: {year} ligt in de toekomst")
    return year


TOTAL_COLUMNS = ("regio", "thema", "titel", "provincie", "doel", "editie")


def is_total(row: Mapping[str, str]) -> bool:
    """A "Totaal" row (as under the tables of the answers: "Totaal", "Totaal aantal
    vormingen", "TOTAAL") declares a total; it is never imported as a registration."""
    for column in TOTAL_COLUMNS:
        value = row.get(column)
        if value and value.lstrip()[:6].lower() == "totaal":
            return True
    return False


def declared_total(
    row: Mapping[str, str], this_year: int, known: Mapping[str, str] = AGENCIES
) -> dict[str, Any]:
    """The total a file declares for a year (and its agency, when the row names one): the
    number of trainings in ``aantal``, a cost in ``kostprijs_eur`` if given."""
    agencies = _agencies(row, "agentschap", known) if _text(row, "agentschap") else []
    trainings = _int(row, "aantal", default=None)
    cost = _amount(row, "kostprijs_eur")
    if trainings is None and cost is None:
        raise RowError("aantal: verplicht in een totaalrij")
    return {
        "year": _year(row, this_year),
        "agencies": agencies,
        "trainings": trainings,
        "cost_eur": str(cost) if cost is not None else None,
    }


def parse_training(
    row: Mapping[str, str], this_year: int, known: Mapping[str, str] = AGENCIES
) -> dict[str, Any]:
    year = _year(row, this_year)
    data: dict[str, Any] = {
        "year": year,
        "agencies": _agencies(row, "agentschap", known),
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


def parse_trajectory(
    row: Mapping[str, str], this_year: int, known: Mapping[str, str] = AGENCIES
) -> dict[str, Any]:
    edition = _required(row, "editie")
    parts = edition.split("-")
    if not all(p.isdigit() and len(p) == 4 for p in parts) or len(parts) > 2:
        raise RowError(f"editie: '{edition}' is geen jaar of jaar-jaar (2019-2020)")
    if int(parts[0]) > this_year or int(parts[0]) < 1990:
        raise RowError(f"editie: {parts[0]} ligt buiten 1990-{this_year}")
    return {
        "edition": edition,
        "agencies": _agencies(row, "agentschap", known),
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
        "sessions": _int(row, "sessies", default=None),
        "groups": _int(row, "groepen", default=None),
        "invited": _int(row, "bevraagd", default=None),
        "responded": _int(row, "respondenten", default=None),
        "satisfied": _int(row, "tevreden", default=None),
    }


def trajectory_key(data: dict[str, Any]) -> str:
    agencies = "|".join(sorted(data["agencies"]))
    return f"{data['edition']}/{agencies}/{data['region']}/{data['goal']}".lower()


def missing_columns(header: list[str], required: tuple[str, ...]) -> list[str]:
    present = {h.strip().lower() for h in header if h}
    return [c for c in required if c not in present]
