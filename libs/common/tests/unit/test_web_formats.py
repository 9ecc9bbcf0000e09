"""Words and formats of the pages: CLDR's Dutch names, Brussels time, nl-BE numbers, and the
attributes of form fields rendered as attributes (never escaped into their values)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.requests import Request

from civic_common.web.formats import (
    countries,
    country_name,
    day,
    language_code,
    language_name,
    languages,
    moment,
    number,
    weekday,
)
from civic_common.web.pages import page_templates

pytestmark = pytest.mark.unit


def test_languages_and_countries_have_their_dutch_cldr_names():
    assert language_name("ar") == "Arabisch"
    assert language_name("prs") == "Dari", "CLDR names it through fa_AF"
    assert language_name("ti") == "Tigrinya"
    assert country_name("SY") == "Syrië" and country_name("be") == "België"
    assert len(languages()) > 500 and len(countries()) > 240
    names = list(languages().values())
    assert names == sorted(names, key=str.casefold), "by name, for the type-ahead"
    assert "drw" not in languages() and "tnf" not in languages(), "retired codes stay out"
    assert language_name("qqq") == "qqq", "an unnamed code is shown as it is"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Dari", "prs"),
        ("dari", "prs"),
        (" Arabisch ", "ar"),
        ("Dari (prs)", "prs"),
        ("ar", "ar"),
        ("TUR", "tur"),
        ("Klingonees van Mars", None),
        ("a1", None),
    ],
)
def test_a_language_is_found_by_name_or_code(typed, code):
    assert language_code(typed) == code


def test_times_are_read_in_brussels_and_numbers_in_nl_be():
    assert moment(datetime(2026, 7, 1, 8, 30, tzinfo=UTC)) == "01/07/2026 10:30"  # summer
    assert moment(datetime(2026, 1, 5, 23, 30, tzinfo=UTC)) == "06/01/2026 00:30"  # winter
    assert day(datetime(2026, 1, 5, 23, 30, tzinfo=UTC)) == "06/01/2026"
    assert day(date(2026, 3, 2)) == "02/03/2026"
    assert weekday(date(2026, 12, 7)) == "maandag 7 december 2026"
    assert number(Decimal("1234.5")) == "1.234,5"
    assert number(60) == "60" and number(None) == ""


def test_field_attributes_are_attributes():
    templates = page_templates(Path(__file__).parent, "Test")
    macro = templates.env.from_string(
        '{% from "forms.html" import field %}'
        '{{ field("insz", "INSZ", attrs={"inputmode": "numeric", "autocomplete": "off"}) }}'
    )
    html = macro.render(request=Request({"type": "http"}))
    assert 'inputmode="numeric"' in html and 'autocomplete="off"' in html
    assert "&quot;" not in html
