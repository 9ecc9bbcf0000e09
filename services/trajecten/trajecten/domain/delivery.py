"""Webhook delivery rules: retry schedule and the payload. Pure, no I/O."""

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Outcome:
    status: str  # pending (retry later) or dead
    next_attempt_at: datetime | None


def after_failure(
    attempts: int,
    now: datetime,
    schedule: Sequence[float],
    jitter: float,
    rand: random.Random | None = None,
) -> Outcome:
    """After ``attempts`` failed attempts: wait the schedule's next step (± jitter) or give up."""
    if attempts > len(schedule):
        return Outcome("dead", None)
    spread = (rand or random).uniform(-jitter, jitter)
    return Outcome("pending", now + timedelta(seconds=schedule[attempts - 1] * (1 + spread)))


def succeeded(status_code: int) -> bool:
    return 200 <= status_code < 300


# The webhook a partner gets when a person whose data it received was erased (GDPR art. 19):
# sent to every subscription that received any of the person's events, whatever its legal basis
# or event types; its data is the person id it already had and when the erasure happened.
ERASURE_NOTICE = "trajecten.person.erased.v1"
# The audit action of a partner reading a person's events in the feed (one entry per person).
FEED_READ = "partner.feed.read"


def payload(
    event_id: str,
    event_type: str,
    occurred_at: datetime,
    trajectory_id: str,
    sequence: int,
    data: dict[str, Any],
    test: bool = False,
) -> dict[str, Any]:
    """The body of a webhook and a feed item alike (Standard Webhooks: type, timestamp, data);
    a test event says so (``"test": true``)."""
    body = {
        "id": event_id,
        "type": event_type,
        "timestamp": occurred_at.isoformat(),
        "trajectory_id": trajectory_id,
        "sequence": sequence,
        "data": data,
    }
    if test:
        body["test"] = True
    return body


CE_SOURCE = "/civic/trajecten"


def cloudevent(body: Mapping[str, Any]) -> dict[str, Any]:
    """A payload as a CloudEvent 1.0 (structured mode's JSON): the event id, type and time;
    the trajectory as subject; sequence (and test) as extension attributes."""
    event = {
        "specversion": "1.0",
        "id": body["id"],
        "source": CE_SOURCE,
        "type": body["type"],
        "time": body["timestamp"],
        "subject": body["trajectory_id"],
        "datacontenttype": "application/json",
        "sequence": str(body["sequence"]),
        "data": body["data"],
    }
    if body.get("test"):
        event["test"] = "true"
    return event


def cloudevent_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """Binary mode: every attribute but data as a ``ce-`` header (extensions lower case)."""
    return {
        ("content-type" if k == "datacontenttype" else f"ce-{k}"): str(v)
        for k, v in event.items()
        if k != "data"
    }


def order_headers(sequence: int, previous_id: str | None, later_delivered: bool) -> dict[str, str]:
    """What a receiver needs to notice an arrival out of order: the trajectory's sequence, the
    webhook-id of the delivery before this one of the same trajectory (none for its first), and
    whether a later one already arrived (a resent dead delivery, a replay)."""
    headers = {"webhook-sequence": str(sequence)}
    if previous_id is not None:
        headers["webhook-previous-id"] = previous_id
    if later_delivered:
        headers["webhook-out-of-order"] = "true"
    return headers


# --- synthetic data for test events and the discovery API's examples -------------------------

EXAMPLE_MUNICIPALITY = "44021"


def example(
    schema: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A value for every property of an event's JSON Schema: made up, never anyone's data."""
    defs = schema.get("$defs", {})
    out = {
        name: _example_value(name, prop, defs)
        for name, prop in schema.get("properties", {}).items()
    }
    return out | dict(overrides or {})


def _example_value(name: str, prop: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    if "$ref" in prop:
        return _example_value(name, defs.get(prop["$ref"].rsplit("/", 1)[-1], {}), defs)
    for key in ("anyOf", "oneOf"):
        if key in prop:
            options = [o for o in prop[key] if o.get("type") != "null"] or prop[key]
            return _example_value(name, options[0], defs)
    if "const" in prop:
        return prop["const"]
    if "enum" in prop:
        return prop["enum"][0]
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "string":
        if fmt == "uuid":
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"civic:example:{name}"))
        if fmt == "date-time":
            return "2026-01-05T09:30:00+01:00"
        if fmt == "date":
            return "2026-01-05"
        if prop.get("pattern") == r"^\d{5}$":
            return EXAMPLE_MUNICIPALITY
        if fmt == "decimal" or "pattern" in prop:
            return "1"
        return f"voorbeeld-{name}"
    if kind == "integer":
        return max(1, int(prop.get("minimum", 1)))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "array":
        return [_example_value(name, prop.get("items", {}), defs)]
    if kind == "object":
        return {}
    return None
