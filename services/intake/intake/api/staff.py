"""Staff API for counter staff: /api/v1/persons."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from civic_common.api.app import uow
from civic_common.api.idempotency import idempotent
from civic_common.api.paging import Page, decode_cursor, encode_cursor
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from intake.adapters.repository import PersonFilter
from intake.api.models import (
    ErasureIn,
    HistoryEntry,
    PersonIn,
    PersonOut,
    PersonPatch,
    PersonSummary,
    _insz,
)
from intake.app.persons import (
    DuplicateInsz,
    InvalidPerson,
    PersonGone,
    PersonNotFound,
    StaleVersion,
    confirm_distinct,
    correct_person,
    erase_person,
    person_history,
    read_person,
    register_person,
    search_persons,
)
from intake.domain.person import Person

router = APIRouter(prefix="/api/v1", tags=["persons"])

Counter = Annotated[Principal, Depends(require_roles("counter"))]
Reader = Annotated[Principal, Depends(require_roles("counter", "counsellor"))]
Work = Annotated[UnitOfWork, Depends(uow)]


def person_link(person_id: UUID) -> str:
    return f"/api/v1/persons/{person_id}"


def field_problem(errors: dict[str, str]) -> Problem:
    return Problem(
        422,
        "Ongeldige invoer",
        f"Controleer: {', '.join(sorted(errors))}",
        errors=[{"field": name, "message": message} for name, message in errors.items()],
    )


def duplicate_problem(existing: UUID) -> Problem:
    link = person_link(existing)
    return Problem(
        409,
        "Al geregistreerd",
        "Een persoon met dit INSZ is al geregistreerd.",
        headers={"Location": link},
        existing_person=link,
        errors=[{"field": "insz", "message": "al geregistreerd"}],
    )


def _person_response(person: Person, status: int = 200) -> JSONResponse:
    return JSONResponse(
        PersonOut.of(person).model_dump(mode="json"),
        status_code=status,
        headers={"Location": person_link(person.id), "ETag": f'"{person.version}"'},
    )


def _expected_version(if_match: str | None) -> int:
    if if_match is None:
        raise Problem(
            428,
            "Versie vereist",
            "Stuur de ETag die je las mee als If-Match, zodat je geen wijziging van een collega "
            "overschrijft.",
        )
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise Problem(412, "Verouderde versie", "If-Match hoort bij geen versie van deze persoon.")
    return int(tag)


def _gone(person_id: UUID) -> Problem:
    return Problem(410, "Gewist", f"De gegevens van persoon {person_id} zijn gewist op verzoek.")


@router.post("/persons", status_code=201, response_model=PersonOut)
async def post_person(body: PersonIn, request: Request, principal: Counter, work: Work) -> Response:
    """Register a newcomer. Same INSZ again: 409 with a link to the person already registered.
    Same name and birth date without INSZ: registered, with ``possible_duplicates`` to confirm."""

    async def register() -> JSONResponse:
        try:
            person = await register_person(work, body.domain_fields(), principal)
        except InvalidPerson as exc:
            raise field_problem(exc.errors) from exc
        except DuplicateInsz as exc:
            raise duplicate_problem(exc.existing) from exc
        return _person_response(person, 201)

    return await idempotent(request, principal, work, register)


@router.get("/persons", response_model=Page[PersonSummary])
async def get_persons(
    principal: Reader,
    work: Work,
    insz: Annotated[str | None, Query(max_length=20)] = None,
    name: Annotated[str | None, Query(min_length=2, max_length=200)] = None,
    birth_date: date | None = None,
    municipality_nis: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[PersonSummary]:
    """Search by INSZ, name, birth date and municipality; at least one criterion (no browsing)."""
    if not any((insz, name, birth_date, municipality_nis)):
        raise field_problem({"query": "Geef minstens één zoekcriterium."})
    try:
        normalised = _insz(insz)
    except ValueError as exc:
        raise field_problem({"insz": str(exc)}) from exc
    position = decode_cursor(cursor)
    after = None
    if position is not None:
        try:
            after = (str(position["f"]), str(position["g"]), str(UUID(str(position["id"]))))
        except (KeyError, ValueError) as exc:
            raise field_problem({"cursor": "onbekende cursor"}) from exc
    where = PersonFilter(normalised, name, birth_date, municipality_nis)
    found = await search_persons(work, where, after, limit + 1, principal)
    items = [
        PersonSummary.model_validate(vars(p) | {"link": person_link(p.id)}) for p in found[:limit]
    ]
    next_cursor = None
    if len(found) > limit:
        last = found[limit - 1]
        next_cursor = encode_cursor(
            {
                "f": (last.family_name or "").lower(),
                "g": (last.given_name or "").lower(),
                "id": last.id,
            }
        )
    return Page[PersonSummary](items=items, next_cursor=next_cursor)


@router.get("/persons/{person_id}", response_model=PersonOut)
async def get_person(person_id: UUID, principal: Reader, work: Work) -> Response:
    person = await read_person(work, person_id, principal)
    if person is None:
        raise Problem(404, "Niet gevonden", f"Geen persoon met id {person_id}.")
    if person.erased_at is not None:
        raise _gone(person_id)
    return _person_response(person)


@router.patch("/persons/{person_id}", response_model=PersonOut)
async def patch_person(
    person_id: UUID,
    body: PersonPatch,
    principal: Counter,
    work: Work,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Correct some fields. If-Match is required (428 without); a stale version gets 412."""
    expected = _expected_version(if_match)
    try:
        person = await correct_person(
            work, person_id, expected, body.domain_fields(exclude_unset=True), principal
        )
    except PersonNotFound as exc:
        raise Problem(404, "Niet gevonden", f"Geen persoon met id {person_id}.") from exc
    except PersonGone as exc:
        raise _gone(person_id) from exc
    except StaleVersion as exc:
        raise Problem(
            412,
            "Verouderde versie",
            "Iemand anders wijzigde deze persoon intussen; laad opnieuw en verbeter dan.",
            headers={"ETag": f'"{exc.current}"'},
        ) from exc
    except InvalidPerson as exc:
        raise field_problem(exc.errors) from exc
    except DuplicateInsz as exc:
        raise duplicate_problem(exc.existing) from exc
    return _person_response(person)


