"""Report tables as a PDF laid out like the answer to a written question: the title, the
parameters, then each table (header row repeated on every page it spans) with its notes under
it; A4, a footer with the generation time and the page numbers. Pure: tables in, bytes out."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from fpdf import FPDF

from civic_common.api.exports import writable
from civic_common.pdf import BOLD, FONT, REGULAR
from rapportage.adapters.exports import SUPPRESSED
from rapportage.domain.reports import Cell, Column, Table

EMPTY = "Geen gegevens voor deze selectie."
# Tables this wide, or with free text, are printed on landscape pages.
LANDSCAPE_FROM_COLUMNS = 8
SMALL_FROM_COLUMNS = 11
TEXT_WIDTH = 90  # mm: the widest a column of free text needs before it wraps
TEXT_MIN = 20  # mm: the narrowest it is made to leave room for the numbers
PT = 25.4 / 72  # mm per point
LEADING = 1.25
PADDING = 1.2  # mm inside a cell
SLACK = 0.5  # mm: a value measured to fit is never wrapped by rounding
HEADER_LINES_KEPT = 6  # room a cut cell leaves for the header row above it
HEADING_HEIGHT = 8  # mm: a table's title line and the space under it
HEADER_FILL, ROW_FILL = 225, 246  # grey levels


@dataclass(frozen=True)
class Document:
    title: str
    parameters: Sequence[tuple[str, str]]  # (Dutch label, value), in the order shown
    tables: Sequence[Table]
    generated_at: datetime
    numbered: bool = False  # "Tabel n: ..." as in the answer to a written question


def nl_number(value: int | Decimal) -> str:
    """nl-BE: 1234567 -> '1.234.567', Decimal('1234.5') -> '1.234,5' (the value's own
    decimals: amounts keep their cents, shares their one decimal)."""
    return f"{value:,}".replace(",", " ").replace(".", ",").replace(" ", ".")


def cell_text(column: Column, value: Cell) -> str:
    if value is None:
        return SUPPRESSED if column.kind == "count" else ""
    # Labels and free text as they are: a year is '2019', not '2.019'.
    if column.kind in ("count", "amount") and isinstance(value, int | Decimal):
        return nl_number(value)
    return writable(str(value))


class _Pdf(FPDF):
    def __init__(self, generated_at: datetime, orientation: str) -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.generated_at = generated_at

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(90)
        moment = self.generated_at.strftime("%d-%m-%Y %H:%M")
        self.cell(0, 5, f"Gegenereerd op {moment}", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Pagina {self.page_no()} van {{nb}}", align="R")


def _landscape(tables: Sequence[Table]) -> bool:
    return any(
        len(t.columns) >= LANDSCAPE_FROM_COLUMNS or any(c.kind == "text" for c in t.columns)
        for t in tables
    )


class TooWide(ValueError):
    """The table's columns do not fit the page without breaking a word."""


SIZES = (9.0, 7.0, 6.0, 5.5)  # pt: a wide table is printed smaller before it is split


def _grid(pdf: _Pdf, table: Table) -> "_Grid | None":
    """The table at the largest size at which it fits the page unbroken, or None."""
    start = 7.0 if len(table.columns) >= SMALL_FROM_COLUMNS else 9.0
    for size in (s for s in SIZES if s <= start):
        try:
            return _Grid(pdf, table, size)
        except TooWide:
            continue
    return None


def column_groups(table: Table, fits: "Callable[[Table], bool]") -> list[Table]:
    """A table too wide for the page, as tables of as many columns as fit, each repeating the
    first (label) column: e.g. 40 years in groups of years."""
    first, rest = table.columns[0], list(range(1, len(table.columns)))
    groups: list[list[int]] = []
    current: list[int] = []
    for index in rest:
        trial = [*current, index]
        if current and not fits(_columns(table, trial, first)):
            groups.append(current)
            trial = [index]
        current = trial
    if current:
        groups.append(current)
    parts = []
    for number, group in enumerate(groups, start=1):
        part = _columns(table, group, first)
        title = f"{table.title} (deel {number} van {len(groups)})"
        parts.append(replace(part, title=title, notes=table.notes if number == len(groups) else ()))
    return parts


