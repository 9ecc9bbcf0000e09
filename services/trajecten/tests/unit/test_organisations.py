from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from civic_common.events.contracts.reporting import ParticipatingOrganisation, Session
from trajecten.domain.organisations import (
    Call,
    Candidacy,
    InvalidChange,
    OrganisationTrajectory,
    Training,
    decide_eligibility,
)
from trajecten.domain.templates import shipped

pytestmark = pytest.mark.unit

TEMPLATE = shipped().get("leer-en-coachingstraject", "2019.1")
RULES = TEMPLATE.eligibility


def call(**overrides) -> Call:
    values = dict(
        id=uuid4(),
        template_version="2019.1",
        edition="2019-2020",
        title="Oproep",
        agencies=["agii"],
        opens_on=date(2019, 5, 1),
        closes_on=date(2019, 6, 16),
        eligibility=RULES,
    )
    return Call(**values | overrides)


def candidacy(
    staff=25,
    roles=("manager", "staff_member"),
    on=datetime(2019, 6, 1, tzinfo=UTC),
    organisation_type="care_and_welfare",
):
    return Candidacy(
        id=uuid4(),
        organisation_id=uuid4(),
        kind="learning_and_coaching",
        call_id=uuid4(),
        organisation_type=organisation_type,
        staff_size=staff,
        municipality_nis="11002",
        participant_roles=list(roles),
        motivation="m",
        theme=None,
        submitted_at=on,
    )


def test_a_call_closing_before_it_opens_is_refused():
    with pytest.raises(InvalidChange) as raised:
        call(closes_on=date(2019, 4, 1))
    assert raised.value.field == "closes_on"


@pytest.mark.parametrize(
    ("c", "status", "reason"),
    [
        (candidacy(), "eligible", None),
        (candidacy(roles=("manager",)), "eligible", "aanbevolen: 2 deelnemers"),
        (candidacy(staff=9), "ineligible", "minder dan 10 medewerkers (9)"),
        (candidacy(roles=("staff_member", "other")), "ineligible", "geen leidinggevende"),
        (candidacy(on=datetime(2019, 6, 17, tzinfo=UTC)), "ineligible", "gesloten sinds 16/06"),
        (candidacy(on=datetime(2019, 4, 30, tzinfo=UTC)), "ineligible", "nog niet open"),
        (candidacy(organisation_type="school"), "ineligible", "niet: school"),
        (candidacy(organisation_type=None), "ineligible", "niet: onbekend type"),
    ],
)
def test_eligibility_follows_the_call(c, status, reason):
    c.assess(call())
    assert c.status == status
    if reason:
        assert reason in c.reasons[0]


def test_an_unknown_call_makes_a_candidacy_ineligible():
    c = candidacy()
    c.assess(None)
    assert (c.status, c.reasons) == ("ineligible", ["onbekende oproep"])


@pytest.mark.parametrize(
    ("on", "eligible"),
    [
        (date(2019, 4, 30), False),  # the day before it opens
        (date(2019, 5, 1), True),  # the day it opens
        (date(2019, 6, 16), True),  # the day it closes still counts
        (date(2019, 6, 17), False),
        (date(2026, 12, 7), False),  # a call of 2019 is closed now
    ],
)
def test_a_call_decides_only_while_it_is_open(on, eligible):
    decision = decide_eligibility(
        call(),
        organisation_type="care_and_welfare",
        staff_size=10,
        participant_roles=["diversity_officer", "staff_member"],
        on=on,
    )
    assert decision.eligible is eligible
    assert decision.advice == []
    assert bool(decision.reasons) is not eligible


def test_the_seed_002_call_is_for_care_and_welfare_with_ten_staff_and_a_manager():
    """Every reason is given at once, and the recommendation stays advice."""
    decision = decide_eligibility(
        call(),
        organisation_type="school",
        staff_size=9,
        participant_roles=["other"],
        on=date(2019, 6, 1),
    )
    assert not decision.eligible
    assert decision.reasons == [
        "de oproep is voor een zorg- en welzijnsorganisatie (niet: school)",
        "minder dan 10 medewerkers (9)",
        "geen leidinggevende of stafmedewerker diversiteit bij de deelnemers",
    ]
    assert decision.advice == ["aanbevolen: 2 deelnemers"]
    alone = decide_eligibility(
        call(),
        organisation_type="care_and_welfare",
        staff_size=10,
        participant_roles=["manager"],
        on=date(2019, 6, 1),
    )
    assert (alone.eligible, alone.reasons, alone.advice) == (
        True,
        [],
        ["aanbevolen: 2 deelnemers"],
    )


def test_a_call_without_type_rules_takes_any_organisation():
    open_call = call(eligibility=RULES.model_copy(update={"organisation_types": ()}))
    decision = decide_eligibility(
        open_call,
        organisation_type="school",
        staff_size=50,
        participant_roles=["manager", "staff_member"],
        on=date(2019, 6, 1),
    )
    assert decision.eligible


def test_only_eligible_candidacies_can_be_selected_and_with_a_reason():
    small = candidacy(staff=3)
    small.assess(call())
    with pytest.raises(InvalidChange):
        small.decide(True, "motivatie", "els")
    good = candidacy()
    good.assess(call())
    with pytest.raises(InvalidChange):
        good.decide(True, " ", "els")
    good.decide(True, "motivatie", "els")
    assert good.status == "selected"


