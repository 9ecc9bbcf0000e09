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
    # What adds up, for secondary suppression: per row, column ``total`` = the sum of columns
    # ``parts``; ``total_row``: the last row sums the rows above it in every count column.
    sums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    total_row: bool = False
    # Figures computed from counts (a rate, a share): column -> the counts it is computed from;
    # hidden wherever one of those counts is suppressed.
    derived: tuple[tuple[str, tuple[str, ...]], ...] = ()

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
    sums = (("total", tuple(str(y) for y in years)),) if total_column else ()
    return Table(title, tuple(columns), tuple(rows), sums=sums, total_row=True)


def _equations(table: Table) -> list[list[tuple[int, int]]]:
    """Every set of cells of which one is the sum of the others, as (row, column) indexes."""
    index = {c.key: i for i, c in enumerate(table.columns)}
    counted = [i for i, c in enumerate(table.columns) if c.kind == "count"]
    equations = [
        [(r, index[total]), *((r, index[p]) for p in parts)]
        for r in range(len(table.rows))
        for total, parts in table.sums
    ]
    if table.total_row and len(table.rows) > 1:
        equations += [[(r, c) for r in range(len(table.rows))] for c in counted]
    return equations


def suppress(table: Table, threshold: int) -> Table:
    """Counts between 1 and threshold-1 become None (shown as '<threshold'), so no one can be
    singled out in a report that leaves the agency. Zero stays: it reveals no one.

    Then secondary suppression: where a suppressed cell is the only one hidden in a row or
    column that adds up (``Table.sums``, ``Table.total_row``), it could be recovered by
    subtracting from the total; so the smallest other count of that sum is hidden as well,
    until every sum hides none or at least two of its cells."""
    counted = {i for i, c in enumerate(table.columns) if c.kind == "count"}
    rows = [
        [
            None if i in counted and isinstance(v, int) and 0 < v < threshold else v
            for i, v in enumerate(row)
        ]
        for row in table.rows
    ]
    secondary = 0
    equations = _equations(table)
    changed = True
    while changed:
        changed = False
        for cells in equations:
            hidden = [(r, c) for r, c in cells if rows[r][c] is None and c in counted]
            if len(hidden) != 1:
                continue
            shown = [(v, r, c) for r, c in cells if isinstance(v := rows[r][c], int)]
            if not shown:
                continue
            # The smallest non-zero count; a zero only when nothing else is left to hide.
            _, r, c = min(shown, key=lambda x: (x[0] == 0, x[0], x[1], x[2]))
            rows[r][c] = None
            secondary += 1
            changed = True
    note = f"Aantallen kleiner dan {threshold} zijn afgeschermd (leeg)."
    notes: tuple[str, ...] = (note,)
    if secondary:
        notes += (
            "Om die niet uit de totalen te kunnen afleiden, zijn ook enkele andere aantallen "
            "afgeschermd.",
        )
    return replace(
        table, rows=hide_derived(table, tuple(tuple(r) for r in rows)), notes=(*table.notes, *notes)
    )


def hide_derived(table: Table, rows: tuple[tuple[Cell, ...], ...]) -> tuple[tuple[Cell, ...], ...]:
    """A figure computed from counts (a pass rate, a share) is hidden where one of them is."""
    index = {c.key: i for i, c in enumerate(table.columns)}
    derived = [(index[k], [index[s] for s in sources]) for k, sources in table.derived]
    if not derived:
        return rows
    out = []
    for row in rows:
        cells = list(row)
        for target, sources in derived:
            if any(cells[s] is None for s in sources):
                cells[target] = None
        out.append(tuple(cells))
    return tuple(out)


def year_span(years: Iterable[int], first: int | None, last: int | None) -> list[int]:
    """The year columns: the asked range, else the years that occur."""
    present = sorted(set(years))
    low = first if first is not None else (present[0] if present else None)
    high = last if last is not None else (present[-1] if present else None)
    if low is None or high is None:
        return []
    return list(range(low, high + 1))
