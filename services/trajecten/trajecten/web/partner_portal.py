"""The partner portal (Dutch, /partner, role partner): a partner organisation's own webhook
subscriptions, their delivery log, resends and replays, test events, its operational contact,
the legal bases it receives under and its client credentials. The organisation's staff sign in
at the same OpenID provider as the agency's (role partner, the organisation as ``org`` claim)
and act with what the organisation's active clients may, read at the issuer with their own
token; scripts may instead send a partner client's token. The forms call the same use cases as
the partner API, so the same scopes, legal bases and data scope apply; a refusal re-renders the
page with the reason."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civic_common.api.app import uow
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.web.pages import page_principal, page_templates
from trajecten.adapters.partner_clients import OwnClients
from trajecten.app import alerts, delivery, discovery, partner_staff
from trajecten.app import subscription_controls as controls
from trajecten.app import subscriptions as use
from trajecten.domain.subscriptions import FORMATS, Filters

_signed_in = page_principal("partner")
WRITE = "trajecten.subscriptions:write"


def _own_clients(request: Request) -> OwnClients:
    clients: OwnClients = request.app.state.own_partner_clients
    return clients


def _session_token(request: Request, principal: Principal) -> str | None:
    """The access token of a staff member signed in at the provider; None for a partner client
    (its token, sent or kept in a page session, carries its scopes: a person's never does)."""
    session = getattr(request.state, "session", None)
    if session is None or principal.scopes:
        return None
    token: str = session.tokens.access_token
    return token


async def _partner_user(
    request: Request, principal: Annotated[Principal, Depends(_signed_in)]
) -> Principal:
    """A partner organisation that may manage subscriptions, like the API: a partner client's
    token as it is, or a staff member signed in at the provider acting for their organisation."""
    token = _session_token(request, principal)
    request.state.partner_clients = None
    if token is not None:
        principal, clients = await partner_staff.acting_for_organisation(
            _own_clients(request), principal, token
        )
        request.state.partner_clients = clients
        request.state.partner_staff_token = token
        if WRITE not in principal.scopes:
            raise Problem(
                403,
                "Geen toegang",
                f"Geen actieve client van {principal.organisation} heeft de scope {WRITE}; "
                "vraag de beheerder er een te registreren.",
            )
    if WRITE not in principal.scopes:
        raise Problem(403, "Geen toegang", f"Het token mist de scope {WRITE}.")
    return principal


_partner_user.civic_roles = frozenset({"partner"})  # type: ignore[attr-defined]
PartnerUser = Annotated[Principal, Depends(_partner_user)]
Work = Annotated[UnitOfWork, Depends(uow)]

STATUS = {
    "active": "actief",
    "paused": "gepauzeerd",
    "disabled": "uitgeschakeld na mislukte pogingen",
    "suspended": "geschorst door de beheerder",
    "revoked": "ingetrokken (client ingetrokken)",
    "basis_withdrawn": "rechtsgrond ingetrokken",
    "basis_expired": "rechtsgrond verlopen",
}
DELIVERY_STATUS = {
    "pending": "wacht",
    "delivered": "afgeleverd",
    "dead": "opgegeven",
    "cancelled": "geannuleerd",
}
FORMAT_LABELS = {
    "standard-webhooks": "Standard Webhooks (JSON)",
    "cloudevents-binary": "CloudEvents, binaire modus",
    "cloudevents-structured": "CloudEvents, gestructureerde modus",
}


def _message(problem: Problem) -> str:
    errors = getattr(problem, "extra", {}).get("errors") or []
    details = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return f"{problem.detail} {details}".strip() if details else str(problem.detail)


def install(app: FastAPI, own_clients: OwnClients, rules: use.EdgeRules) -> None:
    """``own_clients``: where the portal reads and rotates a signed-in organisation's clients;
    ``rules``: the partner edge's, as the API uses them."""
    app.state.own_partner_clients = own_clients
    templates = page_templates(Path(__file__).parent / "templates", "Partnerportaal")
    router = APIRouter(include_in_schema=False)
    common = {
        "status_labels": STATUS,
        "delivery_labels": DELIVERY_STATUS,
        "format_labels": FORMAT_LABELS,
        "formats": FORMATS,
    }

    async def overview(
        request: Request,
        principal: Principal,
        work: UnitOfWork,
        error: str | None = None,
        status_code: int = 200,
        melding: str = "",
        client_secret: dict[str, Any] | None = None,
    ) -> Response:
        items, _ = await use.list_page(work, principal, rules, None, 100)
        granted = set(principal.legal_bases)
        bases = [b for b in discovery.bases()["items"] if b["code"] in granted]
        return templates.TemplateResponse(
            request,
            "partner/overview.html",
            common
            | {
                "subscriptions": items,
                "bases": bases,
                "contact": await alerts.get_contact(work, principal),
                "sent_alerts": await alerts.notifications_of(work, principal, 10),
                "allowed_types": sorted({t for b in bases for t in b["event_types"]}),
                "error": error,
                "melding": melding,
                "organisation": principal.organisation or principal.subject,
                "clients": getattr(request.state, "partner_clients", None),
                "client_secret": client_secret,
            },
            status_code=status_code,
        )

    async def detail(
        request: Request,
        principal: Principal,
        work: UnitOfWork,
        subscription_id: UUID,
        error: str | None = None,
        status_code: int = 200,
        secret: str | None = None,
        melding: str = "",
    ) -> Response:
        try:
            sub = await use.get(work, principal, rules, subscription_id)
        except Problem:
            return templates.TemplateResponse(request, "partner/missing.html", {}, status_code=404)
        log, _ = await delivery.delivery_log(
            work, subscription_id, None, None, 100, newest_first=True
        )
        return templates.TemplateResponse(
            request,
            "partner/subscription.html",
            common
            | {
                "sub": sub,
                "log": log,
                "error": error,
                "secret": secret,
                "melding": melding,
                "now": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"),
            },
            status_code=status_code,
        )

    def back(subscription_id: UUID, melding: str) -> Response:
        return RedirectResponse(
            f"/partner/abonnementen/{subscription_id}?melding={quote(melding)}", status_code=303
        )

    @router.get("/partner", response_class=HTMLResponse)
    async def overview_page(
        request: Request, principal: PartnerUser, work: Work, melding: str = ""
    ) -> Response:
        async with work:
            return await overview(request, principal, work, melding=melding)

    @router.post("/partner/abonnementen")
    async def create_page(
        request: Request,
        principal: PartnerUser,
        work: Work,
        endpoint_url: Annotated[str, Form(max_length=2000)] = "",
        event_types: Annotated[list[str] | None, Form()] = None,
        legal_basis: Annotated[str, Form(max_length=100)] = "",
        format: Annotated[str, Form(max_length=50)] = FORMATS[0],
    ) -> Response:
        wish = use.Wish(tuple(event_types or ()), legal_basis or None, Filters())
        clients = getattr(request.state, "partner_clients", None)
        async with work:
            try:
                client_id = None
                if clients is not None:  # staff: the subscription belongs to one of its clients
                    client_id = partner_staff.subscribing_client(
                        clients, use.granted_basis(wish, principal), wish.event_types, WRITE
                    )
                created = await use.create(
                    work, principal, rules, endpoint_url, wish, format, client_id
                )
            except Problem as exc:
                return await overview(request, principal, work, _message(exc), exc.status)
            return await detail(
                request,
                principal,
                work,
                UUID(created["id"]),
                secret=created["secret"],
                melding="Abonnement aangemaakt.",
            )

    @router.get("/partner/abonnementen/{subscription_id}", response_class=HTMLResponse)
    async def subscription_page(
        request: Request,
        subscription_id: UUID,
        principal: PartnerUser,
        work: Work,
        melding: str = "",
    ) -> Response:
        async with work:
            return await detail(request, principal, work, subscription_id, melding=melding)

    async def act(
        request: Request,
        principal: Principal,
        work: UnitOfWork,
        subscription_id: UUID,
        action: Any,
        done: str,
    ) -> Response:
        async with work:
            try:
                await action()
            except Problem as exc:
                return await detail(
                    request, principal, work, subscription_id, _message(exc), exc.status
                )
        return back(subscription_id, done)

    @router.post("/partner/abonnementen/{subscription_id}/eindpunt")
    async def endpoint_page(
        request: Request,
        subscription_id: UUID,
        principal: PartnerUser,
        work: Work,
        endpoint_url: Annotated[str, Form(max_length=2000)] = "",
        format: Annotated[str, Form(max_length=50)] = "",
    ) -> Response:
        async def run() -> None:
            current = await use.get(work, principal, rules, subscription_id)
            if endpoint_url and endpoint_url != current["endpoint_url"]:
                await controls.change_endpoint(
                    work, principal, rules, subscription_id, endpoint_url
                )
            if format and format != current["format"]:
                await controls.change_format(work, principal, rules, subscription_id, format)

        return await act(request, principal, work, subscription_id, run, "Eindpunt bewaard.")

    @router.post("/partner/abonnementen/{subscription_id}/pauzeren")
    async def pause_page(
        request: Request, subscription_id: UUID, principal: PartnerUser, work: Work
    ) -> Response:
        async def run() -> None:
            await controls.pause(work, principal, rules, subscription_id)

        return await act(request, principal, work, subscription_id, run, "Gepauzeerd.")

    @router.post("/partner/abonnementen/{subscription_id}/hervatten")
    async def resume_page(
        request: Request, subscription_id: UUID, principal: PartnerUser, work: Work
    ) -> Response:
        async def run() -> None:
            current = await use.get(work, principal, rules, subscription_id)
            if current["status"] == "disabled":
                await use.enable(work, principal, rules, subscription_id)
            else:
                await controls.resume(work, principal, rules, subscription_id)

        return await act(request, principal, work, subscription_id, run, "Hervat.")

    @router.post("/partner/abonnementen/{subscription_id}/geheim")
    async def rotate_page(
        request: Request, subscription_id: UUID, principal: PartnerUser, work: Work
    ) -> Response:
        async with work:
            try:
                rotated = await use.rotate_secret(work, principal, rules, subscription_id)
            except Problem as exc:
                return await detail(
                    request, principal, work, subscription_id, _message(exc), exc.status
                )
            return await detail(
                request,
                principal,
                work,
                subscription_id,
                secret=rotated["secret"],
                melding="Nieuw geheim aangemaakt.",
            )

    @router.post("/partner/abonnementen/{subscription_id}/testbericht")
    async def test_event_page(
        request: Request,
        subscription_id: UUID,
        principal: PartnerUser,
        work: Work,
        event_type: Annotated[str, Form(max_length=200)] = "",
        test_endpoint_url: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        async def run() -> None:
            await controls.send_test_event(
                work,
                principal,
                rules,
                subscription_id,
                event_type,
                test_endpoint_url.strip() or None,
            )

        return await act(request, principal, work, subscription_id, run, "Testbericht verstuurd.")

    @router.post("/partner/abonnementen/{subscription_id}/opnieuw")
    async def resend_page(
        request: Request,
        subscription_id: UUID,
        principal: PartnerUser,
        work: Work,
        status: Annotated[str, Form(max_length=20)] = "dead",
        delivery_id: Annotated[str, Form(max_length=40)] = "",
    ) -> Response:
        async def run() -> None:
            await use.own(work, principal, subscription_id)
            ids = None
            if delivery_id:
                try:
                    ids = [UUID(delivery_id)]
                except ValueError:
                    raise Problem(422, "Ongeldige invoer", "Onbekende aflevering.") from None
            await delivery.resend(work, [subscription_id], ids, delivery.statuses_for(status))

        return await act(
            request, principal, work, subscription_id, run, "Opnieuw in de wachtrij gezet."
        )

    @router.post("/partner/abonnementen/{subscription_id}/herspelen")
    async def replay_page(
        request: Request,
        subscription_id: UUID,
        principal: PartnerUser,
        work: Work,
        van: Annotated[str, Form(max_length=40)] = "",
        tot: Annotated[str, Form(max_length=40)] = "",
    ) -> Response:
        async def run() -> None:
            try:
                since = datetime.fromisoformat(van).replace(tzinfo=UTC)
                until = datetime.fromisoformat(tot).replace(tzinfo=UTC)
            except ValueError:
                raise Problem(
                    422, "Ongeldige invoer", "Geef een begin en einde (datum en uur, UTC)."
                ) from None
            await controls.replay(work, principal, rules, subscription_id, since, until)

        return await act(
            request, principal, work, subscription_id, run, "Periode opnieuw in de wachtrij."
        )

    @router.post("/partner/clients/{client_id}/geheim")
    async def rotate_client_page(
        request: Request,
        client_id: Annotated[str, PathParam(max_length=200)],
        principal: PartnerUser,
        work: Work,
    ) -> Response:
        """A new secret for one of the organisation's clients, shown this once."""
        token = getattr(request.state, "partner_staff_token", None)
        async with work:
            if token is None:
                return await overview(
                    request,
                    principal,
                    work,
                    "Clientgeheimen beheert u na aanmelden als medewerker (via /aanmelden), "
                    "niet met het token van een client.",
                    409,  # the door let it in: it is the way of signing in that does not fit
                )
            try:
                rotated = await partner_staff.rotate_client_secret(
                    _own_clients(request), token, client_id
                )
                (
                    principal,
                    request.state.partner_clients,
                ) = await partner_staff.acting_for_organisation(
                    _own_clients(request), principal, token
                )
            except Problem as exc:
                return await overview(request, principal, work, _message(exc), exc.status)
            return await overview(
                request,
                principal,
                work,
                melding="Nieuw clientgeheim aangemaakt.",
                client_secret=rotated,
            )

    @router.post("/partner/contact")
    async def contact_page(
        request: Request,
        principal: PartnerUser,
        work: Work,
        email: Annotated[str, Form(max_length=254)] = "",
        webhook_url: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        async with work:
            try:
                await alerts.set_contact(
                    work, principal, rules, email.strip() or None, webhook_url.strip() or None
                )
            except Problem as exc:
                return await overview(request, principal, work, _message(exc), exc.status)
        return RedirectResponse(
            f"/partner?melding={quote('Contactgegevens bewaard.')}", status_code=303
        )

    app.include_router(router)
