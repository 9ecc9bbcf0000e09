"""Throughput of intake's POST /api/v1/persons against a bare FastAPI + asyncpg endpoint.

Both run as real uvicorn processes on the same isolated database (own roles, own topic prefix,
removed afterwards), driven by the same httpx client at the same concurrency, in alternating
rounds. The real endpoint does everything a registration does: token check, validation of every
field, INSZ and near-duplicate look-ups, the person row, its history, the audit log and the
outbox event, in one transaction. The baseline inserts one row.

    .venv/bin/python bench/intake_register.py [--requests 300] [--concurrency 16] [--rounds 8]

Short alternating rounds keep a busy machine's drift out of the comparison: each round measures
both back to back, and the figure is the median of the per-round ratios. The last line is that
ratio, intake/baseline (goal >= 0.7), after a check that every registration
left its outbox event and audit entry.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
BASELINE_TABLE = "intake.bench_baseline_persons"


def baseline_app(dsn: str) -> Any:
    """The bare endpoint: parse the same JSON body, insert one row, answer 201."""
    from contextlib import asynccontextmanager
    from uuid import uuid4

    import asyncpg
    from fastapi import FastAPI
    from pydantic import BaseModel, ConfigDict

    class Body(BaseModel):
        model_config = ConfigDict(extra="allow")
        given_name: str
        family_name: str
        birth_date: date
        municipality_nis: str

    pool: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        pool["db"] = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        yield
        await pool["db"].close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/persons", status_code=201)
    async def post(body: Body) -> dict[str, str]:
        person_id = uuid4()
        await pool["db"].execute(
            f"INSERT INTO {BASELINE_TABLE} (id, given_name, family_name, birth_date,"
            " municipality_nis) VALUES ($1, $2, $3, $4, $5)",
            person_id,
            body.given_name,
            body.family_name,
            body.birth_date,
            body.municipality_nis,
        )
        return {"id": str(person_id)}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def bodies(count: int, tag: str, offset: int) -> list[dict[str, Any]]:
    """Distinct newcomers; ``offset`` keeps the INSZ of different batches apart."""
    from intake.domain.insz import make_insz

    start = date(1960, 1, 1)
    made = []
    for n in range(offset, offset + count):
        birth = start + timedelta(days=n // 400)
        made.append(
            {
                "insz": make_insz(birth, (n % 400) * 2 + 1),
                "given_name": "Bench",
                "family_name": f"{tag}-{n}",
                "birth_date": birth.isoformat(),
                "sex": "male",
                "nationality": "SY",
                "municipality_nis": "44021",
                "languages": ["ar", "fr"],
                "contact_language": "ar",
                "residence_category": "recognised_refugee",
                "dutch_level": "A1",
            }
        )
    return made


async def measure(
    http: httpx.AsyncClient, url: str, payloads: list[dict], headers: dict, concurrency: int
) -> float:
    queue = iter(payloads)
    failures: list[str] = []

    async def client() -> None:
        for payload in queue:
            response = await http.post(url, json=payload, headers=headers)
            if response.status_code != 201:
                failures.append(f"{response.status_code} {response.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests, e.g. {failures[0]}")
    return len(payloads) / elapsed


def cpu_seconds(process: subprocess.Popen) -> float:
    """User + system CPU of a server process so far (Linux /proc), to see where time goes."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_healthy(url: str, process: subprocess.Popen) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited during start-up")
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def environment(settings: Any, port: int) -> dict[str, str]:
    values = {
        f"CIVIC_{name.upper()}": str(
            value.get_secret_value() if hasattr(value, "get_secret_value") else value
        )
        for name, value in settings.model_dump().items()
        if value is not None
    }
    return os.environ | values | {"CIVIC_HTTP_PORT": str(port), "CIVIC_LOG_LEVEL": "WARNING"}


