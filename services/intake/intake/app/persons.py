"""Use cases on persons: each takes a unit of work and the acting principal."""

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.intake import (
    PersonCorrected,
    PersonErased,
    PersonRegistered,
    PersonTransferred,
)
from intake.adapters.repository import (
    Found,
    InszHolder,
    PersonFilter,
    PersonRepository,
    SearchPosition,
)
from intake.domain.agency import Visibility, own_agency, transfer_refusal, visibility
from intake.domain.person import PERSONAL_FIELDS, Person, check_person, mirrored_household
from intake.domain.target_group import Facts, decide
from intake.reference import municipalities, target_group_rules

# Fields whose change can change the target group.
TARGET_GROUP_INPUTS = frozenset(
    {"birth_date", "municipality_nis", "nationality", "residence_category"}
)


class PersonNotFound(Exception):
    """No such person, or one of an agency the caller may not see: the two look the same."""


class PersonGone(Exception):
    """The person was erased on request."""


class PersonMergedAway(Exception):
    """The record was merged into another record of the same person: ``into``, the survivor."""

    def __init__(self, into: UUID) -> None:
        super().__init__(str(into))
        self.into = into


class StaleVersion(Exception):
    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


class InvalidPerson(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


class DuplicateInsz(Exception):
    """The INSZ belongs to a registered person: ``existing`` is their id when the caller may see
    them, None when they are another agency's case (which must not leak)."""

    def __init__(self, existing: UUID | None) -> None:
        super().__init__(str(existing))
        self.existing = existing


class LikelyDuplicates(Exception):
    """Registering: persons of the caller's agency born the same day with resembling names
    exist (``candidates``, closest first). Nothing was saved; the counter decides whether it is
    one of them or someone else (then registers again with ``confirm_new_person``)."""

    def __init__(self, candidates: list[Found]) -> None:
        super().__init__(", ".join(str(found.person.id) for found in candidates))
        self.candidates = candidates


def _duplicate(holder: InszHolder, seen: Visibility) -> DuplicateInsz:
    return DuplicateInsz(holder.id if seen.admits(holder.agency) else None)


def _validated(person: Person, today: date) -> Person:
    """Check the whole record and derive its target group; raises InvalidPerson."""
    if errors := check_person(person, municipalities(), today):
        raise InvalidPerson(errors)
    municipality = municipalities()[person.municipality_nis]
    decision = decide(
        target_group_rules(),
        Facts(
            person.birth_date, municipality.region, person.nationality, person.residence_category
        ),
        today,
    )
    person.target_group = decision.group
    person.target_group_reason = decision.reason
    person.target_group_rules_version = decision.rules_version
    return person


async def _check_household(
    repository: PersonRepository, links: list[dict[str, Any]], by: Principal
) -> None:
    """Household members the caller names must be persons they may see (else the check would
    let them probe other agencies' ids)."""
    seen = visibility(by.roles, by.organisation)
    if links and await repository.unknown_among([link["person_id"] for link in links], seen):
        raise InvalidPerson({"household": "Een gezinslid is geen geregistreerde persoon."})


def _members(person: Person) -> list[UUID]:
    return [UUID(str(link["person_id"])) for link in person.household]


async def _hidden_household(
    repository: PersonRepository, person: Person, by: Principal
) -> list[dict[str, Any]]:
    """The household links to persons the caller may not see (members whose case moved to
    another agency): kept when they correct the person, though they are not shown them."""
    seen = visibility(by.roles, by.organisation)
    shown = set(await repository.visible_among(_members(person), seen))
    return [link for link in person.household if UUID(str(link["person_id"])) not in shown]


async def _mirror_household(
    uow: UnitOfWork,
    repository: PersonRepository,
    person: Person,
    before: list[dict[str, Any]],
    by: Principal,
    at: datetime,
) -> None:
    """Households are symmetric: every member this person's links added, changed or took away
    gets the link back with the inverse relation, or loses it (in the same transaction, on the
    member's history, audited). Erased members are left alone."""
    old = {str(link["person_id"]): link["relation"] for link in before}
    new = {str(link["person_id"]): link["relation"] for link in person.household}
    for member_id in sorted(set(old) | set(new)):
        if old.get(member_id) == new.get(member_id):
            continue
        member = await repository.get(UUID(member_id), for_update=True)
        if member is None or member.erased_at is not None:
            continue
        household = mirrored_household(member.household, str(person.id), new.get(member_id))
        if household == member.household:
            continue
        changed = replace(member, household=household, version=member.version + 1)
        await repository.update(changed, member.version)
        await repository.record(
            changed,
            "corrected",
            by.subject,
            at,
            [{"field": "household", "old": _json(member.household), "new": _json(household)}],
        )
        await uow.audit(by, "update", "person", member.id, "household link mirrored")


def _json(value: Any) -> Any:
    if isinstance(value, date | datetime | UUID):
        return str(value)
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


async def register_person(
    uow: UnitOfWork,
    fields: Mapping[str, Any],
    by: Principal,
    *,
    confirm_new_person: bool = False,
) -> Person:
    """Register a newcomer. Unless ``confirm_new_person``, likely duplicates (same birth date,
    resembling names, same agency) stop the registration first: LikelyDuplicates, with the
    candidates shown to the caller recorded in the audit log as reads."""
    now = datetime.now(UTC)
    agency = own_agency(by.organisation)
    person = _validated(Person(**fields, registered_at=now, agency=agency), now.date())
    seen = visibility(by.roles, by.organisation)
    async with uow:
        repository = PersonRepository(uow.session)
        await _check_household(repository, person.household, by)
        changes = [
            {"field": name, "old": None, "new": _json(value)}
            for name, value in vars(person).items()
            if name not in ("id", "version", "registered_at") and value not in (None, [], False)
        ]
        try:
            met = await repository.register(
                person, by.subject, changes, confirmed=confirm_new_person
            )
        except IntegrityError as exc:  # the same INSZ registered at another desk just now
            await uow.session.rollback()
            holder = await repository.insz_holder(person.insz or "")
            if holder is None:
                raise
            raise _duplicate(holder, seen) from exc
        if met.owner is not None:
            raise _duplicate(met.owner, seen)
        candidates: list[Found] = []
        if met.likely:  # nothing inserted: the counter chooses first
            candidates = await repository.candidates(person, met.likely)
            for found in candidates:
                await uow.audit(by, "read", "person", found.person.id, "duplicate check")
        else:
            await uow.audit(by, "create", "person", person.id)
            await _mirror_household(uow, repository, person, [], by, now)
            await uow.publish(_registered(person), key=person.id, sequence=person.version)
        await uow.commit()
    # Raised once the unit of work closed normally, so the audit of the candidates shown
    # commits with an Idempotency-Key too (then together with the 409 answer it stores).
    if candidates:
        raise LikelyDuplicates(candidates)
    return person


def _registered(person: Person) -> PersonRegistered:
    return PersonRegistered(
        person_id=person.id,
        registered_at=person.registered_at,
        municipality_nis=person.municipality_nis,
        target_group=person.target_group,
        languages=person.languages,
        contact_language=person.contact_language,
        interpreter_language=person.interpreter_language,
        interpreter_modality=person.interpreter_modality,
        dutch_level=person.dutch_level,
        nationality=person.nationality,
        residence_category=person.residence_category,
        agency=person.agency,
    )


async def _visible(
    repository: PersonRepository,
    person_id: UUID,
    by: Principal,
    *,
    for_update: bool = False,
    merged_too: bool = False,
) -> Person:
    """The one way a use case loads a person: a person of an agency the caller may not see is
    refused exactly like an unknown id (PersonNotFound), so other agencies cannot be probed; a
    record merged into another is refused with the survivor's id (PersonMergedAway) unless
    ``merged_too``."""
    person = await repository.get(person_id, for_update=for_update)
    if person is None or not visibility(by.roles, by.organisation).admits(person.agency):
        raise PersonNotFound
    if person.merged_into is not None and not merged_too:
        raise PersonMergedAway(person.merged_into)
    return person


async def _as_seen(repository: PersonRepository, person: Person, by: Principal) -> Person:
    """The person as shown to the caller: near-duplicate flags and household links pointing at
    persons they may not see (since a transfer) are left out of the answer, not out of the
    record."""
    seen = visibility(by.roles, by.organisation)
    referred = [*person.possible_duplicates, *_members(person)]
    shown = set(await repository.visible_among(referred, seen))  # one query for both
    if shown >= set(referred):
        return person
    return replace(
        person,
        possible_duplicates=[i for i in person.possible_duplicates if i in shown],
        household=[link for link in person.household if UUID(str(link["person_id"])) in shown],
    )


async def read_person(uow: UnitOfWork, person_id: UUID, by: Principal) -> Person:
    """Reading personal data leaves a trace in the audit log."""
    async with uow:
        repository = PersonRepository(uow.session)
        person = await _as_seen(repository, await _visible(repository, person_id, by), by)
        await uow.audit(by, "read", "person", person_id)
        await uow.commit()
    return person


async def _to_change(
    repository: PersonRepository,
    person_id: UUID,
    by: Principal,
    expected_version: int | None = None,
) -> Person:
    """The person, locked for this transaction's change; refused when missing or not the
    caller's to see, erased, or at another version than the caller saw (optimistic
    concurrency)."""
    current = await _visible(repository, person_id, by, for_update=True)
    if current.erased_at is not None:
        raise PersonGone
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current.version)
    return current


