"""Cursors of the organisation list, shared by the API and the pages."""

from typing import Any
from uuid import UUID

from civic_common.api.paging import cursor_position, next_page


def organisation_after(cursor: str | None) -> tuple[str, str] | None:
    """The (lower-cased name, id) a cursor points after; 422 naming ``cursor`` if not ours."""
    position = cursor_position(cursor, {"n": str, "id": UUID})
    return None if position is None else (position[0], str(position[1]))


def organisation_page(
    found: list[dict[str, Any]], limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """The first ``limit`` of ``limit + 1`` rows fetched, and the cursor to the rest (if any)."""
    return next_page(found, limit, lambda last: {"n": last["name"].lower(), "id": last["id"]})


def person_after(cursor: str | None) -> tuple[str, str, str] | None:
    """The (family name, given name, id) a person search cursor points after; 422 naming
    ``cursor`` if not ours."""
    position = cursor_position(cursor, {"f": str, "g": str, "id": UUID})
    return None if position is None else (position[0], position[1], str(position[2]))


def person_position(last: Any) -> dict[str, Any]:
    """The cursor position after a person in a search (API and page share it)."""
    return {
        "f": (last.family_name or "").lower(),
        "g": (last.given_name or "").lower(),
        "id": str(last.id),
    }
