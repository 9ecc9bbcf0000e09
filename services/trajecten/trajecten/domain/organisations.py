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

from civic_common.events.contracts.intake import OrganisationType
from civic_common.events.contracts.reporting import (
    ComponentProgress,
    CostLine,
    Evaluation,
    ParticipatingOrganisation,
    Region,
    Session,
)
from trajecten.domain.templates import Catalogue, Eligibility, Template
from trajecten.domain.themes import ThemeCatalogue

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


ORGANISATION_TYPE_LABELS = {
    "local_government": "lokaal bestuur",
    "ocmw": "OCMW",
    "care_and_welfare": "zorg- en welzijnsorganisatie",
    "school": "school",
    "non_profit": "vzw",
    "company": "onderneming",
    "other": "andere organisatie",
}


class EligibilityDecision(BaseModel):
    """Trajecten's decision on an organisation for a call: ``reasons`` say why it is not
    eligible (empty when it is), ``advice`` what is recommended but not required."""

    model_config = ConfigDict(frozen=True)

    call_id: UUID
    eligible: bool
    reasons: list[str]
    advice: list[str]
    decided_on: date


def decide_eligibility(
    call: Call,
    *,
    organisation_type: OrganisationType | None,
    staff_size: int,
    participant_roles: list[str],
    on: date,
) -> EligibilityDecision:
    """Whether an organisation may answer ``call`` on day ``on``: the call is open that day
    (from ``opens_on`` up to and including ``closes_on``), and the organisation meets the
    call's rules (seed 002: a care and welfare organisation with at least 10 staff, a
    participant who manages or is the diversity officer; two participants recommended)."""
    rules, reasons = call.eligibility, []
    if on < call.opens_on:
        reasons.append(f"de oproep is nog niet open (opent op {call.opens_on:%d/%m/%Y})")
    if on > call.closes_on:
        reasons.append(f"de oproep is gesloten sinds {call.closes_on:%d/%m/%Y}")
    if rules.organisation_types and organisation_type not in rules.organisation_types:
        wanted = " of ".join(ORGANISATION_TYPE_LABELS[t] for t in rules.organisation_types)
        what = ORGANISATION_TYPE_LABELS.get(organisation_type or "", "onbekend type")
        reasons.append(f"de oproep is voor een {wanted} (niet: {what})")
    if staff_size < rules.min_staff:
        reasons.append(f"minder dan {rules.min_staff} medewerkers ({staff_size})")
    wanted_roles = set(rules.required_participant_roles)
    if wanted_roles and not wanted_roles & set(participant_roles):
        reasons.append("geen leidinggevende of stafmedewerker diversiteit bij de deelnemers")
    advice = []
    if len(participant_roles) < rules.recommended_participants:
        advice.append(f"aanbevolen: {rules.recommended_participants} deelnemers")
    return EligibilityDecision(
        call_id=call.id, eligible=not reasons, reasons=reasons, advice=advice, decided_on=on
    )


CandidacyStatus = Literal["eligible", "ineligible", "selected", "rejected", "received"]


