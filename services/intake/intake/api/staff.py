"""Staff API for counter staff: /api/v1/persons.

Every person route admits staff of an agency only (their token's ``org``), and the use cases
show them only their agency's persons (``domain/agency.py``); admins see every agency."""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from civic_common.api.app import uow
from civic_common.api.etag import IfMatch, expected_version
from civic_common.api.guard import Day, line
from civic_common.api.idempotency import idempotent
from civic_common.api.paging import CursorParam, Page
from civic_common.api.problems import Problem, problem_response
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from intake.adapters.repository import Found, PersonFilter
from intake.api.cursors import person_after, person_page
from intake.api.models import (
    DuplicateCandidate,
    ErasureIn,
    HistoryEntry,
    MergeCheckOut,
    MergeFieldOut,
    MergeIn,
    MergeOut,
    PersonIn,
    PersonOut,
    PersonPatch,
    PersonSummary,
    TransferIn,
    TransferOut,
    normalised_insz,
)
from intake.app import roles
from intake.app.merges import OtherNotFound, check_merge, merge_persons
from intake.app.persons import (
    DuplicateInsz,
    InvalidPerson,
    LikelyDuplicates,
    PersonGone,
    PersonMergedAway,
    PersonNotFound,
    StaleVersion,
    confirm_distinct,
    correct_person,
    erase_person,
    person_history,
    read_person,
    register_person,
    search_persons,
    transfer_person,
)
from intake.domain.agency import NoAgency, visibility
from intake.domain.merge import InvalidChoice, MergeRefused
from intake.domain.person import Person
from intake.domain.search import query_words

router = APIRouter(prefix="/api/v1", tags=["persons"])


def agency_staff(*allowed: str) -> Callable[..., Awaitable[Principal]]:
    """``require_roles`` for person routes: the caller must also work for an agency (403
    otherwise), as the persons they see are their agency's."""
    door = require_roles(*allowed)

    async def dependency(principal: Annotated[Principal, Depends(door)]) -> Principal:
        try:
            visibility(principal.roles, principal.organisation)
        except NoAgency as exc:
            raise Problem(403, "Geen agentschap", str(exc)) from exc
        return principal

    dependency.civic_roles = frozenset(allowed)  # type: ignore[attr-defined] # for the access matrix
    return dependency


Registrar = Annotated[Principal, Depends(agency_staff(*roles.REGISTER_PERSONS))]
Corrector = Annotated[Principal, Depends(agency_staff(*roles.CORRECT_PERSONS))]
Reader = Annotated[Principal, Depends(agency_staff(*roles.READ_PERSONS))]
Eraser = Annotated[Principal, Depends(agency_staff(*roles.ERASE_PERSONS))]
Transferrer = Annotated[Principal, Depends(agency_staff(*roles.TRANSFER_PERSONS))]
Merger = Annotated[Principal, Depends(agency_staff(*roles.MERGE_PERSONS))]
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


def duplicate_problem(existing: UUID | None) -> Problem:
    if existing is None:  # another agency's case: say so, but nothing about the person
        return Problem(
            409,
            "Al geregistreerd bij een ander agentschap",
            "Een persoon met dit INSZ is al geregistreerd bij een ander agentschap. Vraag dat "
            "agentschap de persoon aan jullie over te dragen.",
            errors=[{"field": "insz", "message": "al geregistreerd bij een ander agentschap"}],
        )
    link = person_link(existing)
    return Problem(
        409,
        "Al geregistreerd",
        "Een persoon met dit INSZ is al geregistreerd.",
        headers={"Location": link},
        existing_person=link,
        errors=[{"field": "insz", "message": "al geregistreerd"}],
    )


def candidates_of(found: list[Found]) -> list[DuplicateCandidate]:
    return [
        DuplicateCandidate.model_validate(
            vars(hit.person)
            | {"link": person_link(hit.person.id), "similarity": float(hit.rank or 0)}
        )
        for hit in found
    ]


def likely_duplicates_answer(request: Request, exc: LikelyDuplicates) -> JSONResponse:
    """409 with the candidates, answered (not raised) so the audit of their reading commits
    with an Idempotency-Key too."""
    return problem_response(
        request,
        409,
        "Mogelijk al geregistreerd",
        "Er zijn personen met dezelfde geboortedatum en een gelijkaardige naam. Open het dossier "
        "als het dezelfde persoon is; is het iemand anders, stuur dan opnieuw met "
        '"confirm_new_person": true.',
        candidates=[c.model_dump(mode="json") for c in candidates_of(exc.candidates)],
        errors=[{"field": "confirm_new_person", "message": "bevestig dat het iemand anders is"}],
    )


def _person_response(person: Person, status: int = 200) -> JSONResponse:
    return JSONResponse(
        PersonOut.of(person).model_dump(mode="json"),
        status_code=status,
        headers={"Location": person_link(person.id), "ETag": f'"{person.version}"'},
    )


