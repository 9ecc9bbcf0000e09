"""The partner edge for subscribers: subscriptions, the delivery log, resends, the pull feed and
the sandbox (/partners/v1, role partner with scopes), and the admin's view (/api/v1)."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from civic_common.api.app import uow
from civic_common.api.guard import GuardedModel, line
from civic_common.api.idempotency import idempotent
from civic_common.api.paging import CursorParam, Page, after_cursor, cursor_after
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_partner_scope, require_roles
from civic_common.db.uow import UnitOfWork
from trajecten.app import delivery
from trajecten.app import subscriptions as use
from trajecten.domain.subscriptions import Filters

router = APIRouter(prefix="/partners/v1", tags=["partner subscriptions"])
admin_router = APIRouter(prefix="/api/v1", tags=["partner deliveries"])
Work = Annotated[UnitOfWork, Depends(uow)]


def edge_rules(request: Request) -> use.EdgeRules:
    """The partner edge's rules, set by the composition root (``main.build_app``)."""
    rules: use.EdgeRules = request.app.state.edge_rules
    return rules


Rules = Annotated[use.EdgeRules, Depends(edge_rules)]
_admin = require_roles("admin")
WRITE = "trajecten.subscriptions:write"
FEED = "trajecten.feed:read"


Writer = Annotated[Principal, Depends(require_partner_scope(WRITE))]
Reader = Annotated[Principal, Depends(require_partner_scope(FEED))]
Admin = Annotated[Principal, Depends(_admin)]


Code = line(100, min_length=1)


class FiltersIn(GuardedModel):
    municipalities: list[Code] = Field(default_factory=list, max_length=400)  # type: ignore[valid-type]
    kinds: list[Code] = Field(default_factory=list, max_length=20)  # type: ignore[valid-type]


class WishIn(GuardedModel):
    event_types: list[Code] = Field(max_length=50)  # type: ignore[valid-type]
    legal_basis: Code | None = Field(  # type: ignore[valid-type]
        None, description="One of the client's granted bases (optional with one)"
    )
    filters: FiltersIn = Field(default_factory=FiltersIn)

    def wish(self) -> use.Wish:
        return use.Wish(
            tuple(self.event_types),
            self.legal_basis,
            Filters(tuple(self.filters.municipalities), tuple(self.filters.kinds)),
        )


class SubscriptionIn(WishIn):
    endpoint_url: line(2000, min_length=1)  # type: ignore[valid-type]
    format: Literal["standard-webhooks", "cloudevents-binary", "cloudevents-structured"] = (
        "standard-webhooks"
    )


@router.post("/subscriptions", status_code=201)
async def create_subscription(
    request: Request, body: SubscriptionIn, principal: Writer, work: Work, rules: Rules
) -> Response:
    async def run() -> JSONResponse:
        async with work:
            created = await use.create(
                work, principal, rules, body.endpoint_url, body.wish(), body.format
            )
        return JSONResponse(
            created,
            status_code=201,
            headers={"Location": f"/partners/v1/subscriptions/{created['id']}"},
        )

    return await idempotent(request, principal, work, run)


