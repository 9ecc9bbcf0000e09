"""Events published by trajecten."""

from datetime import datetime
from uuid import UUID

from pydantic import Field

from civic_common.events.contracts.base import EventData


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