def _columns(table: Table, indexes: list[int], first: Column) -> Table:
    keep = [0, *indexes]
    return replace(
        table,
        columns=(first, *(table.columns[i] for i in indexes)),
        rows=tuple(tuple(row[i] for i in keep) for row in table.rows),
        sums=(),
        total_row=False,
    )


class _Grid:
    """One table drawn with fpdf's primitives (text, rect): fpdf's own table wraps every cell
    twice through multi_cell, some 11 times slower, which a report of thousands of rows feels.
    Rows never split; the header row is drawn again on top of every page the table reaches."""

    def __init__(self, pdf: _Pdf, table: Table, size: float | None = None) -> None:
        self.pdf, self.table = pdf, table
        self.size = size or (7.0 if len(table.columns) >= SMALL_FROM_COLUMNS else 9.0)
        size_mm = self.size * PT
        self.line = size_mm * LEADING
        # DejaVu's ascent and descent, in ems: centres the glyphs in their line.
        self.baseline = (self.line - 1.164 * size_mm) / 2 + 0.928 * size_mm
        self.right = [c.kind not in ("label", "text") for c in table.columns]
        self.widths_of: dict[tuple[str, str], float] = {}
        self.style = ""
        self.texts = [
            [cell_text(c, v) for c, v in zip(table.columns, row, strict=True)] for row in table.rows
        ]
        self.widths = self._column_widths()
        self.header = self._layout([c.label for c in table.columns], "B")
        self.rows = [self._layout(texts, "") for texts in self.texts]

    def _column_widths(self) -> list[float]:
        """Numbers and labels as wide as their widest value, a header as wide as its widest
        word: none is ever broken inside a word ("201/6", "Aanta/l"). Free text shares the rest
        of the page width, in proportion to its length, never narrower than its longest word
        (up to ``TEXT_MIN``). A table whose unbreakable minimum is wider than the page raises
        ``TooWide``: it is printed smaller or in column groups instead."""
        pdf, columns = self.pdf, self.table.columns
        self._font("B")
        headers = [max(self._measure(w) for w in c.label.split() or [""]) for c in columns]
        self._font("")
        widths: list[float] = []
        least: list[float] = []
        for i, column in enumerate(columns):
            widest = max(self._measure(row[i]) for row in self.texts)
            if column.kind == "text":
                word = max(
                    (self._measure(w) for row in self.texts for w in row[i].split()), default=0.0
                )
                least.append(max(headers[i], min(word, TEXT_MIN)) + 2 * PADDING + SLACK)
                widest = min(widest, TEXT_WIDTH)
            widths.append(max(headers[i], widest) + 2 * PADDING + SLACK)
            if column.kind != "text":
                least.append(widths[-1])
        if sum(least) > pdf.epw:
            raise TooWide(sum(least))
        text = [i for i, c in enumerate(columns) if c.kind == "text"]
        if text:
            room = pdf.epw - sum(w for i, w in enumerate(widths) if i not in text)
            natural = sum(widths[i] for i in text)
            for i in text:
                widths[i] = max(least[i], room * widths[i] / natural)
        if sum(widths) > pdf.epw:  # only text columns give way, down to their longest word
            excess = sum(widths) - pdf.epw
            give = [i for i in text if widths[i] > least[i]]
            slack = sum(widths[i] - least[i] for i in give)
            for i in give:
                widths[i] -= excess * (widths[i] - least[i]) / slack
        return widths

    def _font(self, style: str) -> None:
        self.style = style
        self.pdf.set_font(FONT, style, self.size)

    def _measure(self, text: str) -> float:
        key = (self.style, text)
        if key not in self.widths_of:
            self.widths_of[key] = self.pdf.get_string_width(text)
        return self.widths_of[key]

    def _pieces(self, word: str, width: float) -> list[str]:
        """A word wider than its column is broken between characters."""
        if self._measure(word) <= width:
            return [word]
        pieces, current = [], ""
        for char in word:
            if current and self._measure(current + char) > width:
                pieces.append(current)
                current = ""
            current += char
        return [*pieces, current]

    def _wrap(self, text: str, width: float) -> list[str]:
        space = self._measure(" ")
        lines: list[str] = []
        for paragraph in text.split("\n"):
            current: list[str] = []
            used = 0.0
            for word in paragraph.split():
                for piece in self._pieces(word, width):
                    needed = self._measure(piece)
                    if current and used + space + needed > width:
                        lines.append(" ".join(current))
                        current, used = [], 0.0
                    used += (space if current else 0.0) + needed
                    current.append(piece)
            lines.append(" ".join(current))
        return lines

    def _layout(self, texts: list[str], style: str) -> tuple[str, list[list[str]], float]:
        self._font(style)
        cells = [self._wrap(t, w - 2 * PADDING) for t, w in zip(texts, self.widths, strict=True)]
        room = self.pdf.page_break_trigger - self.pdf.t_margin - 4 * PADDING
        most = max(1, int(room / self.line) - HEADER_LINES_KEPT)
        # A cell longer than a page is cut with an ellipsis: rows never split.
        cells = [c if len(c) <= most else [*c[: most - 1], c[most - 1] + " …"] for c in cells]
        return style, cells, max(len(c) for c in cells) * self.line + 2 * PADDING

    def _draw(self, row: tuple[str, list[list[str]], float], fill: int | None) -> None:
        style, cells, height = row
        self._font(style)
        pdf, x, top = self.pdf, self.pdf.l_margin, self.pdf.get_y()
        for lines, width, right in zip(cells, self.widths, self.right, strict=True):
            if fill is not None:
                pdf.set_fill_color(fill)
            pdf.rect(x, top, width, height, style="DF" if fill is not None else "D")
            for number, line in enumerate(lines):
                left = x + width - PADDING - self._measure(line) if right else x + PADDING
                pdf.text(left, top + PADDING + number * self.line + self.baseline, line)
            x += width
        pdf.set_y(top + height)

    def _fits(self, height: float) -> bool:
        return self.pdf.get_y() + height <= self.pdf.page_break_trigger

    def first_height(self) -> float:
        return self.header[2] + self.rows[0][2]

    def draw(self) -> None:
        self.pdf.set_draw_color(150)
        self.pdf.set_line_width(0.2)
        if not self._fits(self.first_height()):
            self.pdf.add_page()
        self._draw(self.header, HEADER_FILL)
        for number, row in enumerate(self.rows):
            if not self._fits(row[2]):
                self.pdf.add_page()
                self._draw(self.header, HEADER_FILL)
            self._draw(row, ROW_FILL if number % 2 else None)


