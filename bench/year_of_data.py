"""A year's data: the counter's and the counsellor's reads at full volume, each beside a bare SQL
query for the same rows in the same run.

An isolated database (own roles, created and dropped here) gets every service's schema at head
(with the indexes of their migrations), then ``--persons`` persons (1,000,000) loaded with COPY,
each with the search key the service computes, and ``--trajectories`` trajectories (200,000)
with five components each and their timeline, generated in SQL. Then, ``--samples`` times each,
alternating with the bare query:

- search by name, spelling-tolerant (one letter of a registered name changed), through
  ``intake.app.persons.search_persons`` (the use case the API calls: visibility, the trigram
  search, an audit entry per person shown, one transaction); goal p95 < 50 ms;
- a counsellor's worklist (``trajecten.app.trajectories.worklist``) and "Mijn dossiers"
  (``caseload``, the counsellor's own trajectories by next deadline); goal p95 < 100 ms;
- every report of rapportage's catalogue (``report_reads``: its read models at the same volume,
  plus ``--interpreter-requests`` interpreter requests and 20 years of trainings),
  ``--report-samples`` times each, beside the same statements sent bare; goal p95 < 500 ms.

- the interpreter desk's queue (``tolken.app.requests.desk_queue``, what the page shows: a page
  of open requests by day with its pending and declined offers, the candidates of each and an
  audit entry per person's request) over ``--interpreter-requests`` requests (50,000 across a
  year, the future ones open) and 300 interpreters; goal p95 < 100 ms. Its bare query: the same
  page of requests with their interpreters of the language and modality, one statement.

The bare queries are plain asyncpg statements returning the same rows, without the service's
transaction, audit or mapping.

    .venv/bin/python bench/year_of_data.py [--persons 1000000] [--trajectories 200000]
        [--interpreter-requests 50000] [--samples 100] [--report-samples 5]

The last line is the worst ratio of a service read's p95 to its bare query's p95.
"""

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from civic_common.auth.principal import Principal
from civic_common.db.engine import asyncpg_dsn
from civic_common.db.migrate import upgrade
from civic_common.settings import ServiceSettings
from civic_common.testing.infra import test_infra
from civic_common.testing.plugin import isolated_environment

REPO = Path(__file__).resolve().parents[1]
AGENCIES = ["agii", "atlas", "in-gent"]
GIVEN = (
    "Ahmad Fatima Mohammed Aisha Omar Layla Yusuf Mariam Ali Noor Hassan Zainab Ibrahim Sara "
    "Mustafa Amina Khalid Huda Tariq Rania Olena Oleksandr Iryna Andriy Natalia Dmytro Anna "
    "Viktor Kateryna Serhiy Abdi Hodan Tesfaye Selam Dawit Meron Ramin Parisa Farid Shirin"
).split()
SYLLABLES = (
    "al ba ber chi da del el fa gar ha hus ka kar lo ma mer na nik ov ra sa sha ta ur ya zi".split()
)
PERSON_COLUMNS = [
    "id", "version", "given_name", "family_name", "birth_date", "municipality_nis", "languages",
    "household", "needs_childcare", "needs_mobility_support", "possible_duplicates",
    "registered_at", "registered_by", "agency", "search_key",
]  # fmt: skip


def family_names(rng: random.Random, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize())
    return sorted(names)


def misspelled(name: str, rng: random.Random) -> str:
    """One letter changed (not the first): a spelling the search must tolerate."""
    at = rng.randrange(1, len(name))
    return name[:at] + rng.choice("aeiouy") + name[at + 1 :]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def load_persons(dsn: str, count: int, rng: random.Random) -> list[tuple[str, str]]:
    from intake.domain.search import search_key

    families = family_names(rng, 20_000)
    conn = await asyncpg.connect(dsn)
    names: list[tuple[str, str]] = []
    started = time.perf_counter()
    try:
        batch = []
        now = datetime.now(UTC)
        for n in range(count):
            given, family = rng.choice(GIVEN), rng.choice(families)
            if n % 997 == 0:
                names.append((given, family))
            batch.append(
                (
                    uuid.uuid4(), 1, given, family,
                    date(1960, 1, 1) + timedelta(days=rng.randrange(20_000)),
                    "44021", ["ar"], "[]", False, False, [], now, "bench",
                    AGENCIES[n % 3], search_key(given, family),
                )
            )  # fmt: skip
            if len(batch) == 50_000:
                await conn.copy_records_to_table(
                    "persons", schema_name="intake", columns=PERSON_COLUMNS, records=batch
                )
                batch.clear()
        if batch:
            await conn.copy_records_to_table(
                "persons", schema_name="intake", columns=PERSON_COLUMNS, records=batch
            )
        await conn.execute("ANALYZE intake.persons")
    finally:
        await conn.close()
    print(f"loaded {count:,} persons in {time.perf_counter() - started:.0f} s")
    return names


