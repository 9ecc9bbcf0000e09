"""Words and formats the pages show people in Flanders: times in Europe/Brussels, numbers in
nl-BE, and languages and countries by their Dutch names from CLDR (Babel), never from a
hand-written list. Templates get them as filters (``page_templates``)."""

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global
from babel.dates import format_date
from babel.numbers import format_decimal

from civic_common.agencies import display

BRUSSELS = ZoneInfo("Europe/Brussels")
LOCALE = Locale.parse("nl_BE")


def moment(value: datetime | None) -> str:
    """A point in time as read in Brussels, e.g. ``02/03/2026 10:00`` (stored in UTC)."""
    if value is None:
        return ""
    if value.tzinfo is None:  # naive: taken as UTC, which is what the database keeps
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M")


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(BRUSSELS).date() if value.tzinfo else value.date()
    return value.strftime("%d/%m/%Y")


def weekday(value: date | None) -> str:
    """A day as people name it in Dutch, e.g. ``maandag 7 december 2026``."""
    return "" if value is None else format_date(value, "EEEE d MMMM y", locale=LOCALE)


def number(value: int | float | Decimal | None) -> str:
    """``1234.5`` as ``1.234,5`` (nl-BE)."""
    return "" if value is None else format_decimal(value, locale=LOCALE)


# ISO 639-3 codes retired into another (drw, tnf into prs, Dari): CLDR still aliases them, the
# registry never uses them, so they neither appear in choices nor win a name.
RETIRED_LANGUAGE_CODES = frozenset({"drw", "tnf"})


@cache
def languages() -> dict[str, str]:
    """ISO 639 codes of two or three letters with their Dutch names (CLDR), by name. A code
    CLDR names only through an alias of a regional variant gets that variant's name (prs,
    the code interpreters use for Dari, is CLDR's fa_AF)."""
    named = LOCALE.languages
    names = {
        code: name
        for code, name in named.items()
        if code.isalpha() and code.islower() and len(code) in (2, 3)
    }
    for code, target in get_global("language_aliases").items():
        plain = code.isalpha() and code.islower() and len(code) in (2, 3)
        if plain and code not in names and code not in RETIRED_LANGUAGE_CODES and target in named:
            if "_" in target:
                names[code] = named[target]
    return dict(sorted(names.items(), key=lambda item: item[1].casefold()))


def language_code(text: str) -> str | None:
    """What someone typed in a language field: a Dutch name ("Dari", "dari"), a choice shown
    with its code ("Dari (prs)"), or an ISO 639 code of two or three letters (CLDR names only
    some of the thousands there are); None when it is none of these."""
    typed = text.strip()
    if typed.endswith(")") and "(" in typed:
        typed = typed[typed.rindex("(") + 1 : -1].strip()
    by_name = {name.casefold(): code for code, name in reversed(languages().items())}
    if (code := by_name.get(typed.casefold())) is not None:
        return code
    if typed.isascii() and typed.isalpha() and len(typed) in (2, 3):
        return typed.lower()
    return None


@cache
def countries() -> dict[str, str]:
    """ISO 3166 alpha-2 codes with their Dutch names (CLDR), by name."""
    names = {
        code: name for code, name in LOCALE.territories.items() if len(code) == 2 and code.isalpha()
    }
    names.pop("ZZ", None)  # "unknown region"
    return dict(sorted(names.items(), key=lambda item: item[1].casefold()))


def country_code(text: str) -> str | None:
    """A Dutch country name ("Syrië", "syrie" is not: names as CLDR writes them, any case) or
    an ISO 3166 alpha-2 code; None when it is neither."""
    typed = text.strip()
    if typed.endswith(")") and "(" in typed:
        typed = typed[typed.rindex("(") + 1 : -1].strip()
    by_name = {name.casefold(): code for code, name in countries().items()}
    if (code := by_name.get(typed.casefold())) is not None:
        return code
    return typed.upper() if typed.upper() in countries() else None


def language_name(code: str | None) -> str:
    if not code:
        return ""
    return languages().get(code.lower(), code)


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return countries().get(code.upper(), code)


FILTERS = {
    "agentschap": display,
    "tijdstip": moment,
    "datum": day,
    "dag": weekday,
    "getal": number,
    "taal": language_name,
    "land": country_name,
}