async def correct_person(
    uow: UnitOfWork,
    person_id: UUID,
    expected_version: int,
    changes: Mapping[str, Any],
    by: Principal,
) -> Person:
    now = datetime.now(UTC)
    async with uow:
        repository = PersonRepository(uow.session)
        current = await _to_change(repository, person_id, by, expected_version)
        if "household" in changes:
            await _check_household(repository, changes["household"], by)
            hidden = await _hidden_household(repository, current, by)
            changes = {**changes, "household": [*changes["household"], *hidden]}
        corrected = _validated(replace(current, **changes, version=current.version + 1), now.date())
        diff = [
            {"field": name, "old": _json(getattr(current, name)), "new": _json(value)}
            for name, value in vars(corrected).items()
            if name != "version" and getattr(current, name) != value
        ]
        if not diff:
            return await _as_seen(repository, current, by)
        if corrected.insz and (
            holder := await repository.insz_holder(corrected.insz, other_than=person_id)
        ):
            raise _duplicate(holder, visibility(by.roles, by.organisation))
        if not await repository.update(corrected, expected_version):
            raise StaleVersion(expected_version + 1)
        await repository.record(corrected, "corrected", by.subject, now, diff)
        await uow.audit(by, "update", "person", person_id)
        await _mirror_household(uow, repository, corrected, current.household, by, now)
        await uow.publish(
            corrected_event(corrected, [change["field"] for change in diff], now),
            key=person_id,
            sequence=corrected.version,
        )
        shown = await _as_seen(repository, corrected, by)
        await uow.commit()
    return shown