class Candidacy(_State):
    id: UUID
    version: int = 1
    organisation_id: UUID
    kind: Literal["learning_and_coaching", "custom_training"]
    call_id: UUID | None
    organisation_type: OrganisationType | None = None
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
        """Eligibility of a candidacy for its call on the day it was submitted
        (``decide_eligibility``); a custom training request is planned directly."""
        if self.kind != "learning_and_coaching":
            return
        if call is None:
            self.status, self.reasons = "ineligible", ["onbekende oproep"]
            return
        decision = decide_eligibility(
            call,
            organisation_type=self.organisation_type,
            staff_size=self.staff_size,
            participant_roles=self.participant_roles,
            on=self.submitted_at.date(),
        )
        self.status = "eligible" if decision.eligible else "ineligible"
        self.reasons = decision.reasons or decision.advice

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
    theme_code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,60}$", description="From the catalogue")
    theme_catalogue: str = Field(description="Version of the theme catalogue the code is from")
    unmapped_theme: str | None = Field(
        None,
        max_length=200,
        description="The free-text theme from before the catalogue that no code matched "
        "(theme_code is then overig-ongemapt); kept, never lost",
    )
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=5000)
    status: TrainingStatus = "planned"
    organisers: list[str] = Field(default_factory=list)
    external_partners: list[str] = Field(default_factory=list)
    outcome: TrainingOutcome | None = None
    ordered_by: UUID | None = Field(None, description="Organisation that asked a custom training")

    def theme_label(self, themes: ThemeCatalogue) -> str:
        """Its theme in Dutch: the catalogue's label, or the former free text when unmapped."""
        return self.unmapped_theme or themes.label(self.theme_code)

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
    components: list[ComponentProgress] = Field(default_factory=list)

    @classmethod
    def following(cls, template: Template, **fields: object) -> "OrganisationTrajectory":
        """A new organisation trajectory with every component of its template planned."""
        planned = [ComponentProgress(code=c.code) for c in template.components]
        return cls.model_validate(fields | {"components": planned})

    def move_to(self, status: str, template: Template) -> None:
        """The next step of its lifecycle (``ORGANISATION_TRAJECTORY_MOVES``); the same status
        again changes nothing, any other step is refused naming the allowed ones. Completed
        only once every required component of its template is."""
        if status == self.status:
            return
        allowed = ORGANISATION_TRAJECTORY_MOVES[self.status]
        if status not in allowed:
            choices = ", ".join(sorted(allowed)) or "geen (eindstatus)"
            raise InvalidChange(
                "status", f"van '{self.status}' kan niet naar '{status}'; mogelijk: {choices}"
            )
        if status == "completed":
            done = {c.code for c in self.components if c.status == "completed"}
            if open_ := [c.code for c in template.components if c.required and c.code not in done]:
                raise InvalidChange(
                    "status", f"nog niet afgerond: {', '.join(open_)} (verplichte onderdelen)"
                )
        self.status = status  # type: ignore[assignment]  # one of the Literal's values

    def _progress(self, code: str) -> tuple[int, ComponentProgress]:
        for index, progress in enumerate(self.components):
            if progress.code == code:
                return index, progress
        known = ", ".join(c.code for c in self.components)
        raise InvalidChange("component", f"geen onderdeel '{code}' in dit traject; wel: {known}")

    def component_actions(self, template: Template) -> dict[str, list[str]]:
        """What each component allows now: ``start`` once the components it follows are
        completed, ``complete`` once started (the learning network after its target number of
        sessions); nothing in a final status."""
        done = {c.code for c in self.components if c.status == "completed"}
        final = not ORGANISATION_TRAJECTORY_MOVES[self.status]
        actions: dict[str, list[str]] = {}
        for progress in self.components:
            spec = template.component(progress.code)
            allowed: list[str] = []
            if not final and spec is not None:
                if progress.status == "planned" and set(spec.after) <= done:
                    allowed.append("start")
                target = spec.target_sessions or 0
                if progress.status == "started" and len(self.sessions) >= target:
                    allowed.append("complete")
            actions[progress.code] = allowed
        return actions

    def advance_component(self, code: str, action: str, on: date, template: Template) -> None:
        """Start or complete one component of the template (``component_actions`` says which
        is possible); refused naming the reason otherwise."""
        index, progress = self._progress(code)
        if action not in self.component_actions(template)[code]:
            raise InvalidChange("action", self._why_not(progress, action, template))
        if action == "start":
            changed = progress.model_copy(update={"status": "started", "started_on": on})
        else:
            if progress.started_on is not None and on < progress.started_on:
                raise InvalidChange(
                    "on", f"afronden kan niet voor de start ({progress.started_on:%d/%m/%Y})"
                )
            changed = progress.model_copy(update={"status": "completed", "completed_on": on})
        self.components = [*self.components[:index], changed, *self.components[index + 1 :]]

    def _why_not(self, progress: ComponentProgress, action: str, template: Template) -> str:
        if not ORGANISATION_TRAJECTORY_MOVES[self.status]:
            return f"het traject is {self.status}: de onderdelen liggen vast"
        spec = template.component(progress.code)
        if spec is None:
            return f"onderdeel '{progress.code}' staat niet in het sjabloon"
        if action == "start" and progress.status != "planned":
            return f"'{progress.code}' is al {progress.status}"
        if action == "start":
            done = {c.code for c in self.components if c.status == "completed"}
            waiting = ", ".join(sorted(set(spec.after) - done))
            return f"'{progress.code}' start pas na het afronden van {waiting}"
        if progress.status != "started":
            return f"'{progress.code}' is {progress.status}, niet gestart"
        return f"'{progress.code}' vraagt {spec.target_sessions} sessies (nu {len(self.sessions)})"

    @model_validator(mode="after")
    def _sessions_within_the_edition(self) -> "OrganisationTrajectory":
        first, last = (int(y) for y in self.edition.split("-"))
        if last < first:
            raise InvalidChange("edition", "het tweede jaar ligt voor het eerste")
        for session in self.sessions:
            if not first <= session.held_on.year <= last:
                raise InvalidChange("held_on", f"de sessie valt buiten editie {self.edition}")
        return self