TRAJECTORIES_SQL = """
INSERT INTO trajecten.trajectories (id, version, person_id, kind, template_version, status,
    municipality_nis, opened_at, target_group, agency)
SELECT gen_random_uuid(), 1, gen_random_uuid(), 'inburgeringstraject', '2025.1',
       CASE WHEN g % 5 = 0 THEN 'completed' WHEN g % 17 = 0 THEN 'suspended' ELSE 'open' END,
       '44021', now() - (g % 1095) * interval '1 day', 'obligated',
       (ARRAY['agii', 'atlas', 'in-gent'])[1 + g % 3]
FROM generate_series(1, $1) g
"""
COMPONENTS_SQL = """
INSERT INTO trajecten.components (trajectory_id, code, position, required, deadline, status, hours)
SELECT t.id, c.code, c.position, c.position < 4,
       (t.opened_at + c.position * interval '120 days')::date,
       CASE WHEN t.status = 'completed' OR t.opened_at + c.position * interval '120 days' < now()
                 - interval '60 days' THEN 'completed'
            WHEN c.position = 0 THEN 'started' ELSE 'planned' END,
       0
FROM trajecten.trajectories t
CROSS JOIN (VALUES ('onthaal', 0), ('nt2', 1), ('mo', 2), ('loopbaan', 3), ('netwerk', 4))
    AS c(code, position)
"""
TRANSITIONS_SQL = """
INSERT INTO trajecten.transitions (trajectory_id, sequence, action, from_status, to_status, actor,
    at, details)
SELECT t.id, 1, 'open', 'none', 'open', 'intake', t.opened_at, '{}'::jsonb
FROM trajecten.trajectories t
UNION ALL
SELECT t.id, 2, 'start', 'planned', 'started',
       'counsellor-' || (abs(hashtext(t.id::text)) % 400) || '@' || t.agency,
       t.opened_at + interval '3 days', '{}'::jsonb
FROM trajecten.trajectories t
"""


async def load_trajectories(dsn: str, count: int) -> None:
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    try:
        await conn.execute(TRAJECTORIES_SQL, count)
        await conn.execute(COMPONENTS_SQL)
        await conn.execute(TRANSITIONS_SQL)
        await conn.execute("ANALYZE trajecten.trajectories")
        await conn.execute("ANALYZE trajecten.components")
        await conn.execute("ANALYZE trajecten.transitions")
    finally:
        await conn.close()
    print(f"loaded {count:,} trajectories in {time.perf_counter() - started:.0f} s")


# The same rows as the service's search: the typed words looked up in the vocabulary of the
# keys' words, the persons by the words found (intake migration 0009).
BARE_SEARCH = """
SELECT *, round(((word_similarity($2, search_key) + word_similarity($3, search_key)) / 2)::numeric,
                4) AS rank
FROM intake.persons
WHERE erased_at IS NULL AND agency = $1
  AND string_to_array(search_key, ' ')
      && (SELECT array_agg(word) FROM intake.search_words WHERE word %> $2)
  AND word_similarity($2, search_key) >= $4
  AND string_to_array(search_key, ' ')
      && (SELECT array_agg(word) FROM intake.search_words WHERE word %> $3)
  AND word_similarity($3, search_key) >= $4
ORDER BY rank DESC, lower(family_name), lower(given_name), id LIMIT 51
"""
# Before migration 0009: the trigram index on the whole key (shown beside, not in the ratio).
WHOLE_KEY_SEARCH = """
SELECT *, round(((word_similarity($2, search_key) + word_similarity($3, search_key)) / 2)::numeric,
                4) AS rank
FROM intake.persons
WHERE erased_at IS NULL AND agency = $1
  AND search_key %> $2 AND word_similarity($2, search_key) >= $4
  AND search_key %> $3 AND word_similarity($3, search_key) >= $4
ORDER BY rank DESC, lower(family_name), lower(given_name), id LIMIT 51
"""
BARE_WORKLIST = """
SELECT t.id, t.person_id, t.municipality_nis, t.target_group, c.code, c.status, c.deadline
FROM trajecten.trajectories t JOIN trajecten.components c ON c.trajectory_id = t.id
WHERE t.status = 'open' AND c.required AND c.status NOT IN ('completed', 'exempted')
  AND c.deadline <= $1 AND t.agency = $2
ORDER BY c.deadline, t.id, c.position LIMIT 500
"""
BARE_CASELOAD = """
SELECT t.id, t.person_id, t.kind, t.status, t.municipality_nis, t.agency, t.opened_at, t.version,
       (SELECT min(c.deadline) FROM trajecten.components c WHERE c.trajectory_id = t.id
          AND c.required AND c.status NOT IN ('completed', 'exempted')) AS next_deadline
FROM trajecten.trajectories t
WHERE t.agency = $2
  AND EXISTS (SELECT 1 FROM trajecten.transitions x WHERE x.trajectory_id = t.id AND x.actor = $1)
ORDER BY next_deadline NULLS LAST, t.id LIMIT 51
"""


