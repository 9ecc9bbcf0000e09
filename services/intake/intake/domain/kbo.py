"""KBO enterprise number: 10 digits, the last two are 97 minus the first eight modulo 97."""


class InvalidEnterpriseNumber(ValueError):
    """The message is plain Dutch, fit to show at the counter."""


def normalise_enterprise_number(value: str) -> str:
    """Accept ``BE 0403.170.701``, ``0403170701`` and the old nine-digit form ``403170701``."""
    number = "".join(ch for ch in value.upper().removeprefix("BE") if ch not in " .-")
    if len(number) == 9 and number.isdigit():
        number = "0" + number
    if len(number) != 10 or not number.isdigit():
        raise InvalidEnterpriseNumber("een ondernemingsnummer telt 10 cijfers")
    if number[0] not in "01":
        raise InvalidEnterpriseNumber("een ondernemingsnummer begint met 0 of 1")
    if 97 - int(number[:8]) % 97 != int(number[8:]):
        raise InvalidEnterpriseNumber("de controlegetallen kloppen niet (typfout?)")
    return number


def make_enterprise_number(first_eight: int) -> str:
    base = f"{first_eight:08d}"
    return base + f"{97 - first_eight % 97:02d}"
