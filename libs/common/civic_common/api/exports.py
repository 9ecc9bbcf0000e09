"""Cells of downloadable documents (CSV, XLSX, PDF) that one bad stored row cannot break.

- Formula injection (OWASP "CSV injection"): a text cell starting with ``=``, ``+``, ``-``,
  ``@``, tab or carriage return would run as a formula in Excel or LibreOffice; it gets a
  leading ``'`` so it shows as the text it is. Genuine numbers (``-12``, ``-3,5``) and number
  values stay numbers.
- Characters XLSX (XML 1.0) cannot hold — C0 controls but tab, newline and carriage return,
  lone surrogates, U+FFFE/U+FFFF — are dropped, so a text stored before the edge guard existed
  (or imported) never makes openpyxl refuse the whole workbook.
"""

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d+)*|\d*[.,]\d+)([eE][+-]?\d+)?")


def writable(text: str) -> str:
    """``text`` without the characters an XLSX (or a PDF font) cannot hold."""
    return _UNWRITABLE.sub("", text)


def safe_text(text: str) -> str:
    """A text cell as it may go into a CSV or XLSX: writable and never a formula."""
    text = writable(text)
    if text.startswith(FORMULA_LEADS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_cell(value: Any) -> Any:
    """An XLSX cell: numbers, dates and booleans as they are, texts through ``safe_text``."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime | time):
        return value
    return safe_text(str(value))