# Rapportage's read models at a year's volume, generated in SQL (the rows the projectors write):
# an intake per person (1,000,000 over the last twelve months), the trajectories with five
# components each (one a VDAB referral), 50,000 interpreter requests and 20 years of trainings
# (2,500 a year; the first ten years imported history in ten whole batches), with 50 organisation
# trajectories a year.
NIS_CODES = (
    "11002 11057 12025 13040 21004 21009 23088 24062 25072 31005 35013 37015 42006 44021 "
    "44083 46021 52011 57081 71016 72003"
).split()
RAPPORTAGE_SQL = [
    """
INSERT INTO rapportage.intakes (person_id, registered_at, month, municipality_nis, target_group,
    nationality, residence_category, interpreter_language, dutch_level, agency)
SELECT gen_random_uuid(), at, date_trunc('month', at AT TIME ZONE 'Europe/Brussels')::date,
       ($2::text[])[1 + g % 20],
       (ARRAY['obligated', 'entitled', 'voluntary'])[1 + (g / 7) % 3],
       (ARRAY['SY', 'AF', 'UA', 'MA', 'ER', 'SO', 'TR', 'IQ', 'PS', 'CD'])[1 + (g / 3) % 10],
       (ARRAY['refugee', 'subsidiary', 'family', 'work', 'eu'])[1 + (g / 11) % 5],
       (ARRAY['ar', 'prs', 'uk', 'ti', 'so'])[1 + (g / 13) % 5],
       (ARRAY['A0', 'A1', 'A2', 'B1', NULL])[1 + (g / 17) % 5],
       (ARRAY['agii', 'atlas', 'in-gent'])[1 + g % 3]
FROM (SELECT g, now() - (g % 365) * interval '1 day' - (g % 1440) * interval '1 minute' AS at
      FROM generate_series(1, $1) g) s
""",
    """
INSERT INTO rapportage.trajectories (trajectory_id, person_id, kind, opened_at, month,
    municipality_nis, status, status_at, overdue)
SELECT gen_random_uuid(), i.person_id, 'inburgeringstraject', i.opened_at,
       date_trunc('month', i.opened_at AT TIME ZONE 'Europe/Brussels')::date,
       i.municipality_nis,
       (ARRAY['opened', 'opened', 'opened', 'suspended', 'stopped', 'completed'])[1 + n % 6],
       i.registered_at + interval '20 days', n % 9 = 0
FROM (SELECT person_id, registered_at, registered_at + interval '10 days' AS opened_at,
             municipality_nis, row_number() OVER () AS n
      FROM rapportage.intakes LIMIT $1) i
""",
    """
INSERT INTO rapportage.components (trajectory_id, component, status, status_at, cefr_level,
    result)
SELECT t.trajectory_id, c.code,
       (ARRAY['started', 'completed', 'completed', 'failed', 'exempted'])[1 + (c.n + h) % 5],
       t.opened_at + c.n * interval '30 days',
       CASE WHEN c.code = 'nt2' THEN 'A2' END,
       CASE WHEN c.code = 'vdab_referral' THEN (ARRAY['employed', 'training', NULL])[1 + h % 3]
       END
FROM (SELECT trajectory_id, opened_at, abs(hashtext(trajectory_id::text)) AS h
      FROM rapportage.trajectories) t
CROSS JOIN (VALUES ('onthaal', 0), ('nt2', 1), ('mo', 2), ('netwerk', 3), ('vdab_referral', 4))
    AS c(code, n)
""",
    """
INSERT INTO rapportage.interpreter_requests (request_id, kind, language, modality, urgent,
    received_at, month, assigned_at, status, status_at, actual_minutes)
SELECT gen_random_uuid(), (ARRAY['interpreting', 'translation'])[1 + (g / 5) % 2],
       (ARRAY['ar', 'prs', 'uk', 'ti', 'so', 'tr', 'ru', 'fa'])[1 + g % 8],
       (ARRAY['on_site', 'phone', 'video', NULL])[1 + (g / 3) % 4], g % 10 = 0, at,
       date_trunc('month', at AT TIME ZONE 'Europe/Brussels')::date,
       CASE WHEN g % 7 <> 0 THEN at + (g % 72) * interval '1 hour' END,
       (ARRAY['unfulfilled', 'assigned', 'completed', 'completed', 'completed', 'cancelled',
              'assigned'])[1 + g % 7],
       at + interval '3 days', CASE WHEN g % 7 IN (2, 3, 4) THEN 60 + g % 90 END
FROM (SELECT g, now() - (g % 365) * interval '1 day' AS at FROM generate_series(1, $1) g) s
""",
    """
INSERT INTO rapportage.import_batches (import_id, kind, filename, imported_at, status, imported,
    rejected, declared, rows, rows_total, rows_done)
SELECT ('00000000-0000-0000-0000-' || lpad(b::text, 12, '0'))::uuid, 'trainings',
       'vormingen-' || (extract(year FROM now())::int - 20 + b) || '.xlsx', now(), 'imported',
       2500, '[]', jsonb_build_array(jsonb_build_object('line', 2501, 'year',
       extract(year FROM now())::int - 20 + b, 'agencies', jsonb_build_array('agii'),
       'trainings', 2500)),
       (SELECT jsonb_agg(jsonb_build_object('line', r,
               'year', extract(year FROM now())::int - 20 + b, 'agencies',
               jsonb_build_array('agii'), 'label', 'Thema ' || r % 5, 'trainings', 1))
        FROM generate_series(1, 2500) r), 2500, 2500
FROM generate_series(1, 10) b
""",
    """
INSERT INTO rapportage.batch_rows (import_id, applied)
SELECT import_id, imported FROM rapportage.import_batches
""",
    """
INSERT INTO rapportage.trainings (training_id, sequence, source, year, agencies, joint, offer,
    theme, theme_code, title, description, region, status, trainings, organisers,
    local_government_participants, other_participants, local_governments, other_organisations,
    cost_eur, cost_by, staff_hours, invited, responded, satisfied, outcome, import_id)
SELECT gen_random_uuid(), 1, CASE WHEN y <= 10 THEN 'historical' ELSE 'live' END,
       extract(year FROM now())::int - 20 + y,
       CASE WHEN g % 10 = 0 THEN ARRAY['agii', 'atlas'] ELSE ARRAY[(ARRAY['agii', 'atlas',
            'in-gent'])[1 + g % 3]] END,
       g % 10 = 0, (ARRAY['open', 'custom', NULL])[1 + g % 3],
       (ARRAY['Duidelijke taal', 'Meertaligheid', 'Tolken', 'Diversiteit', 'Polarisatie'])
           [1 + (g / 3) % 5],
       CASE WHEN y > 10 THEN (ARRAY['duidelijke-taal', 'meertaligheid', 'tolken', 'diversiteit',
            'polarisatie'])[1 + (g / 3) % 5] END,
       'Vorming ' || g, 'Toelichting bij vorming ' || g,
       (ARRAY['Antwerpen', 'Brussel', 'Limburg', 'Oost-Vlaanderen', 'Vlaams-Brabant',
              'West-Vlaanderen', 'regio-overschrijdend'])[1 + g % 7],
       CASE WHEN g % 50 = 0 THEN 'cancelled' ELSE 'held' END, 1, ARRAY['Stad Gent'],
       g % 12, g % 7, ARRAY['Stad Gent'], ARRAY['CAW'],
       CASE WHEN g % 20 = 0 THEN NULL ELSE 100 + g % 400 END,
       CASE WHEN g % 20 = 0 OR g % 10 = 0 THEN '{}'::jsonb
            ELSE jsonb_build_object((ARRAY['agii', 'atlas', 'in-gent'])[1 + g % 3],
                                    (100 + g % 400)::text) END,
       CASE WHEN g % 25 = 0 THEN NULL ELSE 7.5 END,
       CASE WHEN g % 4 = 0 THEN 20 END, CASE WHEN g % 4 = 0 THEN 12 END,
       CASE WHEN g % 4 = 0 THEN 10 END,
       (ARRAY['continued', 'stopped', 'adjusted', NULL, NULL, NULL])[1 + g % 6],
       CASE WHEN y <= 10 THEN ('00000000-0000-0000-0000-' || lpad(y::text, 12, '0'))::uuid END
FROM generate_series(1, 20) y, generate_series(1, 2500) g
""",
    """
INSERT INTO rapportage.organisation_trajectories (organisation_trajectory_id, sequence, source,
    edition, year, agencies, partners, region, goal, content, status, organisations,
    participants, organisation_names, cost_eur, cost_by, staff_hours, results,
    evaluation_criteria, sessions, groups, invited, responded, satisfied)
SELECT gen_random_uuid(), 1, 'live', (y0 + y) || '-' || (y0 + y + 1), y0 + y, ARRAY['agii'],
       ARRAY['VVSG'], (ARRAY['Antwerpen', 'Limburg', 'Oost-Vlaanderen'])[1 + g % 3],
       'Doel ' || g, 'Inhoud ' || g, 'completed', 4, 30, ARRAY['OCMW A', 'CAW B'], 5000,
       '{"agii": "3000"}'::jsonb, 120, 'Resultaten', ARRAY['tevredenheid'], 6, 2, 30, 20, 15
FROM (SELECT extract(year FROM now())::int - 21 AS y0) s, generate_series(1, 20) y,
     generate_series(1, 50) g
""",
]


