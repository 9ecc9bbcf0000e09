"""INSZ (rijksregisternummer and bisnummer) and KBO numbers, with properties over many values."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.domain.insz import InvalidInsz, make_insz, parse_insz
from intake.domain.kbo import (
    InvalidEnterpriseNumber,
    make_enterprise_number,
    normalise_enterprise_number,
)

pytestmark = pytest.mark.unit

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
sequences = st.integers(min_value=1, max_value=998)


@given(births, sequences)
def test_a_rijksregisternummer_gives_back_its_birth_date_and_sex(birth, sequence):
    facts = parse_insz(make_insz(birth, sequence))
    assert facts.birth_date == birth
    assert not facts.is_bis
    assert facts.sex == ("male" if sequence % 2 else "female")


@given(births, sequences, st.booleans())
def test_a_bisnummer_gives_back_its_birth_date_and_its_sex_only_when_known(birth, seq, sex_known):
    facts = parse_insz(make_insz(birth, seq, bis=True, sex_known=sex_known))
    assert facts.is_bis and facts.birth_date == birth
    assert (facts.sex is not None) == sex_known


@given(births, sequences, st.integers(0, 10), st.integers(1, 9))
def test_changing_one_digit_is_caught_or_reads_as_another_birth(birth, seq, position, delta):
    number = make_insz(birth, seq)
    digit = (int(number[position]) + delta) % 10
    typo = number[:position] + str(digit) + number[position + 1 :]
    try:
        facts = parse_insz(typo)
    except InvalidInsz:
        return
    # mod 97 catches every single-digit typo under one century rule; the other rule may accept
    # it only as a person born a century apart, which the birth-date check then refuses.
    assert facts.birth_year != birth.year


def test_births_from_2000_are_checked_with_a_leading_2():
    # The same first nine digits: check digits 05 mean 2000, 73 mean 1900.
    assert parse_insz("00010100105").birth_date == date(2000, 1, 1)
    assert parse_insz("00010100173").birth_date == date(1900, 1, 1)


def test_a_well_known_example_and_its_typed_forms():
    number = make_insz(date(1985, 7, 30), 33)
    dotted = f"{number[:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:]}"
    assert parse_insz(dotted).number == number


def test_a_bisnummer_may_leave_month_and_day_unknown_but_a_rijksregisternummer_may_not():
    unknown = "854000" + "001"
    from intake.domain.insz import check_digits

    bis = unknown + f"{check_digits(unknown, False):02d}"
    facts = parse_insz(bis)
    assert (facts.birth_year, facts.birth_month, facts.birth_day) == (1985, None, None)
    assert not facts.contradicts_birth_date(date(1985, 3, 4))
    assert facts.contradicts_birth_date(date(1986, 3, 4))
    plain = "850000001"
    with pytest.raises(InvalidInsz, match="volledige geboortedatum"):
        parse_insz(plain + f"{check_digits(plain, False):02d}")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1234567890", "11 cijfers"),
        ("8507300332a", "11 cijfers"),
        ("85073003329", "controlegetallen"),
    ],
)
def test_malformed_insz_are_refused_in_dutch(value, message):
    with pytest.raises(InvalidInsz, match=message):
        parse_insz(value)


def test_an_impossible_date_is_refused_even_with_right_check_digits():
    from intake.domain.insz import check_digits

    first = "850230001"  # 30 February
    with pytest.raises(InvalidInsz, match="bestaat niet"):
        parse_insz(first + f"{check_digits(first, False):02d}")


@given(st.integers(min_value=0, max_value=19_999_999))
def test_every_generated_enterprise_number_is_accepted_in_every_typed_form(first_eight):
    number = make_enterprise_number(first_eight)
    assert normalise_enterprise_number(number) == number
    dotted = f"BE {number[:4]}.{number[4:7]}.{number[7:]}"
    assert normalise_enterprise_number(dotted) == number


@given(st.integers(min_value=0, max_value=19_999_999), st.integers(0, 9), st.integers(1, 9))
def test_a_one_digit_typo_in_an_enterprise_number_is_always_caught(first_eight, position, delta):
    number = make_enterprise_number(first_eight)
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(InvalidEnterpriseNumber):
        normalise_enterprise_number(typo)


def test_a_real_enterprise_number_and_the_old_nine_digit_form():
    assert normalise_enterprise_number("0403.170.701") == "0403170701"
    assert normalise_enterprise_number("403170701") == "0403170701"
    with pytest.raises(InvalidEnterpriseNumber, match="10 cijfers"):
        normalise_enterprise_number("12345")
