"""Webhook delivery rules: retry schedule and the payload. Pure, no I/O."""

import random
from collections.abc import Sequence
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


def payload(
    event_id: str,
    event_type: str,
    occurred_at: datetime,
    trajectory_id: str,
    sequence: int,
    data: dict[str, Any],
) -> dict[str, Any]:
    """The body of a webhook and a feed item alike (Standard Webhooks: type, timestamp, data)."""
    return {
        "id": event_id,
        "type": event_type,
        "timestamp": occurred_at.isoformat(),
        "trajectory_id": trajectory_id,
        "sequence": sequence,
        "data": data,
    }
