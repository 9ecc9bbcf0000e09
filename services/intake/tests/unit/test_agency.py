"""Which agency's persons a staff member sees (domain/agency.py)."""

import pytest

from intake.domain.agency import (
    NoAgency,
    Visibility,
    agency_code,
    own_agency,
    transfer_refusal,
    visibility,
)

pytestmark = pytest.mark.unit


def test_counter_staff_and_counsellors_see_only_their_own_agency():
    for role in ("counter", "counsellor"):
        seen = visibility({role}, "Atlas")
        assert seen == Visibility("atlas"), "the org claim counts lower-cased"
        assert seen.admits("atlas")
        assert not seen.admits("in-gent")
        assert not seen.admits("agii")


def test_admins_see_every_agency_with_or_without_an_org():
    for organisation in (None, "agii"):
        seen = visibility({"admin"}, organisation)
        assert seen == Visibility(None)
        assert seen.admits("atlas") and seen.admits("in-gent")
    assert visibility({"counter", "admin"}, "atlas").admits("in-gent")


@pytest.mark.parametrize("organisation", [None, "", "   ", "Brussel Onthaal", "-atlas", "a" * 64])
def test_staff_whose_token_names_no_valid_agency_see_nobody(organisation):
    with pytest.raises(NoAgency, match="org"):
        visibility({"counter"}, organisation)
    with pytest.raises(NoAgency):
        own_agency(organisation)
    assert agency_code(organisation) is None


def test_a_case_belongs_to_the_registering_staff_members_agency():
    assert own_agency(" IN-Gent ") == "in-gent"
    assert own_agency("agii") == "agii"


def test_a_transfer_needs_an_agency_code_other_than_the_current_one():
    assert transfer_refusal("agii", "atlas") is None
    assert transfer_refusal("atlas", "atlas") == "De persoon hoort al bij dit agentschap."
    for code in ("Atlas", "", "in gent", "-x", "a" * 64):
        assert transfer_refusal("agii", code) is not None, code
