"""Export cells: a stored text never runs as a formula nor breaks a workbook."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from civic_common.api.exports import safe_cell, safe_text, writable

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+32 470", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd", '=HYPERLINK("http://x")'],
)
def test_formula_leading_cells_are_neutralised(text: str) -> None:
    assert safe_text(text) == "'" + writable(text)


@pytest.mark.parametrize("text", ["-12", "-3,5", "+7", "-0.25", "1e5", "Gent", "a=b", ""])
def test_numbers_and_ordinary_text_stay_as_they_are(text: str) -> None:
    assert safe_text(text) == text


def test_number_values_stay_numbers() -> None:
    for value in (-12, -3.5, Decimal("-1.25"), None, True):
        assert safe_cell(value) is value


def test_characters_xlsx_cannot_hold_are_dropped_and_the_workbook_saves() -> None:
    bad = "Haddad\x00\x01\ud800\uffff\x0b"
    assert writable(bad) == "Haddad"
    book = Workbook()
    sheet = book.active
    sheet.append([safe_cell(bad), safe_cell("=1+1"), safe_cell(-4), safe_cell("regel\nregel")])
    out = io.BytesIO()
    book.save(out)
    row = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(values_only=True))
    assert row == ("Haddad", "'=1+1", -4, "regel\nregel")