async def run(args: argparse.Namespace) -> None:
    import asyncpg

    from civic_common.auth.issuer import ensure_keys, mint
    from civic_common.db.engine import asyncpg_dsn
    from civic_common.db.migrate import upgrade
    from civic_common.testing.infra import local_infra
    from civic_common.testing.plugin import free_port, isolated_environment, isolated_settings
    from intake.main import SERVICE

    infra = local_infra(REPO)
    with tempfile.TemporaryDirectory() as keys_dir:
        keys = Path(keys_dir)
        ensure_keys(keys)
        token = mint(keys, ["counter"], "bench@agii", organisation="agii")
        async with isolated_environment(infra) as (db, prefix):
            settings = isolated_settings(infra, db, prefix, keys, "intake")
            runtime = SERVICE.runtime(settings)
            await upgrade(runtime.engine, runtime.migrations, "intake")
            await runtime.engine.dispose()
            dsn = asyncpg_dsn(settings.database_url.get_secret_value())
            conn = await asyncpg.connect(dsn)
            await conn.execute(
                f"CREATE TABLE {BASELINE_TABLE} (id uuid PRIMARY KEY, given_name text NOT NULL,"
                " family_name text NOT NULL, birth_date date NOT NULL,"
                " municipality_nis text NOT NULL)"
            )
            await conn.close()

            real_port, bare_port = free_port(), free_port()
            real = subprocess.Popen(  # noqa: ASYNC220 - starts it, never waits
                [sys.executable, "-m", "civic_common.cli", "intake", "api"],
                env=environment(settings, real_port),
            )
            bare = subprocess.Popen(  # noqa: ASYNC220 - starts it, never waits
                [sys.executable, __file__, "--baseline-server", str(bare_port)],
                env=os.environ | {"BENCH_DSN": dsn},
            )
            real_url, bare_url = f"http://127.0.0.1:{real_port}", f"http://127.0.0.1:{bare_port}"
            try:
                await wait_healthy(real_url, real)
                await wait_healthy(bare_url, bare)
                headers = {"Authorization": f"Bearer {token}"}
                limits = httpx.Limits(max_connections=args.concurrency)
                async with httpx.AsyncClient(limits=limits, timeout=30) as http:
                    # Warm both (imports, pools, reference data) before measuring.
                    await measure(http, f"{bare_url}/persons", bodies(200, "w", 0), headers, 8)
                    await measure(
                        http, f"{real_url}/api/v1/persons", bodies(200, "w", 0), headers, 8
                    )
                    real_rates, bare_rates, ratios = [], [], []
                    cpu = {"baseline": -cpu_seconds(bare), "intake": -cpu_seconds(real)}
                    for round_ in range(args.rounds):
                        payloads = bodies(args.requests, "r", 200 + round_ * args.requests)
                        bare_rates.append(
                            await measure(
                                http,
                                f"{bare_url}/persons",
                                payloads,
                                headers,
                                args.concurrency,
                            )
                        )
                        real_rates.append(
                            await measure(
                                http,
                                f"{real_url}/api/v1/persons",
                                payloads,
                                headers,
                                args.concurrency,
                            )
                        )
                        ratios.append(real_rates[-1] / bare_rates[-1])
                        print(
                            f"round {round_ + 1}: baseline {bare_rates[-1]:.0f}/s, "
                            f"intake {real_rates[-1]:.0f}/s, ratio {ratios[-1]:.2f}"
                        )
                    cpu["baseline"] += cpu_seconds(bare)
                    cpu["intake"] += cpu_seconds(real)
            finally:
                for process in (real, bare):
                    process.terminate()
                    process.wait(timeout=15)
            # The guarantees the figure was measured with: every registration left its outbox
            # row (no relay runs here, so they are all still there) and its audit entry.
            conn = await asyncpg.connect(dsn)
            try:
                outbox = await conn.fetchval(
                    "SELECT count(*) FROM intake.outbox WHERE topic = 'intake.persons'"
                )
                audited = await conn.fetchval(
                    "SELECT count(*) FROM intake.audit_log WHERE action = 'create'"
                )
                persons = await conn.fetchval("SELECT count(*) FROM intake.persons")
            finally:
                await conn.close()
    real_rate, bare_rate = statistics.median(real_rates), statistics.median(bare_rates)
    ratio = statistics.median(ratios)
    print(
        f"requests per round {args.requests}, concurrency {args.concurrency}, "
        f"rounds {args.rounds} (medians; ratio = median of the per-round ratios)"
    )
    total = args.requests * args.rounds
    print(
        f"baseline bare FastAPI + asyncpg insert: {bare_rate:.0f} requests/s, "
        f"{1000 * cpu['baseline'] / total:.1f} ms server CPU per request"
    )
    print(
        f"intake POST /api/v1/persons:            {real_rate:.0f} requests/s, "
        f"{1000 * cpu['intake'] / total:.1f} ms server CPU per request"
    )
    print(
        f"guarantees: {persons} persons registered, {outbox} outbox events, "
        f"{audited} audit entries (each must equal the others)"
    )
    if not persons == outbox == audited:
        raise SystemExit("a registration lost its outbox event or its audit entry")
    print(
        "machine: {} cores, load average {:.1f} {:.1f} {:.1f}".format(
            os.cpu_count(), *os.getloadavg()
        )
    )
    print(f"ratio {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--baseline-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_server:
        import uvicorn

        app = baseline_app(os.environ["BENCH_DSN"])
        uvicorn.run(app, host="127.0.0.1", port=args.baseline_server, log_level="warning")
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
