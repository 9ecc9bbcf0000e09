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


def test_a_small_cell_cannot_be_recovered_from_the_totals() -> None:
    """Regions x years with a total row and column: the 3 of Limburg in 2019 is hidden, and so
    is a second cell in its row and in its column, so neither subtraction gives it back."""
    table = pivot(
        "Vormingen",
        "Regio",
        [("Antwerpen", 2019, 40), ("Antwerpen", 2020, 12), ("Limburg", 2019, 3),
         ("Limburg", 2020, 20), ("Brussel", 2019, 9), ("Brussel", 2020, 30)],
        [2019, 2020],
        row_order=["Antwerpen", "Brussel", "Limburg"],
        total_column="TOTAAL",
    )  # fmt: skip
    shared = suppress(table, 5)
    cells = {row[0]: row[1:] for row in shared.rows}
    assert cells["Limburg"][0] is None, "primary"
    # Every row and column that adds up hides none or at least two of its cells.
    for row in shared.rows:
        assert sum(v is None for v in row[1:]) != 1, row
    for column in range(1, 4):
        assert sum(row[column] is None for row in shared.rows) != 1, column
    # Recovering 3 from Limburg's row (23 - 20) or 2019's column (52 - 40 - 9) is impossible.
    assert cells["Limburg"][1] is None or cells["Limburg"][2] is None
    assert cells["Brussel"][0] is None or cells["Totaal"][0] is None
    assert any("andere aantallen" in note for note in shared.notes)
    assert shared.rows[-1][-1] == 114, "the grand total adds nothing to recover"


def test_without_small_cells_nothing_is_hidden() -> None:
    table = pivot("V", "Regio", [("Antwerpen", 2019, 40), ("Limburg", 2019, 0)], [2019])
    assert suppress(table, 5).rows == table.rows


def test_a_share_computed_from_a_suppressed_count_is_suppressed_too():
    table = Table(
        "Tolkaanvragen",
        (Column("language", "Taal", "label"), Column("fulfilled", "Ingevuld"),
         Column("unfulfilled", "Niet ingevuld"), Column("share", "Aandeel", "amount")),
        (("ar", 2, 8, 20.0), ("fa", 9, 6, 60.0)),
        derived=(("share", ("fulfilled", "unfulfilled")),),
    )  # fmt: skip
    rows = suppress(table, 5).rows
    assert rows[0][1] is None and rows[0][3] is None, "20 % of 10 would give the 2 back"
    assert rows[1] == ("fa", 9, 6, 60.0)
