"""Migration 0005 on a database of its own: clear webhook secrets are sealed with the keyring
from the environment, or the migration refuses while any is left; without any it needs none."""

import uuid

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from civic_common.testing.plugin import isolated_environment, isolated_settings
from trajecten.adapters.sealing import VARIABLE, keyring
from trajecten.main import SERVICE

pytestmark = pytest.mark.integration

SECRET, PREVIOUS = "whsec_Y3VycmVudA==", "whsec_cHJldmlvdXM="


async def migrate(runtime, revision: str, down: bool = False) -> None:
    def run(connection) -> None:
        config = Config()
        config.set_main_option("script_location", runtime.migrations)
        config.attributes["schema"] = "trajecten"
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with runtime.engine.begin() as conn:
        await conn.run_sync(run)


async def revision_of(runtime) -> str:
    async with runtime.engine.connect() as conn:
        return (
            await conn.execute(text("SELECT version_num FROM trajecten.alembic_version"))
        ).scalar_one()


async def test_clear_secrets_are_sealed_or_the_migration_refuses(infra, jwt_keys, monkeypatch):
    async with isolated_environment(infra) as (db, prefix):
        runtime = SERVICE.runtime(isolated_settings(infra, db, prefix, jwt_keys, "trajecten"))
        try:
            await migrate(runtime, "0004")
            live, deleted = uuid.uuid4(), uuid.uuid4()
            async with runtime.engine.begin() as conn:
                for id_, secret, previous, status in (
                    (live, SECRET, PREVIOUS, "active"),
                    (deleted, "", None, "deleted"),
                ):
                    await conn.execute(
                        text(
                            "INSERT INTO trajecten.partner_subscriptions (id, organisation,"
                            " created_by, endpoint_url, event_types, filters, legal_basis, secret,"
                            " previous_secret, status) VALUES (:id, 'ocmw', 'c', 'https://x/h',"
                            " '[]', '{}', 'b', :s, :p, :status)"
                        ),
                        {"id": id_, "s": secret, "p": previous, "status": status},
                    )

            ring = keyring()
            monkeypatch.setenv(VARIABLE, "")
            with pytest.raises(RuntimeError, match=f"1 partner subscription.*{VARIABLE}"):
                await migrate(runtime, "0005")
            assert await revision_of(runtime) == "0004"  # nothing half-applied

            monkeypatch.undo()
            await migrate(runtime, "0005")
            async with runtime.engine.connect() as conn:
                rows = {
                    r.id: r
                    for r in await conn.execute(
                        text(
                            "SELECT id, sealed_secret, sealed_previous_secret, s::text AS whole"
                            " FROM trajecten.partner_subscriptions s"
                        )
                    )
                }
            assert SECRET not in rows[live].whole and PREVIOUS not in rows[live].whole
            assert ring.open(rows[live].sealed_secret, live) == SECRET
            assert ring.open(rows[live].sealed_previous_secret, live) == PREVIOUS
            assert rows[deleted].sealed_secret is None

            await migrate(runtime, "0004", down=True)  # back: opened again, as 0004 reads them
            async with runtime.engine.begin() as conn:
                back = (
                    await conn.execute(
                        text("SELECT secret, previous_secret FROM trajecten.partner_subscriptions"
                             " WHERE id = :id"),
                        {"id": live},
                    )
                ).one()  # fmt: skip
                assert tuple(back) == (SECRET, PREVIOUS)
                await conn.execute(text("DELETE FROM trajecten.partner_subscriptions"))
            monkeypatch.setenv(VARIABLE, "")
            await migrate(runtime, "0005")  # no secret to seal: no keyring needed
            assert await revision_of(runtime) == "0005"
        finally:
            await runtime.engine.dispose()
