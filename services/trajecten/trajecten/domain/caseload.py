"""A counsellor's "Mijn dossiers": which trajectories, filtered and ordered how. Pure.

A trajectory is *mine* when I acted on it: opened it, took it up, recorded progress (any entry
of its timeline with me as actor). Trajectories carry no assigned counsellor; the timeline
already says who works on which case, and a colleague who takes over a case shows up there
the moment they act. ``mine=False`` lists every trajectory the caller may see (their agency's;
every agency for admins), for a team lead or a new colleague's first day.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from trajecten.domain.trajectory import TrajectoryStatus

Due = Literal["overdue", "soon"]
Sort = Literal["deadline", "opened", "status"]
SORTS: tuple[Sort, ...] = ("deadline", "opened", "status")
DUE_SOON_DAYS = 14
# A trajectory with nothing due sorts after every deadline.
NO_DEADLINE = date(9999, 12, 31)


@dataclass(frozen=True)
class CaseloadQuery:
    mine: bool = True
    status: TrajectoryStatus | None = None
    due: Due | None = None
    agency: str | None = None
    sort: Sort = "deadline"


@dataclass(frozen=True)
class CaseloadPosition:
    """Where a page ends: the sort key of its last row (as its text) and that row's id."""

    key: str
    id: UUID


def due_window(today: date) -> tuple[date, date]:
    """``overdue``: a required open component's deadline before ``today``; ``soon``: from today
    up to ``DUE_SOON_DAYS`` calendar days ahead (the worklist's window)."""
    return today, date.fromordinal(today.toordinal() + DUE_SOON_DAYS)


def sort_key(sort: Sort, next_deadline: date | None, opened_at: datetime, status: str) -> str:
    """The text a cursor keeps for a row under ``sort`` (read back by ``parse_key``)."""
    if sort == "deadline":
        return (next_deadline or NO_DEADLINE).isoformat()
    if sort == "opened":
        return opened_at.isoformat()
    return status


def parse_key(sort: Sort, key: str) -> date | datetime | str:
    """A cursor's sort key as the value compared; ValueError when it is not one."""
    if sort == "deadline":
        return date.fromisoformat(key)
    if sort == "opened":
        parsed = datetime.fromisoformat(key)
        if parsed.tzinfo is None:
            raise ValueError("opened_at without a time zone")
        return parsed
    if key not in {str(s) for s in TrajectoryStatus}:
        raise ValueError("no status")
    return key
