"""Cursor paging for list endpoints: an opaque cursor instead of page numbers, so a list that
grows while someone pages through it neither skips nor repeats rows."""

import base64
import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from civic_common.api.problems import Problem

T = TypeVar("T")


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
    """The position a cursor stands for; 422 naming ``cursor`` when it is not one of ours."""
    if not cursor:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise unknown_cursor() from exc
    if not isinstance(position, dict):
        raise unknown_cursor()
    return position


def cursor_after(cursor: str | None, kind: Callable[[Any], T]) -> T | None:
    """The position of a cursor made as ``encode_cursor({"after": last})``, read back with
    ``kind`` (``UUID``, ``int``); None for the first page, 422 naming ``cursor`` for anything
    else."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return kind(position["after"])
    except (KeyError, TypeError, ValueError) as exc:
        raise unknown_cursor() from exc
