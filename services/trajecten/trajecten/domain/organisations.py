"""Calls, candidacies, learning and coaching trajectories and trainings for organisations.

Pure rules. A training's or organisation trajectory's state has the shape of its reportable
snapshot (contracts/reporting.py), so every change validates the whole state and the snapshot
published after it is exactly what was stored.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from civic_common.events.contracts.reporting import (
    CostLine,
    Evaluation,
    ParticipatingOrganisation,
    Region,
    Session,
)
from trajecten.domain.templates import Catalogue, Eligibility

Agency = str  # agii, atlas, in-gent, huis-van-het-nederlands-brussel, …


class InvalidChange(Exception):  # not a ValueError: pydantic must not swallow it
    """Well-formed input the state rejects (dates out of order, more satisfied than responded)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def check_evaluation(evaluation: Evaluation) -> Evaluation:
    if evaluation.responded > evaluation.invited:
        raise InvalidChange("responded", "meer antwoorden dan uitgenodigden")
    if evaluation.satisfied > evaluation.responded:
        raise InvalidChange("satisfied", "meer tevredenen dan antwoorden")
    return evaluation


# --- calls and candidacies --------------------------------------------------------------------


class Call(_State):
    id: UUID
    version: int = 1
    template_kind: str = "leer-en-coachingstraject"
    template_version: str
    edition: str = Field(pattern=r"^\d{4}-\d{4}$")
    title: str = Field(min_length=1, max_length=300)
    agencies: list[Agency] = Field(min_length=1)
    opens_on: date
    closes_on: date
    eligibility: Eligibility

    @model_validator(mode="after")
    def _dates_in_order(self) -> "Call":
        if self.closes_on < self.opens_on:
            raise InvalidChange("closes_on", "de sluitingsdatum ligt voor de openingsdatum")
        return self


CandidacyStatus = Literal["eligible", "ineligible", "selected", "rejected", "received"]


class Candidacy(_State):
    id: UUID
    version: int = 1
    organisation_id: UUID
    kind: Literal["learning_and_coaching", "custom_training"]
    call_id: UUID | None
    staff_size: int
    municipality_nis: str
    participant_roles: list[str]
    motivation: str
    theme: str | None
    submitted_at: datetime
    status: CandidacyStatus = "received"
    reasons: list[str] = Field(default_factory=list)
    decided_by: str | None = None
    organisation_trajectory_id: UUID | None = None

    def assess(self, call: Call | None) -> None:
        """Eligibility of a candidacy for a call: what seed 002 asks of an organisation."""
        if self.kind != "learning_and_coaching":
            return  # custom training requests are planned directly
        if call is None:
            self.status, self.reasons = "ineligible", ["onbekende oproep"]
            return
        rules, reasons = call.eligibility, []
        if self.submitted_at.date() > call.closes_on:
            reasons.append(f"ingediend na de sluitingsdatum ({call.closes_on:%d/%m/%Y})")
        if self.staff_size < rules.min_staff:
            reasons.append(f"minder dan {rules.min_staff} medewerkers ({self.staff_size})")
        wanted = set(rules.required_participant_roles)
        if wanted and not wanted & set(self.participant_roles):
            reasons.append("geen leidinggevende of stafmedewerker diversiteit bij de deelnemers")
        self.status, self.reasons = ("ineligible" if reasons else "eligible"), reasons
        if len(self.participant_roles) < rules.recommended_participants and not reasons:
            self.reasons = [f"aanbevolen: {rules.recommended_participants} deelnemers"]

    def decide(self, selected: bool, reason: str, by: str) -> None:
        if self.status not in ("eligible", "selected", "rejected"):
            raise InvalidChange(
                "selected",
                f"alleen een ontvankelijke kandidatuur kan geselecteerd worden "
                f"(status {self.status})",
            )
        if not reason.strip():
            raise InvalidChange("reason", "een motivering van de selectie is verplicht")
        self.status = "selected" if selected else "rejected"
        self.reasons, self.decided_by = [reason.strip()], by


# --- trainings and organisation trajectories --------------------------------------------------


