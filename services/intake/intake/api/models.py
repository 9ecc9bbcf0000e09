"""Request and response bodies of the staff API. Unknown fields are refused (422)."""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictBool, field_validator

from civic_common.api.guard import BirthDate, GuardedModel, PersonName, line, text
from civic_common.events.contracts.intake import AgencyCode, OrganisationType, ParticipantRole
from intake.domain.candidacy import CandidacyKind
from intake.domain.insz import InvalidInsz, parse_insz
from intake.domain.kbo import InvalidEnterpriseNumber, normalise_enterprise_number
from intake.domain.person import (
    CefrLevel,
    Education,
    HouseholdRelation,
    InterpreterModality,
    LegalBasis,
    Literacy,
    Person,
    ResidenceCategory,
    Sex,
)

Name = PersonName
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}$", description="ISO 639 code")]
Nis = Annotated[str, Field(pattern=r"^\d{5}$", description="NIS code of the municipality")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2")]


class HouseholdLink(GuardedModel):
    person_id: UUID
    relation: HouseholdRelation


def normalised_insz(value: str | None) -> str | None:
    """An INSZ as typed, in its 11-digit form (a body field, a search query, a page form)."""
    if value is None:
        return None
    try:
        return parse_insz(value).number
    except InvalidInsz as exc:
        raise ValueError(f"ongeldig INSZ: {exc}") from exc


class PersonFields(GuardedModel):
    """Everything but the required core; shared by registration and correction."""

    insz: line(20) | None = None  # type: ignore[valid-type]
    sex: Sex | None = None
    nationality: Country | None = None
    languages: list[Language] = Field(default_factory=list, max_length=20)
    contact_language: Language | None = None
    street: line(200) | None = None  # type: ignore[valid-type]
    house_number: line(20) | None = None  # type: ignore[valid-type]
    postal_code: Annotated[str, Field(pattern=r"^\d{4}$")] | None = None
    residence_category: ResidenceCategory | None = None
    household: list[HouseholdLink] = Field(default_factory=list, max_length=30)
    education: Education | None = None
    literacy: Literacy | None = None
    dutch_level: CefrLevel | None = None
    interpreter_language: Language | None = None
    interpreter_modality: InterpreterModality | None = None
    needs_childcare: StrictBool = False
    needs_mobility_support: StrictBool = False
    consent_data_sharing: StrictBool | None = None
    legal_basis: LegalBasis | None = None

    _check_insz = field_validator("insz")(normalised_insz)

    def domain_fields(self, **only: Any) -> dict[str, Any]:
        values = self.model_dump(**only)
        if "household" in values:
            values["household"] = [
                {"person_id": str(link["person_id"]), "relation": link["relation"]}
                for link in values["household"]
            ]
        return values


class PersonIn(PersonFields):
    given_name: Name
    family_name: Name
    birth_date: BirthDate
    municipality_nis: Nis
    confirm_new_person: StrictBool = Field(
        False,
        description="The counter saw the likely duplicates a first attempt answered (409) and "
        "confirms this is someone else: register anyway",
    )

    def domain_fields(self, **only: Any) -> dict[str, Any]:
        return super().domain_fields(exclude={"confirm_new_person"}, **only)


class PersonPatch(PersonFields):
    """Only the fields sent are corrected; the core fields cannot be emptied."""

    given_name: Name = None  # type: ignore[assignment]
    family_name: Name = None  # type: ignore[assignment]
    birth_date: BirthDate = None  # type: ignore[assignment]
    municipality_nis: Nis = None  # type: ignore[assignment]
    languages: list[Language] = Field(default=None, max_length=20)  # type: ignore[assignment]
    household: list[HouseholdLink] = Field(default=None, max_length=30)  # type: ignore[assignment]


class PersonOut(BaseModel):
    id: UUID
    version: int
    insz: str | None
    given_name: str | None
    family_name: str | None
    birth_date: date | None
    sex: str | None
    nationality: str | None
    municipality_nis: str
    street: str | None
    house_number: str | None
    postal_code: str | None
    languages: list[str]
    contact_language: str | None
    interpreter_language: str | None
    interpreter_modality: str | None
    residence_category: str | None
    household: list[dict[str, Any]]
    education: str | None
    literacy: str | None
    dutch_level: str | None
    needs_childcare: bool
    needs_mobility_support: bool
    consent_data_sharing: bool | None
    legal_basis: str | None
    target_group: str | None
    target_group_reason: str | None
    target_group_rules_version: str | None
    possible_duplicates: list[str] = Field(description="Links to near-duplicates to confirm")
    registered_at: datetime
    erased_at: datetime | None
    agency: str = Field(description="The agency whose case this is; only its staff see it")

    @classmethod
    def of(cls, person: Person) -> "PersonOut":
        values = vars(person) | {
            "possible_duplicates": [f"/api/v1/persons/{d}" for d in person.possible_duplicates]
        }
        return cls.model_validate(values)


class PersonSummary(BaseModel):
    id: UUID
    insz: str | None
    given_name: str | None
    family_name: str | None
    birth_date: date | None
    municipality_nis: str
    agency: str
    link: str


class DuplicateCandidate(BaseModel):
    """A registered person who may be the newcomer being registered."""

    id: UUID
    link: str
    insz: str | None
    given_name: str | None
    family_name: str | None
    birth_date: date | None
    municipality_nis: str
    registered_at: datetime
    similarity: float = Field(description="How closely the names match, 0..1")


class Change(BaseModel):
    field: str
    old: Any
    new: Any


class HistoryEntry(BaseModel):
    version: int
    action: str
    changed_by: str
    changed_at: datetime
    changes: list[Change]


class ErasureIn(GuardedModel):
    reason: text(500, min_length=1)  # type: ignore[valid-type]


class MergeIn(GuardedModel):
    """Merge the record ``other`` into the record of the URL (the survivor)."""

    other: UUID = Field(description="The record merged away, e.g. registered twice by mistake")
    other_version: Annotated[int, Field(ge=1, strict=True)] = Field(
        description="The other record's version as the caller saw it (its ETag)"
    )
    choices: dict[str, Literal["survivor", "other"]] = Field(
        default_factory=dict,
        max_length=40,
        description="Per field, whose value the survivor keeps; a field not named keeps the "
        "survivor's own value, or the other's where the survivor has none",
    )
    reason: text(500, min_length=1)  # type: ignore[valid-type]


class MergeFieldOut(BaseModel):
    field: str
    survivor: Any
    other: Any
    differs: bool
    default: Literal["survivor", "other"]


class MergeCheckOut(BaseModel):
    survivor: str = Field(description="Link to the surviving record")
    other: str = Field(description="Link to the record that would be merged away")
    survivor_version: int
    other_version: int
    allowed: bool
    refusal: str | None = Field(description="Why the two cannot be merged (Dutch), if so")
    fields: list[MergeFieldOut]


class MergeOut(BaseModel):
    survivor: PersonOut
    merged: str = Field(description="Link to the record merged away (it now leads to survivor)")
    taken_from_other: list[str] = Field(description="Fields whose value came from the other")


class TransferIn(GuardedModel):
    agency: AgencyCode = Field(description="Code of the agency taking over the case, e.g. atlas")
    reason: text(500, min_length=1) | None = Field(  # type: ignore[valid-type]
        None,
        description="Why the case moves (the pages ask for it); kept in the audit trail, never "
        "in the event",
    )


class TransferOut(BaseModel):
    id: UUID
    version: int
    from_agency: str
    agency: str


class OrganisationIn(GuardedModel):
    enterprise_number: line(20)  # type: ignore[valid-type]
    name: line(300, min_length=1)  # type: ignore[valid-type]
    organisation_type: OrganisationType
    staff_size: Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
    municipality_nis: Nis

    @field_validator("enterprise_number")
    @classmethod
    def _kbo(cls, value: str) -> str:
        try:
            return normalise_enterprise_number(value)
        except InvalidEnterpriseNumber as exc:
            raise ValueError(f"ongeldig ondernemingsnummer: {exc}") from exc


class OrganisationOut(BaseModel):
    id: UUID
    version: int
    enterprise_number: str
    name: str
    organisation_type: str
    staff_size: int
    municipality_nis: str
    registered_at: datetime


class CandidacyIn(GuardedModel):
    organisation_id: UUID
    kind: CandidacyKind
    call_id: UUID | None = None
    participant_roles: list[ParticipantRole] = Field(min_length=1, max_length=10)
    motivation: text(5000, min_length=1)  # type: ignore[valid-type]
    theme: line(200, min_length=1) | None = None  # type: ignore[valid-type]


class CandidacyOut(BaseModel):
    id: UUID
    organisation_id: UUID
    kind: str
    call_id: UUID | None
    participant_roles: list[str]
    motivation: str
    theme: str | None
    eligibility: dict[str, Any]
    submitted_at: datetime
