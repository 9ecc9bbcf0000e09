"""Use cases of a partner organisation's staff signed in at the OpenID provider: acting for
their organisation in the portal with exactly what its active clients may, and rotating a
client's secret. The issuer answers with the staff member's own token and keeps to their
organisation; nothing of a client is kept here."""

from dataclasses import replace
from typing import Any

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from trajecten.adapters.partner_clients import IssuerRefused, IssuerUnavailable, OwnClients
from trajecten.domain.subscriptions import organisation_grant

UNAVAILABLE = "De uitgever van de partnerclients antwoordt niet. Probeer het zo opnieuw."


async def acting_for_organisation(
    clients: OwnClients, signed_in: Principal, token: str
) -> tuple[Principal, list[dict[str, Any]]]:
    """The signed-in staff member as their organisation acts: its active clients' scopes and
    legal bases, their municipality (never the person's own claim); with the clients."""
    try:
        found = await clients.listed(token)
    except IssuerUnavailable:
        raise Problem(503, "Niet beschikbaar", UNAVAILABLE) from None
    except IssuerRefused as exc:
        raise Problem(403, "Geen toegang", exc.detail) from None
    grant = organisation_grant(found)
    acting = replace(
        signed_in,
        scopes=grant.scopes,
        legal_bases=grant.legal_bases,
        municipality=grant.municipality,
    )
    return acting, found


async def rotate_client_secret(clients: OwnClients, token: str, client_id: str) -> dict[str, Any]:
    """A new secret for one of the organisation's clients (shown once by the caller); the old
    one keeps working for the issuer's grace period."""
    try:
        return await clients.rotated(token, client_id)
    except IssuerUnavailable:
        raise Problem(503, "Niet beschikbaar", UNAVAILABLE) from None
    except IssuerRefused as exc:
        raise Problem(exc.status, "Geweigerd", exc.detail) from None
