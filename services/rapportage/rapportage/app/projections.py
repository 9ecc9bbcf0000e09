"""Every event rapportage reads, and how it lands in the read models.

A projector turns one event into writes, without I/O. ``PROJECTORS`` is the single registry:
the worker applies each event's writes as it consumes (``SUBSCRIPTIONS``), the rebuild
replays the topics from the beginning and applies the writes in bulk. A new event type is one
projector and one line here.
"""

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from civic_common.consumer import Handler
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import EventData
from civic_common.events.contracts.intake import (
    CandidacySubmitted,
    OrganisationRegistered,
    PersonCorrected,
    PersonErased,
    PersonMerged,
    PersonRegistered,
    PersonTransferred,
)
from civic_common.events.contracts.rapportage import (
    HistoricalOrganisationTrajectoryImported,
    HistoricalTrainingsImported,
)
from civic_common.events.contracts.tolken import (
    RequestAssigned,
    RequestCancelled,
    RequestCompleted,
    RequestReceived,
    RequestUnfulfilled,
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
from rapportage.adapters.projection_store import Delete, Increment, Update, Upsert, Write, apply
from rapportage.domain import facts
from rapportage.domain.monthly_counts import Metric, month_of

Projector = Callable[[Any, Envelope], list[Write]]


def _count(month: object, municipality_nis: str, metric: Metric) -> Increment:
    key = {"month": month, "municipality_nis": municipality_nis, "metric": metric.value}
    return Increment(tables.monthly_counts, key, "count")


def person_registered(event: PersonRegistered, _: Envelope) -> list[Write]:
    """Counts the intake and keeps its facts (no name, INSZ or birth date) for the indicators."""
    month = month_of(event.registered_at)
    row = {
        "person_id": event.person_id,
        "registered_at": event.registered_at,
        "month": month,
        "municipality_nis": event.municipality_nis,
        "target_group": event.target_group,
        "nationality": event.nationality,
        "residence_category": event.residence_category,
        "interpreter_language": event.interpreter_language,
        "dutch_level": event.dutch_level,
        "agency": event.agency,
    }
    return [
        _count(month, event.municipality_nis, Metric.INTAKES),
        Upsert(tables.intakes, row, "fact"),
    ]


def person_corrected(event: PersonCorrected, _: Envelope) -> list[Write]:
    """The intake's facts become the corrected ones (municipality, target group, nationality,
    residence, languages, Dutch level); counts already published stay."""
    values = {
        "municipality_nis": event.municipality_nis,
        "target_group": event.target_group,
        "nationality": event.nationality,
        "residence_category": event.residence_category,
        "interpreter_language": event.interpreter_language,
        "dutch_level": event.dutch_level,
    }
    return [Update(tables.intakes, {"person_id": event.person_id}, values)]


def person_erased(event: PersonErased, _: Envelope) -> list[Write]:
    """Pseudonymises: the person id is replaced by one pseudonym in every read model; the
    counts stay (they were made lawfully), so indicators joining a trajectory to its intake
    stay right."""
    pseudonym = {"person_id": uuid.uuid4()}
    key = {"person_id": event.person_id}
    return [Update(tables.intakes, key, pseudonym), Update(tables.trajectories, key, pseudonym)]


def person_transferred(event: PersonTransferred, _: Envelope) -> list[Write]:
    """The case is now the other agency's: newcomer indicators per agency follow it."""
    return [Update(tables.intakes, {"person_id": event.person_id}, {"agency": event.to_agency})]


def person_merged(event: PersonMerged, _: Envelope) -> list[Write]:
    """The record merged away is the same newcomer as the survivor: its intake facts go, so the
    newcomer indicators count the person once, and its trajectories are the survivor's. The
    monthly counts already made (and reports already published) stay as they were."""
    return [
        Update(tables.trajectories, {"person_id": event.person_id}, {"person_id": event.into}),
        Delete(tables.intakes, {"person_id": event.person_id}),
    ]


def trajectory_opened(event: TrajectoryOpened, _: Envelope) -> list[Write]:
    """Counts the opening and keeps the trajectory's facts for the indicators."""
    month = month_of(event.opened_at)
    row = {
        "trajectory_id": event.trajectory_id,
        "person_id": event.person_id,
        "kind": event.kind,
        "opened_at": event.opened_at,
        "month": month,
        "municipality_nis": event.municipality_nis,
        "status": "opened",
    }
    return [
        _count(month, event.municipality_nis, Metric.TRAJECTORIES_OPENED),
        Upsert(tables.trajectories, row, "fact"),
    ]


def _status(status: str) -> Projector:
    def project(event: Any, _: Envelope) -> list[Write]:
        key = {"trajectory_id": event.trajectory_id}
        return [Update(tables.trajectories, key, {"status": status}, event.occurred_at)]

    project.__doc__ = f"Sets the trajectory's status to {status}."
    return project


def deadline_missed(event: DeadlineMissed, _: Envelope) -> list[Write]:
    """Marks the trajectory overdue."""
    return [Update(tables.trajectories, {"trajectory_id": event.trajectory_id}, {"overdue": True})]


def _component(status: str) -> Projector:
    def project(event: Any, _: Envelope) -> list[Write]:
        row = {
            "trajectory_id": event.trajectory_id,
            "component": event.component,
            "status": status,
            "status_at": event.occurred_at,
            "cefr_level": getattr(event, "cefr_level", None),
            "result": getattr(event, "result", None),
        }
        return [Upsert(tables.components, row, "latest")]

    project.__doc__ = f"Records the component {status} for the component indicators."
    return project


def request_received(event: RequestReceived, _: Envelope) -> list[Write]:
    """Counts the interpreter request and keeps its facts."""
    row = {
        "request_id": event.request_id,
        "kind": event.kind,
        "language": event.language,
        "modality": event.modality,
        "urgent": event.urgent,
        "received_at": event.received_at,
        "month": month_of(event.received_at),
        "status": "received",
        "status_at": event.received_at,
    }
    return [Upsert(tables.interpreter_requests, row, "fact")]


def request_assigned(event: RequestAssigned, env: Envelope) -> list[Write]:
    """The event carries no moment of its own: the envelope's time is when it was assigned."""
    key = {"request_id": event.request_id}
    values = {"status": "assigned", "assigned_at": env.time}
    return [Update(tables.interpreter_requests, key, values, env.time)]


def request_completed(event: RequestCompleted, _: Envelope) -> list[Write]:
    """Marks the interpreter request completed."""
    key = {"request_id": event.request_id}
    values = {"status": "completed", "actual_minutes": event.actual_minutes}
    return [Update(tables.interpreter_requests, key, values, event.completed_at)]


def request_cancelled(event: RequestCancelled, _: Envelope) -> list[Write]:
    """Marks the interpreter request cancelled."""
    key = {"request_id": event.request_id}
    return [Update(tables.interpreter_requests, key, {"status": "cancelled"}, event.cancelled_at)]


def request_unfulfilled(event: RequestUnfulfilled, env: Envelope) -> list[Write]:
    """Marks the interpreter request unfulfilled."""
    key = {"request_id": event.request_id}
    return [Update(tables.interpreter_requests, key, {"status": "unfulfilled"}, env.time)]


def appointment_scheduled(event: AppointmentScheduled, _: Envelope) -> list[Write]:
    """Keeps the appointment for the interpreting indicators."""
    row = {
        "appointment_id": event.appointment_id,
        "starts_at": event.starts_at,
        "month": month_of(event.starts_at),
        "municipality_nis": event.municipality_nis,
        "subject_category": event.subject_category,
    }
    return [Upsert(tables.appointments, row, "fact")]


def organisation_registered(event: OrganisationRegistered, _: Envelope) -> list[Write]:
    """Keeps the organisation's facts (type, municipality) for the reports on calls."""
    row = {
        "organisation_id": event.organisation_id,
        "name": event.name,
        "organisation_type": event.organisation_type,
        "municipality_nis": event.municipality_nis,
        "registered_at": event.registered_at,
    }
    return [Upsert(tables.organisations, row, "fact")]


def candidacy_submitted(event: CandidacySubmitted, _: Envelope) -> list[Write]:
    """Keeps the candidacy for the reports on calls."""
    row = {
        "candidacy_id": event.candidacy_id,
        "organisation_id": event.organisation_id,
        "kind": event.kind,
        "municipality_nis": event.municipality_nis,
        "theme": event.theme,
        "submitted_at": event.submitted_at,
    }
    return [Upsert(tables.candidacies, row, "fact")]


def training_recorded(event: TrainingRecorded, env: Envelope) -> list[Write]:
    """Keeps the training's latest snapshot for the training reports."""
    row = facts.training_row(event, env.sequence, env.time)
    return [Upsert(tables.trainings, row, "snapshot")]


def historical_trainings(event: HistoricalTrainingsImported, env: Envelope) -> list[Write]:
    """Keeps the imported historical trainings beside the live ones, and counts the row in for
    its batch (the batch shows once all its rows are in)."""
    return [
        Upsert(tables.trainings, facts.historical_training_row(event, env.sequence), "snapshot"),
        _batch_row(event.import_id),
    ]


def _batch_row(import_id: object) -> Increment:
    return Increment(tables.batch_rows, {"import_id": import_id}, "applied")


def organisation_trajectory_recorded(
    event: OrganisationTrajectoryRecorded, env: Envelope
) -> list[Write]:
    """Keeps the organisation trajectory\'s latest snapshot for the reports."""
    row = facts.organisation_trajectory_row(event, env.sequence)
    return [Upsert(tables.organisation_trajectories, row, "snapshot")]


def historical_organisation_trajectory(
    event: HistoricalOrganisationTrajectoryImported, env: Envelope
) -> list[Write]:
    """Keeps the imported historical organisation trajectory beside the live ones, and counts
    the row in for its batch."""
    row = facts.historical_organisation_trajectory_row(event, env.sequence)
    return [Upsert(tables.organisation_trajectories, row, "snapshot"), _batch_row(event.import_id)]


PROJECTORS: Mapping[str, Mapping[type[EventData], Projector]] = {
    "intake.persons": {
        PersonRegistered: person_registered,
        PersonCorrected: person_corrected,
        PersonTransferred: person_transferred,
        PersonErased: person_erased,
        PersonMerged: person_merged,
    },
    "intake.organisations": {OrganisationRegistered: organisation_registered},
    "intake.candidacies": {CandidacySubmitted: candidacy_submitted},
    "trajecten.trajectories": {
        TrajectoryOpened: trajectory_opened,
        AppointmentScheduled: appointment_scheduled,
        TrajectorySuspended: _status("suspended"),
        TrajectoryResumed: _status("opened"),
        TrajectoryStopped: _status("stopped"),
        TrajectoryCompleted: _status("completed"),
        DeadlineMissed: deadline_missed,
        ComponentStarted: _component("started"),
        ComponentCompleted: _component("completed"),
        ComponentFailed: _component("failed"),
        ComponentExempted: _component("exempted"),
    },
    "trajecten.trainings": {TrainingRecorded: training_recorded},
    "trajecten.organisation-trajectories": {
        OrganisationTrajectoryRecorded: organisation_trajectory_recorded
    },
    "tolken.requests": {
        RequestReceived: request_received,
        RequestAssigned: request_assigned,
        RequestCompleted: request_completed,
        RequestCancelled: request_cancelled,
        RequestUnfulfilled: request_unfulfilled,
    },
    "rapportage.historical": {
        HistoricalTrainingsImported: historical_trainings,
        HistoricalOrganisationTrajectoryImported: historical_organisation_trajectory,
    },
}


def _live(project: Projector) -> Handler:
    async def handle(uow: UnitOfWork, event: EventData, envelope: Envelope) -> None:
        await apply(uow.session, project(event, envelope))

    handle.__doc__ = project.__doc__  # what it does, for the consumer matrix
    return handle


SUBSCRIPTIONS: Mapping[str, Mapping[type[EventData], Handler]] = {
    topic: {model: _live(project) for model, project in projectors.items()}
    for topic, projectors in PROJECTORS.items()
}
