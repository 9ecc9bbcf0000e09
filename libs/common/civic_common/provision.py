"""Create the database, one schema and one role per service, and the Kafka topics. Idempotent.

Each service's role owns its schema and is granted nothing else, so no service can read
another's tables. Used by ``make up``, the test fixtures and the compose ``provision`` job.
Passwords come from ``CIVIC_<SERVICE>_DB_PASSWORD``; none is ever written by this module.
"""

import argparse
import asyncio
import os
from collections.abc import Mapping

import asyncpg
from sqlalchemy.engine import URL, make_url

from civic_common.events.contracts import TOPICS
from civic_common.events.contracts.base import SERVICES, deadletter_topic
from civic_common.kafka import ensure_topics

# Schemas of infrastructure processes, not services: a role and schema each, but no Kafka
# consumer, so no dead-letter topic (that is what SERVICES means). The token issuer of the
# embedded default keeps its partner clients in "issuer".
INFRASTRUCTURE = ("issuer",)

# Extensions a service needs in its schema; only a superuser may create them.
EXTENSIONS: dict[str, tuple[str, ...]] = {"tolken": ("btree_gist",)}


def all_topics(prefix: str = "") -> dict[str, int]:
    topics = dict(TOPICS) | {deadletter_topic(s): 1 for s in SERVICES}
    return {prefix + name: parts for name, parts in topics.items()}


def service_url(admin_url: str, database: str, role: str, password: str) -> str:
    """The SQLAlchemy URL a service process uses: same server, its own role."""
    admin = make_url(admin_url)
    return URL.create(
        "postgresql+asyncpg", role, password, admin.host, admin.port, database
    ).render_as_string(hide_password=False)


async def _execute_formatted(conn: asyncpg.Connection, template: str, *args: str) -> None:
    # DDL takes no bind parameters: let the server quote identifiers (%I) and literals (%L).
    params = ", ".join(f"${i}::text" for i in range(1, len(args) + 1))
    await conn.execute(await conn.fetchval(f"SELECT format('{template}', {params})", *args))


async def provision_database(
    admin_url: str, database: str, roles: Mapping[str, tuple[str, str]]
) -> None:
    """``roles`` maps each service (= its schema) to (role name, password)."""
    admin = make_url(admin_url).set(drivername="postgresql")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await _execute_formatted(conn, "CREATE DATABASE %I", database)
        for role, password in roles.values():
            verb = (
                "ALTER"
                if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname=$1", role)
                else "CREATE"
            )
            await _execute_formatted(
                conn,
                f"{verb} ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L",
                role,
                password,
            )
    finally:
        await conn.close()

    conn = await asyncpg.connect(admin.set(database=database).render_as_string(hide_password=False))
    try:
        await _execute_formatted(conn, "REVOKE ALL ON DATABASE %I FROM PUBLIC", database)
        await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        for schema, (role, _) in roles.items():
            await _execute_formatted(conn, "GRANT CONNECT ON DATABASE %I TO %I", database, role)
            await _execute_formatted(
                conn, "CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I", schema, role
            )
            await _execute_formatted(
                conn, "ALTER ROLE %I IN DATABASE %I SET search_path = %I", role, database, schema
            )
            for extension in EXTENSIONS.get(schema, ()):
                await _execute_formatted(
                    conn, "CREATE EXTENSION IF NOT EXISTS %I SCHEMA %I", extension, schema
                )
    finally:
        await conn.close()


async def drop_database(admin_url: str, database: str, roles: list[str]) -> None:
    admin = make_url(admin_url).set(drivername="postgresql")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await _execute_formatted(conn, "DROP DATABASE IF EXISTS %I WITH (FORCE)", database)
        for role in roles:
            await _execute_formatted(conn, "DROP ROLE IF EXISTS %I", role)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="civic-provision", description=__doc__)
    parser.add_argument("--database", default=os.environ.get("CIVIC_DB_NAME", "civic"))
    parser.add_argument("--topic-prefix", default=os.environ.get("CIVIC_TOPIC_PREFIX", ""))
    parser.add_argument("--skip-topics", action="store_true")
    args = parser.parse_args()
    admin_url = os.environ["CIVIC_ADMIN_DATABASE_URL"]
    schemas = (*SERVICES, *INFRASTRUCTURE)
    roles = {s: (s, os.environ[f"CIVIC_{s.upper()}_DB_PASSWORD"]) for s in schemas}
    asyncio.run(provision_database(admin_url, args.database, roles))
    print(f"database {args.database}: schemas and roles {', '.join(schemas)}")
    if not args.skip_topics:
        created = asyncio.run(
            ensure_topics(os.environ["CIVIC_KAFKA_BOOTSTRAP"], all_topics(args.topic_prefix))
        )
        print(f"topics created: {', '.join(created) or 'none (all present)'}")


if __name__ == "__main__":
    main()
