"""A trajectory moves to the surviving record when intake merges two records of one person."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from trajecten.domain.templates import shipped
from trajecten.domain.trajectory import Trajectory, TrajectoryStatus

pytestmark = pytest.mark.unit

TEMPLATE = shipped().get("inburgeringstraject", "2024.1")
AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def opened() -> Trajectory:
    return Trajectory.open(
        TEMPLATE,
        person_id=uuid4(),
        municipality_nis="23002",
        opened_at=AT,
        target_group="obligated",
        actor="intake",
        agency="agii",
    )


def test_the_trajectory_moves_with_an_entry_naming_both_records():
    t, survivor = opened(), uuid4()
    old, version = t.person_id, t.version
    t.move_to_person(survivor, "intake", AT)
    assert t.person_id == survivor and t.version == version + 1
    entry = t.changes[-1]
    assert entry.action == "merge_person"
    assert entry.details == {"from_person": str(old), "to_person": str(survivor)}
    assert t.status is TrajectoryStatus.OPEN


def test_an_open_twin_is_named_and_a_move_to_the_same_person_changes_nothing():
    t, twin = opened(), opened()
    t.move_to_person(twin.person_id, "intake", AT, [twin.id])
    assert t.changes[-1].details["also_open"] == [str(twin.id)]
    twin.flag_duplicate(t.id, "intake", AT)
    assert twin.changes[-1].action == "duplicate_open"
    assert twin.changes[-1].details == {"also_open": [str(t.id)]}
    version = t.version
    t.move_to_person(twin.person_id, "intake", AT, [twin.id])
    assert t.version == version


def test_a_closed_trajectory_moves_without_a_twin_flag():
    t, twin = opened(), opened()
    t.stop("vertrokken", "els", AT)
    t.move_to_person(twin.person_id, "intake", AT, [twin.id])
    assert "also_open" not in t.changes[-1].details
