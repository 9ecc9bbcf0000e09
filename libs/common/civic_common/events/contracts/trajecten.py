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
