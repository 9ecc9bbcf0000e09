"""Cursors of the organisation list and the person search, shared by the API and the pages
(civic_common.api.paging: opaque, typed, and a 422 naming ``cursor`` for one that is not ours)."""

from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from civic_common.api.paging import cursor_position, next_page, unknown_cursor
from intake.adapters.repository import Found, SearchPosition


def organisation_after(cursor: str | None) -> tuple[str, str] | None:
    """The (lower-cased name, id) a cursor points after; 422 naming ``cursor`` if not ours."""
    position = cursor_position(cursor, {"n": str, "id": UUID})
    return None if position is None else (position[0], str(position[1]))


def organisation_page(
    found: list[dict[str, Any]], limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """The first ``limit`` of ``limit + 1`` rows fetched, and the cursor to the rest (if any)."""
    return next_page(found, limit, lambda last: {"n": last["name"].lower(), "id": last["id"]})


def person_after(cursor: str | None, *, ranked: bool) -> SearchPosition | None:
    """Where a person search continues: after (rank, family name, given name, id) for a search
    by name (``ranked``), after (family name, given name, id) otherwise; 422 naming ``cursor``
    if not ours or made for the other kind of search."""
    if not ranked:
        return cursor_position(cursor, {"f": str, "g": str, "id": UUID})  # type: ignore[return-value]
    position = cursor_position(cursor, {"r": str, "f": str, "g": str, "id": UUID})
    if position is None:
        return None
    try:
        rank = Decimal(position[0])
    except InvalidOperation as exc:
        raise unknown_cursor() from exc
    if not rank.is_finite():
        raise unknown_cursor()
    return rank, *position[1:]  # type: ignore[return-value]


def _person_position(last: Found) -> dict[str, Any]:
    position: dict[str, Any] = {
        "f": (last.person.family_name or "").lower(),
        "g": (last.person.given_name or "").lower(),
        "id": str(last.person.id),
    }
    if last.rank is not None:
        position["r"] = str(last.rank)
    return position


def person_page(found: list[Found], limit: int) -> tuple[list[Found], str | None]:
    """The first ``limit`` of ``limit + 1`` persons found, and the cursor to the rest (if any)."""
    return next_page(found, limit, _person_position)
