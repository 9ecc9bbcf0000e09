"""Every event rapportage reads, and how it lands in the read models.

``SUBSCRIPTIONS`` is the single registry: the worker consumes it live and the rebuild replays
it from the beginning of the topics. A new event type is one handler and one line here.
"""

import uuid
from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from civic_common.consumer import Handler
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import EventData
from civic_common.events.contracts.intake import (
    CandidacySubmitted,
    OrganisationRegistered,
    PersonCorrected,
    PersonErased,
    PersonRegistered,
)
from civic_common.events.contracts.rapportage import (
    HistoricalOrganisationTrajectoryImported,
    HistoricalTrainingsImported,
)
from civic_common.events.contracts.trajecten import (
    AppointmentScheduled,
    ComponentCompleted,
    ComponentExempted,
    ComponentFailed,
    ComponentStarted,
    DeadlineMissed,
    OrganisationTrajectoryRecorded,
    TrainingRecorded,
    TrajectoryCompleted,
    TrajectoryOpened,
    TrajectoryResumed,
    TrajectoryStopped,
    TrajectorySuspended,
)
from civic_common.events.envelope import Envelope
from rapportage.adapters import tables
from rapportage.adapters.projection_store import (
    set_status,
    update_fact,
    upsert_fact,
    upsert_latest,
    upsert_snapshot,
)
from rapportage.adapters.repository import MonthlyCountRepository
from rapportage.domain import facts
from rapportage.domain.monthly_counts import Metric, month_of


async def on_person_registered(uow: UnitOfWork, event: PersonRegistered, _: Envelope) -> None:
    month = month_of(event.registered_at)
    await MonthlyCountRepository(uow.session).increment(
        month, event.municipality_nis, Metric.INTAKES
    )
    await upsert_fact(
        uow.session,
        tables.intakes,
        {
            "person_id": event.person_id,
            "registered_at": event.registered_at,
            "month": month,
            "municipality_nis": event.municipality_nis,
            "target_group": event.target_group,
            "nationality": event.nationality,
            "residence_category": event.residence_category,
            "interpreter_language": event.interpreter_language,
        },
    )


async def on_trajectory_opened(uow: UnitOfWork, event: TrajectoryOpened, _: Envelope) -> None:
    month = month_of(event.opened_at)
    await MonthlyCountRepository(uow.session).increment(
        month, event.municipality_nis, Metric.TRAJECTORIES_OPENED
    )
    await upsert_fact(
        uow.session,
        tables.trajectories,
        {
            "trajectory_id": event.trajectory_id,
            "kind": event.kind,
            "opened_at": event.opened_at,
            "month": month,
            "municipality_nis": event.municipality_nis,
            "status": "opened",
        },
    )


async def on_person_corrected(uow: UnitOfWork, event: PersonCorrected, _: Envelope) -> None:
    await update_fact(
        uow.session,
        tables.intakes,
        event.person_id,
        {
            "municipality_nis": event.municipality_nis,
            "target_group": event.target_group,
            "nationality": event.nationality,
            "residence_category": event.residence_category,
            "interpreter_language": event.interpreter_language,
        },
    )


async def on_person_erased(uow: UnitOfWork, event: PersonErased, _: Envelope) -> None:
    """The count stays (it was made lawfully); the link to the person id goes."""
    await update_fact(uow.session, tables.intakes, event.person_id, {"person_id": uuid.uuid4()})


async def _trajectory_status(
    uow: UnitOfWork, trajectory_id: UUID, status: str, at: datetime
) -> None:
    await set_status(uow.session, tables.trajectories, {"trajectory_id": trajectory_id}, status, at)


async def on_trajectory_suspended(uow: UnitOfWork, event: TrajectorySuspended, _: Envelope) -> None:
    await _trajectory_status(uow, event.trajectory_id, "suspended", event.occurred_at)


async def on_trajectory_resumed(uow: UnitOfWork, event: TrajectoryResumed, _: Envelope) -> None:
    await _trajectory_status(uow, event.trajectory_id, "opened", event.occurred_at)


async def on_trajectory_stopped(uow: UnitOfWork, event: TrajectoryStopped, _: Envelope) -> None:
    await _trajectory_status(uow, event.trajectory_id, "stopped", event.occurred_at)


async def on_trajectory_completed(uow: UnitOfWork, event: TrajectoryCompleted, _: Envelope) -> None:
    await _trajectory_status(uow, event.trajectory_id, "completed", event.occurred_at)


async def on_deadline_missed(uow: UnitOfWork, event: DeadlineMissed, _: Envelope) -> None:
    await update_fact(uow.session, tables.trajectories, event.trajectory_id, {"overdue": True})


