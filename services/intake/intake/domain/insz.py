"""INSZ: the Belgian identification number, either a rijksregisternummer or a bisnummer.

Layout ``YYMMDD SSS CC``: birth date, a sequence (odd for men, even for women) and a mod-97 check.
For births from 2000 on the check is computed over ``2`` followed by the first nine digits.
Bisnummers add 40 to the month when the sex is known, 20 when it is not; their birth month and
day may be unknown (``00``). Pure: no I/O.
"""

from dataclasses import dataclass
from datetime import date
from typing import Literal

Sex = Literal["female", "male"]


class InvalidInsz(ValueError):
    """The message is plain Dutch, fit to show at the counter."""


@dataclass(frozen=True)
class InszFacts:
    """What an INSZ says about its holder; ``None`` where it leaves a part unknown."""

    number: str
    is_bis: bool
    birth_year: int
    birth_month: int | None
    birth_day: int | None
    sex: Sex | None

    @property
    def birth_date(self) -> date | None:
        if self.birth_month is None or self.birth_day is None:
            return None
        return date(self.birth_year, self.birth_month, self.birth_day)

    def contradicts_birth_date(self, birth_date: date) -> bool:
        return (
            birth_date.year != self.birth_year
            or (self.birth_month is not None and birth_date.month != self.birth_month)
            or (self.birth_day is not None and birth_date.day != self.birth_day)
        )


def normalise(value: str) -> str:
    """Counter staff type INSZ with dots, dashes and spaces (``85.07.30-033.28``)."""
    return "".join(ch for ch in value if ch not in " .-")


def check_digits(first_nine: str, born_from_2000: bool) -> int:
    base = int(("2" if born_from_2000 else "") + first_nine)
    return 97 - base % 97


def parse_insz(value: str) -> InszFacts:
    number = normalise(value)
    if len(number) != 11 or not number.isdigit():
        raise InvalidInsz("een INSZ telt 11 cijfers")
    first_nine, check = number[:9], int(number[9:])
    if check == check_digits(first_nine, born_from_2000=False):
        century = 1900
    elif check == check_digits(first_nine, born_from_2000=True):
        century = 2000
    else:
        raise InvalidInsz("de controlegetallen kloppen niet (typfout?)")
    year, month, day, sequence = (
        century + int(number[0:2]),
        int(number[2:4]),
        int(number[4:6]),
        int(number[6:9]),
    )
    if not 1 <= sequence <= 998:
        raise InvalidInsz("het volgnummer (cijfers 7 tot 9) is ongeldig")
    is_bis, sex_known = False, True
    if month >= 40:
        is_bis, month = True, month - 40
    elif month >= 20:
        is_bis, sex_known, month = True, False, month - 20
    if month > 12:
        raise InvalidInsz("de geboortemaand in het INSZ bestaat niet")
    if month == 0 or day == 0:
        if not is_bis:
            raise InvalidInsz("een rijksregisternummer heeft een volledige geboortedatum")
        known_month = month or None
        known_day = day or None
    else:
        known_month, known_day = month, day
        try:
            date(year, month, day)
        except ValueError as exc:
            raise InvalidInsz("de geboortedatum in het INSZ bestaat niet") from exc
    sex: Sex | None = None
    if sex_known:
        sex = "male" if sequence % 2 else "female"
    return InszFacts(number, is_bis, year, known_month, known_day, sex)


def make_insz(birth: date, sequence: int, *, bis: bool = False, sex_known: bool = True) -> str:
    """Compose a valid INSZ (for test data and for staff training screens)."""
    month = birth.month + (0 if not bis else 40 if sex_known else 20)
    first_nine = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{sequence:03d}"
    return first_nine + f"{check_digits(first_nine, birth.year >= 2000):02d}"