async def load_rapportage(dsn: str, persons: int, trajectories: int, requests: int) -> None:
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    try:
        intakes, trajectory_rows, components, interpreting, *rest = RAPPORTAGE_SQL
        await conn.execute(intakes, persons, NIS_CODES)
        await conn.execute(trajectory_rows, trajectories)
        await conn.execute(components)
        await conn.execute(interpreting, requests)
        for statement in rest:
            await conn.execute(statement)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    print(f"loaded rapportage's read models in {time.perf_counter() - started:.0f} s")


async def report_reads(
    db: Any, args: argparse.Namespace
) -> dict[str, tuple[list[float], list[float], int]]:
    """Every report of rapportage's catalogue over a year's data, beside its bare SQL: the same
    statements the report runs (captured from its session), sent with plain asyncpg, without
    the unit of work, SQLAlchemy's compilation and row mapping or building the tables. Training
    reports over the 20 years, newcomer reports over everything."""
    from sqlalchemy import event

    from rapportage.app.catalogue import CATALOGUE, Params
    from rapportage.main import SERVICE as RAPPORTAGE
    from rapportage.settings import RapportageSettings

    runtime = RAPPORTAGE.runtime(ServiceSettings(database_url=db.url("rapportage"), jwt_jwks="-"))
    results: dict[str, tuple[list[float], list[float], int]] = {}
    try:
        await upgrade(runtime.engine, runtime.migrations, "rapportage")
        dsn = asyncpg_dsn(db.url("rapportage"))
        await load_rapportage(dsn, args.persons, args.trajectories, args.interpreter_requests)
        settings = RapportageSettings()
        this_year = date.today().year
        captured: list[tuple[str, tuple[Any, ...]]] = []

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            captured.append((statement, tuple(parameters or ())))

        event.listen(runtime.engine.sync_engine, "before_cursor_execute", capture)
        bare = await asyncpg.connect(dsn)
        try:
            for report_id, report in CATALOGUE.items():
                newcomers = "municipality_nis" in report.parameters
                params = Params() if newcomers else Params(this_year - 19, this_year)
                ours_t, bare_t, differing = [], [], 0
                for n in range(args.report_samples + 1):
                    captured.clear()
                    async with runtime.uow() as uow:
                        started = time.perf_counter()
                        tables = await report.query(uow.session, params, settings)
                        ours = time.perf_counter() - started
                    statements = list(captured)
                    started = time.perf_counter()
                    rows = [await bare.fetch(sql, *p) for sql, p in statements]
                    theirs = time.perf_counter() - started
                    if n:  # the first run warms the caches
                        ours_t.append(ours)
                        bare_t.append(theirs)
                        # the same statements: rows for the report's tables, or none for neither
                        differing += bool(sum(map(len, rows))) != any(t.rows for t in tables)
                results[f"report {report_id} (rapportage)"] = (ours_t, bare_t, differing)
        finally:
            await bare.close()
    finally:
        await runtime.engine.dispose()
    return results


