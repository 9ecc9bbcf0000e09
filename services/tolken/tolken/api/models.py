"""Request and response bodies shared by the staff API and the partner edge."""

from datetime import date, datetime, time
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import Request as HttpRequest
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from civic_common.api.guard import GuardedModel, PersonName, line, text
from tolken.app.registry import invalid
from tolken.app.requests import now
from tolken.domain.interpreters import (
    AvailabilityException,
    Certificate,
    Interpreter,
    Leave,
    Modality,
    Relation,
    Tier,
    UnknownMunicipality,
    WeeklyWindow,
    place_of_municipality,
)
from tolken.domain.matching import Proposal
from tolken.domain.policy import Policy
from tolken.domain.requests import DeclineReason, Kind, Place, Request

Language = Annotated[
    str, Field(pattern=r"^[a-z]{2,3}$", description="ISO 639 code, paired with Dutch")
]
Nis = Annotated[str, Field(pattern=r"^\d{5}$", description="NIS code of the municipality")]


def policy(request: HttpRequest) -> Policy:
    """Dependency: the configured interpreting policy."""
    return request.app.state.policy


class Strict(GuardedModel):
    """Request bodies: unknown fields refused, texts guarded (civic_common.api.guard)."""


class CertificateIn(Strict):
    number: line(50, min_length=1) = Field(description="Vlaams Register number")  # type: ignore[valid-type]
    valid_from: date
    valid_until: date


class WindowIn(Strict):
    weekday: int = Field(ge=0, le=6, description="0 = maandag")
    start: time
    end: time


