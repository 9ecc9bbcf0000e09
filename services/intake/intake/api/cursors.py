"""Cursors of the organisation list and the person search, shared by the API and the pages
(civic_common.api.paging: opaque, and a 422 naming ``cursor`` for one that is not ours)."""

from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from civic_common.api.paging import decode_cursor, encode_cursor, unknown_cursor
from intake.adapters.repository import Found, SearchPosition


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


def person_after(cursor: str | None, *, ranked: bool) -> SearchPosition | None:
    """Where a person search continues: after (rank, family name, given name, id) for a search
    by name (``ranked``), after (family name, given name, id) otherwise; 422 naming ``cursor``
    if not ours or made for the other kind of search."""
    position = decode_cursor(cursor)
    if position is None:
        return None
    try:
        names = str(position["f"]), str(position["g"])
        if ranked:
            rank = Decimal(str(position["r"]))
            if not rank.is_finite():
                raise ValueError("rank")
            return rank, *names, UUID(str(position["id"]))
        return *names, UUID(str(position["id"]))
    except (KeyError, ValueError, InvalidOperation) as exc:
        raise unknown_cursor() from exc


def person_page(found: list[Found], limit: int) -> tuple[list[Found], str | None]:
    """The first ``limit`` of ``limit + 1`` persons found, and the cursor to the rest (if any)."""
    if len(found) <= limit:
        return found, None
    last = found[limit - 1]
    position: dict[str, Any] = {
        "f": (last.person.family_name or "").lower(),
        "g": (last.person.given_name or "").lower(),
        "id": str(last.person.id),
    }
    if last.rank is not None:
        position["r"] = str(last.rank)
    return found[:limit], encode_cursor(position)
