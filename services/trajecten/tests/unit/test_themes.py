from datetime import date

import pytest

from trajecten.domain.themes import UNMAPPED, Theme, ThemeCatalogue, UnknownTheme, theme_catalogue

pytestmark = pytest.mark.unit


def test_the_shipped_catalogue_holds_the_seeds_themes_with_dutch_labels():
    themes = theme_catalogue()
    assert themes.version == "2021.1"
    assert themes.label("communiceren-met-tolken") == "Communiceren door middel van tolken"
    assert themes.label(UNMAPPED) == "Overig (niet gemapt)"
    codes = [t.code for t in themes.themes]
    assert len(codes) == len(set(codes)) >= 30


def test_only_an_assignable_code_valid_that_day_is_accepted():
    themes = ThemeCatalogue(
        version="2030.1",
        valid_from=date(2030, 1, 1),
        themes=(
            Theme(code="nieuw", label="Nieuw", valid_from=date(2030, 3, 1)),
            Theme(code="oud", label="Oud", valid_until=date(2030, 1, 31)),
            Theme(code=UNMAPPED, label="Overig", assignable=False),
        ),
    )
    assert themes.assign("nieuw", date(2030, 3, 1)).label == "Nieuw"
    assert themes.assign("oud", date(2030, 1, 31)).label == "Oud"
    for code, day in [
        ("nieuw", date(2030, 2, 28)),
        ("oud", date(2030, 2, 1)),
        (UNMAPPED, date(2030, 5, 1)),
        ("Meertaligheid", date(2030, 5, 1)),
    ]:
        with pytest.raises(UnknownTheme) as raised:
            themes.assign(code, day)
        assert raised.value.field == "theme_code"


@pytest.mark.parametrize(
    ("free_text", "code"),
    [
        ("Meertaligheid", "meertaligheid"),
        ("  duidelijk GESPROKEN taal ", "duidelijk-gesproken-taal"),
        ("Tolken", "communiceren-met-tolken"),
        ("Klare Taal schrijven", "duidelijk-geschreven-taal"),
        ("Nederlands voor taalbuddy’s", "nederlands-voor-taalbuddys"),
        ("Cultuursensitieve zorg", "cultuursensitief-handelen"),
        ("Iets heel anders", UNMAPPED),
        ("", UNMAPPED),
        ("Overig (niet gemapt)", UNMAPPED),  # never chosen by matching, only as the fallback
    ],
)
def test_free_text_themes_map_to_codes_or_to_unmapped(free_text, code):
    assert theme_catalogue("2021.1").match(free_text) == code