class ExceptionIn(Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    available: bool = Field(description="true: extra hours; false: not available then")


class LeaveIn(Strict):
    first_day: date
    last_day: date


class InterpreterIn(Strict):
    name: PersonName
    account: line(200) | None = Field(  # type: ignore[valid-type]
        None, description="Sign-in subject, own pages"
    )
    tier: Tier
    certificate: CertificateIn | None = None
    languages: list[Language] = Field(min_length=1, max_length=20)
    modalities: list[Modality] = Field(min_length=1, max_length=10)
    regions: list[line(100, min_length=1)] = Field(default_factory=list, max_length=20)  # type: ignore[valid-type]
    latitude: float = Field(ge=49.0, le=52.0, description="Base, for travel distance")
    longitude: float = Field(ge=2.0, le=7.0)
    travel_range_km: float = Field(ge=0, le=400)
    max_assignments_per_week: int = Field(ge=0, le=80)
    weekly: list[WindowIn] = Field(default_factory=list, max_length=50)
    exceptions: list[ExceptionIn] = Field(default_factory=list, max_length=200)
    leave: list[LeaveIn] = Field(default_factory=list, max_length=100)
    organisations: dict[line(200, min_length=1), Relation] = Field(  # type: ignore[valid-type]
        default_factory=dict,
        max_length=200,
        description="preferred or blocked by a requesting organisation",
    )
    active: bool = True

    def to_domain(self, interpreter_id: UUID, version: int = 1) -> Interpreter:
        if "nl" in self.languages:
            raise invalid("languages", "talen worden altijd met het Nederlands gekoppeld")
        c = self.certificate
        return Interpreter(
            id=interpreter_id,
            name=self.name,
            tier=self.tier,
            languages=frozenset(self.languages),
            modalities=frozenset(self.modalities),
            regions=frozenset(self.regions),
            latitude=self.latitude,
            longitude=self.longitude,
            travel_range_km=self.travel_range_km,
            max_assignments_per_week=self.max_assignments_per_week,
            certificate=Certificate(c.number, c.valid_from, c.valid_until) if c else None,
            weekly=tuple(WeeklyWindow(w.weekday, w.start, w.end) for w in self.weekly),
            exceptions=tuple(
                AvailabilityException(e.starts_at, e.ends_at, e.available) for e in self.exceptions
            ),
            leave=tuple(Leave(lv.first_day, lv.last_day) for lv in self.leave),
            organisations=dict(self.organisations),
            account=self.account,
            active=self.active,
            version=version,
        )


class InterpreterOut(InterpreterIn):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    version: int

    @classmethod
    def of(cls, i: Interpreter) -> "InterpreterOut":
        c = i.certificate
        return cls(
            id=i.id,
            version=i.version,
            name=i.name,
            account=i.account,
            tier=i.tier,
            certificate=CertificateIn(
                number=c.number, valid_from=c.valid_from, valid_until=c.valid_until
            )
            if c
            else None,
            languages=sorted(i.languages),
            modalities=sorted(i.modalities),
            regions=sorted(i.regions),
            latitude=i.latitude,
            longitude=i.longitude,
            travel_range_km=i.travel_range_km,
            max_assignments_per_week=i.max_assignments_per_week,
            weekly=[WindowIn(weekday=w.weekday, start=w.start, end=w.end) for w in i.weekly],
            exceptions=[
                ExceptionIn(starts_at=e.starts_at, ends_at=e.ends_at, available=e.available)
                for e in i.exceptions
            ],
            leave=[LeaveIn(first_day=lv.first_day, last_day=lv.last_day) for lv in i.leave],
            organisations=i.organisations,
            active=i.active,
        )


class RequestIn(Strict):
    kind: Kind = Kind.INTERPRETING
    language: Language
    modality: Modality | None = Field(None, description="Required for interpreting")
    starts_at: AwareDatetime | None = Field(None, description="Required for interpreting")
    ends_at: AwareDatetime | None = None
    deadline: AwareDatetime | None = Field(None, description="Required for a translation")
    municipality_nis: Nis | None = Field(None, description="Required on site")
    address: line(300) | None = None  # type: ignore[valid-type]
    latitude: float | None = Field(None, ge=49.0, le=52.0)
    longitude: float | None = Field(None, ge=2.0, le=7.0)
    subject_category: line(50, min_length=1)  # type: ignore[valid-type]
    urgent: bool = False
    person_id: UUID | None = None
    appointment_id: UUID | None = None

    def to_domain(self, organisation: str) -> Request:
        """The request, or 422 naming the field that does not fit its kind."""
        at = now()
        if self.kind is Kind.INTERPRETING:
            for name in ("modality", "starts_at", "ends_at"):
                if getattr(self, name) is None:
                    raise invalid(name, "verplicht voor een tolkopdracht")
            assert self.starts_at is not None and self.ends_at is not None
            if self.ends_at <= self.starts_at:
                raise invalid("ends_at", "het einde ligt niet na het begin")
            if self.starts_at <= at:
                raise invalid("starts_at", "ligt in het verleden")
            if self.deadline is not None:
                raise invalid("deadline", "alleen voor een vertaling")
            if self.modality is Modality.ON_SITE and self.municipality_nis is None:
                raise invalid("municipality_nis", "verplicht voor tolken ter plaatse")
        else:
            if self.deadline is None:
                raise invalid("deadline", "verplicht voor een vertaling")
            if self.deadline <= at:
                raise invalid("deadline", "ligt in het verleden")
            for name in ("modality", "starts_at", "ends_at"):
                if getattr(self, name) is not None:
                    raise invalid(name, "niet voor een vertaling")
        place = None
        if self.municipality_nis is not None:
            try:
                region, lat, lon = place_of_municipality(self.municipality_nis)
            except UnknownMunicipality:
                raise invalid("municipality_nis", "onbekende gemeente") from None
            place = Place(
                self.municipality_nis,
                self.address,
                self.latitude if self.latitude is not None else lat,
                self.longitude if self.longitude is not None else lon,
                region,
            )
        return Request(
            id=uuid4(),
            kind=self.kind,
            organisation=organisation,
            language=self.language,
            subject_category=self.subject_category,
            urgent=self.urgent,
            received_at=at,
            modality=self.modality,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            deadline=self.deadline,
            place=place,
            person_id=self.person_id,
            appointment_id=self.appointment_id,
        )


class DeskRequestIn(RequestIn):
    organisation: line(200, min_length=1) = Field(  # type: ignore[valid-type]
        description="Requesting organisation"
    )


class RequestOut(BaseModel):
    id: UUID
    version: int
    kind: Kind
    organisation: str
    language: str
    modality: Modality | None
    starts_at: datetime | None
    ends_at: datetime | None
    deadline: datetime | None
    municipality_nis: str | None
    address: str | None
    subject_category: str
    urgent: bool
    person_id: UUID | None
    appointment_id: UUID | None
    status: str
    interpreter_id: UUID | None
    unfulfilled_reason: str | None
    cancelled_at: datetime | None
    billable: bool | None
    actual_minutes: int | None
    received_at: datetime

    @classmethod
    def of(cls, r: Request) -> "RequestOut":
        return cls(
            **{k: getattr(r, k) for k in cls.model_fields if hasattr(r, k)},
            municipality_nis=r.place.municipality_nis if r.place else None,
            address=r.place.address if r.place else None,
        )


class LanguageProfileOut(BaseModel):
    person_id: UUID
    languages: list[str]
    contact_language: str | None
    interpreter_language: str | None
    interpreter_modality: str | None
    needs_interpreter: bool


class ProposalOut(BaseModel):
    interpreter_id: UUID
    name: str
    score: float
    why: list[str]

    @classmethod
    def of(cls, p: Proposal) -> "ProposalOut":
        return cls(interpreter_id=p.interpreter_id, name=p.name, score=p.score, why=list(p.why))


class OfferOut(BaseModel):
    id: UUID
    request_id: UUID
    answer_by: datetime
    language: str
    modality: Modality | None
    starts_at: datetime | None
    ends_at: datetime | None
    deadline: datetime | None
    municipality_nis: str | None
    address: str | None
    subject_category: str


class QueueItemOut(BaseModel):
    request: RequestOut
    offered_to: UUID | None
    answer_by: datetime | None
    proposals: list[ProposalOut]


class AssignmentIn(Strict):
    interpreter_id: UUID
    reason: line(300) | None = Field(  # type: ignore[valid-type]
        None,
        description="Why, when the interpreter falls outside the matcher's rules the desk may "
        "bend (weekly pattern, load, region): required then, and kept in the audit log",
    )


class DeclineIn(Strict):
    reason: DeclineReason = Field(description="Why the interpreter declines (a closed list)")


class CompletionIn(Strict):
    actual_minutes: int = Field(ge=0, le=24 * 60)


class UnfulfilledIn(Strict):
    reason: text(500, min_length=1)  # type: ignore[valid-type]
