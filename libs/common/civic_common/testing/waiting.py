"""Polling helpers for tests that wait on asynchronous effects (events crossing Kafka)."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], within: float = 30.0, every: float = 0.25
) -> T:
    """Await ``probe`` until it returns something truthy; fail with the last value after
    ``within`` seconds."""
    deadline = time.monotonic() + within
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(every)
    raise AssertionError(f"condition not met within {within}s (last value: {last!r})")
