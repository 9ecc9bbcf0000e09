"""What a partner may read about a person, per legal basis. Pure rules, no I/O.

The OCMW basis follows the integration decree (art. 20 §7) and the VVSG protocol: a municipality
learns, of its own inhabitants only, their name and INSZ. Whether a contract was signed or an
attest issued it learns from trajecten's thin notifications (`trajectory.opened`,
`trajectory.completed`), not from here. A basis not listed here gives no person resource.
"""

from typing import Any

from intake.domain.person import Person

OCMW = "ocmw-maatschappelijke-integratie"

PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    OCMW: ("given_name", "family_name", "insz"),
}


class NotDisclosed(Exception):
    """The basis gives no access to persons at intake."""

    def __init__(self, basis: str) -> None:
        super().__init__(f"rechtsgrond '{basis}' geeft geen toegang tot personen")
        self.basis = basis


def in_scope(person: Person, partner_municipality: str | None) -> bool:
    """A municipality's partner sees its own inhabitants, and nobody erased."""
    return (
        partner_municipality is not None
        and person.erased_at is None
        and person.municipality_nis == partner_municipality
    )


def disclosed(person: Person, basis: str) -> dict[str, Any]:
    """The fields the basis allows, and nothing else."""
    fields = PERSON_FIELDS.get(basis)
    if fields is None:
        raise NotDisclosed(basis)
    return {"id": person.id, "legal_basis": basis} | {f: getattr(person, f) for f in fields}
