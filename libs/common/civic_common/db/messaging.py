"""Tables every service keeps in its own schema: outbox, inbox, the append-only audit log, the
Idempotency-Key records of its POST endpoints and the DPoP proofs it has seen."""

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table
    audit_log: Table
    idempotency_keys: Table
    dpop_proofs: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    """Define the tables in ``metadata``'s schema (the service's own)."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("topic", Text, nullable=False, comment="logical topic, without the run's prefix"),
        Column("partition_key", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Index("outbox_partition_key_id", "partition_key", "id"),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("event_type", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    audit_log = Table(
        "audit_log",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("actor", Text, nullable=False),
        Column("role", Text, nullable=False),
        Column("organisation", Text),
        Column("action", Text, nullable=False, comment="read, create, update, erase"),
        Column("subject_type", Text, nullable=False),
        Column("subject_id", Text, nullable=False),
        Column("purpose", Text),
        Column("trace_id", Text),
    )
    idempotency_keys = Table(
        "idempotency_keys",
        metadata,
        Column("principal", Text, primary_key=True),
        Column("key", Text, primary_key=True),
        Column("request_hash", Text, nullable=False),
        Column("status_code", Integer, comment="null while the first request is in flight"),
        Column("body", LargeBinary),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return MessagingTables(
        outbox, inbox, audit_log, idempotency_keys, proof_registry_table(metadata)
    )


def proof_registry_table(metadata: MetaData) -> Table:
    """DPoP proof ids (per key) seen by this service, kept until the proof expires."""
    return Table(
        "dpop_proofs",
        metadata,
        Column("thumbprint", Text, primary_key=True),
        Column("jti", Text, primary_key=True),
        Column("expires_at", DateTime(timezone=True), nullable=False),
        Index("dpop_proofs_expires_at", "expires_at"),
    )


def outbox_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel that wakes a service's outbox relay."""
    return f"{schema}_outbox"


def create_messaging_tables(bind: Connection, schema: str) -> None:
    """For a service's first migration: the tables and the relay wake-up. The audit log is
    provisioning's (``audit_schema``): the service reaches it through the view ``audit_log``
    in its own schema. Only a schema provisioned before that existed gets it here, as a table
    of its own, which the next provisioning moves into the audit schema."""
    tables = messaging_tables(MetaData(schema=schema))
    for table in (tables.outbox, tables.inbox, tables.idempotency_keys):
        table.create(bind)
    statements = [
        f"""CREATE FUNCTION {schema}.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('{outbox_channel(schema)}', ''); RETURN NULL; END $$""",
        f"""CREATE TRIGGER outbox_notify AFTER INSERT ON {schema}.outbox
            FOR EACH STATEMENT EXECUTE FUNCTION {schema}.notify_outbox()""",
    ]
    if bind.execute(text(f"SELECT to_regclass('{schema}.audit_log')")).scalar() is None:
        tables.audit_log.create(bind)
        statements += append_only_statements(schema, schema)
    for statement in statements:
        bind.execute(text(statement))


def audit_schema(schema: str) -> str:
    """The schema holding a service's audit log, owned by a role the service is not."""
    return f"{schema}_audit"


def audit_log_table_ddl(schema: str) -> str:
    """CREATE TABLE of the audit log in ``schema``: the same columns the service writes."""
    table = messaging_tables(MetaData(schema=schema)).audit_log
    return str(CreateTable(table).compile(dialect=postgresql.dialect()))


def append_only_statements(table_schema: str, function_schema: str) -> list[str]:
    """A trigger refusing UPDATE, DELETE and TRUNCATE on the audit log."""
    return [
        f"""CREATE OR REPLACE FUNCTION {function_schema}.audit_log_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
        f"DROP TRIGGER IF EXISTS audit_log_append_only ON {table_schema}.audit_log",
        f"""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
            ON {table_schema}.audit_log FOR EACH STATEMENT
            EXECUTE FUNCTION {function_schema}.audit_log_append_only()""",
    ]


def create_proof_registry(bind: Connection, schema: str) -> None:
    """For a migration: the DPoP replay registry (``db.proofs``)."""
    proof_registry_table(MetaData(schema=schema)).create(bind)