def _expected_version(if_match: str | None) -> int:
    return expected_version(if_match, what="deze persoon")


def _gone(person_id: UUID) -> Problem:
    return Problem(410, "Gewist", f"De gegevens van persoon {person_id} zijn gewist op verzoek.")


def _not_found(person_id: UUID) -> Problem:
    return Problem(404, "Niet gevonden", f"Geen persoon met id {person_id}.")


def _stale(current: int) -> Problem:
    return Problem(
        412,
        "Verouderde versie",
        "Iemand anders wijzigde deze persoon intussen; laad opnieuw en verbeter dan.",
        headers={"ETag": f'"{current}"'},
    )


@contextmanager
def _answers(person_id: UUID) -> Iterator[None]:
    """A use case on one person that fails, as the problem its caller gets."""
    try:
        yield
    except PersonNotFound as exc:
        raise _not_found(person_id) from exc
    except PersonGone as exc:
        raise _gone(person_id) from exc
    except StaleVersion as exc:
        raise _stale(exc.current) from exc
    except InvalidPerson as exc:
        raise field_problem(exc.errors) from exc
    except DuplicateInsz as exc:
        raise duplicate_problem(exc.existing) from exc
    except PersonMergedAway as exc:
        raise _merged_away(person_id, exc.into) from exc


@contextmanager
def _other_answers() -> Iterator[None]:
    """The other record of a merge that is no person the caller may see: bad input, naming it."""
    try:
        yield
    except OtherNotFound as exc:
        raise field_problem({"other": "Geen persoon met dit id."}) from exc


def _merged_away(person_id: UUID, into: UUID, status: int = 409) -> Problem:
    """A record merged into another: the survivor is where the person is now."""
    link = person_link(into)
    return Problem(
        status,
        "Samengevoegd",
        f"Persoon {person_id} is samengevoegd met {into}; gebruik dat dossier.",
        headers={"Location": link},
        merged_into=link,
    )


@router.post("/persons", status_code=201, response_model=PersonOut)
async def post_person(
    body: PersonIn, request: Request, principal: Registrar, work: Work
) -> Response:
    """Register a newcomer. Same INSZ again: 409 with a link to the person already registered.
    Persons of your agency born the same day with a resembling name (spelling-tolerant, either
    name order; not when both have an INSZ): 409 ``candidates`` and nothing saved; send the same
    body with ``"confirm_new_person": true`` (and a new Idempotency-Key) to register someone
    else all the same."""

    async def register() -> JSONResponse:
        try:
            person = await register_person(
                work,
                body.domain_fields(),
                principal,
                confirm_new_person=body.confirm_new_person,
            )
        except LikelyDuplicates as exc:
            return likely_duplicates_answer(request, exc)
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
    insz: Annotated[line(20) | None, Query()] = None,  # type: ignore[valid-type]
    name: Annotated[line(200, min_length=2) | None, Query()] = None,  # type: ignore[valid-type]
    birth_date: Annotated[Day | None, Query()] = None,
    municipality_nis: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[PersonSummary]:
    """Search by INSZ, name, birth date and municipality; at least one criterion (no browsing).
    The name is matched spelling-tolerantly ("Hadat" finds "Haddad", "Celik" finds "Çelik",
    given and family name in either order), closest first; each person listed is audited as a
    read."""
    if not any((insz, name, birth_date, municipality_nis)):
        raise field_problem({"query": "Geef minstens één zoekcriterium."})
    if name is not None and not query_words(name):
        raise field_problem({"name": "Geef een naam met letters."})
    try:
        normalised = normalised_insz(insz)
    except ValueError as exc:
        raise field_problem({"insz": str(exc)}) from exc
    after = person_after(cursor, ranked=bool(name))
    where = PersonFilter(normalised, name, birth_date, municipality_nis)
    found, next_cursor = person_page(
        await search_persons(work, where, after, limit + 1, principal), limit
    )
    items = [
        PersonSummary.model_validate(vars(hit.person) | {"link": person_link(hit.person.id)})
        for hit in found
    ]
    return Page[PersonSummary](items=items, next_cursor=next_cursor)


@router.get("/persons/{person_id}", response_model=PersonOut)
async def get_person(person_id: UUID, principal: Reader, work: Work) -> Response:
    """A record merged into another answers 301 with the survivor's link (``Location``)."""
    try:
        with _answers(person_id):
            person = await read_person(work, person_id, principal)
    except Problem as exc:
        if exc.status == 409 and "merged_into" in exc.extra:  # moved for good: say where
            exc.status = 301
        raise
    if person.erased_at is not None:
        raise _gone(person_id)
    return _person_response(person)


@router.patch("/persons/{person_id}", response_model=PersonOut)
async def patch_person(
    person_id: UUID,
    body: PersonPatch,
    principal: Corrector,
    work: Work,
    if_match: IfMatch = None,
) -> Response:
    """Correct some fields. If-Match is required (428 without); a stale version gets 412."""
    expected = _expected_version(if_match)
    with _answers(person_id):
        person = await correct_person(
            work, person_id, expected, body.domain_fields(exclude_unset=True), principal
        )
    return _person_response(person)


