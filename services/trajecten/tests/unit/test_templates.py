from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from trajecten.domain.calendar import add_working_days, working_days_between
from trajecten.domain.templates import Template, UnknownTemplate, shipped

pytestmark = pytest.mark.unit


def test_the_three_shipped_templates_load_with_their_legal_parameters():
    catalogue = shipped()
    inburgering = catalogue.get("inburgeringstraject", "2024.1")
    assert [c.code for c in inburgering.components] == [
        "guidance",
        "mo_course",
        "mo_test",
        "nt2_course",
        "nt2_test",
        "participation",
        "vdab_referral",
    ]
    assert inburgering.component("nt2_test").completion.min_level == "A2"
    assert inburgering.component("participation").target_hours == Decimal(40)
    assert inburgering.component("vdab_referral").required_when == "job_seeker"
    assert catalogue.get("leer-en-coachingstraject", "2019.1").eligibility.min_staff == 10
    assert catalogue.latest("vorming").subject == "organisation"


def test_an_unknown_template_version_names_the_known_ones():
    with pytest.raises(UnknownTemplate) as raised:
        shipped().get("inburgeringstraject", "1999.9")
    assert "inburgeringstraject 2024.1" in str(raised.value)


def test_a_template_whose_order_refers_to_an_unknown_component_is_rejected():
    with pytest.raises(ValidationError, match="follows unknown"):
        Template.model_validate(
            {
                "kind": "x",
                "version": "1",
                "subject": "person",
                "title": "X",
                "components": [
                    {"code": "a", "title": "A", "after": ["b"], "completion": {"by": "manual"}}
                ],
            }
        )


@pytest.mark.parametrize(
    ("agency", "offer", "on", "eur"),
    [
        ("agii", "open", date(2019, 3, 1), "25"),
        ("agii", "custom", date(2019, 3, 1), "250"),
        ("in-gent", "custom", date(2021, 6, 1), "150"),
        ("in-gent", "custom", date(2022, 1, 3), "250"),
    ],
)
def test_price_rules_depend_on_agency_and_period(agency, offer, on, eur):
    assert shipped().price(agency, offer, on).eur == Decimal(eur)


def test_working_days_skip_weekends_and_belgian_holidays():
    # Friday 2026-04-03 + 1 working day: the weekend and Easter Monday (6 April) are skipped.
    assert add_working_days(date(2026, 4, 3), 1) == date(2026, 4, 7)
    # Thursday 24 December: Christmas (Friday) and the weekend are skipped.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 28)
    assert working_days_between(date(2026, 4, 3), date(2026, 4, 7)) == 1
