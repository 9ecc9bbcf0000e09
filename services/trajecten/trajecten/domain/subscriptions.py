"""Partner subscriptions: legal bases, data scope and endpoint rules. Pure, no I/O."""

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import yaml


@dataclass(frozen=True)
class LegalBasis:
    code: str
    description: str
    event_types: frozenset[str]
    fields: frozenset[str]
    valid_until: date | None = None  # the last day it allows deliveries; None: no end known

    def expired(self, today: date) -> bool:
        return self.valid_until is not None and today > self.valid_until

    def ends_within(self, today: date, days: int) -> bool:
        """Whether the basis ends within ``days`` from ``today`` (and has not ended yet)."""
        return (
            self.valid_until is not None
            and not self.expired(today)
            and (self.valid_until - today).days <= days
        )

    def strip(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Only the fields this basis allows; everything else is left out (fail-closed)."""
        return {k: v for k, v in data.items() if k in self.fields}


@dataclass(frozen=True)
class LegalBases:
    version: str
    bases: Mapping[str, LegalBasis]

    def get(self, code: str) -> LegalBasis | None:
        return self.bases.get(code)


def parse_legal_bases(raw: Mapping[str, Any]) -> LegalBases:
    bases = {
        b["code"]: LegalBasis(
            code=b["code"],
            description=" ".join(str(b.get("description", "")).split()),
            event_types=frozenset(b["event_types"]),
            fields=frozenset(b["fields"]),
            valid_until=_day(b.get("valid_until")),
        )
        for b in raw["legal_bases"]
    }
    return LegalBases(version=str(raw["version"]), bases=bases)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@cache
def legal_bases() -> LegalBases:
    text = (
        resources.files("trajecten")
        .joinpath("partner_config/legal_bases.yaml")
        .read_text(encoding="utf-8")
    )
    return parse_legal_bases(yaml.safe_load(text))


@dataclass(frozen=True)
class DataScope:
    """Whose trajectories a partner may see: an OCMW its municipality's residents, VDAB the
    people referred to it; any other partner nobody (fail-closed)."""

    municipality: str | None
    vdab: bool

    def admits(self, municipality_nis: str, vdab_referral: bool) -> bool:
        if self.municipality is not None:
            return municipality_nis == self.municipality
        if self.vdab:
            return vdab_referral
        return False


def data_scope(
    municipality_claim: str | None, organisation: str | None, vdab_organisations: Iterable[str]
) -> DataScope:
    return DataScope(
        municipality=municipality_claim or None,
        vdab=organisation is not None and organisation in set(vdab_organisations),
    )


@dataclass(frozen=True)
class Filters:
    municipalities: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @classmethod
    def of(cls, stored: Mapping[str, Iterable[str]]) -> "Filters":
        """From a subscription's stored filters; a filter not stored filters nothing (the legal
        basis and the data scope still bound what goes out)."""
        return cls(tuple(stored.get("municipalities", ())), tuple(stored.get("kinds", ())))

    def admits(self, municipality_nis: str, kind: str) -> bool:
        return (not self.municipalities or municipality_nis in self.municipalities) and (
            not self.kinds or kind in self.kinds
        )


def matches(
    event_type: str,
    event_types: Iterable[str],
    basis: LegalBasis,
    scope: DataScope,
    filters: Filters,
    municipality_nis: str,
    kind: str,
    vdab_referral: bool,
) -> bool:
    """Whether one event of one trajectory goes to a subscription: asked for, allowed by the
    legal basis, inside the partner's data scope and its filters."""
    return (
        event_type in set(event_types)
        and event_type in basis.event_types
        and scope.admits(municipality_nis, vdab_referral)
        and filters.admits(municipality_nis, kind)
    )


def event_scope(event_type: str) -> str:
    """The token scope a partner needs to ask for one event type."""
    return f"events:{event_type}"


def missing_event_scopes(event_types: Iterable[str], granted: Iterable[str]) -> list[str]:
    """The ``events:<type>`` scopes a token lacks for the event types asked, sorted; empty only
    when it carries one for every type asked. Fail-closed: no wildcard, no implied scope."""
    return sorted({event_scope(t) for t in event_types} - set(granted))


def url_problem(url: str, allow_private: bool) -> str | None:
    """Why an endpoint URL is refused before resolving it, or None."""
    if len(url) > 2000:
        return "te lang"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "geen geldige http(s)-URL"
    if parts.scheme == "http" and not allow_private:
        return "alleen https is toegelaten"
    if parts.username or parts.password:
        return "geen gebruikersnaam of wachtwoord in de URL"
    return None


def address_problem(addresses: Iterable[str], allow_private: bool) -> str | None:
    """Every address a host resolves to must be public (no SSRF into our own network)."""
    found = list(addresses)
    if not found:
        return "de host is onbekend"
    if allow_private:
        return None
    for address in found:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return f"adres {address} is niet publiek"
    return None


# How a webhook's body is shaped: Standard Webhooks' own JSON, or a CloudEvent over HTTP in
# binary mode (ce-* headers, the data as body) or structured mode (the whole event as body).
FORMATS = ("standard-webhooks", "cloudevents-binary", "cloudevents-structured")


@dataclass(frozen=True)
class RetryLimits:
    """What an operator lets a partner choose for a subscription's retry policy."""

    min_seconds: float
    max_seconds: float
    max_steps: int
    disable_min: int
    disable_max: int


def retry_policy_problems(
    schedule: Iterable[float] | None, disable_after: int | None, limits: RetryLimits
) -> list[tuple[str, str]]:
    """(field, why) for every part of a retry policy outside the operator's limits."""
    problems: list[tuple[str, str]] = []
    if schedule is not None:
        waits = list(schedule)
        if not waits or len(waits) > limits.max_steps:
            problems.append(("retry_seconds", f"1 tot {limits.max_steps} wachttijden"))
        elif any(not limits.min_seconds <= w <= limits.max_seconds for w in waits):
            problems.append(
                (
                    "retry_seconds",
                    f"elke wachttijd tussen {limits.min_seconds:g} en {limits.max_seconds:g} s",
                )
            )
    if disable_after is not None and not limits.disable_min <= disable_after <= limits.disable_max:
        problems.append(
            (
                "disable_after_failures",
                f"tussen {limits.disable_min} en {limits.disable_max}",
            )
        )
    return problems


def warn_threshold(disable_after: int, share: float) -> int:
    """After how many consecutive failures the partner is warned (before the disable)."""
    return max(1, min(disable_after - 1, round(disable_after * share))) if disable_after > 1 else 1


@dataclass(frozen=True)
class OrganisationGrant:
    """What a partner organisation's staff may do in the portal, signed in as persons."""

    scopes: frozenset[str]
    legal_bases: frozenset[str]
    municipality: str | None


def organisation_grant(clients: Iterable[Mapping[str, Any]]) -> OrganisationGrant:
    """What the organisation's active clients may, as an admin registered them at the issuer:
    the union of their scopes and legal bases (a revoked client grants nothing); its
    municipality only when every active client names the same one (otherwise none: an OCMW's
    data scope is never guessed)."""
    active = [c for c in clients if c.get("revoked_at") is None]
    municipalities = {c.get("municipality") for c in active}
    return OrganisationGrant(
        scopes=frozenset(s for c in active for s in c.get("allowed_scopes") or []),
        legal_bases=frozenset(b for c in active for b in c.get("legal_bases") or []),
        municipality=next(iter(municipalities)) if len(municipalities) == 1 else None,
    )
