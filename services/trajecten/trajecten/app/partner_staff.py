"""Use cases of a partner organisation's staff signed in at the OpenID provider: acting for
their organisation in the portal with exactly what its active clients may, and rotating a
client's secret. The issuer answers with the staff member's own token and keeps to their
organisation; nothing of a client is kept here."""

from dataclasses import replace
from typing import Any

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from trajecten.adapters.partner_clients import IssuerRefused, IssuerUnavailable, OwnClients
from trajecten.domain.subscriptions import event_scope, organisation_grant

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


def subscribing_client(
    clients: list[dict[str, Any]], legal_basis: str, event_types: tuple[str, ...], write: str
) -> str:
    """The organisation's active client a subscription made in the portal belongs to: the
    oldest one holding its legal basis and every scope it needs, as if that client's software
    had made it (so revoking the client, or withdrawing the basis, stops it the same way)."""
    needed = {write} | {event_scope(t) for t in event_types}
    for client in clients:
        if (
            client.get("revoked_at") is None
            and legal_basis in (client.get("legal_bases") or [])
            and needed <= set(client.get("allowed_scopes") or [])
        ):
            return str(client["client_id"])
    raise Problem(
        403,
        "Geen toegang",
        f"Geen actieve client van uw organisatie heeft rechtsgrond {legal_basis} samen met de "
        "scopes voor deze gebeurtenistypes; vraag de beheerder een client die ze heeft.",
    )


async def rotate_client_secret(clients: OwnClients, token: str, client_id: str) -> dict[str, Any]:
    """A new secret for one of the organisation's clients (shown once by the caller); the old
    one keeps working for the issuer's grace period."""
    try:
        return await clients.rotated(token, client_id)
    except IssuerUnavailable:
        raise Problem(503, "Niet beschikbaar", UNAVAILABLE) from None
    except IssuerRefused as exc:
        raise Problem(exc.status, "Geweigerd", exc.detail) from None
