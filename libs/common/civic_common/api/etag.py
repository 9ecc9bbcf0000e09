"""ETags and If-Match: the version a change is based on, read in one place for every API."""

from typing import Annotated

from fastapi import Header

from civic_common.api.guard import INT64_MAX
from civic_common.api.problems import Problem


def etag(version: int) -> dict[str, str]:
    """The ETag header of a versioned resource."""
    return {"ETag": f'"{version}"'}


def expected_version(if_match: str | None, *, what: str = "dit object") -> int:
    """The version an If-Match names: 428 without one, 422 naming ``If-Match`` when it is not
    one of our ETags (a quoted, possibly weak, whole number a bigint holds)."""
    if if_match is None:
        raise Problem(
            428,
            "Versie vereist",
            f"Stuur de ETag van {what} die je las mee als If-Match, zodat je geen wijziging van "
            "een collega overschrijft.",
        )
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit() and len(tag) <= 19 and int(tag) <= INT64_MAX):
        raise Problem(
            422,
            "Ongeldige invoer",
            f"If-Match hoort bij geen versie van {what}.",
            errors=[{"field": "If-Match", "message": "geen geldige ETag"}],
        )
    return int(tag)


IfMatch = Annotated[
    str | None, Header(max_length=100, description='The ETag the change is based on, e.g. "3"')
]
"""The If-Match header parameter of a change; read it with ``expected_version``."""