def _table(pdf: _Pdf, heading: str, table: Table) -> None:
    grid = _grid(pdf, table) if table.rows else None
    if table.rows and grid is None:
        parts = column_groups(table, lambda part: _grid(pdf, part) is not None)
        for part in parts:
            _table(pdf, heading + part.title.removeprefix(table.title), part)
        return
    # A table's title is not left alone at the foot of a page: it goes with the header row and
    # the first row.
    first = grid.first_height() if grid else 0.0
    if pdf.get_y() + HEADING_HEIGHT + first > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    if grid:
        grid.draw()
    else:
        pdf.set_font(FONT, size=9)
        pdf.multi_cell(0, 5, EMPTY, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8)
    for note in table.notes:
        pdf.ln(1)
        pdf.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)


def to_pdf(document: Document) -> bytes:
    pdf = _Pdf(document.generated_at, "L" if _landscape(document.tables) else "P")
    pdf.add_font(FONT, "", REGULAR)
    pdf.add_font(FONT, "B", BOLD)
    pdf.set_title(document.title)
    pdf.set_lang("nl-BE")
    pdf.set_creator("Rapportage")
    pdf.set_creation_date(document.generated_at)
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()

    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 8, document.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FONT, size=9)
    for label, value in document.parameters:
        pdf.multi_cell(0, 5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)

    for number, table in enumerate(document.tables, start=1):
        heading = f"Tabel {number}: {table.title}" if document.numbered else table.title
        _table(pdf, heading, table)
    return bytes(pdf.output())
