"""Reading a historical file's cells: numbers one way only, agencies by one code, "Totaal"
rows as declared totals, empty figures not registered."""

from decimal import Decimal

import pytest

from civic_common.agencies import canonical
from rapportage.domain.historical import (
    Exact,
    RowError,
    declared_total,
    is_total,
    number,
    parse_training,
)
from rapportage.domain.reports import region_of_nis


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.250,50", Decimal("1250.50")),
        ("1250,50", Decimal("1250.50")),
        ("1.250.000", Decimal("1250000")),
        ("1.250.000,5", Decimal("1250000.5")),
        ("1250.50", Decimal("1250.50")),
        ("1250.5", Decimal("1250.5")),
        ("1596", Decimal("1596")),
        ("€ 705.683,92", Decimal("705683.92")),
        ("0,5", Decimal("0.5")),
    ],
)
def test_nl_be_and_plain_decimals_read_one_way(text: str, value: Decimal) -> None:
    assert number(text) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.250", "dubbelzinnig"),
        ("1.596", "dubbelzinnig"),
        ("1,250", "dubbelzinnig"),
        ("1,234.56", "Engelse notatie"),
        ("12a", "geen getal"),
        ("1.2.3", "geen getal"),
    ],
)
def test_ambiguous_numbers_are_refused_with_a_dutch_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        number(text)


def test_a_number_cell_of_a_spreadsheet_is_exact() -> None:
    assert number(Exact("1.596"), exact=True) == Decimal("1.596")


def row(**cells: str) -> dict[str, str]:
    base = {"jaar": "2019", "agentschap": "AgII", "regio": "Limburg", "thema": "Taal"}
    return base | cells


def test_staff_hours_1_596_never_become_0_vte() -> None:
    with pytest.raises(RowError, match=r"personeelsuren: '1\.596' is dubbelzinnig"):
        parse_training(row(personeelsuren="1.596"), 2026)
    assert parse_training(row(personeelsuren="1596"), 2026)["staff_hours"] == Decimal(1596)


def test_an_empty_cost_is_not_registered_and_zero_is_zero() -> None:
    empty = parse_training(row(), 2026)
    assert empty["cost_eur"] is None and empty["staff_hours"] is None
    assert parse_training(row(kostprijs_eur="0"), 2026)["cost_eur"] == Decimal(0)


def test_agencies_become_one_code_and_unknown_ones_are_refused() -> None:
    assert parse_training(row(agentschap="AgII|agii|Atlas"), 2026)["agencies"] == [
        "agii",
        "atlas",
    ]
    assert canonical("Agentschap Integratie en Inburgering") == "agii"
    assert canonical("IN-Gent") == canonical("ingent") == "in-gent"
    with pytest.raises(RowError, match="agentschap: 'AgIII' is geen gekend agentschap"):
        parse_training(row(agentschap="AgIII"), 2026)


def test_a_totaal_row_is_a_declared_total() -> None:
    total = row(agentschap="Atlas", thema="Totaal", aantal="268")
    assert is_total(total) and is_total(row(regio="Totaal")) and not is_total(row())
    assert declared_total(total, 2026) == {
        "year": 2019,
        "agencies": ["atlas"],
        "trainings": 268,
        "cost_eur": None,
    }


def test_the_region_of_a_municipality_from_its_nis_code() -> None:
    assert [region_of_nis(n) for n in ("11002", "21004", "23088", "24062", "31005", "44021",
                                       "71016", "57081")] == [
        "Antwerpen", "Brussel", "Vlaams-Brabant", "Vlaams-Brabant", "West-Vlaanderen",
        "Oost-Vlaanderen", "Limburg", "buiten Vlaanderen en Brussel",
    ]  # fmt: skip


def test_a_figure_beyond_what_the_projection_holds_is_refused_at_the_import() -> None:
    """An integer column holds 2**31 - 1, numeric(12,2) 9,999,999,999.99: a row beyond them
    is refused with its reason, never left for the worker (tests/e2e/test_worker_extremes.py)."""
    most = parse_training(row(aantal=str(2**31 - 1), kostprijs_eur="9999999999,99"), 2026)
    assert most["trainings"] == 2**31 - 1 and most["cost_eur"] == Decimal("9999999999.99")
    with pytest.raises(RowError, match="aantal: hoogstens 2147483647"):
        parse_training(row(aantal=str(2**31)), 2026)
    with pytest.raises(RowError, match="bevraagd: hoogstens"):
        parse_training(row(bevraagd="2.147.483.648"), 2026)
    with pytest.raises(RowError, match=r"kostprijs_eur: hoogstens 9999999999\.99"):
        parse_training(row(kostprijs_eur="10000000000"), 2026)