@router.post("/persons/{person_id}/confirm-distinct", response_model=PersonOut)
async def post_confirm_distinct(
    person_id: UUID,
    principal: Corrector,
    work: Work,
    if_match: IfMatch = None,
) -> Response:
    """The counter checked the flagged near-duplicates: this is a different person."""
    expected = _expected_version(if_match)
    with _answers(person_id):
        person = await confirm_distinct(work, person_id, expected, principal)
    return _person_response(person)


@router.get("/persons/{person_id}/history", response_model=list[HistoryEntry])
async def get_history(person_id: UUID, principal: Reader, work: Work) -> list[HistoryEntry]:
    with _answers(person_id):
        history = await person_history(work, person_id, principal)
    return [HistoryEntry.model_validate(entry) for entry in history]


@router.post("/persons/{person_id}/erasure", status_code=200)
async def post_erasure(
    person_id: UUID,
    body: Annotated[ErasureIn, Body()],
    principal: Eraser,
    work: Work,
) -> dict[str, str]:
    """Erase on request: identifying data are removed for good; counts stay right."""
    with _answers(person_id):
        person = await erase_person(work, person_id, body.reason, principal)
    assert person.erased_at is not None
    return {"id": str(person_id), "erased_at": person.erased_at.isoformat()}


@router.post("/persons/{person_id}/transfer", response_model=TransferOut)
async def post_transfer(
    person_id: UUID,
    body: TransferIn,
    principal: Transferrer,
    work: Work,
    if_match: IfMatch = None,
) -> Response:
    """Hand a person's case over to another agency (by an admin, or by staff of the agency it
    belongs to). If-Match is required like for corrections. Afterwards only the new agency's
    staff see the person."""
    expected = _expected_version(if_match)
    with _answers(person_id):
        person, from_agency = await transfer_person(
            work, person_id, expected, body.agency, principal, reason=body.reason
        )
    moved = TransferOut(
        id=person.id, version=person.version, from_agency=from_agency, agency=person.agency
    )
    return JSONResponse(moved.model_dump(mode="json"), headers={"ETag": f'"{person.version}"'})


@router.get("/persons/{person_id}/merges/check", response_model=MergeCheckOut)
async def get_merge_check(
    person_id: UUID, other: Annotated[UUID, Query()], principal: Merger, work: Work
) -> MergeCheckOut:
    """Both records side by side before merging ``other`` into this one: per field both values,
    whether they differ and whose value is kept by default; ``allowed`` with the refusal in
    Dutch when they cannot be merged. Reading both is audited."""
    with _answers(person_id), _other_answers():
        check = await check_merge(work, person_id, other, principal)
    return MergeCheckOut(
        survivor=person_link(person_id),
        other=person_link(other),
        survivor_version=check.survivor.version,
        other_version=check.other.version,
        allowed=check.refusal is None,
        refusal=check.refusal,
        fields=[
            MergeFieldOut(
                field=c.name,
                survivor=_plain(c.survivor),
                other=_plain(c.other),
                differs=c.differs,
                default=c.default,
            )
            for c in check.fields
        ],
    )


def _plain(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


@router.post("/persons/{person_id}/merges", response_model=MergeOut)
async def post_merge(
    person_id: UUID,
    body: MergeIn,
    request: Request,
    principal: Merger,
    work: Work,
    if_match: IfMatch = None,
) -> Response:
    """Merge the record ``other`` into this one (two records of one person). If-Match is this
    record's version, ``other_version`` the other's (412 when either changed meanwhile). 409
    when they cannot be merged (the same record, a different INSZ on each, either erased or
    merged already, different agencies), 422 for a choice of an unknown field or values that do
    not fit together. Irreversible: the other record leads to this one from now on, and every
    service moves what it holds under the other id here (``intake.person.merged.v1``)."""
    expected = _expected_version(if_match)

    async def merge() -> JSONResponse:
        try:
            with _answers(person_id), _other_answers():
                done = await merge_persons(
                    work,
                    person_id,
                    body.other,
                    (expected, body.other_version),
                    body.choices,
                    body.reason,
                    principal,
                )
        except MergeRefused as exc:
            raise Problem(
                409,
                "Niet samen te voegen",
                exc.message,
                errors=[{"field": "other", "message": exc.message}],
            ) from exc
        except InvalidChoice as exc:
            raise field_problem({f"choices.{k}": v for k, v in exc.errors.items()}) from exc
        out = MergeOut(
            survivor=PersonOut.of(done.survivor),
            merged=person_link(done.merged.id),
            taken_from_other=list(done.taken_from_other),
        )
        return JSONResponse(
            out.model_dump(mode="json"),
            headers={"Location": person_link(person_id), "ETag": f'"{done.survivor.version}"'},
        )

    return await idempotent(request, principal, work, merge)
