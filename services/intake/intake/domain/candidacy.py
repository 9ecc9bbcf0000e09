"""What intake records of an organisation's candidacy. Pure: no I/O.

Intake decides no eligibility: trajecten owns that rule (its ``GET /calls/{id}/eligibility``)
and intake keeps and shows what trajecten decided (docs/architecture.md)."""

from typing import Literal

from civic_common.events.contracts.intake import ParticipantRole

CandidacyKind = Literal["learning_and_coaching", "custom_training"]
ROLE_LABELS: dict[ParticipantRole, str] = {
    "manager": "leidinggevende",
    "diversity_officer": "stafmedewerker diversiteit",
    "staff_member": "medewerker",
    "other": "andere",
}


class UnknownCall(LookupError):
    """Trajecten knows no call with this id."""


class EligibilityUnavailable(Exception):
    """Trajecten could not be asked for its decision (not configured, down, too slow)."""
