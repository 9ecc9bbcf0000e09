"""The connection budget held for real: every long-running process of docker-compose.yml, twice
over (a second replica of each, as a rolling update or a scale-out brings), each a separate OS
process with the engine the services use (``civic_common.db.engine.create_engine``, the pool
sizes compose gives it) holding its whole pool and overflow at once, and each worker its relay's
LISTEN connection, against a real PostgreSQL started with compose's ``max_connections``. None
is refused ("too many clients"), an operator still gets the room the runbook promises, and a
third replica of everything is refused: the limit is real and the budget is what keeps to it.
(tests/contract/test_compose.py does the arithmetic; this runs it.)"""

import asyncio
import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml

from civic_common.db.engine import MAX_OVERFLOW, POOL_SIZE
from civic_common.testing.plugin import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
OPERATOR_ROOM = 10  # docs/runbook.md, "Connection budget"
ROLE = "budget_service"

# One process of the platform as far as the database sees it: the services' engine with the
# pool compose gives it, every connection checked out at once, plus the relay's LISTEN.
HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    import asyncpg
    from sqlalchemy import text
    from civic_common.db.engine import asyncpg_dsn, create_engine

    async def main(url, pool, overflow, listener):
        engine = create_engine(url, pool_size=pool, max_overflow=overflow)
        release, held, failures = asyncio.Event(), asyncio.Semaphore(0), []

        async def hold():
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                    held.release()
                    await release.wait()
            except Exception as exc:  # refused: "too many clients"
                failures.append(exc)
                held.release()

        tasks = [asyncio.create_task(hold()) for _ in range(pool + overflow)]
        listen = None
        try:
            if listener:
                listen = await asyncpg.connect(asyncpg_dsn(url))
                await listen.execute("LISTEN budget")
            for _ in tasks:
                await held.acquire()
            if failures:
                raise failures[0]
            print("HELD", pool + overflow + (1 if listener else 0), flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        except Exception as exc:
            print("FAILED", type(exc).__name__, str(exc).replace(chr(10), " "), flush=True)
            sys.exit(1)
        finally:
            release.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            if listen is not None:
                await listen.close()
            await engine.dispose()

    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"))
    """
)


@dataclass(frozen=True)
class Kind:
    name: str
    pool: int
    overflow: int
    listener: bool

    @property
    def connections(self) -> int:
        return self.pool + self.overflow + (1 if self.listener else 0)


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def compose_max_connections() -> int:
    command = compose()["services"]["postgres"].get("command") or []
    [limit] = [a.split("=", 1)[1] for a in command if str(a).startswith("max_connections=")]
    return int(limit)


def long_running_processes() -> list[Kind]:
    """Every compose container that stays up and has a database URL, with its pool."""
    kinds = []
    for name, service in compose()["services"].items():
        env = service.get("environment") or {}
        if service.get("restart") == "no" or not any(k.endswith("DATABASE_URL") for k in env):
            continue
        kinds.append(
            Kind(
                name,
                int(env.get("CIVIC_DB_POOL_SIZE", POOL_SIZE)),
                int(env.get("CIVIC_DB_MAX_OVERFLOW", MAX_OVERFLOW)),
                (service.get("command") or [])[-1:] == ["worker"],
            )
        )
    return kinds


def pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return (
        found[-1].parent if found else (Path(p).parent if (p := shutil.which("initdb")) else None)
    )


@pytest.fixture(scope="module")
def postgres() -> Iterator[tuple[str, str]]:
    """A PostgreSQL of its own with compose's max_connections: (superuser DSN, service DSN)."""
    binaries = pg_bin()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (deploy/local/infra.sh installs them)")
    # Not under pytest's basetemp (mode 0700): the server may run as another user.
    data = Path(tempfile.mkdtemp(prefix="civic-budget-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root
        owner = pwd.getpwnam("postgres")
        os.chown(data, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    pgdata, port = data / "data", free_port()
    password = secrets.token_hex(12)
    pwfile = data / "pw"
    pwfile.write_text(password)
    if run_as:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    subprocess.run(
        [*run_as, str(binaries / "initdb"), "-D", str(pgdata), "-U", "postgres",
         "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [*run_as, str(binaries / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(pgdata),
         "-l", str(data / "log"), "-o",
         f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data}"
         f" -c max_connections={compose_max_connections()} -c shared_buffers=32MB"],
        check=True, capture_output=True,
    )  # fmt: skip
    admin = f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
    service_password = secrets.token_hex(12)

    async def create_role() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{service_password}'")
        finally:
            await conn.close()

    asyncio.run(create_role())
    try:
        yield admin, f"postgresql+asyncpg://{ROLE}:{service_password}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, str(binaries / "pg_ctl"), "stop", "-D", str(pgdata), "-m", "immediate"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def holding(url: str, kinds: list[Kind]) -> Iterator[list[str]]:
    """Start one holder process per kind; yields each one's first line (HELD or FAILED)."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", HOLDER, url, str(k.pool), str(k.overflow), str(int(k.listener))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for k in kinds
    ]
    try:
        yield [(p.stdout.readline() if p.stdout else "").strip() for p in processes]
    finally:
        for p in processes:
            if p.stdin:
                with contextlib.suppress(BrokenPipeError):
                    p.stdin.close()
        for p in processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


async def connections_of(admin: str, role: str) -> int:
    conn = await asyncpg.connect(admin)
    try:
        return await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", role)
    finally:
        await conn.close()


async def operator_sessions(url: str, count: int) -> None:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    sessions = [await asyncpg.connect(dsn) for _ in range(count)]
    try:
        assert all([await s.fetchval("SELECT 1") for s in sessions])
    finally:
        for s in sessions:
            await s.close()


def test_every_process_twice_at_full_pool_fits_and_a_third_replica_does_not(
    postgres: tuple[str, str],
) -> None:
    admin, url = postgres
    kinds = long_running_processes()
    assert len(kinds) >= 9, kinds  # 4 apis, 4 workers, the issuer
    twice = kinds + kinds
    expected = sum(k.connections for k in twice)
    with holding(url, twice) as lines:
        refused = [
            (k.name, line) for k, line in zip(twice, lines, strict=True) if line[:4] != "HELD"
        ]
        assert not refused, refused
        assert asyncio.run(connections_of(admin, ROLE)) == expected
        # The room the runbook keeps for psql, a backup, a hand-run migration, as a plain role...
        asyncio.run(operator_sessions(url, OPERATOR_ROOM))
        # ...and a superuser's own reserve beyond it.
        asyncio.run(connections_of(admin, "postgres"))
        # A third replica of everything is more than the server takes: the limit is real.
        with holding(url, kinds) as third:
            failures = [line for line in third if line.startswith("FAILED")]
        assert failures, third
        # Refused by the server's limit, in either of its words (the last slots are the
        # superusers': "remaining connection slots are reserved").
        refusals = ("too many clients", "remaining connection slots are reserved")
        assert all(any(r in f for r in refusals) for f in failures), failures
