"""Events published by trajecten."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from civic_common.events.contracts.base import EventData
from civic_common.events.contracts.reporting import ComponentProgress, ReportableFacts

# Kept a free string in the schema, because events published before 2026-12 carried the staff
# member's words here; since then only a code is sent, never free text (docs/privacy.md).
REASON_DOC = (
    "Reason code: illness, pregnancy, work, education, stay_abroad, family, suspension_ended, "
    "moved, left_belgium, deceased, no_longer_obliged, non_cooperation, prior_qualification, "
    "medical or other. Events before 2026-12 may hold free text."
)


class TrajectoryOpened(EventData):
    event_type = "trajecten.trajectory.opened.v1"
    topic = "trajecten.trajectories"
    summary = "A trajectory was opened for a person, from a template of a given kind and version."

    trajectory_id: UUID
    person_id: UUID
    kind: str = Field(description="Template kind, e.g. inburgeringstraject")
    template_version: str
    opened_at: datetime
    municipality_nis: str = Field(pattern=r"^\d{5}$")


class AppointmentScheduled(EventData):
    event_type = "trajecten.appointment.scheduled.v1"
    topic = "trajecten.trajectories"
    summary = (
        "A counsellor planned an appointment within a person's trajectory. Tolken books an "
        "interpreter for it when the person's language profile says one is needed."
    )

    appointment_id: UUID
    trajectory_id: UUID
    person_id: UUID
    starts_at: datetime
    ends_at: datetime
    municipality_nis: str = Field(pattern=r"^\d{5}$", description="Where it takes place")
    location: str | None = Field(None, max_length=300, description="Address or room; none online")
    organisation: str = Field(description="The organisation the counsellor works for")
    subject_category: str = Field(description="e.g. trajectbegeleiding, verblijfsrecht")


class TrainingRecorded(EventData, ReportableFacts):
    event_type = "trajecten.training.recorded.v1"
    topic = "trajecten.trainings"
    summary = (
        "The reportable state of a training (vorming) after any change: a full snapshot, so a "
        "read model upserts it by training_id and keeps the highest ce_sequence."
    )

    training_id: UUID
    offer: Literal["open", "custom"]
    theme: str = Field(
        description="The theme in Dutch: the catalogue's label for theme_code (a free text "
        "in records from before the catalogue, and for overig-ongemapt)"
    )
    theme_code: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9-]{1,60}$",
        description="Code from trajecten's versioned theme catalogue (overig-ongemapt: a theme "
        "from before the catalogue no code matched); absent in older records",
    )
    theme_catalogue: str | None = Field(
        None, pattern=r"^\d{4}\.\d+$", description="Version of the theme catalogue"
    )
    title: str
    description: str = ""
    status: Literal["planned", "held", "cancelled"]
    organisers: list[str] = Field(default_factory=list, description="Staff teams or trainers")
    external_partners: list[str] = Field(default_factory=list)
    outcome: Literal["continued", "stopped", "adjusted"] | None = None


class OrganisationTrajectoryRecorded(EventData, ReportableFacts):
    event_type = "trajecten.organisation-trajectory.recorded.v1"
    topic = "trajecten.organisation-trajectories"
    summary = (
        "The reportable state of a learning and coaching trajectory for organisations after any "
        "change: a full snapshot, upserted by organisation_trajectory_id."
    )

    organisation_trajectory_id: UUID
    call_id: UUID | None = None
    template_version: str | None = Field(
        None,
        pattern=r"^\d{4}\.\d+$",
        description="Version of the leer-en-coachingstraject template it follows",
    )
    components: list[ComponentProgress] = Field(
        default_factory=list,
        description="Its template's components (intake call, learning network of 5 sessions, "
        "coaching, evaluation) and where each stands; empty in older records",
    )
    edition: str = Field(description="e.g. 2019-2020")
    partners: list[str] = Field(default_factory=list, description="e.g. VIVO")
    goal: str
    content: str
    status: Literal["planned", "running", "completed", "stopped"]
    groups: int = Field(0, ge=0)
    results: str | None = None
    evaluation_criteria: list[str] = Field(default_factory=list)


# The lifecycle of a person's trajectory: thin facts on trajecten.trajectories, keyed by the
# trajectory id (sequence = its version). Every one names who acted: a staff subject, a partner
# organisation or "system".


class TrajectoryChange(BaseModel):
    """The facts every lifecycle event of a trajectory carries, first."""

    trajectory_id: UUID
    person_id: UUID
    occurred_at: datetime
    actor: str = Field(description="Staff subject, partner organisation or 'system'")


class ComponentChange(BaseModel):
    """The facts every event about one component of a trajectory carries, first."""

    trajectory_id: UUID
    person_id: UUID
    component: str = Field(description="Component code of its template, e.g. nt2_test")
    occurred_at: datetime
    actor: str = Field(description="Staff subject, partner organisation or 'system'")


class ComponentStarted(EventData, ComponentChange):
    event_type = "trajecten.trajectory.component-started.v1"
    topic = "trajecten.trajectories"
    summary = "A component of a person's trajectory started (course enrolment, track begun)."


class ComponentCompleted(EventData, ComponentChange):
    event_type = "trajecten.trajectory.component-completed.v1"
    topic = "trajecten.trajectories"
    summary = "A component was completed with a result that counts as completion by its template."

    result: str | None = Field(None, description="e.g. passed, hours_reached, employed")
    cefr_level: str | None = Field(None, description="Dutch level reached, for NT2 components")
    hours: Decimal | None = Field(None, ge=0, description="Hours attended in total")


class ComponentFailed(EventData, ComponentChange):
    event_type = "trajecten.trajectory.component-failed.v1"
    topic = "trajecten.trajectories"
    summary = "A component ended without a result that counts (e.g. a failed test); retryable."

    result: str | None = None
    cefr_level: str | None = None


class ComponentExempted(EventData, ComponentChange):
    event_type = "trajecten.trajectory.component-exempted.v1"
    topic = "trajecten.trajectories"
    summary = "A counsellor exempted the person from a component (e.g. Dutch already at level)."

    reason: str = Field(description=REASON_DOC)


class TrajectorySuspended(EventData, TrajectoryChange):
    event_type = "trajecten.trajectory.suspended.v1"
    topic = "trajecten.trajectories"
    summary = "A trajectory was suspended (illness, work, …); its deadlines stop running."

    reason: str = Field(description=REASON_DOC)


class TrajectoryResumed(EventData, TrajectoryChange):
    event_type = "trajecten.trajectory.resumed.v1"
    topic = "trajecten.trajectories"
    summary = "A suspended trajectory was resumed; open deadlines moved by the time suspended."

    reason: str = Field(description=REASON_DOC)


class TrajectoryStopped(EventData, TrajectoryChange):
    event_type = "trajecten.trajectory.stopped.v1"
    topic = "trajecten.trajectories"
    summary = "A trajectory was stopped before completion (moved away, left the target group, …)."

    reason: str = Field(description=REASON_DOC)


class DeadlineMissed(EventData):
    event_type = "trajecten.trajectory.deadline-missed.v1"
    topic = "trajecten.trajectories"
    summary = (
        "An obligated person missed a component's deadline: the referral for an infringement "
        "(Agentschap Binnenlands Bestuur). Published once per component and deadline."
    )

    trajectory_id: UUID
    person_id: UUID
    component: str = Field(description="Component code of its template, e.g. nt2_test")
    deadline: date
    occurred_at: datetime
    municipality_nis: str = Field(pattern=r"^\d{5}$")


class TrajectoryCompleted(EventData, TrajectoryChange):
    event_type = "trajecten.trajectory.completed.v1"
    topic = "trajecten.trajectories"
    summary = "Every required component is done: the inburgeringsattest was issued."

    attest_number: str
    kind: str
    template_version: str
    municipality_nis: str = Field(pattern=r"^\d{5}$")


class SubscriptionDisabled(EventData):
    event_type = "trajecten.subscription.disabled.v1"
    topic = "trajecten.partner-alerts"
    summary = (
        "Alert: a partner's webhook subscription was disabled after repeated failed deliveries; "
        "its deliveries wait until the partner enables it again. Key = the subscription id."
    )

    subscription_id: UUID
    organisation: str = Field(description="The partner organisation owning the subscription")
    consecutive_failures: int = Field(ge=1)
    last_status_code: int | None = Field(None, description="HTTP status of the last attempt")
    disabled_at: datetime


class SubscriptionFailing(EventData):
    event_type = "trajecten.subscription.failing.v1"
    topic = "trajecten.partner-alerts"
    summary = (
        "Alert: a partner's webhook deliveries keep failing (the subscription reached its "
        "warning threshold of consecutive failed attempts, before it is disabled). Key = the "
        "subscription id."
    )

    subscription_id: UUID
    organisation: str = Field(description="The partner organisation owning the subscription")
    consecutive_failures: int = Field(ge=1)
    disable_after_failures: int = Field(ge=1, description="When it will be disabled")
    last_status_code: int | None = Field(None, description="HTTP status of the last attempt")
    at: datetime


class LegalBasisExpiring(EventData):
    event_type = "trajecten.legal-basis.expiring.v1"
    topic = "trajecten.partner-alerts"
    summary = (
        "Alert: the legal basis a partner's subscription receives under ends soon; after that "
        "day nothing more is delivered under it. Key = the subscription id."
    )

    subscription_id: UUID
    organisation: str = Field(description="The partner organisation owning the subscription")
    legal_basis: str = Field(description="Code of the legal basis")
    valid_until: date = Field(description="The last day the basis allows deliveries")
