"""Use cases for organisations: calls, candidacies from intake, selection, trainings and learning
and coaching trajectories. Every change to a training or organisation trajectory publishes its
full reportable snapshot (key = its id, sequence = its version) in the same transaction."""

from collections.abc import Callable
from datetime import date
from typing import TypeVar
from uuid import UUID

from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.intake import (
    CandidacySubmitted,
    OrganisationRegistered,
    OrganisationType,
)
from civic_common.events.contracts.reporting import ParticipatingOrganisation
from civic_common.events.contracts.trajecten import (
    OrganisationTrajectoryRecorded,
    TrainingRecorded,
)
from civic_common.events.envelope import Envelope
from trajecten.adapters.documents import Documents, organisation, upsert_organisation
from trajecten.adapters.tables import calls, candidacies, organisation_trajectories, trainings
from trajecten.app.trajectories import StaleVersion
from trajecten.domain.organisations import (
    Call,
    Candidacy,
    EligibilityDecision,
    InvalidChange,
    OrganisationTrajectory,
    Training,
    decide_eligibility,
)
from trajecten.domain.templates import shipped
from trajecten.domain.themes import theme_catalogue

A = TypeVar("A", Training, OrganisationTrajectory)


class NotFound(LookupError):
    pass


def _calls(uow: UnitOfWork) -> Documents[Call]:
    return Documents(uow.session, calls, Call)


def _candidacies(uow: UnitOfWork) -> Documents[Candidacy]:
    return Documents(uow.session, candidacies, Candidacy)


def _store(uow: UnitOfWork, kind: type[A]) -> Documents[A]:
    table = trainings if kind is Training else organisation_trajectories
    return Documents(uow.session, table, kind)


# The largest snapshot a training or organisation trajectory may publish (its JSON, in bytes):
# half of Kafka's 1 MB message limit, so a snapshot never jams the outbox. Each list is bounded
# at the API too, but their product (100 sessions of 50 trainers of 200 characters) is not.
MAX_SNAPSHOT_BYTES = 512 * 1024


def snapshot(
    aggregate: Training | OrganisationTrajectory,
) -> TrainingRecorded | OrganisationTrajectoryRecorded:
    """The reportable snapshot event of ``aggregate`` (exactly its stored state)."""
    data = aggregate.model_dump()
    if isinstance(aggregate, Training):
        theme = aggregate.theme_label(theme_catalogue(aggregate.theme_catalogue))
        return TrainingRecorded.model_validate(data | {"training_id": aggregate.id, "theme": theme})
    return OrganisationTrajectoryRecorded.model_validate(
        data | {"organisation_trajectory_id": aggregate.id}
    )


async def _publish(
    uow: UnitOfWork, aggregate: Training | OrganisationTrajectory, grows: str = "body"
) -> None:
    """Publish its snapshot; a change that would make it larger than ``MAX_SNAPSHOT_BYTES`` is
    refused naming ``grows``, the field the change adds to."""
    event = snapshot(aggregate)
    if len(event.model_dump_json().encode()) > MAX_SNAPSHOT_BYTES:
        raise InvalidChange(
            grows,
            f"de registratie wordt te groot om te melden (hoogstens {MAX_SNAPSHOT_BYTES // 1024}"
            " kB); maak teksten of lijsten korter",
        )
    await uow.publish(event, key=aggregate.id, sequence=aggregate.version)


# --- intake events ----------------------------------------------------------------------------


async def on_organisation_registered(
    uow: UnitOfWork, event: OrganisationRegistered, _: Envelope
) -> None:
    """Keeps the organisation, to assess its candidacies against the calls."""
    await upsert_organisation(
        uow.session,
        id=event.organisation_id,
        name=event.name,
        organisation_type=event.organisation_type,
        staff_size=event.staff_size,
        municipality_nis=event.municipality_nis,
    )


async def on_candidacy_submitted(uow: UnitOfWork, event: CandidacySubmitted, _: Envelope) -> None:
    """Stored and assessed against its call; a counsellor selects among the eligible ones."""
    candidacy = Candidacy.model_validate(
        event.model_dump(exclude={"candidacy_id"}) | {"id": event.candidacy_id}
    )
    if candidacy.organisation_type is None:  # an older record: the type as registered
        known = await organisation(uow.session, event.organisation_id)
        candidacy.organisation_type = known["organisation_type"] if known else None
    call = await _calls(uow).get(event.call_id) if event.call_id else None
    candidacy.assess(call)
    await _candidacies(uow).add(candidacy)


# --- calls and selection ----------------------------------------------------------------------


async def create_call(uow: UnitOfWork, call: Call, by: Principal) -> Call:
    async with uow:
        await _calls(uow).add(call)
        await uow.audit(by, "create", "call", call.id)
        await uow.commit()
    return call


async def read_call(uow: UnitOfWork, call_id: UUID, by: Principal) -> Call:
    """A call as it was published, its eligibility rules included (what intake's advice and the
    candidacies' assessment go by)."""
    async with uow:
        call = await _calls(uow).get(call_id)
        if call is None:
            raise NotFound(f"geen oproep {call_id}")
        await uow.audit(by, "read", "call", call_id)
        await uow.commit()
    return call


