"""Which agency's trajectories a caller sees (pure: roles and the token's org claim in).

The city agencies (AgII, Atlas, IN-Gent, Brussel Onthaal) share the platform as separate
organisations: a trajectory belongs to one agency, and its counter and counsellor staff see only
their own agency's. Admins see every agency's. A trajectory without an agency (opened from an
event that named none) is visible to admins only: fail-closed.

Partners and the system (event handlers, timers) are no agency's staff: their data scope is
checked where they come in (the partner edge's legal bases and claims), not here.
"""

from dataclasses import dataclass

AGENCY_STAFF = frozenset({"counter", "counsellor"})
EVERY_AGENCY_ROLES = frozenset({"admin"})
UNSCOPED_ROLES = frozenset({"partner", "system"})


class NoAgency(Exception):
    """A staff token that names no agency (no ``org`` claim): it may see nothing."""

    def __init__(self) -> None:
        super().__init__("Het token noemt geen agentschap (org).")


@dataclass(frozen=True)
class Visibility:
    """``agencies`` None: every agency's trajectories; else only those of the agencies named
    (an empty set: none at all)."""

    agencies: frozenset[str] | None

    def sees(self, agency: str | None) -> bool:
        return self.agencies is None or (agency is not None and agency in self.agencies)


EVERY_AGENCY = Visibility(None)
NOTHING = Visibility(frozenset())


def agency_code(organisation: str | None) -> str:
    """The agency an org claim names, as trajectories store it (lower case)."""
    code = (organisation or "").strip().lower()
    if not code:
        raise NoAgency()
    return code


def visibility(roles: frozenset[str], organisation: str | None) -> Visibility:
    """Admins see every agency (as in intake, whatever their org claim); counter and counsellor
    staff only their own, which their token must name (NoAgency otherwise). Partners and the
    system are not limited here (their scope is checked where they come in); any other role
    sees nothing."""
    if roles & EVERY_AGENCY_ROLES:
        return EVERY_AGENCY
    if roles & AGENCY_STAFF:
        return Visibility(frozenset({agency_code(organisation)}))
    if roles & UNSCOPED_ROLES:
        return EVERY_AGENCY
    return NOTHING
