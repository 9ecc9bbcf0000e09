"""Periodic jobs of a worker: one way to run them, in the deployed worker process.

Every worker of a service runs the loop of each of its jobs; a Postgres advisory lock held for
the run makes exactly one of them do a round at a time. The lock lives on the connection, so
when the worker holding it dies, the next round of another worker takes it. A failed round is
logged (type only: messages may quote personal data) and counted, and the next tick retries;
the worker goes on. ``civic_periodic_job_*`` metrics say when each job last ran.
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import Counter, Gauge
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

RUNS = Counter(
    "civic_periodic_job_runs_total", "Rounds of a periodic job, by outcome", ["job", "outcome"]
)
LAST_SUCCESS = Gauge(
    "civic_periodic_job_last_success_timestamp_seconds",
    "When a round of the job last succeeded (Unix time)",
    ["job"],
)


@dataclass(frozen=True)
class PeriodicJob:
    """``run`` does one round; ``interval`` seconds pass between the starts of two ticks."""

    name: str
    interval: float
    run: Callable[[], Awaitable[None]]


def lock_key(scope: str, job: str) -> int:
    """A stable 64-bit advisory-lock key for the job of a service (its schema)."""
    digest = hashlib.sha256(f"civic-periodic:{scope}:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PeriodicRunner:
    """Runs one job forever on the given engine's database (``run_forever``)."""

    def __init__(self, engine: AsyncEngine, scope: str, job: PeriodicJob) -> None:
        self._engine = engine
        self._job = job
        self._key = lock_key(scope, job.name)

    async def run_forever(self) -> None:
        while True:
            started = time.monotonic()
            await self.tick()
            await asyncio.sleep(max(0.0, self._job.interval - (time.monotonic() - started)))

    async def tick(self) -> bool:
        """One tick: a round if this worker gets the lock; returns whether it ran one."""
        name = self._job.name
        try:
            async with self._engine.connect() as conn:
                locked = await conn.scalar(select(func.pg_try_advisory_lock(self._key)))
                await conn.commit()  # the lock is the session's; no transaction stays open
                if not locked:
                    return False  # another worker runs this round
                try:
                    await self._job.run()
                finally:
                    await conn.scalar(select(func.pg_advisory_unlock(self._key)))
                    await conn.commit()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the next tick retries; the worker goes on
            RUNS.labels(name, "failed").inc()
            log.error("periodic job %s failed (%s)", name, type(exc).__name__)
            return False
        RUNS.labels(name, "ok").inc()
        LAST_SUCCESS.labels(name).set(time.time())
        log.info("periodic job %s ran", name)
        return True
