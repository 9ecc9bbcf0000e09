"""Events published by intake."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from civic_common.events.contracts.base import EventData

TargetGroup = Literal["obligated", "entitled", "not_in_target_group"]
LanguageCode = str  # ISO 639 code


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
