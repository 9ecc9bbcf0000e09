"""Cursor paging for list endpoints: an opaque cursor instead of page numbers, so a list that
grows while someone pages through it neither skips nor repeats rows.

Every list reads its cursor here, into typed values, or answers 422 naming ``cursor``: a
cursor is client input like any other (a huge number, a wrong type or a character Postgres
cannot hold must not reach a query)."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel

from civic_common.api.guard import INT64_MAX, INT64_MIN, bad_character
from civic_common.api.problems import Problem

T = TypeVar("T")
MAX_CURSOR = 2000
MAX_CURSOR_TEXT = 500

CursorParam = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR, description="next_cursor of the previous page"),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def unknown_cursor() -> Problem:
    """422 naming ``cursor``: a cursor that is not one of ours (or no longer fits the query)."""
    return Problem(
        422,
        "Ongeldige invoer",
        "Deze cursor is onbekend.",
        errors=[{"field": "cursor", "message": "onbekende cursor"}],
    )


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The position a cursor stands for (untyped); 422 naming ``cursor`` when it is not one of
    ours. Lists read their cursor with ``cursor_position`` or ``cursor_after``."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR:
        raise unknown_cursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw, parse_int=_small_int, parse_constant=_no_constant)
    except (ValueError, binascii.Error, RecursionError) as exc:
        raise unknown_cursor() from exc
    if not isinstance(position, dict):
        raise unknown_cursor()
    return position


def _small_int(digits: str) -> int:
    if len(digits.lstrip("-")) > 19:
        raise ValueError("too many digits")
    return int(digits)


def _no_constant(name: str) -> float:
    raise ValueError(name)


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_CURSOR_TEXT or bad_character(value):
        raise ValueError("not a text of ours")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not a whole number")
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError("beyond a bigint")
    return value


def _uuid(value: Any) -> UUID:
    if not isinstance(value, str):
        raise ValueError("not a uuid")
    return UUID(value)


def _instant(value: Any) -> datetime:
    at = datetime.fromisoformat(_text(value))
    if at.tzinfo is None:
        raise ValueError("naive")
    return at


READERS: dict[Any, Callable[[Any], Any]] = {
    str: _text,
    int: _int,
    UUID: _uuid,
    datetime: _instant,
}


def cursor_position(cursor: str | None, fields: dict[str, Any]) -> tuple[Any, ...] | None:
    """The typed values a cursor holds, in the order of ``fields`` (name -> ``str``, ``int``,
    ``UUID`` or ``datetime``); None for the first page, 422 naming ``cursor`` for anything
    that is not a cursor of this list."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    if set(position) != set(fields):
        raise unknown_cursor()
    try:
        return tuple(READERS[kind](position[name]) for name, kind in fields.items())
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise unknown_cursor() from exc


def cursor_after(cursor: str | None, kind: Any) -> Any:
    """The position of a cursor made as ``encode_cursor({"after": last})``, read back as
    ``kind`` (``UUID``, ``int``, ``str``, ``datetime``); None for the first page, 422 naming
    ``cursor`` for anything else."""
    found = cursor_position(cursor, {"after": kind})
    return None if found is None else found[0]


def next_page(
    found: Sequence[T], limit: int, position: Callable[[T], dict[str, Any]]
) -> tuple[list[T], str | None]:
    """The first ``limit`` of ``limit + 1`` rows fetched, and the cursor to the rest (if any),
    made of ``position(last row shown)``."""
    if len(found) <= limit:
        return list(found), None
    return list(found[:limit]), encode_cursor(position(found[limit - 1]))


def after_cursor(last: Any | None) -> str | None:
    """The cursor ``cursor_after`` reads back: after ``last`` (an id or a sequence number), or
    None when there is no further page."""
    return None if last is None else encode_cursor({"after": last})
