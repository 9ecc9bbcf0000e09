"""Matching, availability, the lifecycle and working days: pure rules, no I/O."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

import pytest

from tolken.domain.calendar import cancellation_is_billable, working_days_between
from tolken.domain.interpreters import (
    AvailabilityException,
    Certificate,
    Interpreter,
    Leave,
    Modality,
    Relation,
    Tier,
    WeeklyWindow,
)
from tolken.domain.matching import Booking, Need, Situation, busy_range, rank, refusals
from tolken.domain.policy import Policy
from tolken.domain.requests import Kind, NotStartedYet, Place, Request, Status, TransitionRefused

pytestmark = pytest.mark.unit

POLICY = Policy()
# Tuesday 9 June 2026, 10:00-11:00 in Brussels (UTC+2).
START = datetime(2026, 6, 9, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
GENT = Place("44021", "Zuid 1", 51.0543, 3.7174, "Oost-Vlaanderen")


def interpreter(**changes: object) -> Interpreter:
    base = Interpreter(
        id=uuid4(),
        name="Tolk",
        tier=Tier.CERTIFIED,
        languages=frozenset({"ar", "fr"}),
        modalities=frozenset({Modality.ON_SITE, Modality.VIDEO}),
        regions=frozenset({"Oost-Vlaanderen"}),
        latitude=51.05,
        longitude=3.72,
        travel_range_km=40,
        max_assignments_per_week=10,
        certificate=Certificate("VR-1", date(2024, 1, 1), date(2027, 1, 1)),
        weekly=(WeeklyWindow(1, time(8), time(17)),),
    )
    return replace(base, **changes)


def request(**changes: object) -> Request:
    base = Request(
        id=uuid4(),
        kind=Kind.INTERPRETING,
        organisation="OCMW Gent",
        language="ar",
        subject_category="welzijn",
        urgent=False,
        received_at=START - timedelta(days=7),
        modality=Modality.ON_SITE,
        starts_at=START,
        ends_at=END,
        place=GENT,
    )
    return replace(base, **changes)


def test_an_interpreter_meeting_every_constraint_is_eligible_and_explained():
    [proposal] = rank(request(), [Situation(interpreter())], POLICY)
    assert proposal.score > 0
    assert any("km ver" in why for why in proposal.why)


@pytest.mark.parametrize(
    ("interp", "req", "refusal"),
    [
        ({"languages": frozenset({"tr"})}, {}, "spreekt geen ar"),
        ({"modalities": frozenset({Modality.PHONE})}, {}, "werkt niet ter plaatse"),
        (
            {"tier": Tier.ASPIRANT, "certificate": None},
            {"subject_category": "verblijfsrecht"},
            "certificaat",
        ),
        (
            {"certificate": Certificate("VR-1", date(2024, 1, 1), date(2026, 6, 8))},
            {"subject_category": "verblijfsrecht"},
            "certificaat",
        ),
        ({"weekly": (WeeklyWindow(2, time(8), time(17)),)}, {}, "niet beschikbaar"),
        ({"weekly": (WeeklyWindow(1, time(10, 30), time(17)),)}, {}, "niet beschikbaar"),
        (
            {"leave": (Leave(date(2026, 6, 8), date(2026, 6, 12)),)},
            {},
            "met verlof van 08/06/2026 tot 12/06/2026",
        ),
        (
            {"exceptions": (AvailabilityException(START, START + timedelta(minutes=5), False),)},
            {},
            "niet beschikbaar",
        ),
        ({"organisations": {"OCMW Gent": Relation.BLOCKED}}, {}, "geblokkeerd"),
        ({"regions": frozenset({"Limburg"})}, {}, "werkt niet in Oost-Vlaanderen"),
        ({"latitude": 50.93, "longitude": 5.33}, {}, "buiten reisafstand"),
        ({"active": False}, {}, "niet actief"),
    ],
)
def test_each_hard_constraint_excludes_with_its_reason(interp, req, refusal):
    found = refusals(request(**req), Situation(interpreter(**interp)), POLICY)
    assert any(refusal in r for r in found), found
    assert rank(request(**req), [Situation(interpreter(**interp))], POLICY) == []


def test_a_certified_subject_accepts_a_certificate_valid_on_the_day():
    req = request(subject_category="verblijfsrecht")
    assert refusals(req, Situation(interpreter()), POLICY) == []


def test_an_extra_availability_window_opens_a_day_outside_the_weekly_pattern():
    extra = AvailabilityException(START - timedelta(hours=1), END + timedelta(hours=1), True)
    i = interpreter(weekly=(), exceptions=(extra,))
    assert refusals(request(), Situation(i), POLICY) == []


def test_overlap_counts_the_travel_buffer_on_site_but_not_by_video():
    # An earlier on-site booking ending 10 minutes before this one starts, buffer included.
    before = busy_range(
        START - timedelta(hours=1, minutes=10),
        START - timedelta(minutes=10),
        Modality.ON_SITE,
        POLICY,
    )
    s = Situation(interpreter(), bookings=(Booking(*before),))
    assert any("al geboekt" in r for r in refusals(request(), s, POLICY))
    assert busy_range(START, END, Modality.VIDEO, POLICY) == (START, END)


def test_the_weekly_load_limit_is_hard_and_fairness_prefers_the_less_loaded():
    full = Situation(interpreter(max_assignments_per_week=2), week_load=2)
    assert any("belasting" in r for r in refusals(request(), full, POLICY))
    busy, idle = interpreter(), interpreter()
    ranked = rank(request(), [Situation(busy, week_load=6), Situation(idle, week_load=0)], POLICY)
    assert [p.interpreter_id for p in ranked] == [idle.id, busy.id]


def test_continuity_with_the_person_outweighs_load_and_is_explained():
    known, fresh = interpreter(), interpreter()
    ranked = rank(
        request(person_id=uuid4()),
        [Situation(fresh), Situation(known, week_load=3, served_person=True)],
        POLICY,
    )
    assert ranked[0].interpreter_id == known.id
    assert "tolkte eerder voor deze persoon" in ranked[0].why


def test_preference_of_the_requesting_organisation_adds_points():
    liked, other = interpreter(organisations={"OCMW Gent": Relation.PREFERRED}), interpreter()
    ranked = rank(request(), [Situation(other), Situation(liked)], POLICY)
    assert ranked[0].interpreter_id == liked.id
    assert "voorkeur van de aanvrager" in ranked[0].why


def test_a_translation_ignores_slot_and_modality_but_not_language_or_tier():
    translation = request(
        kind=Kind.TRANSLATION,
        modality=None,
        starts_at=None,
        ends_at=None,
        place=None,
        deadline=START,
        subject_category="verblijfsrecht",
    )
    assert (
        refusals(
            translation,
            Situation(interpreter(weekly=(), modalities=frozenset({Modality.PHONE}))),
            POLICY,
        )
        == []
    )
    aspirant = interpreter(tier=Tier.ASPIRANT, certificate=None)
    assert refusals(translation, Situation(aspirant), POLICY)


def test_tier_weighs_in_the_score_when_all_else_is_equal():
    certified = interpreter()
    aspirant = interpreter(tier=Tier.ASPIRANT)
    assistant = interpreter(tier=Tier.LANGUAGE_ASSISTANT)
    ranked = rank(
        request(), [Situation(assistant), Situation(aspirant), Situation(certified)], POLICY
    )
    assert [p.interpreter_id for p in ranked] == [certified.id, aspirant.id, assistant.id]
    assert "gecertificeerd" in ranked[0].why


def test_regions_bind_on_site_only_and_none_listed_means_anywhere():
    elsewhere = interpreter(regions=frozenset({"Limburg"}))
    assert refusals(request(modality=Modality.VIDEO), Situation(elsewhere), POLICY) == []
    assert refusals(request(), Situation(interpreter(regions=frozenset())), POLICY) == []


def test_excluded_interpreters_are_not_proposed_again():
    asked = interpreter()
    assert rank(request(), [Situation(asked)], POLICY, exclude=frozenset({asked.id})) == []


def test_the_lifecycle_allows_only_its_transitions_and_versions_every_step():
    r = request()
    offered = r.offered()
    assigned = offered.assigned(uuid4())
    assert (offered.version, assigned.version) == (2, 3)
    after = START + timedelta(hours=2)
    assert assigned.completed(75, after).status is Status.COMPLETED
    with pytest.raises(TransitionRefused):
        r.completed(60, after)
    with pytest.raises(TransitionRefused):
        assigned.completed(60, after).cancelled(START, 2)
    with pytest.raises(NotStartedYet):
        assigned.completed(60, START - timedelta(days=4))  # four days before it starts
    assert offered.unfulfilled("niemand").unfulfilled_reason == "niemand"


def test_belgian_holidays_are_not_working_days():
    # Thu 24 Dec 2026 -> Mon 28 Dec: 25 Dec is Christmas, 26-27 a weekend.
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 28)) == 0
    assert working_days_between(date(2026, 6, 8), date(2026, 6, 11)) == 2


def test_cancelling_late_is_billable_only_once_assigned():
    # Start Thursday 11 June; cancelling Monday leaves Tue+Wed: free. Tuesday: billable.
    starts = datetime(2026, 6, 11, 8, tzinfo=UTC)
    assigned = (
        request(starts_at=starts, ends_at=starts + timedelta(hours=1)).offered().assigned(uuid4())
    )
    assert assigned.cancelled(datetime(2026, 6, 8, 12, tzinfo=UTC), 2).billable is False
    assert assigned.cancelled(datetime(2026, 6, 9, 12, tzinfo=UTC), 2).billable is True
    open_request = request(starts_at=starts, ends_at=starts + timedelta(hours=1))
    assert open_request.cancelled(datetime(2026, 6, 10, 12, tzinfo=UTC), 2).billable is False
    assert cancellation_is_billable(date(2026, 12, 23), date(2026, 12, 28), 2)


def test_the_least_contested_candidate_comes_first_keeping_the_scarce_one_free():
    """Two Arabic interpreters; only one also speaks Dari, and a Dari request overlaps: the
    Arabic request goes to the other one first, even at a lower score, and says why."""
    both = interpreter(name="Arabisch en Dari", languages=frozenset({"ar", "prs"}))
    arabic = interpreter(name="Alleen Arabisch")
    dari = request(language="prs", starts_at=START + timedelta(minutes=30))
    later = request(language="prs", starts_at=START + timedelta(hours=3))
    situations = [Situation(both), Situation(arabic, week_load=5)]  # busier: a lower score

    alone = rank(request(), situations, POLICY)
    assert [p.name for p in alone] == ["Arabisch en Dari", "Alleen Arabisch"], "by score alone"
    others = [Need.of(dari, POLICY), Need.of(later, POLICY)]
    ranked = rank(request(), situations, POLICY, others=others)
    assert [p.name for p in ranked] == ["Alleen Arabisch", "Arabisch en Dari"]
    assert [p.contested for p in ranked] == [0, 1], "the later Dari request does not overlap"
    assert "ook geschikt voor 1 andere open aanvraag op dat moment" in ranked[1].why
