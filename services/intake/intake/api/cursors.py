"""Cursors of the organisation list, shared by the API and the pages."""

from typing import Any
from uuid import UUID

from civic_common.api.paging import decode_cursor, encode_cursor, unknown_cursor


def organisation_after(cursor: str | None) -> tuple[str, str] | None:
    """The (lower-cased name, id) a cursor points after; 422 naming ``cursor`` if not ours."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        return str(position["n"]), str(UUID(str(position["id"])))
    except (KeyError, ValueError) as exc:
        raise unknown_cursor() from exc


def organisation_page(
    found: list[dict[str, Any]], limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """The first ``limit`` of ``limit + 1`` rows fetched, and the cursor to the rest (if any)."""
    if len(found) <= limit:
        return found, None
    last = found[limit - 1]
    return found[:limit], encode_cursor({"n": last["name"].lower(), "id": last["id"]})
