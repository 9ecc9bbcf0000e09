"""Each service's role owns its schema and can reach nothing else."""

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


async def test_a_service_cannot_erase_its_own_audit_trail(migrated, civic_db):
    conn = await connect_as(civic_db, "intake")
    try:
        await conn.execute(
            "INSERT INTO intake.audit_log (actor, role, action, subject_type, subject_id)"
            " VALUES ('x', 'counter', 'read', 'person', '1')"
        )
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM intake.audit_log")
    finally:
        await conn.close()
