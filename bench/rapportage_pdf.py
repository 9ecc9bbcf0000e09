"""Rendering a report as PDF, against rendering the same tables as XLSX.

Builds one table like ``training-details`` (year, agencies, theme, title, organisers, counts,
cost, VTE) with ``--rows`` rows, then in the same run times ``to_xlsx`` (the baseline: the other
download format of a whole document) and ``to_pdf`` on it.

    .venv/bin/python bench/rapportage_pdf.py [--rows 5000]

The last line is the ratio PDF/XLSX in rows per second.
"""

import argparse
import random
import time
from datetime import UTC, datetime
from decimal import Decimal

from rapportage.adapters.exports import to_xlsx
from rapportage.adapters.pdf import Document, to_pdf
from rapportage.domain.reports import Column, Table

COLUMNS = (
    Column("year", "Jaar", "label"),
    Column("agencies", "Organiserende agentschappen", "text"),
    Column("theme", "Thema", "text"),
    Column("title", "Vorming", "text"),
    Column("organisers", "Organisator(en)", "text"),
    Column("trainings", "Aantal"),
    Column("participants", "Deelnemers"),
    Column("cost_eur", "Kostprijs (EUR)", "amount"),
    Column("vte", "VTE", "amount"),
)
THEMES = ("Duidelijke taal", "Werken met tolken", "Superdiversiteit in Brussel", "Meertaligheid")


def table(rows: int) -> Table:
    rng = random.Random(7)
    return Table(
        "Vormingen in detail",
        COLUMNS,
        tuple(
            (
                2016 + n % 5,
                rng.choice(("AgII", "Atlas", "AgII, IN-Gent")),
                rng.choice(THEMES),
                f"Vorming {n}: {rng.choice(THEMES).lower()} voor lokale besturen",
                "consulenten integratie",
                rng.randrange(1, 4),
                rng.randrange(0, 2000),
                Decimal(rng.randrange(0, 500_000)) / 100,
                Decimal(rng.randrange(0, 300)) / 100,
            )
            for n in range(rows)
        ),
        ("Een gezamenlijke vorming telt voor elk organiserend agentschap.",),
    )


def timed(work: object) -> tuple[float, int]:
    start = time.perf_counter()
    size = len(work())  # type: ignore[operator]
    return time.perf_counter() - start, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    rows = parser.parse_args().rows
    data = table(rows)
    document = Document("Vormingen", [("Van jaar", "2016")], [data], datetime.now(UTC))
    xlsx_seconds, xlsx_size = timed(lambda: to_xlsx([data]))
    pdf_seconds, pdf_size = timed(lambda: to_pdf(document))
    print(f"rows: {rows}")
    print(f"xlsx: {xlsx_seconds:.2f} s, {rows / xlsx_seconds:,.0f} rows/s, {xlsx_size:,} bytes")
    print(f"pdf:  {pdf_seconds:.2f} s, {rows / pdf_seconds:,.0f} rows/s, {pdf_size:,} bytes")
    print(f"ratio pdf/xlsx rows per second: {xlsx_seconds / pdf_seconds:.2f}")


if __name__ == "__main__":
    main()
