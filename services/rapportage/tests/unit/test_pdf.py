"""The PDF adapter: what a reader of the document sees, read back with pypdf."""

import io
from datetime import datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from rapportage.adapters.pdf import Document, cell_text, nl_number, to_pdf
from rapportage.domain.monthly_counts import BRUSSELS
from rapportage.domain.reports import Column, Table, pivot, suppress

pytestmark = pytest.mark.unit

GENERATED = datetime(2026, 11, 22, 23, 45, tzinfo=BRUSSELS)


def pages(document: Document) -> list[str]:
    content = to_pdf(document)
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    for page in reader.pages:
        width, height = sorted((float(page.mediabox.width), float(page.mediabox.height)))
        assert (round(width), round(height)) == (595, 842), "A4"
    return [page.extract_text() for page in reader.pages]


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def per_region() -> Table:
    return Table(
        "Aantal vormingen naar regio",
        (Column("region", "Regio", "label"), Column("2019", "2019"), Column("2020", "2020")),
        (("Regio Limburg", 1234, 3), ("Regio-overschrijdend", 0, 45), ("Totaal", 1234, 48)),
        ("Vormingen m.b.t. de juridische dienstverlening zijn niet opgenomen.",),
    )


def test_numbers_are_nl_be_and_labels_stay_as_they_are():
    assert nl_number(1234567) == "1.234.567"
    assert nl_number(Decimal("1234.5")) == "1.234,5"
    assert nl_number(Decimal("250.00")) == "250,00"
    assert cell_text(Column("year", "Jaar", "label"), 2019) == "2019"
    assert cell_text(Column("n", "Aantal"), None) == "afgeschermd"
    assert cell_text(Column("share", "Aandeel (%)", "amount"), None) == ""


def test_the_title_parameters_every_row_and_the_notes_appear_in_order():
    document = Document(
        "Antwoord op vraag nr. 321",
        [("Van jaar", "2019"), ("Regio", "Regio Limburg")],
        [per_region()],
        GENERATED,
        numbered=True,
    )
    [text] = pages(document)
    shown = lines(text)
    assert shown[0] == "Antwoord op vraag nr. 321"
    expected = [
        "Van jaar: 2019",
        "Regio: Regio Limburg",
        "Tabel 1: Aantal vormingen naar regio",
        "Regio 2019 2020",
        "Regio Limburg 1.234 3",
        "Regio-overschrijdend 0 45",
        "Totaal 1.234 48",
        "Vormingen m.b.t. de juridische dienstverlening zijn niet opgenomen.",
    ]
    positions = [shown.index(line) for line in expected]
    assert positions == sorted(positions), "title, parameters, table, rows, then the notes"
    assert "Gegenereerd op 22-11-2026 23:45 Pagina 1 van 1" in text


def test_suppressed_cells_show_as_suppressed_and_the_raw_counts_never_appear():
    raw = Table(
        "Onthaalgesprekken per maand",
        (Column("month", "Maand", "label"), Column("intakes", "Onthaalgesprekken")),
        (("2026-03", 3), ("2026-04", 4321), ("2026-05", 0)),
    )
    [text] = pages(
        Document("Onthaal", [("Gemeente (NIS-code)", "71016")], [suppress(raw, 5)], GENERATED)
    )
    shown = lines(text)
    assert "2026-03 afgeschermd" in shown
    assert "2026-04 4.321" in shown
    assert "2026-05 0" in shown, "zero reveals no one and stays"
    assert "Aantallen kleiner dan 5 zijn afgeschermd (leeg)." in shown
    assert not any(line.endswith(" 3") for line in shown)


def test_a_long_table_spans_pages_with_its_header_repeated_on_each():
    rows = tuple((f"Gemeente {n:03d}", n * 1000) for n in range(150))
    table = Table(
        "Inschrijvingen per gemeente",
        (Column("municipality", "Gemeente", "label"), Column("intakes", "Inschrijvingen")),
        rows,
    )
    texts = pages(Document("Inschrijvingen", [], [table], GENERATED))
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        assert "Gemeente Inschrijvingen" in lines(text), f"header on page {number}"
        assert f"Pagina {number} van {len(texts)}" in text
    everything = [line for text in texts for line in lines(text)]
    for label, count in rows:
        assert f"{label} {nl_number(count)}" in everything
    assert everything.count("Gemeente Inschrijvingen") == len(texts), "once per page"