async def run(args: argparse.Namespace) -> None:
    from intake.adapters.repository import PersonFilter
    from intake.app.persons import search_persons
    from intake.domain.search import WORD_THRESHOLD, query_words
    from intake.main import SERVICE as INTAKE
    from trajecten.app.trajectories import caseload, worklist
    from trajecten.domain.caseload import CaseloadQuery
    from trajecten.main import SERVICE as TRAJECTEN

    rng = random.Random(2026)
    results: dict[str, tuple[list[float], list[float], int]] = {}
    whole_key: list[float] = []  # the search as before intake's migration 0009
    whole_key_differing: list[bool] = []
    with test_infra(REPO) as infra:
        async with isolated_environment(infra) as (db, _prefix):
            runtimes = {
                name: service.runtime(ServiceSettings(database_url=db.url(name), jwt_jwks="-"))
                for name, service in (("intake", INTAKE), ("trajecten", TRAJECTEN))
            }
            try:
                for name, runtime in runtimes.items():
                    await upgrade(runtime.engine, runtime.migrations, name)
                names = await load_persons(asyncpg_dsn(db.url("intake")), args.persons, rng)
                await load_trajectories(asyncpg_dsn(db.url("trajecten")), args.trajectories)

                counter = Principal("bench@agii", frozenset({"counter"}), "agii")
                intake_bare = await asyncpg.connect(asyncpg_dsn(db.url("intake")))
                trajecten_bare = await asyncpg.connect(asyncpg_dsn(db.url("trajecten")))
                try:

                    async def search_pair() -> tuple[float, float, int]:
                        given, family = rng.choice(names)
                        typed = f"{given} {misspelled(family, rng)}"
                        started = time.perf_counter()
                        found = await search_persons(
                            runtimes["intake"].uow(), PersonFilter(name=typed), None, 51, counter
                        )
                        ours = time.perf_counter() - started
                        words = query_words(typed)
                        started = time.perf_counter()
                        async with intake_bare.transaction():
                            await intake_bare.execute(
                                "SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)",
                                str(WORD_THRESHOLD),
                            )
                            bare = await intake_bare.fetch(
                                BARE_SEARCH, "agii", words[0], words[-1], WORD_THRESHOLD
                            )
                        theirs = time.perf_counter() - started
                        started = time.perf_counter()
                        async with intake_bare.transaction():
                            await intake_bare.execute(
                                "SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)",
                                str(WORD_THRESHOLD),
                            )
                            before = await intake_bare.fetch(
                                WHOLE_KEY_SEARCH, "agii", words[0], words[-1], WORD_THRESHOLD
                            )
                        whole_key.append(time.perf_counter() - started)
                        whole_key_differing.append(len(before) != len(bare))
                        return ours, theirs, abs(len(found) - len(bare))

                    async def worklist_pair() -> tuple[float, float, int]:
                        agency = rng.choice(AGENCIES)
                        by = Principal(f"counsellor-1@{agency}", frozenset({"counsellor"}), agency)
                        today = date.today()
                        until = today + timedelta(days=14)
                        started = time.perf_counter()
                        rows = await worklist(runtimes["trajecten"].uow(), today, until, by)
                        ours = time.perf_counter() - started
                        started = time.perf_counter()
                        bare = await trajecten_bare.fetch(BARE_WORKLIST, until, agency)
                        theirs = time.perf_counter() - started
                        return ours, theirs, abs(len(rows) - len(bare))

                    async def caseload_pair() -> tuple[float, float, int]:
                        agency = rng.choice(AGENCIES)
                        subject = f"counsellor-{rng.randrange(400)}@{agency}"
                        by = Principal(subject, frozenset({"counsellor"}), agency)
                        started = time.perf_counter()
                        rows = await caseload(
                            runtimes["trajecten"].uow(), CaseloadQuery(), date.today(), None, 51, by
                        )
                        ours = time.perf_counter() - started
                        started = time.perf_counter()
                        bare = await trajecten_bare.fetch(BARE_CASELOAD, subject, agency)
                        theirs = time.perf_counter() - started
                        return ours, theirs, abs(len(rows) - len(bare))

                    for name, pair in (
                        ("search by name (intake)", search_pair),
                        ("worklist (trajecten)", worklist_pair),
                        ("Mijn dossiers (trajecten)", caseload_pair),
                    ):
                        for _ in range(3):  # warm the caches and the pools
                            await pair()
                        ours_t, bare_t, differing = [], [], 0
                        for _ in range(args.samples):
                            ours, theirs, diff = await pair()
                            ours_t.append(ours)
                            bare_t.append(theirs)
                            differing += diff > 0
                        results[name] = (ours_t, bare_t, differing)
                finally:
                    await intake_bare.close()
                    await trajecten_bare.close()
            finally:
                for runtime in runtimes.values():
                    await runtime.engine.dispose()
            results[DESK] = await tolken_desk_queue(db, args.interpreter_requests, args.samples)
            results.update(await report_reads(db, args))

    goals = {
        "search by name (intake)": 50,
        "worklist (trajecten)": 100,
        "Mijn dossiers (trajecten)": 100,
        DESK: 100,
    } | {name: 500 for name in results if name.startswith("report ")}
    worst = 0.0
    print(
        f"{args.persons:,} persons, {args.trajectories:,} trajectories, "
        f"{args.interpreter_requests:,} interpreter requests, {args.samples} samples"
    )
    for name, (ours, bare, differing) in results.items():
        p95, bare95 = percentile(ours, 0.95) * 1000, percentile(bare, 0.95) * 1000
        worst = max(worst, p95 / bare95)
        verdict = "ok" if p95 < goals[name] else f"OVER the {goals[name]} ms goal"
        print(
            f"{name}: p50 {percentile(ours, 0.5) * 1000:.1f} ms, p95 {p95:.1f} ms ({verdict}); "
            f"bare SQL p50 {percentile(bare, 0.5) * 1000:.1f} ms, p95 {bare95:.1f} ms; "
            f"{differing} samples with a different row count"
        )
    if whole_key:
        print(
            f"  search as before intake 0009 (trigram index on the whole key): "
            f"p50 {percentile(whole_key, 0.5) * 1000:.1f} ms, "
            f"p95 {percentile(whole_key, 0.95) * 1000:.1f} ms; "
            f"{sum(whole_key_differing)} samples with a different row count"
        )
    print(
        "machine: {} cores, load average {:.1f} {:.1f} {:.1f}".format(
            os.cpu_count(), *os.getloadavg()
        )
    )
    print(f"ratio worst p95 service/bare: {worst:.2f}")


