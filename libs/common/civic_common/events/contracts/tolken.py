"""Events published by tolken. Thin: ids, language, modality and times; never names."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from civic_common.events.contracts.base import EventData

Tier = Literal["certified", "aspirant", "language_assistant"]
Modality = Literal["on_site", "phone", "video"]
RequestKind = Literal["interpreting", "translation"]


class InterpreterRecorded(EventData):
    event_type = "tolken.interpreter.recorded.v1"
    topic = "tolken.interpreters"
    summary = (
        "An interpreter was registered or changed: a snapshot of what matching and reporting "
        "need (tier, languages paired with Dutch, modalities), without name or contact details."
    )

    interpreter_id: UUID
    tier: Tier
    languages: list[str] = Field(description="ISO 639 codes, each paired with Dutch")
    modalities: list[Modality]
    regions: list[str]
    certificate_valid_until: date | None = None
    active: bool


class RequestReceived(EventData):
    event_type = "tolken.request.received.v1"
    topic = "tolken.requests"
    summary = (
        "An interpreting or translation request was received, from an organisation or "
        "automatically for a trajectory appointment."
    )

    request_id: UUID
    kind: RequestKind
    organisation: str
    language: str
    modality: Modality | None = Field(None, description="None for a translation")
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    deadline: datetime | None = Field(None, description="For a translation")
    subject_category: str
    urgent: bool
    person_id: UUID | None = None
    appointment_id: UUID | None = None
    received_at: datetime


class RequestOffered(EventData):
    event_type = "tolken.request.offered.v1"
    topic = "tolken.requests"
    summary = "The request was offered to an interpreter, who must answer before answer_by."

    request_id: UUID
    offer_id: UUID
    interpreter_id: UUID
    language: str
    modality: Modality | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    answer_by: datetime


class OfferAccepted(EventData):
    event_type = "tolken.request.accepted.v1"
    topic = "tolken.requests"
    summary = "The interpreter accepted the offer; the assignment follows in the same change."

    request_id: UUID
    offer_id: UUID
    interpreter_id: UUID


class OfferDeclined(EventData):
    event_type = "tolken.request.declined.v1"
    topic = "tolken.requests"
    summary = "The interpreter declined the offer, or let its answer deadline pass."

    request_id: UUID
    offer_id: UUID
    interpreter_id: UUID
    reason: Literal["declined", "expired", "withdrawn"]
    decline_reason: (
        Literal[
            "unavailable",
            "too_far",
            "conflict_of_interest",
            "subject",
            "language_variant",
            "personal",
        ]
        | None
    ) = Field(
        None,
        description="Why the interpreter declined (reason ``declined``), from a closed list; "
        "absent when they gave none (API clients before it existed) or for other reasons",
    )


class RequestAssigned(EventData):
    event_type = "tolken.request.assigned.v1"
    topic = "tolken.requests"
    summary = "An interpreter is booked for the request (after an accepted offer or by the desk)."

    request_id: UUID
    assignment_id: UUID
    interpreter_id: UUID
    language: str
    modality: Modality | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    deadline: datetime | None = None
    by_desk: bool = Field(description="True when the desk assigned directly (override)")


class RequestCompleted(EventData):
    event_type = "tolken.request.completed.v1"
    topic = "tolken.requests"
    summary = "The assignment took place; actual_minutes is what is paid."

    request_id: UUID
    interpreter_id: UUID
    actual_minutes: int = Field(ge=0)
    completed_at: datetime


class RequestCancelled(EventData):
    event_type = "tolken.request.cancelled.v1"
    topic = "tolken.requests"
    summary = (
        "The request was cancelled. billable is true when it was cancelled too late (fewer "
        "Belgian working days before the start than the configured minimum)."
    )

    request_id: UUID
    interpreter_id: UUID | None = None
    billable: bool
    cancelled_at: datetime


class RequestUnfulfilled(EventData):
    event_type = "tolken.request.unfulfilled.v1"
    topic = "tolken.requests"
    summary = "No interpreter could be found before the start or deadline."

    request_id: UUID
    language: str
    modality: Modality | None = None
    reason: str = Field(
        description="no_candidate or by_desk (the desk's own words stay in tolken); events "
        "before 2026-12 may hold free text"
    )
