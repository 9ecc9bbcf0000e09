"""From events to the rows of the read models. Pure: no I/O.

Live snapshots (trajecten) and historical imports (rapportage) become the same row shape, so
every report counts both alike.
"""

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from civic_common.agencies import canonical
from civic_common.events.contracts.rapportage import (
    HistoricalOrganisationTrajectoryImported,
    HistoricalTrainingsImported,
)
from civic_common.events.contracts.reporting import ParticipatingOrganisation
from civic_common.events.contracts.trajecten import (
    OrganisationTrajectoryRecorded,
    TrainingRecorded,
)
from rapportage.domain.monthly_counts import BRUSSELS

Row = dict[str, Any]
# Participants from these organisation types count as local government (question 321 d).
LOCAL_GOVERNMENT = frozenset({"local_government", "ocmw"})


def _split(organisations: list[ParticipatingOrganisation]) -> Row:
    # One pass: a rebuild calls this for every training snapshot.
    local_participants = other_participants = 0
    local: set[str] = set()
    other: set[str] = set()
    for o in organisations:
        if o.organisation_type in LOCAL_GOVERNMENT:
            local_participants += o.participants
            local.add(o.name)
        else:
            other_participants += o.participants
            other.add(o.name)
    return {
        "local_government_participants": local_participants,
        "other_participants": other_participants,
        "local_governments": sorted(local),
        "other_organisations": sorted(other),
    }


def _folded(value: str) -> str:
    return " ".join(value.strip().lower().split())


def agency_codes(agencies: list[str]) -> list[str]:
    """Every spelling of an agency to its one code (``AgII`` -> ``agii``), lead agency first,
    each once; a name the reference list does not know is kept, folded to lower case."""
    return list(_agency_codes(tuple(agencies)))