# ---------------------------------------------------------------- tolken: the desk's queue

DESK = "interpreter desk queue (tolken)"
# A year of interpreter requests: from 300 days back to 65 ahead, 8:00-16:00; the past ones
# closed (completed, cancelled, unfulfilled), the future ones open (received) or assigned.
TOLKEN_REQUESTS_SQL = """
INSERT INTO tolken.requests (id, version, kind, organisation, language, modality, starts_at,
    ends_at, municipality_nis, latitude, longitude, region, subject_category, urgent, person_id,
    status, interpreter_id, created_by, received_at)
SELECT gen_random_uuid(), 1, 'interpreting', 'org-' || (n % 30), ($2::text[])[1 + n % 25],
    ($3::text[])[1 + n % 3], s, s + interval '1 hour', '44021',
    51.05 + (n % 7) * 0.01, 3.72 + (n % 5) * 0.01, 'Oost-Vlaanderen', 'welzijn', n % 17 = 0,
    CASE WHEN n % 2 = 0 THEN gen_random_uuid() END,
    CASE WHEN s < now() THEN (ARRAY['completed', 'completed', 'completed', 'completed',
        'completed', 'completed', 'completed', 'completed', 'cancelled', 'unfulfilled'])[1 + n % 10]
        WHEN n % 5 < 2 THEN 'assigned' ELSE 'received' END,
    CASE WHEN s < now() OR n % 5 < 2 THEN ($4::uuid[])[1 + n % array_length($4::uuid[], 1)] END,
    'bench', s - interval '12 days'
FROM (SELECT n, date_trunc('hour', now()) - interval '300 days' + (n % 365) * interval '1 day'
        + (n % 9) * interval '1 hour' AS s
      FROM generate_series(1, $1) AS n) AS g
"""
# The year's bookings: one per assigned or completed request (its busy time for the future
# ones; an overlap the database refuses is left out).
TOLKEN_ASSIGNMENTS_SQL = """
INSERT INTO tolken.assignments (id, request_id, interpreter_id, person_id, day, busy, by_desk)
SELECT gen_random_uuid(), id, interpreter_id, person_id,
    (starts_at AT TIME ZONE 'Europe/Brussels')::date,
    CASE WHEN status = 'assigned' THEN tstzrange(starts_at - interval '30 minutes',
        ends_at + interval '30 minutes') END, false
FROM tolken.requests WHERE interpreter_id IS NOT NULL
ON CONFLICT DO NOTHING
"""
# The same page of open requests as the service reads, with the interpreters of its language and
# modality: the rows matching starts from, in one statement.
BARE_DESK_QUEUE = """
WITH page AS (
    SELECT * FROM tolken.requests
    WHERE status IN ('received', 'offered') AND ($1::text IS NULL OR language = $1)
      AND ($2::date IS NULL OR (date(timezone('Europe/Brussels', coalesce(starts_at, deadline))),
           NOT urgent, coalesce(starts_at, deadline), id)
           > ($2::date, $3::boolean, $4::timestamptz, $5::uuid))
    ORDER BY date(timezone('Europe/Brussels', coalesce(starts_at, deadline))), NOT urgent,
        coalesce(starts_at, deadline), id
    LIMIT $6
)
SELECT page.id, i.id AS interpreter_id, o.id AS offer_id
FROM page
LEFT JOIN tolken.interpreters AS i ON i.active AND i.languages @> ARRAY[page.language]
    AND (page.modality IS NULL OR i.modalities @> ARRAY[page.modality])
LEFT JOIN tolken.offers AS o ON o.request_id = page.id AND o.status IN ('pending', 'declined')
"""