async def call_eligibility(
    uow: UnitOfWork,
    call_id: UUID,
    *,
    organisation_type: OrganisationType,
    staff_size: int,
    participant_roles: list[str],
    on: date,
) -> EligibilityDecision:
    """Trajecten's decision for an organisation answering a call (intake shows it at its
    counter before it submits the candidacy); no personal data, so not audited."""
    async with uow:
        call = await _calls(uow).get(call_id)
    if call is None:
        raise NotFound(f"geen oproep {call_id}")
    return decide_eligibility(
        call,
        organisation_type=organisation_type,
        staff_size=staff_size,
        participant_roles=participant_roles,
        on=on,
    )


async def list_candidacies(
    uow: UnitOfWork, after: UUID | None, limit: int, by: Principal
) -> list[Candidacy]:
    async with uow:
        found = await _candidacies(uow).page(after, limit)
        await uow.audit(by, "read", "candidacies", "*")
        await uow.commit()
    return found


async def decide_candidacy(
    uow: UnitOfWork,
    candidacy_id: UUID,
    *,
    selected: bool,
    reason: str,
    organisation_trajectory_id: UUID | None,
    by: Principal,
) -> Candidacy:
    """Selecting a candidacy into a trajectory adds its organisation there in the same commit."""
    async with uow:
        candidacy = await _candidacies(uow).get(candidacy_id, lock=True)
        if candidacy is None:
            raise NotFound(f"geen kandidatuur met id {candidacy_id}")
        candidacy.decide(selected, reason, by.subject)
        candidacy.version += 1
        if not selected and candidacy.organisation_trajectory_id is not None:
            # Rejected after being selected: its organisation leaves that trajectory's
            # participants in the same commit.
            store = _store(uow, OrganisationTrajectory)
            joined = await store.get(candidacy.organisation_trajectory_id, lock=True)
            if joined is not None:
                joined.remove_participants(candidacy.organisation_id)
                joined.bump()
                await store.save(joined)
                await _publish(uow, joined)
            candidacy.organisation_trajectory_id = None
        if selected and organisation_trajectory_id is not None:
            store = _store(uow, OrganisationTrajectory)
            target = await store.get(organisation_trajectory_id, lock=True)
            if target is None:
                raise NotFound(f"geen organisatietraject met id {organisation_trajectory_id}")
            known = await organisation(uow.session, candidacy.organisation_id)
            if known is None:
                raise InvalidChange(
                    "organisation_id", "de organisatie is (nog) niet gekend vanuit het onthaal"
                )
            target.add_participants(
                ParticipatingOrganisation(
                    organisation_id=candidacy.organisation_id,
                    name=known["name"],
                    organisation_type=known["organisation_type"],
                    participants=len(candidacy.participant_roles),
                )
            )
            target.bump()
            await store.save(target)
            await _publish(uow, target)
            candidacy.organisation_trajectory_id = organisation_trajectory_id
        await _candidacies(uow).save(candidacy)
        await uow.audit(by, "update", "candidacy", candidacy_id)
        await uow.commit()
    return candidacy


# --- trainings and organisation trajectories --------------------------------------------------


async def create_recorded(uow: UnitOfWork, aggregate: A, by: Principal) -> A:
    if isinstance(aggregate, OrganisationTrajectory):
        shipped().get(aggregate.template_kind, aggregate.template_version)  # UnknownTemplate
    async with uow:
        await _store(uow, type(aggregate)).add(aggregate)
        await _publish(uow, aggregate)
        await uow.audit(by, "create", type(aggregate).__name__.lower(), aggregate.id)
        await uow.commit()
    return aggregate


async def change_recorded(
    uow: UnitOfWork,
    kind: type[A],
    aggregate_id: UUID,
    expected_version: int,
    change: Callable[[A], None],
    by: Principal,
    grows: str = "body",
) -> A:
    """Apply ``change`` to the version the caller saw, store it and publish its snapshot
    (refused naming ``grows`` when the snapshot would outgrow ``MAX_SNAPSHOT_BYTES``)."""
    async with uow:
        store = _store(uow, kind)
        aggregate = await store.get(aggregate_id, lock=True)
        if aggregate is None:
            raise NotFound(f"niets gevonden met id {aggregate_id}")
        if aggregate.version != expected_version:
            raise StaleVersion(expected_version, aggregate.version)
        change(aggregate)
        aggregate.bump()
        await store.save(aggregate)
        await _publish(uow, aggregate, grows)
        await uow.audit(by, "update", kind.__name__.lower(), aggregate_id)
        await uow.commit()
    return aggregate


async def list_recorded(uow: UnitOfWork, kind: type[A], after: UUID | None, limit: int) -> list[A]:
    async with uow:
        return await _store(uow, kind).page(after, limit)


async def read_recorded(uow: UnitOfWork, kind: type[A], aggregate_id: UUID) -> A:
    async with uow:
        found = await _store(uow, kind).get(aggregate_id)
    if found is None:
        raise NotFound(f"niets gevonden met id {aggregate_id}")
    return found
