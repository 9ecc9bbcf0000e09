from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from civic_common.events.contracts.reporting import ParticipatingOrganisation, Session
from trajecten.domain.organisations import Call, Candidacy, InvalidChange, Training
from trajecten.domain.templates import shipped

pytestmark = pytest.mark.unit

RULES = shipped().get("leer-en-coachingstraject", "2019.1").eligibility


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


def candidacy(staff=25, roles=("manager", "staff_member"), on=datetime(2019, 6, 1, tzinfo=UTC)):
    return Candidacy(
        id=uuid4(),
        organisation_id=uuid4(),
        kind="learning_and_coaching",
        call_id=uuid4(),
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
        (candidacy(on=datetime(2019, 6, 17, tzinfo=UTC)), "ineligible", "na de sluitingsdatum"),
    ],
)
def test_eligibility_follows_the_call(c, status, reason):
    c.assess(call())
    assert c.status == status
    if reason:
        assert reason in c.reasons[0]


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
        id=uuid4(), agencies=["atlas"], offer="open", theme="t", title="t", region="Antwerpen"
    )
    assert training.charge(shipped()) is None
    training.add_session(Session(held_on=date(2019, 3, 1), half_days=1))
    training.add_session(Session(held_on=date(2019, 3, 8), half_days=1))
    training.add_participants(
        ParticipatingOrganisation(name="Stad", organisation_type="local_government", participants=8)
    )
    assert training.charge(shipped()) == Decimal(25 * 8 * 2)


def test_an_organisation_trajectory_moves_forward_only():
    from trajecten.domain.organisations import OrganisationTrajectory

    ot = OrganisationTrajectory(
        id=uuid4(),
        agencies=["agii"],
        region="regio-overschrijdend",
        template_version="2019.1",
        edition="2019-2020",
        goal="Beleid",
        content="Lerend netwerk",
    )
    with pytest.raises(InvalidChange, match="mogelijk: running, stopped"):
        ot.move_to("completed")  # not before it ran
    ot.move_to("running")
    ot.move_to("running")  # the same again changes nothing
    ot.move_to("completed")
    with pytest.raises(InvalidChange, match="eindstatus"):
        ot.move_to("planned")  # completed is final
    assert ot.status == "completed"
