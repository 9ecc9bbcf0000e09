"""Disclosure control across the tables that leave the agency together. Pure: no I/O.

A *release* is every table one partner can get for one scope and one set of parameters (a
family of reports, e.g. the newcomer indicators). Its tables are computed from the same units
(persons, trajectories, trainings), so one table's cells are linked to another's: a suppressed
count in one table may be the difference of published counts in two others. Cell-by-cell rules
cannot see that, so the release is audited as an attacker would attack it:

- *atoms*: groups of units alike in every attribute any table of the release uses, each with
  its number of units; every count cell is a sum of atoms (``Linkage``: which cells an atom
  counts in, and how often). The attacker knows these definitions and which atoms exist, but
  not how many units each holds;
- the attacker's knowledge: every published count (an equation), every suppressed count is at
  least 1 (zeros are shown), and no atom is negative;
- for each suppressed cell, the smallest and largest value it can take under that knowledge
  (two linear programmes: the same audit tau-Argus and sdcTable do on linked tables).

Primary suppression hides every count from 1 to threshold − 1. A primary cell is protected when
the attacker cannot rule out that it is at least the threshold (its upper bound reaches it); any
other suppressed cell when it is not determined exactly. An unprotected cell gets a
complementary suppression: the smallest published non-zero count that shares an atom with it,
until it is protected. The pattern is computed once for the whole release, so every table of it
hides the same cells whatever report is asked first.
"""

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from rapportage.domain.reports import Cell, Table, hide_derived

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Atom:
    """Units alike in every attribute the release's tables use: ``key`` their attributes,
    ``units`` how many."""

    key: Key
    units: int


@dataclass(frozen=True)
class Contribution:
    """An atom counts ``weight`` times per unit in the cell of this row (its label cells, as
    the table shows them) and count column."""

    row: tuple[Cell, ...]
    column: str
    weight: int = 1


SECONDARY_NOTE = (
    "Om die niet uit de totalen of uit andere tabellen te kunnen afleiden, zijn ook enkele "
    "andere aantallen afgeschermd."
)
Linkage = Callable[[Atom], Iterable[Contribution]]


class UnlinkedCell(AssertionError):
    """A published count is not the sum its linkage says: the linkage no longer matches the
    report's query. Nothing may leave until they agree again."""


@dataclass(frozen=True)
class Interval:
    low: float
    high: float  # math.inf: no upper bound


@dataclass(frozen=True)
class Protected:
    tables: tuple[Table, ...]
    primary: frozenset[tuple[int, int, int]]  # (table, row, column)
    secondary: frozenset[tuple[int, int, int]]


def label_positions(table: Table) -> list[int]:
    return [i for i, c in enumerate(table.columns) if c.kind == "label"]


def _cells(
    tables: Sequence[Table], atoms: Sequence[Atom], linkages: Sequence[Linkage]
) -> dict[tuple[int, int, int], dict[int, int]]:
    """Every count cell as a sum of atoms: {(table, row, column): {atom: weight}}."""
    out: dict[tuple[int, int, int], dict[int, int]] = {}
    for t, (table, linkage) in enumerate(zip(tables, linkages, strict=True)):
        labels = label_positions(table)
        rows = {tuple(row[i] for i in labels): r for r, row in enumerate(table.rows)}
        columns = {c.key: i for i, c in enumerate(table.columns)}
        for r, row in enumerate(table.rows):
            for c, column in enumerate(table.columns):
                if column.kind == "count" and isinstance(row[c], int):
                    out[(t, r, c)] = {}
        for a, atom in enumerate(atoms):
            for part in linkage(atom):
                r = rows.get(tuple(part.row))
                if r is None:
                    raise UnlinkedCell(f"{table.title}: no row {part.row}")
                cell = (t, r, columns[part.column])
                if cell not in out:
                    raise UnlinkedCell(f"{table.title}: {part.column} of {part.row} is no count")
                out[cell][a] = out[cell].get(a, 0) + part.weight
        for cell, terms in out.items():
            if cell[0] != t:
                continue
            value = table.rows[cell[1]][cell[2]]
            summed = sum(atoms[a].units * w for a, w in terms.items())
            if summed != value:
                raise UnlinkedCell(
                    f"{table.title}: {table.columns[cell[2]].key} of row {cell[1]} is {value}, "
                    f"its atoms add up to {summed}"
                )
    return out


