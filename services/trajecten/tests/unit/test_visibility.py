from datetime import UTC, datetime
from uuid import uuid4

import pytest

from trajecten.domain.templates import shipped
from trajecten.domain.trajectory import Trajectory
from trajecten.domain.visibility import (
    EVERY_AGENCY,
    NOTHING,
    NoAgency,
    Visibility,
    agency_code,
    visibility,
)

pytestmark = pytest.mark.unit


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


@pytest.mark.parametrize("role", ["counsellor", "counter"])
def test_agency_staff_see_their_own_agency_only(role):
    seen = visibility(roles(role), "atlas")
    assert seen == Visibility(frozenset({"atlas"}))
    assert seen.sees("atlas")
    assert not seen.sees("in-gent")
    assert not seen.sees(None)  # a trajectory of no known agency: admins only


def test_the_org_claim_is_compared_in_lower_case():
    assert visibility(roles("counsellor"), " IN-Gent ").sees("in-gent")
    assert agency_code("AgII") == "agii"


@pytest.mark.parametrize("organisation", ["agii", None])
def test_admins_see_every_agency_including_none_whatever_their_org(organisation):
    seen = visibility(roles("admin"), organisation)
    assert seen == EVERY_AGENCY
    assert seen.sees("atlas") and seen.sees("in-gent") and seen.sees(None)


def test_an_admin_who_is_also_counsellor_still_sees_every_agency():
    assert visibility(roles("counsellor", "admin"), "atlas") == EVERY_AGENCY


@pytest.mark.parametrize("role", ["counsellor", "counter"])
@pytest.mark.parametrize("organisation", [None, "", "  "])
def test_a_staff_token_without_an_agency_sees_nothing_at_all(role, organisation):
    with pytest.raises(NoAgency, match=r"Het token noemt geen agentschap \(org\)\."):
        visibility(roles(role), organisation)


def test_partners_and_the_system_are_not_scoped_by_agency():
    assert visibility(roles("partner"), "cvo-gent") == EVERY_AGENCY
    assert visibility(roles("system"), None) == EVERY_AGENCY


def test_a_staff_role_wins_over_a_partner_role():
    assert visibility(roles("partner", "counsellor"), "atlas").sees("atlas")
    assert not visibility(roles("partner", "counsellor"), "atlas").sees("agii")


def test_any_other_caller_sees_nothing():
    seen = visibility(roles("interpreter"), "agii")
    assert seen == NOTHING
    assert not seen.sees("agii") and not seen.sees(None)


AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def opened(agency: str | None) -> Trajectory:
    return Trajectory.open(
        shipped().get("inburgeringstraject", "2024.1"),
        person_id=uuid4(),
        municipality_nis="44021",
        opened_at=AT,
        target_group="obligated",
        actor="intake",
        agency=agency,
    )


def test_a_transfer_moves_the_trajectory_and_is_on_its_timeline():
    t = opened("agii")
    t.transfer("atlas", "intake", AT)
    assert t.agency == "atlas"
    change = t.changes[-1]
    assert (change.action, change.from_status, change.to_status) == ("transfer", "open", "open")
    assert change.details == {"from_agency": "agii", "to_agency": "atlas"}
    assert change.sequence == t.version == 2


def test_a_transfer_to_the_current_agency_changes_nothing():
    t = opened("atlas")
    t.transfer("atlas", "intake", AT)
    assert (t.agency, t.version, len(t.changes)) == ("atlas", 1, 1)


def test_a_trajectory_of_no_agency_gets_one_by_a_transfer():
    t = opened(None)
    t.transfer("in-gent", "intake", AT)
    assert t.agency == "in-gent"
    assert t.changes[-1].details["from_agency"] is None
