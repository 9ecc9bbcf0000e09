"""Each service's role owns its schema and can reach nothing else."""

import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.integration


async def connect_as(civic_db, service: str) -> asyncpg.Connection:
    url = make_url(civic_db.url(service)).set(drivername="postgresql")
    return await asyncpg.connect(url.render_as_string(hide_password=False))


async def test_a_service_cannot_read_another_services_tables(migrated, civic_db):
    conn = await connect_as(civic_db, "trajecten")
    try:
        assert await conn.fetchval("SELECT count(*) FROM trajecten.trajectories") >= 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM intake.persons")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE public.sneaky (id int)")
    finally:
        await conn.close()


@pytest.mark.parametrize("service", ["intake", "trajecten"])
async def test_a_service_cannot_erase_or_switch_off_its_own_audit_trail(
    migrated, civic_db, service
):
    """As the service's own role: it writes and reads its audit log (through the view in its
    schema), and every way to rewrite or silence it is refused."""
    conn = await connect_as(civic_db, service)
    vault = f"{service}_audit"
    try:
        await conn.execute(
            f"INSERT INTO {service}.audit_log (actor, role, action, subject_type, subject_id)"
            " VALUES ('x', 'counter', 'read', 'person', '1')"
        )
        assert await conn.fetchval(f"SELECT count(*) FROM {service}.audit_log") >= 1
        for attempt in (
            f"DELETE FROM {service}.audit_log",
            f"UPDATE {service}.audit_log SET actor = 'y'",
            f"DELETE FROM {vault}.audit_log",
            f"TRUNCATE {vault}.audit_log",
            f"ALTER TABLE {vault}.audit_log DISABLE TRIGGER ALL",
            f"ALTER TABLE {vault}.audit_log DISABLE TRIGGER audit_log_append_only",
            f"DROP TABLE {vault}.audit_log",
            f"DROP SCHEMA {vault} CASCADE",
            f"CREATE OR REPLACE FUNCTION {vault}.audit_log_append_only() RETURNS trigger"
            " LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
            f"ALTER TABLE {vault}.audit_log OWNER TO CURRENT_USER",
        ):
            with pytest.raises(asyncpg.PostgresError) as refused:
                await conn.execute(attempt)
            assert isinstance(
                refused.value, asyncpg.InsufficientPrivilegeError | asyncpg.RaiseError
            ) or "must be owner" in str(refused.value), (attempt, refused.value)
        assert await conn.fetchval(f"SELECT count(*) FROM {vault}.audit_log") >= 1
    finally:
        await conn.close()


async def test_provisioning_moves_an_earlier_audit_table_out_of_reach_with_its_rows(infra):
    """A deployment from before: its service owns audit_log in its own schema. The next
    provisioning moves the table, with its rows, into the audit schema the service cannot
    change, and leaves the view in its place."""
    from civic_common.provision import drop_database, provision_database, service_url

    name, role = f"civic_t{uuid.uuid4().hex[:8]}_old", f"t{uuid.uuid4().hex[:8]}_tolken"
    roles = {"tolken": (role, "pw-" + uuid.uuid4().hex)}
    await provision_database(infra.admin_url, name, roles)
    admin = await asyncpg.connect(
        make_url(infra.admin_url).set(database=name).render_as_string(hide_password=False)
    )
    try:  # back to how an earlier version left it
        await admin.execute("DROP VIEW tolken.audit_log")
        await admin.execute("ALTER TABLE tolken_audit.audit_log SET SCHEMA tolken")
        await admin.execute(f'ALTER TABLE tolken.audit_log OWNER TO "{role}"')
        await admin.execute(
            "INSERT INTO tolken.audit_log (actor, role, action, subject_type, subject_id)"
            " VALUES ('before', 'counter', 'read', 'person', '1')"
        )
        await provision_database(infra.admin_url, name, roles)
        kind = await admin.fetchval(
            "SELECT relkind::text FROM pg_class WHERE oid = 'tolken.audit_log'::regclass"
        )
        assert kind == "v"
        assert await admin.fetchval("SELECT actor FROM tolken_audit.audit_log") == "before"
        owner = await admin.fetchval(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'tolken_audit'"
        )
        assert owner == f"{role}_audit"
        url = make_url(service_url(infra.admin_url, name, role, roles["tolken"][1]))
        service = await asyncpg.connect(
            url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            with pytest.raises(asyncpg.PostgresError):
                await service.execute("DELETE FROM tolken_audit.audit_log")
        finally:
            await service.close()
    finally:
        await admin.close()
        await drop_database(infra.admin_url, name, [role])
