"""Municipality reference data after the 2025 mergers and target-group rules (eligibility for a
call is trajecten's rule: services/trajecten/tests/unit/test_organisations.py)."""

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from intake.domain.insz import make_insz
from intake.domain.person import Person, check_person
from intake.domain.target_group import Facts, RuleSet, decide
from intake.reference import municipalities, target_group_rules

pytestmark = pytest.mark.unit
TODAY = date(2026, 11, 22)
FLANDERS, BRUSSELS = "Vlaams Gewest", "Brussels Hoofdstedelijk Gewest"


def test_belgium_has_565_municipalities_since_2025_of_which_285_in_flanders():
    regions = Counter(m.region for m in municipalities().values())
    assert regions == {FLANDERS: 285, "Waals Gewest": 261, BRUSSELS: 19}


@pytest.mark.parametrize(
    ("nis", "name", "province"),
    [
        ("46030", "Beveren-Kruibeke-Zwijndrecht", "Oost-Vlaanderen"),  # Zwijndrecht left Antwerp
        ("73111", "Tongeren-Borgloon", "Limburg"),
        ("71072", "Hasselt", "Limburg"),
        ("23106", "Pajottegem", "Vlaams-Brabant"),
        ("11002", "Antwerpen", "Antwerpen"),
        ("21004", "Brussel", None),
        ("44021", "Gent", "Oost-Vlaanderen"),
    ],
)
def test_merged_and_unchanged_municipalities_are_current(nis, name, province):
    municipality = municipalities()[nis]
    assert (municipality.name, municipality.province) == (name, province)


@pytest.mark.parametrize("gone", ["11007", "11056", "46003", "71022", "73083", "44040"])
def test_municipalities_merged_away_in_2025_are_unknown(gone):
    assert gone not in municipalities()


def person_facts(**overrides) -> Facts:
    values = dict(
        birth_date=date(1990, 4, 2),
        region=FLANDERS,
        nationality="SY",
        residence_category="recognised_refugee",
    )
    return Facts(**(values | overrides))


@pytest.mark.parametrize(
    ("overrides", "group", "rule"),
    [
        ({}, "obligated", "obligated_newcomer"),
        ({"region": BRUSSELS}, "entitled", "brussels"),
        ({"region": "Waals Gewest"}, "not_in_target_group", "outside_flemish_policy"),
        ({"birth_date": date(2010, 1, 1)}, "not_in_target_group", "minor"),
        ({"nationality": "NL"}, "entitled", "eu_citizen"),
        ({"birth_date": date(1950, 1, 1)}, "entitled", "pensioner"),
        ({"residence_category": "student"}, "entitled", "other_residence"),
        ({"residence_category": None}, None, "undetermined"),
    ],
)
def test_the_target_group_follows_the_configured_rules_with_a_reason(overrides, group, rule):
    decision = decide(target_group_rules(), person_facts(**overrides), TODAY)
    assert (decision.group, decision.rule_id) == (group, rule)
    assert decision.reason and decision.rules_version == "2025-01"


def test_a_rule_file_with_an_unknown_condition_is_refused():
    with pytest.raises(ValueError, match="unknown conditions"):
        RuleSet.from_config(
            {
                "version": "x",
                "rules": [{"id": "a", "when": {"shoe_size": 3}, "group": None, "reason": "r"}],
            }
        )


def test_a_rule_version_change_is_visible_in_the_decision():
    rules = RuleSet.from_config(
        {
            "version": "2027-01",
            "rules": [{"id": "all", "when": {}, "group": "entitled", "reason": "iedereen"}],
        }
    )
    decision = decide(rules, person_facts(), TODAY)
    assert (decision.group, decision.rules_version) == ("entitled", "2027-01")


NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)


def person(**overrides) -> Person:
    values = dict(
        given_name="Amina",
        family_name="Haddad",
        birth_date=date(1990, 4, 2),
        municipality_nis="44021",
        registered_at=NOW,
        agency="agii",
    )
    return Person(**(values | overrides))


def test_a_consistent_person_has_no_errors():
    insz = make_insz(date(1990, 4, 2), 2)
    assert (
        check_person(
            person(insz=insz, sex="female", nationality="SY", languages=["ar", "prs"]),
            municipalities(),
            TODAY,
        )
        == {}
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"insz": make_insz(date(1990, 4, 3), 2)}, "birth_date"),
        ({"insz": make_insz(date(1990, 4, 2), 2), "sex": "male"}, "sex"),
        ({"insz": "12345678901"}, "insz"),
        ({"municipality_nis": "11007"}, "municipality_nis"),
        ({"nationality": "XX"}, "nationality"),
        ({"languages": ["zz"]}, "languages"),
        ({"interpreter_language": "qqq"}, "interpreter_language"),
    ],
)
def test_each_inconsistency_names_its_field_in_dutch(overrides, field):
    errors = check_person(person(**overrides), municipalities(), TODAY)
    assert field in errors and errors[field][0].isupper()


@pytest.mark.parametrize(
    ("relation", "back"),
    [("partner", "partner"), ("child", "parent"), ("parent", "child"), ("other", "other")],
)
def test_a_household_link_is_mirrored_with_the_inverse_relation(relation, back):
    from intake.domain.person import mirrored_household

    kept = {"person_id": "b", "relation": "other"}
    assert mirrored_household([kept], "a", relation) == [kept, {"person_id": "a", "relation": back}]
    stale = [{"person_id": "a", "relation": "partner"}, kept]
    assert mirrored_household(stale, "a", None) == [kept]
