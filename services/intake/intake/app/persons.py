"""Use cases on persons: each takes a unit of work and the acting principal."""

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.intake import PersonCorrected, PersonErased, PersonRegistered
from intake.adapters.repository import PersonFilter, PersonRepository
from intake.domain.person import PERSONAL_FIELDS, Person, check_person
from intake.domain.target_group import Facts, decide
from intake.reference import municipalities, target_group_rules

# Fields whose change can change the target group.
TARGET_GROUP_INPUTS = frozenset(
    {"birth_date", "municipality_nis", "nationality", "residence_category"}
)


class PersonNotFound(Exception):
    pass


class PersonGone(Exception):
    """The person was erased on request."""


class StaleVersion(Exception):
    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


class InvalidPerson(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


class DuplicateInsz(Exception):
    def __init__(self, existing: UUID) -> None:
        super().__init__(str(existing))
        self.existing = existing


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


async def _check_household(repository: PersonRepository, person: Person) -> None:
    if person.household and await repository.unknown_among(
        [link["person_id"] for link in person.household]
    ):
        raise InvalidPerson({"household": "Een gezinslid is geen geregistreerde persoon."})


def _json(value: Any) -> Any:
    if isinstance(value, date | datetime | UUID):
        return str(value)
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


async def register_person(uow: UnitOfWork, fields: Mapping[str, Any], by: Principal) -> Person:
    now = datetime.now(UTC)
    person = _validated(Person(**fields, registered_at=now), now.date())
    async with uow:
        repository = PersonRepository(uow.session)
        await _check_household(repository, person)
        changes = [
            {"field": name, "old": None, "new": _json(value)}
            for name, value in vars(person).items()
            if name not in ("id", "version", "registered_at") and value not in (None, [], False)
        ]
        try:
            existing = await repository.register(person, by.subject, changes)
        except IntegrityError as exc:  # the same INSZ registered at another desk just now
            await uow.session.rollback()
            existing = await repository.id_with_insz(person.insz or "")
            if existing is None:
                raise
            raise DuplicateInsz(existing) from exc
        if existing is not None:
            raise DuplicateInsz(existing)
        await uow.audit(by, "create", "person", person.id)
        await uow.publish(_registered(person), key=person.id, sequence=person.version)
        await uow.commit()
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
    )


async def read_person(uow: UnitOfWork, person_id: UUID, by: Principal) -> Person | None:
    """Reading personal data leaves a trace in the audit log."""
    async with uow:
        person = await PersonRepository(uow.session).get(person_id)
        if person is not None:
            await uow.audit(by, "read", "person", person_id)
            await uow.commit()
    return person


async def _to_change(
    repository: PersonRepository, person_id: UUID, expected_version: int | None = None
) -> Person:
    """The person, locked for this transaction's change; refused when missing, erased, or at
    another version than the caller saw (optimistic concurrency)."""
    current = await repository.get(person_id, for_update=True)
    if current is None:
        raise PersonNotFound
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
        current = await _to_change(repository, person_id, expected_version)
        corrected = _validated(replace(current, **changes, version=current.version + 1), now.date())
        diff = [
            {"field": name, "old": _json(getattr(current, name)), "new": _json(value)}
            for name, value in vars(corrected).items()
            if name != "version" and getattr(current, name) != value
        ]
        if not diff:
            return current
        await _check_household(repository, corrected)
        if corrected.insz and await repository.id_with_insz(corrected.insz, other_than=person_id):
            raise DuplicateInsz(await repository.id_with_insz(corrected.insz) or person_id)
        if not await repository.update(corrected, expected_version):
            raise StaleVersion(expected_version + 1)
        await repository.record(corrected, "corrected", by.subject, now, diff)
        await uow.audit(by, "update", "person", person_id)
        await uow.publish(
            PersonCorrected(
                person_id=person_id,
                corrected_at=now,
                changed_fields=[change["field"] for change in diff],
                municipality_nis=corrected.municipality_nis,
                target_group=corrected.target_group,
                languages=corrected.languages,
                contact_language=corrected.contact_language,
                interpreter_language=corrected.interpreter_language,
                nationality=corrected.nationality,
                residence_category=corrected.residence_category,
                interpreter_modality=corrected.interpreter_modality,
                dutch_level=corrected.dutch_level,
            ),
            key=person_id,
            sequence=corrected.version,
        )
        await uow.commit()
    return corrected


async def confirm_distinct(
    uow: UnitOfWork, person_id: UUID, expected_version: int, by: Principal
) -> Person:
    """The counter confirmed that a flagged near-duplicate is someone else."""
    now = datetime.now(UTC)
    async with uow:
        repository = PersonRepository(uow.session)
        current = await _to_change(repository, person_id, expected_version)
        confirmed = replace(current, possible_duplicates=[], version=current.version + 1)
        await repository.update(confirmed, expected_version)
        change = {"field": "possible_duplicates", "old": _json(current.possible_duplicates)}
        await repository.record(
            confirmed, "confirmed_distinct", by.subject, now, [change | {"new": []}]
        )
        await uow.audit(by, "update", "person", person_id, "near-duplicate reviewed")
        await uow.commit()
    return confirmed


async def person_history(
    uow: UnitOfWork, person_id: UUID, by: Principal
) -> list[dict[str, Any]] | None:
    async with uow:
        repository = PersonRepository(uow.session)
        if await repository.get(person_id) is None:
            return None
        history = await repository.history(person_id)
        await uow.audit(by, "read", "person", person_id, "history")
        await uow.commit()
    return history


async def erase_person(uow: UnitOfWork, person_id: UUID, reason: str, by: Principal) -> Person:
    """Erasure on request: identifying data go for good; the statistics facts stay."""
    now = datetime.now(UTC)
    async with uow:
        repository = PersonRepository(uow.session)
        current = await _to_change(repository, person_id)
        erased = replace(
            current,
            **{name: None for name in PERSONAL_FIELDS if name != "household"},
            household=[],
            possible_duplicates=[],
            erased_at=now,
            version=current.version + 1,
        )
        await repository.update(erased, current.version)
        await repository.forget_history_values(person_id, PERSONAL_FIELDS)
        await repository.forget_stored_answers(person_id)
        await repository.record(
            erased,
            "erased",
            by.subject,
            now,
            [{"field": name, "old": None, "new": None} for name in PERSONAL_FIELDS],
        )
        await uow.audit(by, "erase", "person", person_id, reason)
        await uow.publish(
            PersonErased(person_id=person_id, erased_at=now), key=person_id, sequence=erased.version
        )
        await uow.commit()
    return erased


async def search_persons(
    uow: UnitOfWork,
    where: PersonFilter,
    after: tuple[str, str, str] | None,
    limit: int,
    by: Principal,
) -> list[Person]:
    async with uow:
        found = await PersonRepository(uow.session).search(where, after, limit)
        for person in found:
            await uow.audit(by, "read", "person", person.id, "search")
        await uow.commit()
    return found
