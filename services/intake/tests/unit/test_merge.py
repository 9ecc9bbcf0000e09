"""The rule for merging two records of one person (domain/merge.py)."""

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from intake.domain.insz import make_insz
from intake.domain.merge import (
    CHOSEN_FIELDS,
    InvalidChoice,
    MergeRefused,
    compare,
    merge,
    merge_refusal,
)
from intake.domain.person import Person

pytestmark = pytest.mark.unit
LAST_YEAR = datetime(2025, 10, 2, 9, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 10, tzinfo=UTC)
BORN = date(1991, 3, 14)


def person(**fields) -> Person:
    values = {
        "given_name": "Omar",
        "family_name": "Haddad",
        "birth_date": BORN,
        "municipality_nis": "23002",
        "registered_at": NOW,
        "agency": "agii",
    } | fields
    return Person(**values)


def test_two_records_of_one_person_may_be_merged():
    assert merge_refusal(person(insz=make_insz(BORN, 11)), person()) is None


def test_a_record_is_not_merged_with_itself():
    one = person()
    assert "zichzelf" in merge_refusal(one, one)
    with pytest.raises(MergeRefused, match="zichzelf"):
        merge(one, one, {}, NOW)


def test_different_insz_on_both_records_are_two_people():
    refusal = merge_refusal(person(insz=make_insz(BORN, 11)), person(insz=make_insz(BORN, 13)))
    assert refusal == (
        "De twee dossiers hebben een verschillend INSZ: het zijn twee verschillende personen."
    )


@pytest.mark.parametrize("side", ["survivor", "other"])
def test_an_erased_or_merged_record_is_refused_on_either_side(side):
    erased, merged = person(erased_at=NOW), person(merged_into=uuid4())
    for odd, word in ((erased, "gewist"), (merged, "al samengevoegd")):
        pair = (odd, person()) if side == "survivor" else (person(), odd)
        refusal = merge_refusal(*pair)
        assert refusal is not None and word in refusal
        assert refusal.startswith("Dit dossier" if side == "survivor" else "Het andere dossier")


def test_records_of_different_agencies_are_refused_until_one_is_transferred():
    assert "Draag eerst" in merge_refusal(person(agency="agii"), person(agency="atlas"))


def test_by_default_the_survivor_keeps_its_values_and_fills_its_gaps_from_the_other():
    survivor = person(street=None, languages=["ar"], registered_at=LAST_YEAR)
    other = person(
        insz=make_insz(BORN, 11), street="Sleepstraat", languages=["ar", "fr"], nationality="SY"
    )
    fields = {c.name: c for c in compare(survivor, other)}
    assert [c.name for c in compare(survivor, other)] == list(CHOSEN_FIELDS)
    assert fields["street"].default == "other" and fields["insz"].default == "other"
    assert fields["languages"].default == "survivor" and fields["languages"].differs
    assert not fields["given_name"].differs

    done = merge(survivor, other, {}, NOW)
    assert done.survivor.street == "Sleepstraat"
    assert done.survivor.insz == other.insz
    assert done.survivor.languages == ["ar"]
    assert done.survivor.registered_at == LAST_YEAR  # the survivor's registration stays
    assert set(done.taken_from_other) == {"insz", "street", "nationality"}


def test_the_counter_chooses_per_field_and_the_other_record_is_merged_into_the_survivor():
    survivor = person(family_name="Hadad", version=3)
    other = person(insz=make_insz(BORN, 11), family_name="Haddad", version=1)
    done = merge(survivor, other, {"family_name": "other", "insz": "survivor"}, NOW)
    assert done.survivor.family_name == "Haddad"
    assert done.survivor.insz is None  # chosen: the survivor's (none) ...
    assert done.merged.insz == other.insz  # ... so the other record keeps its own
    assert done.survivor.version == 4 and done.merged.version == 2
    assert done.merged.merged_into == survivor.id and done.merged.merged_at == NOW
    assert done.taken_from_other == ("family_name",)


def test_the_insz_taken_over_leaves_the_record_merged_away():
    other = person(insz=make_insz(BORN, 11))
    done = merge(person(), other, {}, NOW)
    assert done.survivor.insz == other.insz and done.merged.insz is None


def test_households_are_joined_without_a_link_between_the_two_records():
    child, partner = str(uuid4()), str(uuid4())
    survivor = person(household=[{"person_id": child, "relation": "child"}])
    other = person(
        household=[
            {"person_id": child, "relation": "child"},
            {"person_id": partner, "relation": "partner"},
            {"person_id": str(survivor.id), "relation": "other"},
        ],
        possible_duplicates=[survivor.id],
    )
    survivor.possible_duplicates = [other.id]
    done = merge(survivor, other, {}, NOW)
    assert done.survivor.household == [
        {"person_id": child, "relation": "child"},
        {"person_id": partner, "relation": "partner"},
    ]
    assert done.survivor.possible_duplicates == [] and done.merged.household == []


def test_a_choice_of_an_unknown_field_or_side_is_refused():
    with pytest.raises(InvalidChoice) as refused:
        merge(person(), person(), {"agency": "other", "street": "both"}, NOW)
    assert set(refused.value.errors) == {"agency", "street"}
