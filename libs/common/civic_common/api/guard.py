"""One guard at the edge: what storage, events and exports cannot hold never gets past the API.

Two layers, the same rules:

- ``EdgeGuard`` (an ASGI middleware every app gets from ``create_app``, the issuer too) reads
  every query string, path, JSON and form body before a route sees it, and answers 422 naming
  the field when a text holds a character Postgres or an XLSX export cannot hold (NUL, other C0
  controls, lone surrogates, U+FFFE/U+FFFF), when a number is beyond int64 or not finite, when
  a text or a list is longer than any field takes, or when a body nests too deep; 413 when a
  body is larger than an event may become.
- The pydantic types and ``GuardedModel`` below say it per field in the request models, with
  the narrower rules a field has: one line or several, a length, a person's name, a birth date.
"""

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civic_common.api.problems import problem_response

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_BODY_BYTES = 512 * 1024  # far below Kafka's 1 MB, so no request can become a larger event
MAX_DEPTH = 16
MAX_QUERY_VALUE = 4000
MAX_QUERY_FIELDS = 100
MAX_TEXT = 10_000  # the longest free text any request may carry in one field
MAX_ITEMS = 1000  # the longest list (or object) any request may carry in one field
OLDEST_BIRTH_DATE = date(1900, 1, 1)
# Dates and moments a request may carry: far inside what Python and Postgres hold, so that no
# time zone conversion or deadline arithmetic (a date plus a year) can overflow into a 500.
FIRST_YEAR, LAST_YEAR = 1900, 2999

# Characters no text field may hold: C0 controls but tab, newline and carriage return, lone
# surrogates (UTF-8 cannot encode them) and the noncharacters XML (so XLSX) refuses.
_NOT_STORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# On one line (names, codes, query parameters) tab and line breaks are refused as well.
_NOT_ON_ONE_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# Invisible characters a name may not consist of: they are trimmed like white space.
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"


def bad_character(value: str, *, multiline: bool = True) -> str | None:
    """Why ``value`` cannot be stored (a Dutch message naming the character), or None."""
    found = (_NOT_STORABLE if multiline else _NOT_ON_ONE_LINE).search(value)
    if found is None:
        return None
    return f"bevat een teken dat niet bewaard kan worden (U+{ord(found.group()):04X})"


def _storable(value: str) -> str:
    if message := bad_character(value):
        raise ValueError(message)
    return value


def _one_line(value: str) -> str:
    if message := bad_character(value, multiline=False):
        raise ValueError(message)
    return value


def line(max_length: int, *, min_length: int = 0) -> Any:
    """A text on one line (a title, a code, a name): no control characters at all."""
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_one_line)
    ]


def text(max_length: int, *, min_length: int = 0) -> Any:
    """A text of several lines (a motivation, a description): tab and line breaks allowed."""
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_storable)
    ]