@router.get("/subscriptions")
async def list_subscriptions(
    principal: Writer,
    work: Work,
    rules: Rules,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[dict[str, Any]]:
    after = cursor_after(cursor, UUID)
    async with work:
        items, last = await use.list_page(work, principal, rules, after, limit)
    return Page(items=items, next_cursor=after_cursor(last))


@router.get("/subscriptions/{subscription_id}")
async def get_subscription(
    subscription_id: UUID, principal: Writer, work: Work, rules: Rules
) -> dict[str, Any]:
    async with work:
        return await use.get(work, principal, rules, subscription_id)


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def delete_subscription(subscription_id: UUID, principal: Writer, work: Work) -> Response:
    async with work:
        await use.delete(work, principal, subscription_id)
    return Response(status_code=204)


@router.post("/subscriptions/{subscription_id}/secret")
async def rotate_secret(
    subscription_id: UUID, principal: Writer, work: Work, rules: Rules
) -> dict[str, Any]:
    async with work:
        return await use.rotate_secret(work, principal, rules, subscription_id)


@router.post("/subscriptions/{subscription_id}/enable")
async def enable_subscription(
    subscription_id: UUID, principal: Writer, work: Work, rules: Rules
) -> dict[str, Any]:
    async with work:
        return await use.enable(work, principal, rules, subscription_id)


@router.get("/subscriptions/{subscription_id}/deliveries")
async def subscription_deliveries(
    subscription_id: UUID,
    principal: Writer,
    work: Work,
    status: Literal["pending", "delivered", "dead", "cancelled"] | None = None,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Page[dict[str, Any]]:
    async with work:
        await use.own(work, principal, subscription_id)
        return await _log(work, subscription_id, status, cursor, limit)


async def _log(
    work: UnitOfWork, subscription_id: UUID, status: str | None, cursor: str | None, limit: int
) -> Page[dict[str, Any]]:
    items, last = await delivery.delivery_log(
        work, subscription_id, status, cursor_after(cursor, int), limit
    )
    return Page(items=items, next_cursor=after_cursor(last))


class ResendIn(GuardedModel):
    status: Literal["dead", "delivered", "pending", "all"] = "dead"
    delivery_ids: list[UUID] | None = Field(None, max_length=1000)


@router.post("/subscriptions/{subscription_id}/resend")
async def resend_own(
    subscription_id: UUID, body: ResendIn, principal: Writer, work: Work
) -> dict[str, int]:
    """Resend one, some (delivery_ids) or all deliveries of a status of an own subscription."""
    async with work:
        await use.own(work, principal, subscription_id)
        count = await delivery.resend(
            work, [subscription_id], body.delivery_ids, delivery.statuses_for(body.status)
        )
    return {"queued": count}


@router.get("/feed")
async def feed(
    principal: Reader,
    work: Work,
    rules: Rules,
    event_types: Annotated[list[Code], Query(max_length=50)],  # type: ignore[valid-type]
    legal_basis: Annotated[Code | None, Query()] = None,  # type: ignore[valid-type]
    municipalities: Annotated[list[Code] | None, Query(max_length=400)] = None,  # type: ignore[valid-type]
    kinds: Annotated[list[Code] | None, Query(max_length=20)] = None,  # type: ignore[valid-type]
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[dict[str, Any]]:
    """The same events, filters and fields as a webhook; replayable from any cursor."""
    after = cursor_after(cursor, int) or 0
    wish = use.Wish(
        tuple(event_types), legal_basis, Filters(tuple(municipalities or ()), tuple(kinds or ()))
    )
    async with work:
        items, last = await use.events_for(work, principal, rules, wish, after, limit)
        await work.commit()  # the audit of what was read
    return Page(items=items, next_cursor=after_cursor(last))


@router.post("/subscriptions/preview")
async def preview(
    body: SubscriptionIn, principal: Writer, work: Work, rules: Rules
) -> dict[str, Any]:
    """The sandbox: the most recent events, with exactly their fields, that this subscription
    would receive; nothing is stored."""
    async with work:
        items = await use.preview(work, principal, rules, body.endpoint_url, body.wish())
        return {"items": items}


# --- admins ----------------------------------------------------------------------------------


@admin_router.get("/partner-subscriptions")
async def admin_subscriptions(
    principal: Admin,
    work: Work,
    rules: Rules,
    organisation: Annotated[str | None, Query(max_length=200)] = None,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Page[dict[str, Any]]:
    """Every organisation's subscriptions (or one organisation's), to find what to suspend."""
    async with work:
        items, last = await use.admin_page(
            work, rules, organisation, cursor_after(cursor, UUID), limit
        )
    return Page(items=items, next_cursor=after_cursor(last))


@admin_router.post("/partner-subscriptions/{subscription_id}/suspension")
async def suspend_subscription(
    subscription_id: UUID, principal: Admin, work: Work, rules: Rules
) -> dict[str, Any]:
    """Stop a partner's subscription (e.g. after revoking its client at the issuer)."""
    async with work:
        return await use.set_suspended(work, principal, rules, subscription_id, suspended=True)


@admin_router.delete("/partner-subscriptions/{subscription_id}/suspension")
async def resume_subscription(
    subscription_id: UUID, principal: Admin, work: Work, rules: Rules
) -> dict[str, Any]:
    async with work:
        return await use.set_suspended(work, principal, rules, subscription_id, suspended=False)


@admin_router.get("/partner-subscriptions/{subscription_id}/deliveries")
async def admin_deliveries(
    subscription_id: UUID,
    principal: Admin,
    work: Work,
    status: Literal["pending", "delivered", "dead", "cancelled"] | None = None,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Page[dict[str, Any]]:
    async with work:
        return await _log(work, subscription_id, status, cursor, limit)


class AdminResendIn(ResendIn):
    subscription_ids: list[UUID] | None = Field(None, max_length=1000)


@admin_router.post("/partner-deliveries/resend")
async def admin_resend(body: AdminResendIn, principal: Admin, work: Work) -> dict[str, int]:
    if body.subscription_ids is None and body.delivery_ids is None:
        raise Problem(
            422,
            "Ongeldige invoer",
            "Geef subscription_ids of delivery_ids.",
            errors=[{"field": "subscription_ids", "message": "of delivery_ids is vereist"}],
        )
    async with work:
        count = await delivery.resend(
            work, body.subscription_ids, body.delivery_ids, delivery.statuses_for(body.status)
        )
    return {"queued": count}


@admin_router.get("/persons/{person_id}/partner-recipients")
async def partner_recipients(
    person_id: UUID, principal: Admin, work: Work
) -> dict[str, list[dict[str, Any]]]:
    async with work:
        return {"items": await delivery.recipients(work, principal, person_id)}