def corrected_event(person: Person, changed_fields: list[str], at: datetime) -> PersonCorrected:
    """``intake.person.corrected.v1`` for ``person`` as it now is: the facts the other services
    keep (never a name, INSZ or address)."""
    return PersonCorrected(
        person_id=person.id,
        corrected_at=at,
        changed_fields=changed_fields,
        municipality_nis=person.municipality_nis,
        target_group=person.target_group,
        languages=person.languages,
        contact_language=person.contact_language,
        interpreter_language=person.interpreter_language,
        nationality=person.nationality,
        residence_category=person.residence_category,
        interpreter_modality=person.interpreter_modality,
        dutch_level=person.dutch_level,
        agency=person.agency,
    )


async def confirm_distinct(
    uow: UnitOfWork, person_id: UUID, expected_version: int, by: Principal
) -> Person:
    """The counter confirmed that a flagged near-duplicate is someone else."""
    now = datetime.now(UTC)
    async with uow:
        repository = PersonRepository(uow.session)
        current = await _to_change(repository, person_id, by, expected_version)
        confirmed = replace(current, possible_duplicates=[], version=current.version + 1)
        await repository.update(confirmed, expected_version)
        change = {"field": "possible_duplicates", "old": _json(current.possible_duplicates)}
        await repository.record(
            confirmed, "confirmed_distinct", by.subject, now, [change | {"new": []}]
        )
        await uow.audit(by, "update", "person", person_id, "near-duplicate reviewed")
        await uow.commit()
    return confirmed