def _trimmed_name(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().strip(_INVISIBLE).strip()
    return value


def _has_letter(value: str) -> str:
    _one_line(value)
    if not any(ch.isalpha() for ch in value):
        raise ValueError("een naam bevat minstens één letter")
    return value


PersonName = Annotated[
    str,
    BeforeValidator(_trimmed_name),
    Field(min_length=1, max_length=200),
    AfterValidator(_has_letter),
]
"""A person's given or family name: trimmed (white space and invisible characters), on one
line, with at least one letter."""


def _plausible_birth(value: date) -> date:
    if value < OLDEST_BIRTH_DATE:
        raise ValueError("de geboortedatum ligt vóór 1900")
    if value > date.today():
        raise ValueError("de geboortedatum ligt in de toekomst")
    return value


BirthDate = Annotated[date, AfterValidator(_plausible_birth)]
"""A birth date from 1900 up to today."""

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
"""A whole number a Postgres bigint holds."""


def within_years(value: Any) -> Any:
    """A date or datetime from FIRST_YEAR to LAST_YEAR (a ValueError otherwise); anything else
    (lists of them too) unchanged."""
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            within_years(item)
    elif isinstance(value, date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"een datum ligt tussen {FIRST_YEAR} en {LAST_YEAR}")
    return value


Day = Annotated[date, AfterValidator(within_years)]
"""A calendar date from 1900 to 2999."""


def _utc(value: datetime) -> datetime:
    within_years(value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("een tijdstip heeft een tijdzone nodig (bv. +01:00 of Z)")
    return value.astimezone(UTC)


Instant = Annotated[datetime, AfterValidator(_utc)]
"""A moment with a time zone, normalised to UTC, so two instants always compare."""


class GuardedModel(BaseModel):
    """Base of every request body: unknown fields are refused (422 naming them), and every date
    or datetime field lies from 1900 to 2999."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _dates_within_years(cls, value: Any) -> Any:
        return within_years(value)


# --- the edge ---------------------------------------------------------------------------------


class Refusal(ValueError):
    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def check_value(value: Any, field: str, depth: int = 0) -> None:
    """Walk a decoded JSON document; raise ``Refusal`` naming the first field that does not fit."""
    if depth > MAX_DEPTH:
        raise Refusal(field or "body", "te diep genest")
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise Refusal(field or "body", f"te lang (hoogstens {MAX_TEXT} tekens)")
        if message := bad_character(value):
            raise Refusal(field or "body", message)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise Refusal(field or "body", "getal te groot")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise Refusal(field or "body", "geen eindig getal")
    elif isinstance(value, dict | list) and len(value) > MAX_ITEMS:
        raise Refusal(field or "body", f"te veel elementen (hoogstens {MAX_ITEMS})")
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            if message := bad_character(str(key), multiline=False):
                raise Refusal(field or "body", f"veldnaam {message}")
            check_value(item, name, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_value(item, f"{field}.{index}" if field else str(index), depth + 1)


def _no_constant(name: str) -> float:
    raise Refusal("body", f"{name} is geen getal")  # NaN and Infinity are no JSON


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > 100:  # int() of thousands of digits costs; walk names the rest
        raise Refusal("body", "getal te groot")
    return int(digits)


def _pairs(raw: str) -> Iterator[tuple[str, str]]:
    yield from parse_qsl(raw, keep_blank_values=True, errors="replace")


def check_query(raw: str) -> None:
    pairs = list(_pairs(raw))
    if len(pairs) > MAX_QUERY_FIELDS:
        raise Refusal("query", "te veel parameters")
    for name, value in pairs:
        field = name if bad_character(name, multiline=False) is None else "query"
        if message := bad_character(name, multiline=False) or bad_character(value, multiline=False):
            raise Refusal(field, message)
        if len(value) > MAX_QUERY_VALUE:
            raise Refusal(field, f"te lang (hoogstens {MAX_QUERY_VALUE} tekens)")


def check_form(raw: str) -> None:
    for name, value in _pairs(raw):
        field = name if bad_character(name, multiline=False) is None else "body"
        if message := bad_character(name, multiline=False) or bad_character(value):
            raise Refusal(field, message)
        if len(value) > MAX_TEXT:
            raise Refusal(field, f"te lang (hoogstens {MAX_TEXT} tekens)")


def check_body(body: bytes, content_type: str) -> None:
    if not body:
        return
    if "json" in content_type:
        try:
            document = json.loads(body, parse_constant=_no_constant, parse_int=_bounded_int)
        except Refusal:
            raise
        except RecursionError:
            raise Refusal("body", "te diep genest") from None
        except UnicodeDecodeError:
            raise Refusal("body", "geen geldige UTF-8") from None
        except ValueError:
            return  # not JSON at all: the route's own validation names it
        check_value(document, "")
    elif content_type.startswith("application/x-www-form-urlencoded"):
        try:
            check_form(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise Refusal("body", "geen geldige UTF-8") from None


class EdgeGuard:
    """Refuse what cannot be stored before any route runs (see the module docstring)."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> None:
        self._app = app
        self._max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        try:
            if message := bad_character(scope["path"], multiline=False):
                raise Refusal("path", message)
            check_query(scope.get("query_string", b"").decode("latin-1"))
        except Refusal as refusal:
            await self._refuse(scope, receive, send, refusal)
            return
        headers = dict(scope["headers"])
        # FastAPI reads a body without a content type as JSON: so does the guard.
        content_type = headers.get(b"content-type", b"application/json").decode("latin-1").lower()
        if scope["method"] in ("GET", "HEAD", "OPTIONS") or not (
            "json" in content_type or "x-www-form-urlencoded" in content_type
        ):
            await self._app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body:
                refusal = Refusal("body", f"te groot (hoogstens {self._max_body} bytes)", 413)
                await self._refuse(scope, receive, send, refusal)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            check_body(body, content_type)
        except Refusal as refusal:
            await self._refuse(scope, receive, send, refusal)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self._app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
        title = "Te groot" if refusal.status == 413 else "Ongeldige invoer"
        response = problem_response(
            Request(scope),
            refusal.status,
            title,
            f"Controleer: {refusal.field}",
            errors=[{"field": refusal.field, "message": refusal.message}],
        )
        await response(scope, receive, send)
