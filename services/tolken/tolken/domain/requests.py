"""Interpreting and translation requests and their lifecycle. Pure: no I/O.

received -> offered -> (accepted -> assigned | declined -> offered/received)
assigned -> completed | cancelled; any open state -> cancelled | unfulfilled.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from tolken.domain.calendar import cancellation_is_billable
from tolken.domain.interpreters import BRUSSELS, Modality


class Kind(StrEnum):
    INTERPRETING = "interpreting"
    TRANSLATION = "translation"  # documents, with a deadline instead of a slot


class Status(StrEnum):
    RECEIVED = "received"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    UNFULFILLED = "unfulfilled"


OPEN = frozenset({Status.RECEIVED, Status.OFFERED})


class UnfulfilledCode(StrEnum):
    """Why a request went unfulfilled, as its event says it."""

    NO_CANDIDATE = "no_candidate"  # nobody accepted before the start or deadline
    BY_DESK = "by_desk"  # the desk gave up on it; its words stay on the request


class DeclineReason(StrEnum):
    """Why an interpreter declined an offer: a closed list, so no free text reaches an event
    (the code travels in ``tolken.request.declined.v1``; the desk reads the Dutch words)."""

    UNAVAILABLE = "unavailable"
    TOO_FAR = "too_far"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    SUBJECT = "subject"
    LANGUAGE_VARIANT = "language_variant"
    PERSONAL = "personal"


DECLINE_REASON_NL = {
    DeclineReason.UNAVAILABLE: "Ik ben op dat moment toch niet beschikbaar",
    DeclineReason.TOO_FAR: "De plaats is te ver of niet bereikbaar",
    DeclineReason.CONFLICT_OF_INTEREST: "Ik ken de persoon of heb een belangenconflict",
    DeclineReason.SUBJECT: "Het onderwerp ligt buiten wat ik kan tolken",
    DeclineReason.LANGUAGE_VARIANT: "Ik beheers deze taalvariant of dit dialect niet",
    DeclineReason.PERSONAL: "Persoonlijke redenen",
}


class TransitionRefused(Exception):
    """The request is not in a state that allows this step."""


class NotStartedYet(Exception):
    """An interpreting assignment is completed only once it has started."""

    def __init__(self, starts_at: datetime) -> None:
        super().__init__(f"begint pas op {starts_at.astimezone(BRUSSELS):%d/%m/%Y %H:%M}")
        self.starts_at = starts_at


@dataclass(frozen=True)
class Place:
    municipality_nis: str
    address: str | None
    latitude: float
    longitude: float
    region: str


@dataclass(frozen=True)
class Request:
    id: UUID
    kind: Kind
    organisation: str
    language: str
    subject_category: str
    urgent: bool
    received_at: datetime
    modality: Modality | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    deadline: datetime | None = None
    place: Place | None = None
    person_id: UUID | None = None
    appointment_id: UUID | None = None
    status: Status = Status.RECEIVED
    interpreter_id: UUID | None = None
    unfulfilled_reason: str | None = None
    cancelled_at: datetime | None = None
    billable: bool | None = None
    actual_minutes: int | None = None
    version: int = 1

    @property
    def day(self) -> date:
        """The day the certificate must be valid on: the assignment's or the deadline's."""
        moment = self.starts_at or self.deadline
        assert moment is not None
        return moment.astimezone(BRUSSELS).date()

    @property
    def begins(self) -> datetime:
        """When it is too late to find someone: the start, or a translation's deadline."""
        moment = self.starts_at or self.deadline
        assert moment is not None
        return moment

    def _step(self, allowed: frozenset[Status], to: Status, **changes: object) -> "Request":
        if self.status not in allowed:
            raise TransitionRefused(f"{self.status} -> {to}")
        return replace(self, status=to, version=self.version + 1, **changes)

    def touched(self) -> "Request":
        """A new version without a status change (an offer answered), for event order."""
        return replace(self, version=self.version + 1)

    def offered(self) -> "Request":
        return self._step(OPEN, Status.OFFERED)

    def reopened(self) -> "Request":
        """The cascade ran out of candidates: back in the desk's queue."""
        return self._step(OPEN, Status.RECEIVED)

    def assigned(self, interpreter_id: UUID) -> "Request":
        return self._step(OPEN, Status.ASSIGNED, interpreter_id=interpreter_id)

    def completed(self, actual_minutes: int, at: datetime) -> "Request":
        """Done and its minutes known: for interpreting, not before it started (a translation
        may be delivered before its deadline)."""
        if self.kind is Kind.INTERPRETING and self.starts_at is not None and at < self.starts_at:
            raise NotStartedYet(self.starts_at)
        return self._step(
            frozenset({Status.ASSIGNED}), Status.COMPLETED, actual_minutes=actual_minutes
        )

    def cancellation_billable(self, at: datetime, free_working_days: int) -> bool:
        """Whether cancelling at ``at`` is billed: an assigned request, fewer working days
        before its day than the free period."""
        return self.status is Status.ASSIGNED and cancellation_is_billable(
            at.astimezone(BRUSSELS).date(), self.day, free_working_days
        )

    def cancelled(self, at: datetime, free_working_days: int) -> "Request":
        billable = self.cancellation_billable(at, free_working_days)
        return self._step(
            OPEN | {Status.ASSIGNED}, Status.CANCELLED, cancelled_at=at, billable=billable
        )

    def unfulfilled(self, reason: str) -> "Request":
        return self._step(OPEN, Status.UNFULFILLED, unfulfilled_reason=reason)