async def _component(
    uow: UnitOfWork,
    event: ComponentStarted | ComponentCompleted | ComponentFailed | ComponentExempted,
    status: str,
) -> None:
    await upsert_latest(
        uow.session,
        tables.components,
        {
            "trajectory_id": event.trajectory_id,
            "component": event.component,
            "status": status,
            "status_at": event.occurred_at,
            "cefr_level": getattr(event, "cefr_level", None),
        },
    )


async def on_component_started(uow: UnitOfWork, event: ComponentStarted, _: Envelope) -> None:
    await _component(uow, event, "started")


async def on_component_completed(uow: UnitOfWork, event: ComponentCompleted, _: Envelope) -> None:
    await _component(uow, event, "completed")


async def on_component_failed(uow: UnitOfWork, event: ComponentFailed, _: Envelope) -> None:
    await _component(uow, event, "failed")


async def on_component_exempted(uow: UnitOfWork, event: ComponentExempted, _: Envelope) -> None:
    await _component(uow, event, "exempted")


async def on_appointment_scheduled(
    uow: UnitOfWork, event: AppointmentScheduled, _: Envelope
) -> None:
    await upsert_fact(
        uow.session,
        tables.appointments,
        {
            "appointment_id": event.appointment_id,
            "starts_at": event.starts_at,
            "month": month_of(event.starts_at),
            "municipality_nis": event.municipality_nis,
            "subject_category": event.subject_category,
        },
    )


async def on_organisation_registered(
    uow: UnitOfWork, event: OrganisationRegistered, _: Envelope
) -> None:
    await upsert_fact(
        uow.session,
        tables.organisations,
        {
            "organisation_id": event.organisation_id,
            "name": event.name,
            "organisation_type": event.organisation_type,
            "municipality_nis": event.municipality_nis,
            "registered_at": event.registered_at,
        },
    )


async def on_candidacy_submitted(uow: UnitOfWork, event: CandidacySubmitted, _: Envelope) -> None:
    await upsert_fact(
        uow.session,
        tables.candidacies,
        {
            "candidacy_id": event.candidacy_id,
            "organisation_id": event.organisation_id,
            "kind": event.kind,
            "municipality_nis": event.municipality_nis,
            "theme": event.theme,
            "submitted_at": event.submitted_at,
        },
    )


async def on_training_recorded(uow: UnitOfWork, event: TrainingRecorded, env: Envelope) -> None:
    row = facts.training_row(event, env.sequence, env.time)
    await upsert_snapshot(uow.session, tables.trainings, row)


async def on_historical_trainings(
    uow: UnitOfWork, event: HistoricalTrainingsImported, env: Envelope
) -> None:
    row = facts.historical_training_row(event, env.sequence)
    await upsert_snapshot(uow.session, tables.trainings, row)


async def on_organisation_trajectory_recorded(
    uow: UnitOfWork, event: OrganisationTrajectoryRecorded, env: Envelope
) -> None:
    row = facts.organisation_trajectory_row(event, env.sequence)
    await upsert_snapshot(uow.session, tables.organisation_trajectories, row)


async def on_historical_organisation_trajectory(
    uow: UnitOfWork, event: HistoricalOrganisationTrajectoryImported, env: Envelope
) -> None:
    row = facts.historical_organisation_trajectory_row(event, env.sequence)
    await upsert_snapshot(uow.session, tables.organisation_trajectories, row)


SUBSCRIPTIONS: Mapping[str, Mapping[type[EventData], Handler]] = {
    "intake.persons": {
        PersonRegistered: on_person_registered,
        PersonCorrected: on_person_corrected,
        PersonErased: on_person_erased,
    },
    "intake.organisations": {OrganisationRegistered: on_organisation_registered},
    "intake.candidacies": {CandidacySubmitted: on_candidacy_submitted},
    "trajecten.trajectories": {
        TrajectoryOpened: on_trajectory_opened,
        AppointmentScheduled: on_appointment_scheduled,
        TrajectorySuspended: on_trajectory_suspended,
        TrajectoryResumed: on_trajectory_resumed,
        TrajectoryStopped: on_trajectory_stopped,
        TrajectoryCompleted: on_trajectory_completed,
        DeadlineMissed: on_deadline_missed,
        ComponentStarted: on_component_started,
        ComponentCompleted: on_component_completed,
        ComponentFailed: on_component_failed,
        ComponentExempted: on_component_exempted,
    },
    "trajecten.trainings": {TrainingRecorded: on_training_recorded},
    "trajecten.organisation-trajectories": {
        OrganisationTrajectoryRecorded: on_organisation_trajectory_recorded
    },
    "rapportage.reports": {
        HistoricalTrainingsImported: on_historical_trainings,
        HistoricalOrganisationTrajectoryImported: on_historical_organisation_trajectory,
    },
}
