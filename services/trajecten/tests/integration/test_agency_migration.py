"""Migration 0007 on a database of its own: trajectories from before it belong to AgII."""

import uuid

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from civic_common.testing.plugin import isolated_environment, isolated_settings
from trajecten.main import SERVICE

pytestmark = pytest.mark.integration


async def migrate(runtime, revision: str, down: bool = False) -> None:
    def run(connection) -> None:
        config = Config()
        config.set_main_option("script_location", runtime.migrations)
        config.attributes["schema"] = "trajecten"
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with runtime.engine.begin() as conn:
        await conn.run_sync(run)


async def test_existing_trajectories_get_agii_and_new_rows_no_default(infra, jwt_keys):
    async with isolated_environment(infra) as (db, prefix):
        runtime = SERVICE.runtime(isolated_settings(infra, db, prefix, jwt_keys, "trajecten"))
        try:
            await migrate(runtime, "0006")
            before = uuid.uuid4()
            insert = text(
                "INSERT INTO trajecten.trajectories (id, version, person_id, kind,"
                " template_version, status, municipality_nis, opened_at)"
                " VALUES (:id, 1, :p, 'inburgeringstraject', '2024.1', 'open', '44021', now())"
            )
            async with runtime.engine.begin() as conn:
                await conn.execute(insert, {"id": before, "p": uuid.uuid4()})
            await migrate(runtime, "0007")
            after = uuid.uuid4()
            async with runtime.engine.begin() as conn:
                await conn.execute(insert, {"id": after, "p": uuid.uuid4()})
                agencies = dict(
                    (
                        await conn.execute(text("SELECT id, agency FROM trajecten.trajectories"))
                    ).all()
                )
            assert agencies == {before: "agii", after: None}  # no default: NULL is admins only
            await migrate(runtime, "0006", down=True)
        finally:
            await runtime.engine.dispose()
