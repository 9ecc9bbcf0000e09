from decimal import Decimal

import pytest

from rapportage.domain.reports import Column, Table, pivot, suppress, vte, year_span

pytestmark = pytest.mark.unit


def test_pivot_lays_out_rows_per_label_and_a_total_like_table_2():
    table = pivot(
        "t",
        "Regio",
        [("Regio Limburg", 2019, 2), ("Regio Limburg", 2020, 1), ("Regio Brussel", 2020, 4)],
        [2019, 2020],
        row_order=["Regio Brussel", "Regio Limburg", "Regio Antwerpen"],
        total_column="TOTAAL",
    )
    assert table.rows == (
        ("Regio Brussel", 0, 4, 4),
        ("Regio Limburg", 2, 1, 3),
        ("Regio Antwerpen", 0, 0, 0),
        ("Totaal", 2, 5, 7),
    )


def test_suppression_blanks_counts_below_the_threshold_but_not_zero_labels_or_amounts():
    table = Table(
        "t",
        (Column("m", "Maand", "label"), Column("n", "Aantal"), Column("c", "Kost", "amount")),
        (("2026-01", 4, Decimal(3)), ("2026-02", 5, Decimal(1)), ("3", 0, Decimal(0))),
    )
    assert suppress(table, 5).rows == (
        ("2026-01", None, Decimal(3)),
        ("2026-02", 5, Decimal(1)),
        ("3", 0, Decimal(0)),
    )
    assert suppress(table, 5).notes


def test_vte_is_hours_over_the_configured_annual_hours():
    assert vte(Decimal(798), Decimal(1596)) == Decimal("0.50")
    assert vte(Decimal(0), Decimal(1596)) == Decimal("0.00")


def test_year_span_fills_gaps_and_honours_the_asked_range():
    assert year_span([2016, 2018], None, None) == [2016, 2017, 2018]
    assert year_span([2016], 2015, 2017) == [2015, 2016, 2017]
    assert year_span([], None, None) == []
