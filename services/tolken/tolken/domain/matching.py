"""Matching a request to interpreters: hard constraints first, then a score with its reasons.

Pure: the caller gathers each interpreter's bookings, weekly load and history with the person.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from tolken.domain.interpreters import Interpreter, Modality, Relation, Slot, Tier, distance_km
from tolken.domain.policy import Policy
from tolken.domain.requests import Kind, Request


@dataclass(frozen=True)
class Booking:
    starts_at: datetime
    ends_at: datetime  # already including travel buffers


@dataclass(frozen=True)
class Situation:
    """What matching needs to know of one interpreter beyond the registry."""

    interpreter: Interpreter
    bookings: tuple[Booking, ...] = ()
    week_load: int = 0  # assignments in the week of the request
    served_person: bool = False  # assigned to this person before


@dataclass(frozen=True)
class Proposal:
    interpreter_id: UUID
    name: str
    score: float
    why: tuple[str, ...]
    contested: int = 0  # other open requests at that time this interpreter could also take


def busy_range(
    starts_at: datetime, ends_at: datetime, modality: Modality | None, policy: Policy
) -> tuple[datetime, datetime]:
    """The time an assignment blocks: on site, with travel before and after."""
    buffer = timedelta(minutes=policy.travel_buffer_minutes if modality is Modality.ON_SITE else 0)
    return starts_at - buffer, ends_at + buffer


@dataclass(frozen=True)
class Need:
    """What every candidate is checked against, worked out once per request."""

    request: Request
    certified: bool
    slot: Slot | None
    busy: tuple[datetime, datetime] | None

    @classmethod
    def of(cls, request: Request, policy: Policy) -> "Need":
        slot = busy = None
        if request.kind is Kind.INTERPRETING:
            assert request.starts_at is not None and request.ends_at is not None
            slot = Slot.of(request.starts_at, request.ends_at)
            busy = busy_range(request.starts_at, request.ends_at, request.modality, policy)
        return cls(request, request.subject_category in policy.certified_subjects, slot, busy)


def _refusals(need: Need, s: Situation) -> Iterator[str]:
    """The hard constraints ``s`` fails, lazily and cheapest first: ranking stops at the first."""
    i, request = s.interpreter, need.request
    if not i.active:
        yield "niet actief"
    if request.language not in i.languages:
        yield f"spreekt geen {request.language}"
    if request.modality is not None and request.modality not in i.modalities:
        yield f"werkt niet {MODALITY_NL[request.modality]}"
    if i.organisations.get(request.organisation) is Relation.BLOCKED:
        yield "geblokkeerd door de aanvrager"
    if s.week_load >= i.max_assignments_per_week:
        yield "maximale belasting bereikt"
    if need.certified and not i.certified_on(request.day):
        yield f"geen geldig certificaat op {request.day:%d/%m/%Y} (vereist voor dit onderwerp)"
    if need.busy is not None:
        start, end = need.busy
        if any(b.starts_at < end and start < b.ends_at for b in s.bookings):
            yield "al geboekt (reistijd inbegrepen)"
    if request.modality is Modality.ON_SITE and request.place is not None:
        km = distance_km(i.latitude, i.longitude, request.place.latitude, request.place.longitude)
        if km > i.travel_range_km:
            yield f"buiten reisafstand ({km:.0f} km)"
        if i.regions and request.place.region not in i.regions:
            yield f"werkt niet in {request.place.region}"
    if need.slot is not None and (leave := i.on_leave(need.slot)) is not None:
        # Binding: not even the desk books someone on leave (the weekly pattern it may bend).
        yield f"met verlof van {leave.first_day:%d/%m/%Y} tot {leave.last_day:%d/%m/%Y}"
    elif need.slot is not None and not i.available(need.slot):
        yield "niet beschikbaar op dat moment"


TIER_WEIGHT = {Tier.CERTIFIED: 1.0, Tier.ASPIRANT: 0.5, Tier.LANGUAGE_ASSISTANT: 0.0}
TIER_NL = {
    Tier.CERTIFIED: "gecertificeerd",
    Tier.ASPIRANT: "aspirant-tolk",
    Tier.LANGUAGE_ASSISTANT: "taalhulp",
}


def refusals(request: Request, s: Situation, policy: Policy) -> list[str]:
    """Every hard constraint ``s`` fails for ``request`` (Dutch, for the desk); empty: eligible."""
    return list(_refusals(Need.of(request, policy), s))


def score(request: Request, s: Situation, policy: Policy) -> tuple[float, tuple[str, ...]]:
    i, w = s.interpreter, policy.weights
    total, why = 0.0, []
    if s.served_person:
        total += w["continuity"]
        why.append("tolkte eerder voor deze persoon")
    if request.modality is Modality.ON_SITE and request.place is not None:
        km = distance_km(i.latitude, i.longitude, request.place.latitude, request.place.longitude)
        total += w["distance"] * max(0.0, 1 - km / max(i.travel_range_km, 1.0))
        why.append(f"{km:.0f} km ver")
    free = 1 - s.week_load / max(i.max_assignments_per_week, 1)
    total += w["fairness"] * free
    why.append(f"{s.week_load} van {i.max_assignments_per_week} opdrachten deze week")
    if i.organisations.get(request.organisation) is Relation.PREFERRED:
        total += w["preference"]
        why.append("voorkeur van de aanvrager")
    total += w.get("tier", 0.0) * TIER_WEIGHT[i.tier]
    why.append(TIER_NL[i.tier])
    return round(total, 2), tuple(why)


def rank(
    request: Request,
    situations: Iterable[Situation],
    policy: Policy,
    exclude: frozenset[UUID] = frozenset(),
    others: Iterable[Need] = (),
) -> list[Proposal]:
    """Eligible interpreters, best first: fewest ``others`` first (the other open requests at
    the same time that each could also take; ``Need.of`` each, worked out once for a batch),
    then the highest score, then by id (a stable order). Giving each request the least
    contested of its candidates keeps a scarce interpreter free for the request only they can
    take: bench/tolken_matching_quality.py measures the fill rate this reaches against an
    optimal assignment."""
    need = Need.of(request, policy)
    competing: dict[str, list[Need]] = {}  # by language: a candidate is checked against its own
    for n in others:
        if n.request.id != request.id and n.busy is not None and need.busy is not None:
            if n.busy[0] < need.busy[1] and need.busy[0] < n.busy[1]:
                competing.setdefault(n.request.language, []).append(n)
    proposals = []
    for s in situations:
        if (exclude and s.interpreter.id in exclude) or next(_refusals(need, s), None):
            continue
        points, why = score(request, s, policy)
        contested = sum(
            1
            for language in s.interpreter.languages & competing.keys()
            for q in competing[language]
            if next(_refusals(q, s), None) is None
        )
        if contested:
            others_nl = "andere open aanvraag" if contested == 1 else "andere open aanvragen"
            why += (f"ook geschikt voor {contested} {others_nl} op dat moment",)
        proposals.append(Proposal(s.interpreter.id, s.interpreter.name, points, why, contested))
    proposals.sort(key=lambda p: (p.contested, -p.score, str(p.interpreter_id)))
    return proposals


MODALITY_NL = {
    Modality.ON_SITE: "ter plaatse",
    Modality.PHONE: "telefonisch",
    Modality.VIDEO: "via video",
}
