"""The partner edge beyond create/read/delete (/partners/v1): change the endpoint or format,
pause and resume, the retry policy, test events, replays by time range, the organisation's
operational contact and the alerts sent to it, and discovery (event types, legal bases)."""

from datetime import datetime
from typing import Annotated, Any, Literal, get_args
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import ConfigDict, Field

from civic_common.api.app import uow
from civic_common.api.guard import GuardedModel
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_partner_scope, require_roles
from civic_common.db.uow import UnitOfWork
from trajecten.api.subscriptions import Rules
from trajecten.app import alerts, discovery
from trajecten.app import subscription_controls as controls
from trajecten.app import subscriptions as use
from trajecten.domain.subscriptions import FORMATS, RetryLimits

router = APIRouter(prefix="/partners/v1", tags=["partner subscriptions"])
Work = Annotated[UnitOfWork, Depends(uow)]
WRITE = "trajecten.subscriptions:write"
FEED = "trajecten.feed:read"
Writer = Annotated[Principal, Depends(require_partner_scope(WRITE))]
_partner = require_roles("partner")


async def _any_partner_scope(principal: Annotated[Principal, Depends(_partner)]) -> Principal:
    """Discovery: any partner client with either API scope."""
    if not {WRITE, FEED} & set(principal.scopes):
        raise Problem(403, "Geen toegang", f"Het token mist de scope {WRITE} of {FEED}.")
    return principal


Discoverer = Annotated[Principal, Depends(_any_partner_scope)]
Format = Literal["standard-webhooks", "cloudevents-binary", "cloudevents-structured"]
if set(get_args(Format)) != set(FORMATS):  # the two lists are one promise
    raise RuntimeError("api Format and domain FORMATS differ")


class ChangeIn(GuardedModel):
    model_config = ConfigDict(extra="forbid")

    endpoint_url: str | None = Field(None, max_length=2000)
    format: Format | None = None


@router.patch("/subscriptions/{subscription_id}")
async def change_subscription(
    subscription_id: UUID, body: ChangeIn, principal: Writer, work: Work, rules: Rules
) -> dict[str, Any]:
    """A new endpoint URL (checked as at creation) and/or payload format; the delivery log and
    its resend history stay."""
    async with work:
        result: dict[str, Any] = await use.get(work, principal, rules, subscription_id)
        if body.endpoint_url is not None:
            result = await controls.change_endpoint(
                work, principal, rules, subscription_id, body.endpoint_url
            )
        if body.format is not None:
            result = await controls.change_format(
                work, principal, rules, subscription_id, body.format
            )
        return result


@router.post("/subscriptions/{subscription_id}/pause")
async def pause_subscription(
    subscription_id: UUID, principal: Writer, work: Work, rules: Rules
) -> dict[str, Any]:
    """Nothing goes out; events keep being queued and wait."""
    async with work:
        return await controls.pause(work, principal, rules, subscription_id)


@router.post("/subscriptions/{subscription_id}/resume")
async def resume_subscription(
    subscription_id: UUID, principal: Writer, work: Work, rules: Rules
) -> dict[str, Any]:
    """What waited goes out, in order per trajectory."""
    async with work:
        return await controls.resume(work, principal, rules, subscription_id)


@router.get("/subscriptions/{subscription_id}/retry-policy")
async def get_retry_policy(
    subscription_id: UUID, principal: Writer, work: Work, rules: Rules
) -> dict[str, Any]:
    """The waits and disable threshold in force, with the limits they may be set within."""
    async with work:
        return await controls.policy_of(work, principal, rules, subscription_id)


class RetryPolicyIn(GuardedModel):
    model_config = ConfigDict(extra="forbid")

    retry_seconds: list[float] | None = Field(None, max_length=100)
    disable_after_failures: int | None = None


@router.put("/subscriptions/{subscription_id}/retry-policy")
async def put_retry_policy(
    subscription_id: UUID, body: RetryPolicyIn, principal: Writer, work: Work, rules: Rules
) -> dict[str, Any]:
    """Own waits and disable threshold within the operator's limits; null: the default."""
    async with work:
        return await controls.set_retry_policy(
            work,
            principal,
            rules,
            subscription_id,
            body.retry_seconds,
            body.disable_after_failures,
        )


class TestEventIn(GuardedModel):
    model_config = ConfigDict(extra="forbid")

    event_type: str = Field(max_length=200)
    endpoint_url: str | None = Field(
        None, max_length=2000, description="Another endpoint to try (checked as at creation)"
    )


