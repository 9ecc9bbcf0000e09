"""Person trajectories. Pure: no I/O, no framework."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

INBURGERING = "inburgeringstraject"


class TrajectoryStatus(StrEnum):
    OPEN = "open"


@dataclass
class Trajectory:
    person_id: UUID
    kind: str
    template_version: str
    municipality_nis: str
    opened_at: datetime
    status: TrajectoryStatus = TrajectoryStatus.OPEN
    id: UUID = field(default_factory=uuid4)
    version: int = 1


def opens_trajectory(target_group: str | None) -> bool:
    """Open an integration trajectory unless intake found the person outside the target group.

    An unknown target group still opens one: a counsellor can stop it, whereas a missed
    trajectory for an obligated newcomer goes unnoticed.
    """
    return target_group != "not_in_target_group"
