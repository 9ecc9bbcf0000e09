"""Report tables and what is done to them before they are shown or shared. Pure: no I/O."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal


class NotRegistered:
    """A figure the registrations cannot give (the seed: "kan niet uit de huidige
    registratietool worden gegenereerd"). Not zero: it is never summed, and every format
    says so in words. The one instance is ``NOT_REGISTERED``."""

    TEXT = "niet geregistreerd"
    _instance: "NotRegistered | None" = None

    def __new__(cls) -> "NotRegistered":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __str__(self) -> str:
        return self.TEXT

    def __repr__(self) -> str:
        return "NOT_REGISTERED"


NOT_REGISTERED = NotRegistered()
Cell = str | int | Decimal | NotRegistered | None
Kind = Literal["label", "count", "amount", "text"]

REGIONS: tuple[str, ...] = (
    "Antwerpen",
    "Brussel",
    "Limburg",
    "Oost-Vlaanderen",
    "Vlaams-Brabant",
    "West-Vlaanderen",
    "regio-overschrijdend",
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = "count"


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def records(self) -> list[dict[str, Cell]]:
        return [dict(zip((c.key for c in self.columns), row, strict=True)) for row in self.rows]

    def as_json(self) -> dict[str, Any]:
        """Amounts as JSON numbers; a suppressed count is null; a figure that is not
        registered is null too, and its key is listed in the row's ``niet_geregistreerd``."""

        def row_json(row: dict[str, Cell]) -> dict[str, Any]:
            out: dict[str, Any] = {
                k: None if isinstance(v, NotRegistered) else float(v) if isinstance(v, Decimal)
                else v
                for k, v in row.items()
            }  # fmt: skip
            unknown = [k for k, v in row.items() if isinstance(v, NotRegistered)]
            if unknown:
                out["niet_geregistreerd"] = unknown
            return out

        return {
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [row_json(row) for row in self.records()],
            "notes": list(self.notes),
        }


def vte(
    staff_hours: Decimal | NotRegistered | None, annual_hours_per_fte: Decimal
) -> Decimal | NotRegistered:
    """Full-time equivalents: staff hours over the configured hours of one VTE per year.
    Hours not registered give a VTE not registered."""
    if staff_hours is None or isinstance(staff_hours, NotRegistered):
        return NOT_REGISTERED
    return (staff_hours / annual_hours_per_fte).quantize(Decimal("0.01"), ROUND_HALF_UP)


def known_sum(values: Iterable[Decimal | NotRegistered | None]) -> Decimal | NotRegistered:
    """The sum of figures, or not registered when any of them is: an unknown is never 0."""
    total = Decimal(0)
    for value in values:
        if value is None or isinstance(value, NotRegistered):
            return NOT_REGISTERED
        total += value
    return total


# A municipality's region from its NIS code (the province digit; Brussels 21, Flemish
# Brabant 23 and 24). First match wins, so the two-digit prefixes come first.
NIS_REGIONS: tuple[tuple[str, str], ...] = (
    ("21", "Brussel"),
    ("23", "Vlaams-Brabant"),
    ("24", "Vlaams-Brabant"),
    ("1", "Antwerpen"),
    ("3", "West-Vlaanderen"),
    ("4", "Oost-Vlaanderen"),
    ("7", "Limburg"),
)
OUTSIDE = "buiten Vlaanderen en Brussel"


def region_of_nis(nis: str) -> str:
    for prefix, region in NIS_REGIONS:
        if nis.startswith(prefix):
            return region
    return OUTSIDE


def region_label(region: str) -> str:
    """As in the answer to question 321: 'Regio Antwerpen', 'Regio-overschrijdend'."""
    if region == OUTSIDE:
        return "Buiten Vlaanderen en Brussel"
    return "Regio-overschrijdend" if region == "regio-overschrijdend" else f"Regio {region}"


def pivot(
    title: str,
    first_label: str,
    counts: Iterable[tuple[str, int, int]],
    years: Sequence[int],
    *,
    row_order: Sequence[str] | None = None,
    total_row: str = "Totaal",
    total_column: str | None = None,
) -> Table:
    """(row label, year, count) -> one row per label, one column per year, and a total row
    (and optionally a total column), like tables 2 and 3 of the answer to question 321."""
    cells: dict[str, dict[int, int]] = {}
    for label, year, count in counts:
        cells.setdefault(label, {})
        cells[label][year] = cells[label].get(year, 0) + count
    labels = list(row_order) if row_order is not None else sorted(cells)
    columns = [Column("label", first_label, "label")] + [Column(str(y), str(y)) for y in years]
    if total_column:
        columns.append(Column("total", total_column))
    rows: list[tuple[Cell, ...]] = []
    for label in labels:
        values = [cells.get(label, {}).get(y, 0) for y in years]
        rows.append((label, *values, *([sum(values)] if total_column else [])))
    totals = [sum(cells.get(label, {}).get(y, 0) for label in labels) for y in years]
    rows.append((total_row, *totals, *([sum(totals)] if total_column else [])))
    return Table(title, tuple(columns), tuple(rows))


def suppress(table: Table, threshold: int) -> Table:
    """Counts between 1 and threshold-1 become None (shown as '<threshold'), so no one can be
    singled out in a report that leaves the agency. Zero stays: it reveals no one."""
    counted = [i for i, c in enumerate(table.columns) if c.kind == "count"]

    def cell(i: int, value: Cell) -> Cell:
        if i in counted and isinstance(value, int) and 0 < value < threshold:
            return None
        return value

    rows = tuple(tuple(cell(i, v) for i, v in enumerate(row)) for row in table.rows)
    note = f"Aantallen kleiner dan {threshold} zijn afgeschermd (leeg)."
    return replace(table, rows=rows, notes=(*table.notes, note))


def year_span(years: Iterable[int], first: int | None, last: int | None) -> list[int]:
    """The year columns: the asked range, else the years that occur."""
    present = sorted(set(years))
    low = first if first is not None else (present[0] if present else None)
    high = last if last is not None else (present[-1] if present else None)
    if low is None or high is None:
        return []
    return list(range(low, high + 1))