@router.post("/subscriptions/{subscription_id}/test-events", status_code=202)
async def send_test_event(
    subscription_id: UUID, body: TestEventIn, principal: Writer, work: Work, rules: Rules
) -> dict[str, Any]:
    """A made-up event, with only the fields the legal basis allows, marked as a test
    (``webhook-test: true`` and ``"test": true``), delivered and logged like a real one; to the
    subscription's endpoint or to ``endpoint_url``, one it may use (checked as at creation)."""
    async with work:
        return await controls.send_test_event(
            work, principal, rules, subscription_id, body.event_type, body.endpoint_url
        )


class ReplayIn(GuardedModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    since: datetime = Field(alias="from")
    until: datetime = Field(alias="to")


@router.post("/subscriptions/{subscription_id}/replay", status_code=202)
async def replay(
    subscription_id: UUID, body: ReplayIn, principal: Writer, work: Work, rules: Rules
) -> dict[str, int]:
    """Send again every event of the subscription that happened in [from, to)."""
    async with work:
        return await controls.replay(
            work, principal, rules, subscription_id, body.since, body.until
        )


# --- the operational contact and its alerts --------------------------------------------------


class ContactIn(GuardedModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=254)
    webhook_url: str | None = Field(None, max_length=2000)


@router.get("/contact")
async def get_contact(principal: Writer, work: Work) -> dict[str, Any]:
    async with work:
        return await alerts.get_contact(work, principal)


@router.put("/contact")
async def put_contact(
    body: ContactIn, principal: Writer, work: Work, rules: Rules
) -> dict[str, Any]:
    """Who is told when deliveries keep failing, a subscription is disabled, or a legal basis
    nears its end: an e-mail address and/or a webhook URL of the organisation."""
    async with work:
        return await alerts.set_contact(work, principal, rules, body.email, body.webhook_url)


@router.get("/alerts")
async def list_alerts(
    principal: Writer, work: Work, limit: Annotated[int, Query(ge=1, le=100)] = 50
) -> dict[str, list[dict[str, Any]]]:
    """The alerts sent (or being sent) to the organisation's contact, newest first."""
    async with work:
        return {"items": await alerts.notifications_of(work, principal, limit)}


# --- discovery -------------------------------------------------------------------------------


@router.get("/event-types")
async def list_event_types(principal: Discoverer) -> dict[str, list[dict[str, Any]]]:
    """Every event type a partner can receive: JSON Schema (as in the AsyncAPI document), a
    made-up example, and the legal bases that allow it."""
    return {"items": discovery.event_types()}


@router.get("/event-types/{event_type}")
async def get_event_type(event_type: str, principal: Discoverer) -> dict[str, Any]:
    found = discovery.event_type(event_type)
    if found is None:
        raise Problem(404, "Niet gevonden", "Dit gebeurtenistype bestaat niet voor partners.")
    return found


@router.get("/legal-bases")
async def list_legal_bases(principal: Discoverer) -> dict[str, Any]:
    """The legal bases, with the event types and data fields each allows."""
    return discovery.bases()


# --- admins: the limits of partners' retry policies ----------------------------------------

admin_router = APIRouter(prefix="/api/v1", tags=["partner deliveries"])
Admin = Annotated[Principal, Depends(require_roles("admin"))]


class RetryLimitsIn(GuardedModel):
    model_config = ConfigDict(extra="forbid")

    min_seconds: float = Field(gt=0, le=604800)
    max_seconds: float = Field(gt=0, le=604800)
    max_steps: int = Field(ge=1, le=100)
    disable_after_failures_min: int = Field(ge=1, le=100000)
    disable_after_failures_max: int = Field(ge=1, le=100000)


@admin_router.get("/partner-retry-limits")
async def get_retry_limits(principal: Admin, work: Work, rules: Rules) -> dict[str, Any]:
    """The limits within which partners set their subscriptions' retry policies."""
    async with work:
        return controls.limits_out(await controls.current_limits(work, rules))


@admin_router.put("/partner-retry-limits")
async def put_retry_limits(body: RetryLimitsIn, principal: Admin, work: Work) -> dict[str, Any]:
    """Set the limits (audited); they bind what partners set from now on."""
    async with work:
        return await controls.set_limits(
            work,
            principal,
            RetryLimits(
                body.min_seconds,
                body.max_seconds,
                body.max_steps,
                body.disable_after_failures_min,
                body.disable_after_failures_max,
            ),
        )