async def person_history(uow: UnitOfWork, person_id: UUID, by: Principal) -> list[dict[str, Any]]:
    async with uow:
        repository = PersonRepository(uow.session)
        await _visible(repository, person_id, by)
        history = await repository.history(person_id)
        await uow.audit(by, "read", "person", person_id, "history")
        await uow.commit()
    return history


async def erase_person(uow: UnitOfWork, person_id: UUID, reason: str, by: Principal) -> Person:
    """Erasure on request: identifying data go for good; the statistics facts stay. The records
    merged into the person (the same person, registered twice) go with it."""
    now = datetime.now(UTC)
    async with uow:
        repository = PersonRepository(uow.session)
        current = await _to_change(repository, person_id, by)
        erased = await _erase_record(uow, repository, current, reason, by, now)
        await _mirror_household(uow, repository, erased, current.household, by, now)
        for merged_id in await repository.merged_into(person_id):
            merged = await repository.get(merged_id, for_update=True)
            if merged is not None and merged.erased_at is None:
                await _erase_record(uow, repository, merged, reason, by, now)
        await uow.commit()
    return erased


async def _erase_record(
    uow: UnitOfWork,
    repository: PersonRepository,
    current: Person,
    reason: str,
    by: Principal,
    now: datetime,
) -> Person:
    """One record's erasure: its identifying data and their history go, the erasure is recorded,
    audited with the reason and announced (``intake.person.erased.v1``)."""
    erased = replace(
        current,
        **{name: None for name in PERSONAL_FIELDS if name != "household"},
        household=[],
        possible_duplicates=[],
        erased_at=now,
        version=current.version + 1,
    )
    await repository.update(erased, current.version)
    await repository.forget_history_values(current.id, PERSONAL_FIELDS)
    await repository.forget_stored_answers(current.id)
    await repository.record(
        erased,
        "erased",
        by.subject,
        now,
        [{"field": name, "old": None, "new": None} for name in PERSONAL_FIELDS],
    )
    await uow.audit(by, "erase", "person", current.id, reason)
    await uow.publish(
        PersonErased(person_id=current.id, erased_at=now), key=current.id, sequence=erased.version
    )
    return erased


async def search_persons(
    uow: UnitOfWork,
    where: PersonFilter,
    after: SearchPosition | None,
    limit: int,
    by: Principal,
) -> list[Found]:
    """Search the caller's agency's persons; every person shown is audited as a read."""
    async with uow:
        seen = visibility(by.roles, by.organisation)
        found = await PersonRepository(uow.session).search(where, after, limit, seen)
        for hit in found:
            await uow.audit(by, "read", "person", hit.person.id, "search")
        await uow.commit()
    return found


async def transfer_person(
    uow: UnitOfWork,
    person_id: UUID,
    expected_version: int,
    to_agency: str,
    by: Principal,
    *,
    reason: str | None = None,
) -> tuple[Person, str]:
    """Move a person's case to another agency (e.g. after a move to its city); returns the
    person moved and the agency they came from. Whoever may see the person may hand it over:
    an admin, or staff of the agency it belongs to now. ``reason``, staff's words, goes with
    the audit entry (as an erasure's does), never into the event."""
    now = datetime.now(UTC)
    async with uow:
        repository = PersonRepository(uow.session)
        current = await _to_change(repository, person_id, by, expected_version)
        if refusal := transfer_refusal(current.agency, to_agency):
            raise InvalidPerson({"agency": refusal})
        moved = replace(current, agency=to_agency, version=current.version + 1)
        await repository.update(moved, expected_version)
        change = {"field": "agency", "old": current.agency, "new": to_agency}
        await repository.record(moved, "transferred", by.subject, now, [change])
        moved_to = f"{current.agency} -> {to_agency}"
        await uow.audit(
            by, "transfer", "person", person_id, f"{moved_to}: {reason}" if reason else moved_to
        )
        await uow.publish(
            PersonTransferred(
                person_id=person_id,
                transferred_at=now,
                from_agency=current.agency,
                to_agency=to_agency,
            ),
            key=person_id,
            sequence=moved.version,
        )
        await uow.commit()
    return moved, current.agency
