"""Events published by intake."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from civic_common.events.contracts.base import EventData

TargetGroup = Literal["obligated", "entitled", "not_in_target_group"]
InterpreterModality = Literal["on_site", "phone", "video"]
DutchLevel = Literal["none", "A1", "A2", "B1", "B2", "C1", "C2"]  # CEFR
LanguageCode = str  # ISO 639 code
# The organisation code of an agency as in staff tokens' org claim, lower case: agii, atlas, …
AgencyCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


class PersonRegistered(EventData):
    event_type = "intake.person.registered.v1"
    topic = "intake.persons"
    summary = (
        "A newcomer was registered at the counter. Carries no name or INSZ: only what trajecten "
        "(target group), tolken (language profile) and rapportage (counts) need."
    )

    person_id: UUID
    registered_at: datetime
    municipality_nis: str = Field(pattern=r"^\d{5}$", description="NIS code of the municipality")
    target_group: TargetGroup | None = Field(None, description="Derived target group, if known")
    languages: list[LanguageCode] = Field(default_factory=list, description="Languages spoken")
    contact_language: LanguageCode | None = None
    interpreter_language: LanguageCode | None = Field(
        None, description="Language an interpreter is needed for, if any"
    )
    interpreter_modality: InterpreterModality | None = Field(
        None, description="How the person is best interpreted for, if intake asked"
    )
    dutch_level: DutchLevel | None = Field(
        None, description="Dutch level (CEFR) at intake, for the indicators by Dutch level"
    )
    nationality: str | None = Field(
        None, pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2, for the statistics"
    )
    residence_category: str | None = Field(
        None, description="e.g. recognised_refugee, family_reunification; for the statistics"
    )
    agency: AgencyCode | None = Field(
        None,
        description="The agency whose case this is (the registering agency); staff of other "
        "agencies do not see it",
    )


class PersonCorrected(EventData):
    event_type = "intake.person.corrected.v1"
    topic = "intake.persons"
    summary = (
        "A registered person's data were corrected. Names the changed fields and carries the new "
        "values of only the non-identifying facts consumers keep (no name, INSZ or birth date)."
    )

    person_id: UUID
    corrected_at: datetime
    changed_fields: list[str] = Field(description="Every field that changed, by name")
    municipality_nis: str = Field(pattern=r"^\d{5}$")
    target_group: TargetGroup | None = None
    languages: list[LanguageCode] = Field(default_factory=list)
    contact_language: LanguageCode | None = None
    interpreter_language: LanguageCode | None = None
    nationality: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    residence_category: str | None = None
    interpreter_modality: InterpreterModality | None = None
    dutch_level: DutchLevel | None = None
    agency: AgencyCode | None = Field(
        None, description="The agency whose case this is (a trajectory opened now is theirs)"
    )


class PersonTransferred(EventData):
    event_type = "intake.person.transferred.v1"
    topic = "intake.persons"
    summary = (
        "A person's case moved to another agency (e.g. after a move to its city): from now on "
        "only that agency's staff see the person and their trajectories."
    )

    person_id: UUID
    transferred_at: datetime
    from_agency: AgencyCode | None = None
    to_agency: AgencyCode


class PersonErased(EventData):
    event_type = "intake.person.erased.v1"
    topic = "intake.persons"
    summary = (
        "A person's data were erased on request (GDPR art. 17): consumers remove or pseudonymise "
        "what they hold on this person id; counts already made stay as they are."
    )

    person_id: UUID
    erased_at: datetime


class PersonMerged(EventData):
    event_type = "intake.person.merged.v1"
    topic = "intake.persons"
    summary = (
        "Two records of one person were merged at the counter: the record ``person_id`` is "
        "merged into ``into`` (the survivor) and is no longer used. Consumers move what they hold "
        "under ``person_id`` to ``into``; the survivor's own facts follow as "
        "``intake.person.corrected.v1`` when the merge changed them. Ids only."
    )

    person_id: UUID = Field(description="The record merged away (no longer used)")
    into: UUID = Field(description="The surviving record of the person")
    merged_at: datetime


OrganisationType = Literal[
    "local_government",
    "ocmw",
    "care_and_welfare",
    "school",
    "non_profit",
    "company",
    "other",
]


# Roles of the people an organisation sends to a trajectory (never their names).
ParticipantRole = Literal["manager", "diversity_officer", "staff_member", "other"]


class OrganisationRegistered(EventData):
    event_type = "intake.organisation.registered.v1"
    topic = "intake.organisations"
    summary = "An organisation (KBO-registered) was registered; organisations are no personal data."

    organisation_id: UUID
    enterprise_number: str = Field(pattern=r"^[01]\d{9}$", description="KBO number, 10 digits")
    name: str = Field(max_length=300)
    organisation_type: OrganisationType
    staff_size: int = Field(ge=0)
    municipality_nis: str = Field(pattern=r"^\d{5}$")
    registered_at: datetime


class CandidacySubmitted(EventData):
    event_type = "intake.candidacy.submitted.v1"
    topic = "intake.candidacies"
    summary = (
        "An organisation applied for a learning and coaching trajectory (in answer to a call) or "
        "asked for a custom training. Trajecten checks eligibility and selects."
    )

    candidacy_id: UUID
    organisation_id: UUID
    kind: Literal["learning_and_coaching", "custom_training"]
    call_id: UUID | None = Field(None, description="The call answered, for learning and coaching")
    organisation_type: OrganisationType | None = Field(
        None, description="The organisation's type when it applied (absent in older records)"
    )
    staff_size: int = Field(ge=0)
    municipality_nis: str = Field(pattern=r"^\d{5}$")
    participant_roles: list[str] = Field(
        default_factory=list, description="Roles of the intended participants, not their names"
    )
    motivation: str = Field(max_length=5000)
    theme: str | None = Field(None, description="Requested theme, for a custom training")
    submitted_at: datetime