def bounds(
    target: dict[int, int],
    published: dict[tuple[int, int, int], int],
    hidden: Iterable[tuple[int, int, int]],
    cells: dict[tuple[int, int, int], dict[int, int]],
    atom_count: int,
) -> Interval:
    """The smallest and largest value the cell ``target`` can take for an attacker who knows
    the published counts, that each hidden count is at least 1 and no atom is negative."""
    if atom_count == 0 or not target:
        return Interval(0.0, 0.0)
    eq = list(published)
    ub = list(hidden)

    def matrix(rows: list[tuple[int, int, int]]) -> csr_matrix | None:
        if not rows:
            return None
        data, row_index, col_index = [], [], []
        for i, cell in enumerate(rows):
            for a, w in cells[cell].items():
                data.append(float(w))
                row_index.append(i)
                col_index.append(a)
        return csr_matrix((data, (row_index, col_index)), shape=(len(rows), atom_count))

    a_eq = matrix(eq)
    b_eq = [float(published[c]) for c in eq] if eq else None
    a_ub = matrix(ub)
    a_ub = -a_ub if a_ub is not None else None
    b_ub = [-1.0] * len(ub) if ub else None
    objective = [0.0] * atom_count
    for a, w in target.items():
        objective[a] = float(w)
    found = []
    for sign in (1.0, -1.0):
        result = linprog(
            [sign * w for w in objective],
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=a_eq,
            b_eq=b_eq,
            bounds=(0, None),
            method="highs",
        )
        if result.status == 3:  # unbounded: only the maximum can be
            found.append(math.inf)
        elif result.status != 0:
            raise ArithmeticError(f"disclosure audit: {result.message}")
        else:
            found.append(sign * result.fun)
    low, high = found
    # Whole units: the attacker rounds inwards.
    return Interval(
        float(math.ceil(low - 1e-6)), high if math.isinf(high) else float(math.floor(high + 1e-6))
    )


def protect(
    tables: Sequence[Table],
    atoms: Sequence[Atom],
    linkages: Sequence[Linkage],
    threshold: int,
) -> Protected:
    """The release with its small counts suppressed and complementary suppressions where the
    other tables' published counts would give one back (see the module's docstring)."""
    cells = _cells(tables, atoms, linkages)

    def value(cell: tuple[int, int, int]) -> int:
        v = tables[cell[0]].rows[cell[1]][cell[2]]
        assert isinstance(v, int)
        return v

    primary = {cell for cell in cells if 0 < value(cell) < threshold}
    hidden = set(primary)
    # Which cells hold each atom: the candidates for a complementary suppression.
    holding: dict[int, list[tuple[int, int, int]]] = {}
    for cell, terms in cells.items():
        for a in terms:
            holding.setdefault(a, []).append(cell)

    def protected(cell: tuple[int, int, int]) -> bool:
        published = {c: value(c) for c in cells if c not in hidden}
        found = bounds(cells[cell], published, hidden, cells, len(atoms))
        if cell in primary:
            return found.high >= threshold
        return found.high > found.low

    # Each complementary suppression only relaxes what the attacker knows (an equation
    # becomes "at least 1"), so a cell once protected stays protected.
    queue = sorted(primary)
    while queue:
        cell = queue.pop(0)
        while not protected(cell):
            candidates = sorted(
                {c for a in cells[cell] for c in holding[a] if c not in hidden and value(c) > 0},
                key=lambda c: (value(c), c),
            )
            if not candidates:
                raise ArithmeticError(f"disclosure audit: cell {cell} cannot be protected")
            hidden.add(candidates[0])
            queue.append(candidates[0])
    secondary = hidden - primary
    out = []
    for t, table in enumerate(tables):
        mine = {(r, c) for (tt, r, c) in hidden if tt == t}
        rows = tuple(
            tuple(None if (r, c) in mine else v for c, v in enumerate(row))
            for r, row in enumerate(table.rows)
        )
        notes = (f"Aantallen kleiner dan {threshold} zijn afgeschermd (leeg).",)
        if any(tt == t for tt, _, _ in secondary):
            notes += (SECONDARY_NOTE,)
        out.append(replace(table, rows=hide_derived(table, rows), notes=(*table.notes, *notes)))
    return Protected(tuple(out), frozenset(primary), frozenset(secondary))