async def tolken_desk_queue(db: object, count: int, samples: int) -> tuple[list, list, int]:
    """The desk's queue at a year's volume against its bare query, ``samples`` times each:
    the first page, a language's first page, or a page deep in the queue (after a random open
    request), the language of half of them filtered."""
    from sqlalchemy.dialects.postgresql import insert
    from tolken_matching import LANGUAGES, make_interpreter

    from tolken.adapters.registry import interpreter_values, queue_position
    from tolken.adapters.tables import interpreters
    from tolken.app.requests import desk_queue
    from tolken.domain.policy import Policy
    from tolken.main import SERVICE as TOLKEN
    from tolken.web.pages import DESK_PAGE_SIZE

    rng = random.Random(2027)
    runtime = TOLKEN.runtime(ServiceSettings(database_url=db.url("tolken"), jwt_jwks="-"))  # type: ignore[attr-defined]
    dsn = asyncpg_dsn(db.url("tolken"))  # type: ignore[attr-defined]
    policy = Policy()
    desk = Principal("bench@agii", frozenset({"interpreter_desk"}), "agii")
    try:
        await upgrade(runtime.engine, runtime.migrations, "tolken")
        registry = [make_interpreter() for _ in range(300)]
        async with runtime.sessionmaker() as session:
            await session.execute(
                insert(interpreters), [{"id": i.id} | interpreter_values(i) for i in registry]
            )
            await session.commit()
        started = time.perf_counter()
        bare = await asyncpg.connect(dsn)
        try:
            await bare.execute(
                TOLKEN_REQUESTS_SQL,
                count,
                LANGUAGES[:25],
                ["on_site", "phone", "video"],
                [i.id for i in registry],
            )
            await bare.execute(TOLKEN_ASSIGNMENTS_SQL)
            await bare.execute("ANALYZE")
            open_rows = await bare.fetch(
                "SELECT id, language FROM tolken.requests WHERE status = 'received'"
            )
            print(
                f"loaded {count:,} interpreter requests ({len(open_rows):,} open) in "
                f"{time.perf_counter() - started:.0f} s"
            )
            from tolken.adapters.registry import RequestRepository

            async def position_of(request_id: uuid.UUID) -> tuple:
                async with runtime.sessionmaker() as session:
                    found = await RequestRepository(session).get(request_id)
                assert found is not None
                return queue_position(found)

            async def desk_pair() -> tuple[float, float, int]:
                language = rng.choice([None, rng.choice(LANGUAGES[:25])])
                after = None
                if rng.random() < 0.5:
                    row = rng.choice(open_rows)
                    after = await position_of(row["id"])
                    language = language and row["language"]
                started = time.perf_counter()
                items, _ = await desk_queue(
                    runtime.uow(), language, None, policy, desk, after, DESK_PAGE_SIZE
                )
                ours = time.perf_counter() - started
                started = time.perf_counter()
                rows = await bare.fetch(
                    BARE_DESK_QUEUE, language, *(after or (None,) * 4), DESK_PAGE_SIZE + 1
                )
                theirs = time.perf_counter() - started
                pages = len({r["id"] for r in rows})
                return ours, theirs, abs(len(items) - min(pages, DESK_PAGE_SIZE))

            for _ in range(3):
                await desk_pair()
            ours_t, bare_t, differing = [], [], 0
            for _ in range(samples):
                ours, theirs, diff = await desk_pair()
                ours_t.append(ours)
                bare_t.append(theirs)
                differing += diff > 0
        finally:
            await bare.close()
    finally:
        await runtime.engine.dispose()
    return ours_t, bare_t, differing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--trajectories", type=int, default=200_000)
    parser.add_argument("--interpreter-requests", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--report-samples", type=int, default=5, help="runs of each report")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
