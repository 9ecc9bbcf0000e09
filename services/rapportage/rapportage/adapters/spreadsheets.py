"""Reading an uploaded CSV or XLSX file as a header and numbered rows of text cells."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from rapportage.domain.historical import Exact


class UnreadableFile(ValueError):
    pass


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, column -> text)


def _cell(value: object) -> str:
    """Text of a cell; a number the sheet itself holds stays marked ``Exact`` (its text cannot
    be read two ways)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return Exact(value)
    if isinstance(value, float) and value.is_integer():
        return Exact(int(value))
    if isinstance(value, float):
        return Exact(Decimal(str(value)))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _strip(text: str) -> str:
    return text if isinstance(text, Exact) else text.strip()


def _named(header: list[str], cells: list[str]) -> dict[str, str]:
    return {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header) if name}


def rows_hint(filename: str, content: bytes) -> int:
    """About how many rows a file holds, without reading it: a CSV's lines; an XLSX's size
    (compressed, about 30 bytes a row)."""
    if filename.lower().endswith(".xlsx"):
        return len(content) // 30
    return max(content.count(b"\n") - 1, 0)


def read_sheet(filename: str, content: bytes) -> Sheet:
    if filename.lower().endswith(".xlsx"):
        return _xlsx(content)
    return _csv(content)


def _csv(content: bytes) -> Sheet:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("het bestand is geen UTF-8-tekst") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration as exc:
        raise UnreadableFile("het bestand is leeg") from exc
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if any(c.strip() for c in cells):
            rows.append((start, _named(header, [c.strip() for c in cells])))
    return Sheet(header, rows)


def _xlsx(content: bytes) -> Sheet:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise UnreadableFile("het bestand is geen geldig XLSX-bestand") from exc
    sheet = book.worksheets[0]
    values: Iterator[tuple[object, ...]] = sheet.iter_rows(values_only=True)
    try:
        header = [_cell(h).strip().lower() for h in next(values)]
    except StopIteration as exc:
        raise UnreadableFile("het werkblad is leeg") from exc
    rows = [
        (number, _named(header, [_strip(_cell(c)) for c in cells]))
        for number, cells in enumerate(values, start=2)
        if any(c is not None and str(c).strip() for c in cells)
    ]
    book.close()
    return Sheet(header, rows)
