"""Whether an organisation's candidacy meets the call's conditions. Pure: no I/O.

The conditions are configuration (``reference/candidacy_eligibility.yaml``). Intake only advises:
the counter sees which conditions are not met; trajecten decides and selects.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

CandidacyKind = Literal["learning_and_coaching", "custom_training"]
ParticipantRole = Literal["manager", "diversity_officer", "staff_member", "other"]
ROLE_LABELS = {
    "manager": "leidinggevende",
    "diversity_officer": "stafmedewerker diversiteit",
    "staff_member": "medewerker",
    "other": "andere",
}


@dataclass(frozen=True)
class Check:
    rule: str
    met: bool
    reason: str


@dataclass(frozen=True)
class Eligibility:
    version: str
    eligible: bool
    checks: tuple[Check, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "eligible": self.eligible,
            "checks": [vars(check) for check in self.checks],
        }


def assess(
    config: Mapping[str, Any],
    kind: str,
    organisation_type: str,
    staff_size: int,
    participant_roles: Sequence[str],
) -> Eligibility:
    rules = config[kind]
    checks = [
        Check(
            "min_staff",
            staff_size >= rules["min_staff"],
            f"Minstens {rules['min_staff']} medewerkers (nu {staff_size}).",
        )
    ]
    if rules["organisation_types"]:
        checks.append(
            Check(
                "organisation_type",
                organisation_type in rules["organisation_types"],
                "Bedoeld voor zorg- en welzijnsorganisaties.",
            )
        )
    if rules["required_roles_any"]:
        wanted = ", ".join(ROLE_LABELS[r] for r in rules["required_roles_any"])
        checks.append(
            Check(
                "participant_roles",
                any(role in rules["required_roles_any"] for role in participant_roles),
                f"Minstens één deelnemer is {wanted}.",
            )
        )
    # Encouraged, not required: shown, but it does not make a candidacy ineligible.
    recommended = Check(
        "recommended_participants",
        len(participant_roles) >= rules["recommended_participants"],
        f"Aanbevolen: {rules['recommended_participants']} deelnemers per organisatie.",
    )
    eligible = all(check.met for check in checks)
    return Eligibility(str(config["version"]), eligible, (*checks, recommended))
