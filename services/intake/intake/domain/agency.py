"""Which agency's persons a staff member sees. Pure: no I/O, no framework.

AgII and the city agencies (Atlas, IN-Gent, Brussel Onthaal, …) share the platform as separate
organisations: a person's case belongs to the agency that registered it, and counter staff and
counsellors see only their own agency's persons. Platform operators (admin) see every agency.
"""

import re
from collections.abc import Set
from dataclasses import dataclass

# An agency code as in staff tokens' org claim, lower case (the events' AgencyCode).
AGENCY_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# Roles that see persons of every agency.
ALL_AGENCY_ROLES = frozenset({"admin"})


class NoAgency(Exception):
    """The caller's token names no (valid) agency, so no person can be shown to them."""


def agency_code(organisation: str | None) -> str | None:
    """The agency code of an org claim (lower-cased), or None when it is missing or no code."""
    code = (organisation or "").strip().lower()
    return code if AGENCY_CODE.fullmatch(code) else None


@dataclass(frozen=True)
class Visibility:
    """The persons a caller sees: those of ``agency``, or of every agency when it is None."""

    agency: str | None

    def admits(self, person_agency: str) -> bool:
        return self.agency is None or self.agency == person_agency


def own_agency(organisation: str | None) -> str:
    """The agency a staff member works for; a case they register belongs to it."""
    code = agency_code(organisation)
    if code is None:
        raise NoAgency("Het token noemt geen agentschap (org).")
    return code


def visibility(roles: Set[str], organisation: str | None) -> Visibility:
    """Admins see every agency; anyone else only the agency of their token's org claim."""
    if roles & ALL_AGENCY_ROLES:
        return Visibility(None)
    return Visibility(own_agency(organisation))


def transfer_refusal(current: str, target: str) -> str | None:
    """Why a case cannot move from agency ``current`` to ``target`` (Dutch), or None."""
    if not AGENCY_CODE.fullmatch(target):
        return "Geef de code van een agentschap in kleine letters (bv. atlas, in-gent)."
    if target == current:
        return "De persoon hoort al bij dit agentschap."
    return None