@router.post("/persons/{person_id}/confirm-distinct", response_model=PersonOut)
async def post_confirm_distinct(
    person_id: UUID,
    principal: Counter,
    work: Work,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The counter checked the flagged near-duplicates: this is a different person."""
    expected = _expected_version(if_match)
    try:
        person = await confirm_distinct(work, person_id, expected, principal)
    except PersonNotFound as exc:
        raise Problem(404, "Niet gevonden", f"Geen persoon met id {person_id}.") from exc
    except PersonGone as exc:
        raise _gone(person_id) from exc
    except StaleVersion as exc:
        raise Problem(412, "Verouderde versie", "Laad de persoon opnieuw.") from exc
    return _person_response(person)


@router.get("/persons/{person_id}/history", response_model=list[HistoryEntry])
async def get_history(person_id: UUID, principal: Reader, work: Work) -> list[HistoryEntry]:
    history = await person_history(work, person_id, principal)
    if history is None:
        raise Problem(404, "Niet gevonden", f"Geen persoon met id {person_id}.")
    return [HistoryEntry.model_validate(entry) for entry in history]


@router.post("/persons/{person_id}/erasure", status_code=200)
async def post_erasure(
    person_id: UUID,
    body: Annotated[ErasureIn, Body()],
    principal: Annotated[Principal, Depends(require_roles("counter", "admin"))],
    work: Work,
) -> dict[str, str]:
    """Erase on request: identifying data are removed for good; counts stay right."""
    try:
        person = await erase_person(work, person_id, body.reason, principal)
    except PersonNotFound as exc:
        raise Problem(404, "Niet gevonden", f"Geen persoon met id {person_id}.") from exc
    except PersonGone as exc:
        raise _gone(person_id) from exc
    assert person.erased_at is not None
    return {"id": str(person_id), "erased_at": person.erased_at.isoformat()}