class _Recorded(_State):
    """What trainings and organisation trajectories share."""

    id: UUID
    version: int = 1
    agencies: list[Agency] = Field(min_length=1, description=">1 when organised jointly")
    region: Region
    sessions: list[Session] = Field(default_factory=list)
    participating_organisations: list[ParticipatingOrganisation] = Field(default_factory=list)
    cost_lines: list[CostLine] = Field(default_factory=list)
    staff_hours: Decimal = Field(Decimal(0), ge=0)
    evaluation: Evaluation | None = None

    def add_session(self, session: Session) -> None:
        self.sessions = sorted([*self.sessions, session], key=lambda s: s.held_on)

    def add_participants(self, participating: ParticipatingOrganisation) -> None:
        """Attendance per organisation; a second record for the same organisation replaces it."""
        key = participating.organisation_id or participating.name
        kept = [p for p in self.participating_organisations if (p.organisation_id or p.name) != key]
        self.participating_organisations = [*kept, participating]

    def remove_participants(self, organisation_id: UUID) -> None:
        """An organisation no longer taking part (its candidacy was rejected after all)."""
        self.participating_organisations = [
            p for p in self.participating_organisations if p.organisation_id != organisation_id
        ]

    def add_cost(self, line: CostLine) -> None:
        self.cost_lines = [*self.cost_lines, line]

    def add_staff_hours(self, hours: Decimal) -> None:
        if hours <= 0:
            raise InvalidChange("hours", "uren moeten positief zijn")
        self.staff_hours += hours

    def evaluate(self, evaluation: Evaluation) -> None:
        self.evaluation = check_evaluation(evaluation)

    def bump(self) -> None:
        self.version += 1


TrainingStatus = Literal["planned", "held", "cancelled"]
TrainingOutcome = Literal["continued", "stopped", "adjusted"]
OrganisationTrajectoryStatus = Literal["planned", "running", "completed", "stopped"]
# The lifecycle: planned -> running -> completed; planned or running -> stopped. Completed and
# stopped are final (a correction of a final status is a new organisation trajectory).
ORGANISATION_TRAJECTORY_MOVES: dict[str, frozenset[str]] = {
    "planned": frozenset({"running", "stopped"}),
    "running": frozenset({"completed", "stopped"}),
    "completed": frozenset(),
    "stopped": frozenset(),
}


class Training(_Recorded):
    offer: Literal["open", "custom"]
    theme: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=5000)
    status: TrainingStatus = "planned"
    organisers: list[str] = Field(default_factory=list)
    external_partners: list[str] = Field(default_factory=list)
    outcome: TrainingOutcome | None = None
    ordered_by: UUID | None = Field(None, description="Organisation that asked a custom training")

    def charge(self, catalogue: Catalogue) -> Decimal | None:
        """What participants pay under the price rule of the lead agency on the first session:
        open offer per person per half day, custom per organisation per half day."""
        if not self.sessions:
            return None
        rule = catalogue.price(self.agencies[0], self.offer, self.sessions[0].held_on)
        if rule is None:
            return None
        half_days = sum(s.half_days for s in self.sessions)
        if rule.unit == "per_person_half_day":
            people = sum(p.participants for p in self.participating_organisations)
            return rule.eur * people * half_days
        return rule.eur * half_days

    def set_status(self, status: str, outcome: str | None) -> None:
        if status == "held" and not self.sessions:
            raise InvalidChange("status", "een vorming zonder sessies kan niet gegeven zijn")
        self.status = status  # type: ignore[assignment]  # validated on assignment
        if outcome is not None:
            self.outcome = outcome  # type: ignore[assignment]


class OrganisationTrajectory(_Recorded):
    call_id: UUID | None = None
    template_kind: str = "leer-en-coachingstraject"
    template_version: str
    edition: str = Field(pattern=r"^\d{4}-\d{4}$")
    partners: list[str] = Field(default_factory=list)
    goal: str = Field(min_length=1, max_length=2000)
    content: str = Field(min_length=1, max_length=5000)
    status: OrganisationTrajectoryStatus = "planned"
    groups: int = Field(0, ge=0)
    results: str | None = None
    evaluation_criteria: list[str] = Field(default_factory=list)

    def move_to(self, status: str) -> None:
        """The next step of its lifecycle (``ORGANISATION_TRAJECTORY_MOVES``); the same status
        again changes nothing, any other step is refused naming the allowed ones."""
        if status == self.status:
            return
        allowed = ORGANISATION_TRAJECTORY_MOVES[self.status]
        if status not in allowed:
            choices = ", ".join(sorted(allowed)) or "geen (eindstatus)"
            raise InvalidChange(
                "status", f"van '{self.status}' kan niet naar '{status}'; mogelijk: {choices}"
            )
        self.status = status  # type: ignore[assignment]  # one of the Literal's values

    @model_validator(mode="after")
    def _sessions_within_the_edition(self) -> "OrganisationTrajectory":
        first, last = (int(y) for y in self.edition.split("-"))
        if last < first:
            raise InvalidChange("edition", "het tweede jaar ligt voor het eerste")
        for session in self.sessions:
            if not first <= session.held_on.year <= last:
                raise InvalidChange("held_on", f"de sessie valt buiten editie {self.edition}")
        return self
