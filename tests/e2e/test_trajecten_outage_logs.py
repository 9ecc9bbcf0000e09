"""trajecten's webhook delivery and alert loops poll the database every 0.2 s. While the database
is away each round fails: the worker says so in one warning line per loop, without a traceback,
and holds the repeats back (civic_common.logging.RepeatFilter) instead of writing a traceback
five times a second. The running worker process is cut off from its database by its own role
(connection limit 0, its sessions ended: "too many connections", as when Postgres is full), so
the shared Postgres itself stays up for everyone else."""

import asyncio
import json

import asyncpg
import httpx
import pytest

from civic_common.db.engine import asyncpg_dsn
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

LOOPS = ("delivery", "notification")
OUTAGE_SECONDS = 3.0  # 15 polls of 0.2 s per loop after the first failure


def round_lines(text: str) -> dict[str, list[dict]]:
    """Each loop's "... round failed" lines among the JSON lines of the worker's log."""
    found: dict[str, list[dict]] = {loop: [] for loop in LOOPS}
    for raw in text.splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        message = str(line.get("message", ""))
        for loop in LOOPS:
            if message.startswith(f"{loop} round failed"):
                found[loop].append(line)
    return found


async def test_a_database_outage_is_one_warning_per_loop_without_a_traceback(system):
    worker = system.processes["trajecten-worker-1"]
    role = system.db.roles["trajecten"][0]
    seen_before = worker.log.stat().st_size

    def since_cut() -> str:
        with worker.log.open(errors="replace") as log:
            log.seek(seen_before)
            return log.read()

    admin = await asyncpg.connect(asyncpg_dsn(system.db.admin_url))
    try:
        await admin.execute(f'ALTER ROLE "{role}" CONNECTION LIMIT 0')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", role
        )

        async def both_loops_failed() -> bool:
            return all(round_lines(since_cut()).values())

        await eventually(both_loops_failed, 30)
        await asyncio.sleep(OUTAGE_SECONDS)  # many more rounds fail meanwhile
        during = since_cut()
    finally:
        await admin.execute(f'ALTER ROLE "{role}" CONNECTION LIMIT -1')
        await admin.close()

    for loop, lines in round_lines(during).items():
        assert len(lines) == 1, f"{loop}: repeats are held back, got {len(lines)} lines"
        [line] = lines
        assert line["level"] == "WARNING", line
        assert "database or connection unavailable" in line["message"], line
        assert "exc_info" not in line and "Traceback" not in json.dumps(line), line
    assert "Traceback" not in during, "no traceback from either loop"
    assert worker.running

    # Back: the api answers from the database again (and the next tests find it so).
    async def ready() -> bool:
        async with httpx.AsyncClient(timeout=2) as http:
            return (await http.get(f"{system.urls['trajecten']}/readyz")).status_code == 200

    await eventually(ready, 30)