def test_text_beyond_latin_1_survives_and_tables_with_free_text_go_landscape():
    table = Table(
        "Vormingen",
        (
            Column("year", "Jaar", "label"),
            Column("title", "Vorming", "text"),
            Column("cost", "Kostprijs (EUR)", "amount"),
        ),
        ((2019, "Çağdaş vzw – ‘duidelijke taal’ €", Decimal("1234.50")),),
    )
    content = to_pdf(Document("Details", [], [table], GENERATED))
    page = PdfReader(io.BytesIO(content)).pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)
    assert "2019 Çağdaş vzw – ‘duidelijke taal’ € 1.234,50" in lines(page.extract_text())


def test_an_empty_table_says_so():
    table = Table("Leeg", (Column("year", "Jaar", "label"), Column("n", "Aantal")), ())
    [text] = pages(Document("Leeg rapport", [], [table], GENERATED))
    assert "Geen gegevens voor deze selectie." in lines(text)


def test_a_cell_longer_than_a_page_is_cut_and_its_row_kept_whole():
    long = " ".join(f"woord{n}" for n in range(6000))
    table = Table(
        "Evaluatie",
        (Column("year", "Jaar", "label"), Column("text", "Evaluatiecriteria", "text")),
        ((2019, long), (2020, "kort")),
    )
    texts = pages(Document("Lang", [], [table], GENERATED))
    [page] = [lines(t) for t in texts if "Evaluatie" in lines(t)]
    assert page[:3] == ["Evaluatie", "Jaar Evaluatiecriteria", page[2]]
    assert page[2].startswith("2019 woord0 woord1")
    cut = page.index("2020 kort") - 1
    assert page[cut].endswith("…"), "the cut cell ends on the same page as it starts"
    assert "woord5999" not in "".join(texts)


def test_forty_years_are_never_broken_inside_a_year_or_a_word():
    """Regions x 40 years with a total column: wider than a page. The table is printed smaller
    and then in groups of years, each with the region column, and no year or header word is
    ever cut ("201/6", "Aanta/l")."""
    years = list(range(1985, 2025))
    table = pivot(
        "Aantal vormingen naar regio",
        "Regio",
        [(f"Regio {r}", y, (y * 7 + n) % 300) for n, r in enumerate(("Antwerpen", "Limburg"))
         for y in years],
        years,
        total_column="Totaal aantal",
    )  # fmt: skip
    text = "\n".join(pages(Document("Vormingen", [], [table], GENERATED)))
    words = set(text.split())
    assert {str(y) for y in years} <= words, "every year whole"
    assert {"Aantal", "Totaal", "aantal"} <= words
    assert "(deel 1 van" in text and "Regio Antwerpen" in text
    for broken in ("201\n", "\n6 ", "Aanta\n"):
        assert broken not in text


def test_a_header_word_wider_than_its_numbers_widens_the_column():
    table = Table(
        "Smal",
        (Column("year", "Jaar", "label"), Column("n", "Deelnemersaantallen")),
        (("2016", 1),),
    )
    [text] = pages(Document("Smal", [], [table], GENERATED))
    assert "Deelnemersaantallen" in text.split()


def test_the_year_chart_stays_readable_for_forty_years():
    from rapportage.adapters.charts import bar_chart

    years = [str(y) for y in range(1985, 2025)]
    svg = bar_chart("Vormingen per jaar", years, {"Vormingen": [100 + n for n in range(40)]})
    named = [y for y in years if f">{y}</text>" in svg]
    assert named == [str(y) for y in range(1985, 2025, 5)], "every fifth year, in full"
    assert "…" not in svg
    assert ">139</text>" not in svg, "no values printed over forty bars"
    few = bar_chart("Vormingen per jaar", years[-5:], {"Vormingen": [1, 2, 3, 4, 5]})
    assert all(f">{y}</text>" in few for y in years[-5:]) and ">5</text>" in few