def test_the_open_offer_is_charged_per_person_per_half_day():
    training = Training(
        id=uuid4(),
        agencies=["atlas"],
        offer="open",
        theme_code="meertaligheid",
        theme_catalogue="2021.1",
        title="t",
        region="Antwerpen",
    )
    assert training.charge(shipped()) is None
    training.add_session(Session(held_on=date(2019, 3, 1), half_days=1))
    training.add_session(Session(held_on=date(2019, 3, 8), half_days=1))
    training.add_participants(
        ParticipatingOrganisation(name="Stad", organisation_type="local_government", participants=8)
    )
    assert training.charge(shipped()) == Decimal(25 * 8 * 2)


def trajectory(**overrides) -> OrganisationTrajectory:
    values = dict(
        id=uuid4(),
        agencies=["agii"],
        region="regio-overschrijdend",
        template_version="2019.1",
        edition="2019-2020",
        goal="Beleid",
        content="Lerend netwerk",
    )
    return OrganisationTrajectory.following(TEMPLATE, **values | overrides)


def finish_components(ot: OrganisationTrajectory) -> None:
    for day in range(1, 6):
        ot.add_session(Session(held_on=date(2019, 10, day), half_days=2))
    for code in ("intake_call", "learning_network", "coaching", "evaluation"):
        ot.advance_component(code, "start", date(2019, 10, 1), TEMPLATE)
        ot.advance_component(code, "complete", date(2020, 6, 1), TEMPLATE)


def test_an_organisation_trajectory_moves_forward_only():
    ot = trajectory()
    with pytest.raises(InvalidChange, match="mogelijk: running, stopped"):
        ot.move_to("completed", TEMPLATE)  # not before it ran
    ot.move_to("running", TEMPLATE)
    ot.move_to("running", TEMPLATE)  # the same again changes nothing
    finish_components(ot)
    ot.move_to("completed", TEMPLATE)
    with pytest.raises(InvalidChange, match="eindstatus"):
        ot.move_to("planned", TEMPLATE)  # completed is final
    assert ot.status == "completed"


def test_an_organisation_trajectory_tracks_its_templates_components():
    """Seed 000/002: an intake call, a learning network of five one-day sessions, coaching,
    and an evaluation after both."""
    ot = trajectory()
    assert [(c.code, c.status) for c in ot.components] == [
        ("intake_call", "planned"),
        ("learning_network", "planned"),
        ("coaching", "planned"),
        ("evaluation", "planned"),
    ]
    assert ot.component_actions(TEMPLATE) == {
        "intake_call": ["start"],
        "learning_network": [],
        "coaching": [],
        "evaluation": [],
    }
    with pytest.raises(InvalidChange, match="start pas na het afronden van intake_call"):
        ot.advance_component("coaching", "start", date(2019, 10, 1), TEMPLATE)
    ot.advance_component("intake_call", "start", date(2019, 9, 2), TEMPLATE)
    with pytest.raises(InvalidChange, match="niet voor de start"):
        ot.advance_component("intake_call", "complete", date(2019, 9, 1), TEMPLATE)
    ot.advance_component("intake_call", "complete", date(2019, 9, 20), TEMPLATE)
    ot.advance_component("learning_network", "start", date(2019, 10, 1), TEMPLATE)
    for day in range(1, 5):
        ot.add_session(Session(held_on=date(2019, 10, day), half_days=2))
    with pytest.raises(InvalidChange, match="vraagt 5 sessies \\(nu 4\\)"):
        ot.advance_component("learning_network", "complete", date(2020, 3, 1), TEMPLATE)
    ot.add_session(Session(held_on=date(2020, 6, 1), half_days=2))
    ot.advance_component("learning_network", "complete", date(2020, 6, 1), TEMPLATE)
    assert ot.component_actions(TEMPLATE)["evaluation"] == []  # coaching still open
    ot.move_to("running", TEMPLATE)
    with pytest.raises(InvalidChange, match="nog niet afgerond: coaching, evaluation"):
        ot.move_to("completed", TEMPLATE)
    ot.advance_component("coaching", "start", date(2019, 10, 1), TEMPLATE)
    with pytest.raises(InvalidChange, match="al started"):
        ot.advance_component("coaching", "start", date(2019, 10, 2), TEMPLATE)
    ot.advance_component("coaching", "complete", date(2020, 5, 1), TEMPLATE)
    ot.advance_component("evaluation", "start", date(2020, 6, 1), TEMPLATE)
    ot.advance_component("evaluation", "complete", date(2020, 6, 30), TEMPLATE)
    ot.move_to("completed", TEMPLATE)
    assert ot.component_actions(TEMPLATE) == {c.code: [] for c in ot.components}
    assert ot.components[3].completed_on == date(2020, 6, 30)


def test_an_unknown_component_is_refused_naming_the_known_ones():
    with pytest.raises(InvalidChange, match="wel: intake_call, learning_network") as raised:
        trajectory().advance_component("mo_test", "start", date(2019, 10, 1), TEMPLATE)
    assert raised.value.field == "component"


def test_a_stopped_trajectorys_components_stay_as_they_were():
    ot = trajectory()
    ot.move_to("stopped", TEMPLATE)
    with pytest.raises(InvalidChange, match="liggen vast"):
        ot.advance_component("intake_call", "start", date(2019, 10, 1), TEMPLATE)
