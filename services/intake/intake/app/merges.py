"""Use cases on merging two records of one person (samenvoegen): the check side by side and
the merge itself. The rule is the domain's (domain/merge.py); here both records are loaded for
the caller (only persons they may see), locked, changed, recorded, audited and announced."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.intake import PersonMerged
from intake.adapters.repository import PersonRepository
from intake.app.persons import (
    PersonNotFound,
    StaleVersion,
    _as_seen,
    _json,
    _mirror_household,
    _validated,
    _visible,
    corrected_event,
)
from intake.domain.merge import (
    SAME_RECORD,
    FieldComparison,
    Merge,
    MergeRefused,
    compare,
    merge,
    merge_refusal,
)
from intake.domain.person import Person


class OtherNotFound(PersonNotFound):
    """The other record is no person the caller may see (like PersonNotFound, for that id)."""


async def _other(repository: PersonRepository, other_id: UUID, by: Principal, lock: bool) -> Person:
    try:
        return await _visible(repository, other_id, by, for_update=lock, merged_too=True)
    except PersonNotFound as exc:
        raise OtherNotFound from exc


@dataclass(frozen=True)
class MergeCheck:
    """Both records as the caller sees them, field by field, and why they cannot be merged
    (None: they can)."""

    survivor: Person
    other: Person
    fields: list[FieldComparison]
    refusal: str | None


async def check_merge(
    uow: UnitOfWork, survivor_id: UUID, other_id: UUID, by: Principal
) -> MergeCheck:
    """Both records side by side for the counter to choose from; reading both is audited. A
    record merged away already is shown too (the refusal says so)."""
    async with uow:
        repository = PersonRepository(uow.session)
        survivor = await _visible(repository, survivor_id, by)
        other = await _other(repository, other_id, by, lock=False)
        survivor = await _as_seen(repository, survivor, by)
        other = await _as_seen(repository, other, by)
        for person_id in (survivor_id, other_id):
            await uow.audit(by, "read", "person", person_id, "merge check")
        await uow.commit()
    return MergeCheck(survivor, other, compare(survivor, other), merge_refusal(survivor, other))


async def merge_persons(
    uow: UnitOfWork,
    survivor_id: UUID,
    other_id: UUID,
    versions: tuple[int, int],
    choices: Mapping[str, str],
    reason: str,
    by: Principal,
) -> Merge:
    """Merge ``other_id`` into ``survivor_id`` at the versions the caller saw (``versions``:
    survivor's, other's; StaleVersion otherwise) with the values ``choices`` names. Both records
    get a history entry; the merge is audited on both with the reason; household members follow
    (their links point at the survivor); ``intake.person.merged.v1`` goes out, and
    ``intake.person.corrected.v1`` for the survivor when its facts changed. Raises
    MergeRefused, InvalidChoice, InvalidPerson (the values chosen do not fit together)."""
    now = datetime.now(UTC)
    if survivor_id == other_id:
        raise MergeRefused(SAME_RECORD)  # the domain's rule, before locking one row twice
    async with uow:
        repository = PersonRepository(uow.session)
        # Locked in id order, so two merges of the same pair cannot wait on each other.
        loaded: dict[UUID, Person] = {}
        missing: dict[UUID, PersonNotFound] = {}
        for person_id in sorted((survivor_id, other_id)):
            try:
                loaded[person_id] = (
                    await _other(repository, person_id, by, lock=True)
                    if person_id == other_id
                    else await _visible(repository, person_id, by, for_update=True)
                )
            except PersonNotFound as exc:
                missing[person_id] = exc
        # Whatever the locking order: an unknown survivor (the URL's person) is said first.
        for person_id in (survivor_id, other_id):
            if person_id in missing:
                raise missing[person_id]
        survivor, other = loaded[survivor_id], loaded[other_id]
        outcome = merge(survivor, other, choices, now)  # refused before anything else
        for person, expected in zip((survivor, other), versions, strict=True):
            if person.version != expected:
                raise StaleVersion(person.version)
        kept = _validated(outcome.survivor, now.date())
        # The record merged away first: it may hand its INSZ over to the survivor.
        if not await repository.update(outcome.merged, other.version):
            raise StaleVersion(other.version + 1)
        if not await repository.update(kept, survivor.version):
            raise StaleVersion(survivor.version + 1)
        diff = [
            {"field": name, "old": _json(getattr(survivor, name)), "new": _json(value)}
            for name, value in vars(kept).items()
            if name != "version" and getattr(survivor, name) != value
        ]
        from_other = {"field": "merged_from", "old": None, "new": str(other_id)}
        await repository.record(kept, "merged", by.subject, now, [*diff, from_other])
        await repository.record(
            outcome.merged,
            "merged_into",
            by.subject,
            now,
            [{"field": "merged_into", "old": None, "new": str(survivor_id)}],
        )
        await uow.audit(by, "merge", "person", survivor_id, f"{other_id} samengevoegd: {reason}")
        await uow.audit(
            by, "merge", "person", other_id, f"samengevoegd met {survivor_id}: {reason}"
        )
        await _mirror_household(uow, repository, outcome.merged, other.household, by, now)
        await _mirror_household(uow, repository, kept, survivor.household, by, now)
        await uow.publish(
            PersonMerged(person_id=other_id, into=survivor_id, merged_at=now),
            key=other_id,
            sequence=outcome.merged.version,
        )
        if any(c["field"] != "possible_duplicates" for c in diff):
            await uow.publish(
                corrected_event(kept, [c["field"] for c in diff], now),
                key=survivor_id,
                sequence=kept.version,
            )
        await uow.commit()
    return Merge(kept, outcome.merged, outcome.taken_from_other)
