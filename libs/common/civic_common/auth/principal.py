"""Who is calling: taken from a validated token's claims."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    organisation: str | None = None
    municipality: str | None = None
    scopes: frozenset[str] = frozenset()  # OAuth2 scopes of a partner client's token
    legal_bases: frozenset[str] = frozenset()  # the bases granted to a partner client

    def primary_role(self) -> str:
        return min(self.roles) if self.roles else ""


# A process acting on its own behalf (an event consumer), for audit records.
SYSTEM = Principal(subject="system", roles=frozenset({"system"}))
