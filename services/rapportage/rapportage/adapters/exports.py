"""Report tables as downloadable documents: CSV (one table) and XLSX (a sheet per table)."""

import csv
import io
import re
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from civic_common.api.exports import safe_cell, safe_text, writable
from rapportage.domain.reports import Cell, NotRegistered, Table

SUPPRESSED = "afgeschermd"


def _text(value: Cell) -> str:
    """A CSV cell: numbers as numbers, texts neutralised (no formulas, no unwritable
    characters; civic_common.api.exports)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, int | float):
        return str(value)
    return safe_text(str(value))


def _cell(kind: str, value: Cell) -> str:
    return SUPPRESSED if value is None and kind == "count" else _text(value)


def to_csv(tables: Sequence[Table]) -> str:
    """Semicolon-separated (Belgian Excel); several tables follow each other, a title line and
    a blank line apart."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for number, table in enumerate(tables):
        if len(tables) > 1:
            if number:
                writer.writerow([])
            writer.writerow([safe_text(table.title)])
        writer.writerow([safe_text(c.label) for c in table.columns])
        for row in table.rows:
            writer.writerow([_cell(c.kind, v) for c, v in zip(table.columns, row, strict=True)])
    return out.getvalue()


def _sheet_name(title: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", " ", writable(title))[:28].strip() or "Tabel"
    name, n = base, 2
    while name in taken:
        name, n = f"{base[:25]} {n}", n + 1
    taken.add(name)
    return name


def to_xlsx(tables: Sequence[Table], numbered: bool = False) -> bytes:
    """One sheet per table: its title, a bold header row, then the rows; numbers stay numbers.
    ``numbered`` prefixes 'Tabel n:' as in the answer to a written question."""
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for number, table in enumerate(tables, start=1):
        title = f"Tabel {number}: {table.title}" if numbered else table.title
        sheet = book.create_sheet(_sheet_name(title, taken))
        sheet.append([safe_text(title)])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append([safe_text(c.label) for c in table.columns])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            sheet.append(
                [
                    (
                        float(v)
                        if isinstance(v, Decimal)
                        else str(v)
                        if isinstance(v, NotRegistered)
                        else safe_cell(v)
                    )
                    if v is not None or c.kind != "count"
                    else SUPPRESSED
                    for c, v in zip(table.columns, row, strict=True)
                ]
            )
        for note in table.notes:
            sheet.append([])
            sheet.append([safe_text(note)])
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = (
                40 if column.kind == "text" else 16
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
