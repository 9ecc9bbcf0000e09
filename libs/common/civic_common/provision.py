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

from civic_common.db.messaging import append_only_statements, audit_log_table_ddl, audit_schema
from civic_common.events.contracts import TOPICS
from civic_common.events.contracts.base import SERVICES, deadletter_topic
from civic_common.kafka import ensure_topics

# Schemas of infrastructure processes, not services: a role and schema each, but no Kafka
# consumer, so no dead-letter topic (that is what SERVICES means). The token issuer of the
# embedded default keeps its partner clients in "issuer".
INFRASTRUCTURE = ("issuer",)

# Extensions a service needs in its schema; only a superuser may create them. intake's name
# search compares trigrams (pg_trgm; accents are folded by the service itself).
EXTENSIONS: dict[str, tuple[str, ...]] = {"tolken": ("btree_gist",), "intake": ("pg_trgm",)}


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
            if schema in SERVICES:
                await _seal_audit_log(conn, schema, role)
    finally:
        await conn.close()


def audit_owner(role: str) -> str:
    return f"{role}_audit"


async def _seal_audit_log(conn: asyncpg.Connection, schema: str, role: str) -> None:
    """The service's audit log lives in a schema of its own, owned by a role the service is not
    (NOLOGIN); the service may only INSERT and SELECT, through the view ``<schema>.audit_log``.
    So it can neither delete, update nor truncate rows, nor disable the append-only trigger,
    nor drop the table. A service table ``audit_log`` left by an earlier version moves there,
    with its rows."""
    owner, vault = audit_owner(role), audit_schema(schema)
    if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", owner):
        await _execute_formatted(conn, "CREATE ROLE %I NOLOGIN", owner)
    await _execute_formatted(conn, "CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I", vault, owner)
    await _execute_formatted(conn, "GRANT USAGE ON SCHEMA %I TO %I", vault, role)
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{vault}.audit_log")
    old_kind = await conn.fetchval(
        "SELECT c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relname = 'audit_log'",
        schema,
    )
    async with conn.transaction():
        if not exists and old_kind == "r":  # an earlier version's table: it moves, with its rows
            await _execute_formatted(
                conn, "DROP TRIGGER IF EXISTS audit_log_append_only ON %I.audit_log", schema
            )
            await _execute_formatted(conn, "ALTER TABLE %I.audit_log SET SCHEMA %I", schema, vault)
        elif not exists:
            await conn.execute(audit_log_table_ddl(vault))
        await _execute_formatted(conn, "ALTER TABLE %I.audit_log OWNER TO %I", vault, owner)
        for statement in append_only_statements(f'"{vault}"', f'"{vault}"'):
            await conn.execute(statement)
        await _execute_formatted(
            conn, "ALTER FUNCTION %I.audit_log_append_only() OWNER TO %I", vault, owner
        )
        await _execute_formatted(conn, "REVOKE ALL ON %I.audit_log FROM %I", vault, role)
        await _execute_formatted(conn, "GRANT SELECT, INSERT ON %I.audit_log TO %I", vault, role)
        await _execute_formatted(
            conn, "GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO %I", vault, role
        )
        if old_kind != "v":
            await _execute_formatted(
                conn, "CREATE VIEW %I.audit_log AS SELECT * FROM %I.audit_log", schema, vault
            )
            await _execute_formatted(conn, "ALTER VIEW %I.audit_log OWNER TO %I", schema, role)


async def drop_database(admin_url: str, database: str, roles: list[str]) -> None:
    admin = make_url(admin_url).set(drivername="postgresql")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await _execute_formatted(conn, "DROP DATABASE IF EXISTS %I WITH (FORCE)", database)
        for role in roles:  # with the audit owners provisioning made beside them
            await _execute_formatted(conn, "DROP ROLE IF EXISTS %I", role)
            await _execute_formatted(conn, "DROP ROLE IF EXISTS %I", audit_owner(role))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="civic-provision", description=__doc__)
    parser.add_argument("--database", default=os.environ.get("CIVIC_DB_NAME", "civic"))
    parser.add_argument("--topic-prefix", default=os.environ.get("CIVIC_TOPIC_PREFIX", ""))
    parser.add_argument(
        "--replication-factor",
        type=int,
        default=int(os.environ.get("CIVIC_KAFKA_REPLICATION_FACTOR", "1")),
        help="replicas of each new topic (production: 3)",
    )
    parser.add_argument(
        "--min-insync-replicas",
        type=int,
        default=int(os.environ.get("CIVIC_KAFKA_MIN_INSYNC_REPLICAS", "0")) or None,
        help="min.insync.replicas of each new topic (production: 2)",
    )
    parser.add_argument("--skip-topics", action="store_true")
    args = parser.parse_args()
    admin_url = os.environ["CIVIC_ADMIN_DATABASE_URL"]
    schemas = (*SERVICES, *INFRASTRUCTURE)
    roles = {s: (s, os.environ[f"CIVIC_{s.upper()}_DB_PASSWORD"]) for s in schemas}
    asyncio.run(provision_database(admin_url, args.database, roles))
    print(f"database {args.database}: schemas and roles {', '.join(schemas)}")
    if not args.skip_topics:
        created = asyncio.run(
            ensure_topics(
                os.environ["CIVIC_KAFKA_BOOTSTRAP"],
                all_topics(args.topic_prefix),
                args.replication_factor,
                args.min_insync_replicas,
            )
        )
        print(f"topics created: {', '.join(created) or 'none (all present)'}")


if __name__ == "__main__":
    main()