@lru_cache(maxsize=4096)
def _agency_codes(agencies: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: a rebuild asks it for every training snapshot, of a handful of spellings.
    codes: list[str] = []
    for agency in agencies:
        code = canonical(agency) or _folded(agency)
        if code not in codes:
            codes.append(code)
    return tuple(codes)


@lru_cache(maxsize=4096)
def bearer(borne_by: str) -> str:
    """Who bore a cost: an agency's code, or the folded name of another payer (``vivo``)."""
    return canonical(borne_by) or _folded(borne_by)


def _cost(lines: list[Any]) -> Decimal:
    return sum((line.amount_eur for line in lines), Decimal(0))


def cost_by(lines: list[Any]) -> dict[str, str]:
    """The cost per bearer (amounts as text, exact in JSON)."""
    shares: dict[str, Decimal] = {}
    for line in lines:
        who = bearer(line.borne_by)
        shares[who] = shares.get(who, Decimal(0)) + line.amount_eur
    return {who: str(amount) for who, amount in sorted(shares.items())}


def historical_cost_by(agencies: list[str], cost: Decimal | None) -> dict[str, str]:
    """An import names no bearer: one agency bore the cost of its own training; who bore
    what of a joint one is not registered (empty)."""
    if cost is None or len(agencies) != 1:
        return {}
    return {agencies[0]: str(cost)}


def training_row(event: TrainingRecorded, sequence: int, recorded_at: datetime) -> Row:
    """A training counts in the year of its first session; one still without sessions in the
    year it was recorded."""
    first = min((s.held_on for s in event.sessions), default=None)
    year = first.year if first else recorded_at.astimezone(BRUSSELS).year
    evaluation = event.evaluation
    return {
        "training_id": event.training_id,
        "sequence": sequence,
        "source": "live",
        "import_id": None,
        "year": year,
        "agencies": (agencies := agency_codes(event.agencies)),
        "joint": len(agencies) > 1,
        "offer": event.offer,
        "theme": event.theme,
        "theme_code": event.theme_code,
        "title": event.title,
        "description": event.description,
        "region": event.region,
        "status": event.status,
        "trainings": 1,
        "organisers": list(event.organisers) + list(event.external_partners),
        **_split(event.participating_organisations),
        "cost_eur": _cost(event.cost_lines),
        "cost_by": cost_by(event.cost_lines),
        "staff_hours": event.staff_hours,
        "invited": evaluation.invited if evaluation else None,
        "responded": evaluation.responded if evaluation else None,
        "satisfied": evaluation.satisfied if evaluation else None,
        "outcome": event.outcome,
    }


def historical_training_row(event: HistoricalTrainingsImported, sequence: int) -> Row:
    return {
        "training_id": event.record_id,
        "sequence": sequence,
        "source": "historical",
        "import_id": event.import_id,
        "year": event.year,
        "agencies": (agencies := agency_codes(event.agencies)),
        "joint": len(agencies) > 1,
        "offer": event.offer,
        "theme": event.theme,
        "theme_code": None,  # imported history has no catalogue code: grouped by its text
        "title": event.title,
        "description": event.description,
        "region": event.region,
        "status": "held",
        "trainings": event.trainings,
        "organisers": list(event.organisers),
        "local_government_participants": event.local_government_participants,
        "other_participants": event.other_participants,
        "local_governments": [],
        "other_organisations": list(event.other_organisations),
        "cost_eur": (cost := event.cost_eur if event.cost_registered else None),
        "cost_by": historical_cost_by(agencies, cost),
        "staff_hours": event.staff_hours if event.staff_hours_registered else None,
        "invited": event.invited,
        "responded": event.responded,
        "satisfied": event.satisfied,
        "outcome": event.outcome,
    }


def edition_year(edition: str) -> int:
    """'2019-2020' is reported under 2019, the year it started."""
    return int(edition[:4])


def organisation_trajectory_row(event: OrganisationTrajectoryRecorded, sequence: int) -> Row:
    organisations = event.participating_organisations
    return {
        "organisation_trajectory_id": event.organisation_trajectory_id,
        "sequence": sequence,
        "source": "live",
        "import_id": None,
        "edition": event.edition,
        "year": edition_year(event.edition),
        "agencies": agency_codes(event.agencies),
        "partners": list(event.partners),
        "region": event.region,
        "goal": event.goal,
        "content": event.content,
        "status": event.status,
        "organisations": len(organisations),
        "participants": sum(o.participants for o in organisations),
        "organisation_names": sorted({o.name for o in organisations}),
        "cost_eur": _cost(event.cost_lines),
        "cost_by": cost_by(event.cost_lines),
        "staff_hours": event.staff_hours,
        "results": event.results,
        "evaluation_criteria": list(event.evaluation_criteria),
        "sessions": len(event.sessions),
        "groups": event.groups,
        "invited": event.evaluation.invited if event.evaluation else None,
        "responded": event.evaluation.responded if event.evaluation else None,
        "satisfied": event.evaluation.satisfied if event.evaluation else None,
    }


def historical_organisation_trajectory_row(
    event: HistoricalOrganisationTrajectoryImported, sequence: int
) -> Row:
    return {
        "organisation_trajectory_id": event.record_id,
        "sequence": sequence,
        "source": "historical",
        "import_id": event.import_id,
        "edition": event.edition,
        "year": edition_year(event.edition),
        "agencies": (agencies := agency_codes(event.agencies)),
        "partners": list(event.partners),
        "region": event.region,
        "goal": event.goal,
        "content": event.content,
        "status": "completed",
        "organisations": event.organisations,
        "participants": event.participants,
        "organisation_names": list(event.organisation_names),
        "cost_eur": (cost := event.cost_eur if event.cost_registered else None),
        "cost_by": historical_cost_by(agencies, cost),
        "staff_hours": event.staff_hours if event.staff_hours_registered else None,
        "results": event.results,
        "evaluation_criteria": list(event.evaluation_criteria),
        "sessions": event.sessions,
        "groups": event.groups,
        "invited": event.invited,
        "responded": event.responded,
        "satisfied": event.satisfied,
    }
