"""A large historical import through the API, against a bare COPY of the same rows.

Writes a trainings file of ``--rows`` rows (nl-BE amounts, some staff hours empty), then in
the same run, on an isolated environment (own database, roles and topic prefix, removed
afterwards):

- baseline: asyncpg ``COPY`` of the same rows, as text, into a bare table;
- real: ``POST /api/v1/imports/trainings`` on the rapportage API (in process): the time until
  the API answers (a background job: 202), then until the job's state says ``imported`` — every
  row parsed and validated, its event and the batch record committed, all or nothing.

    .venv/bin/python bench/rapportage_import.py [--rows 50000]

The last line is the ratio import/COPY in seconds (how many times longer the import takes).
Targets: the API answers within 2 s, the import finishes within 30 s.
"""

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REGIONS = ["Antwerpen", "Brussel", "Limburg", "Oost-Vlaanderen", "Vlaams-Brabant"]
THEMES = ["Duidelijke taal", "Meertaligheid", "Tolken", "Diversiteit", "Polarisatie"]
AGENCIES = ["AgII", "Atlas", "IN-Gent", "AgII|Atlas"]
HEADER = (
    "jaar",
    "agentschap",
    "regio",
    "thema",
    "titel",
    "aanbod",
    "aantal",
    "deelnemers_lokale_besturen",
    "deelnemers_andere",
    "kostprijs_eur",
    "personeelsuren",
)


def rows(count: int) -> list[tuple[str, ...]]:
    rng = random.Random(7)
    out = []
    for n in range(count):
        cents = rng.randrange(0, 1_000_000)
        amount = f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"
        out.append(
            (
                str(rng.randrange(2016, 2021)),
                rng.choice(AGENCIES),
                rng.choice(REGIONS),
                rng.choice(THEMES),
                f"Vorming {n}",
                rng.choice(["open", "op maat"]),
                str(rng.randrange(1, 4)),
                str(rng.randrange(0, 40)),
                str(rng.randrange(0, 40)),
                amount,
                "" if n % 7 == 0 else f"{rng.randrange(0, 200)},{rng.randrange(0, 100):02d}",
            )
        )
    return out


async def baseline(dsn: str, data: list[tuple[str, ...]]) -> float:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    columns = ", ".join(f"{c} text" for c in HEADER)
    await conn.execute(f"CREATE TABLE rapportage.bench_import ({columns})")
    try:
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "bench_import", schema_name="rapportage", records=data, columns=list(HEADER)
        )
        return time.perf_counter() - started
    finally:
        await conn.execute("DROP TABLE rapportage.bench_import")
        await conn.close()


async def run(args: argparse.Namespace) -> None:
    import httpx

    from civic_common.auth.issuer import ensure_keys, mint
    from civic_common.db.engine import asyncpg_dsn
    from civic_common.db.migrate import upgrade
    from civic_common.testing.infra import local_infra
    from civic_common.testing.plugin import isolated_environment, isolated_settings
    from rapportage.main import SERVICE, build_app
    from rapportage.settings import RapportageSettings

    data = rows(args.rows)
    content = ("\n".join(";".join(r) for r in [HEADER, *data]) + "\n").encode()
    infra = local_infra(REPO)
    with tempfile.TemporaryDirectory() as keys_dir:
        keys = Path(keys_dir)
        ensure_keys(keys)
        token = mint(keys, ["analyst"], "bench@agii", organisation="agii")
        async with isolated_environment(infra) as (db, prefix):
            settings = isolated_settings(infra, db, prefix, keys, "rapportage")
            runtime = SERVICE.runtime(settings)
            await upgrade(runtime.engine, runtime.migrations, "rapportage")
            dsn = asyncpg_dsn(settings.database_url.get_secret_value())
            bare = await baseline(dsn, data)
            print(f"baseline COPY done in {bare:.2f} s", file=sys.stderr)

            app = build_app(runtime, RapportageSettings())
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://rapportage", timeout=120
            ) as http:
                load_before = os.getloadavg()
                cpu = time.process_time()
                started = time.perf_counter()
                answer = await http.post(
                    "/api/v1/imports/trainings",
                    files={"file": ("bench.csv", content, "text/csv")},
                    headers=headers,
                )
                answered = time.perf_counter() - started
                assert answer.status_code == 202, answer.text
                url = answer.headers["location"]
                while True:
                    state = (await http.get(url, headers=headers)).json()
                    if state["status"] != "running":
                        break
                    await asyncio.sleep(0.25)  # a client polling (the page: every 2 s)
                finished = time.perf_counter() - started
                cpu = time.process_time() - cpu
                load_after = os.getloadavg()
            await runtime.engine.dispose()

    assert state["status"] == "imported", state
    print(f"rows: {args.rows:,} ({len(content) / 1e6:.1f} MB); imported {state['imported']:,}, "
          f"rejected {state['rejected_count']:,}")  # fmt: skip
    print(f"baseline asyncpg COPY: {bare:.2f} s, {args.rows / bare:,.0f} rows/s")
    print(f"API answered (202, background job) in {answered:.2f} s")
    print(f"import finished in {finished:.2f} s, {args.rows / finished:,.0f} rows/s")
    print(f"CPU of the importing process: {cpu:.2f} s (the rest: waiting for a core or Postgres)")
    before, after = (" ".join(f"{x:.1f}" for x in load) for load in (load_before, load_after))
    print(f"load average (1/5/15 min) before: {before}, after: {after}; {os.cpu_count()} cores")
    print(f"ratio import/COPY: {finished / bare:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
