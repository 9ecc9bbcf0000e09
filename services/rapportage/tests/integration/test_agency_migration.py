"""Migration 0007 on a database of its own: agencies as rapportage stored them before (AgII,
'AgII' and 'agii' on one training) become one code each, and joint follows."""

import uuid

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from civic_common.testing.plugin import isolated_environment, isolated_settings
from rapportage.main import SERVICE

pytestmark = pytest.mark.integration


async def migrate(runtime, revision: str, down: bool = False) -> None:
    def run(connection) -> None:
        config = Config()
        config.set_main_option("script_location", runtime.migrations)
        config.attributes["schema"] = "rapportage"
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with runtime.engine.begin() as conn:
        await conn.run_sync(run)


async def test_existing_rows_get_one_code_per_agency(infra, jwt_keys):
    async with isolated_environment(infra) as (db, prefix):
        runtime = SERVICE.runtime(isolated_settings(infra, db, prefix, jwt_keys, "rapportage"))
        try:
            await migrate(runtime, "0006")
            rows = {
                uuid.uuid4(): ["AgII"],
                uuid.uuid4(): ["AgII", "agii"],  # one agency twice: not joint
                uuid.uuid4(): ["IN-Gent", "AgII"],  # joint, lead agency first
                uuid.uuid4(): ["VIVO-partner"],  # unknown to the list: lower case
            }
            insert = text(
                "INSERT INTO rapportage.trainings (training_id, sequence, source, year, agencies,"
                " joint, theme, title, description, region, status, trainings, organisers,"
                " local_government_participants, other_participants, local_governments,"
                " other_organisations, cost_eur, staff_hours) VALUES (:id, 1, 'historical', 2019,"
                " :agencies, :joint, 'Taal', '', '', 'Limburg', 'held', 1, '{}', 0, 0, '{}',"
                " '{}', 100, 0)"
            )
            async with runtime.engine.begin() as conn:
                for training, agencies in rows.items():
                    await conn.execute(
                        insert, {"id": training, "agencies": agencies, "joint": len(agencies) > 1}
                    )
            await migrate(runtime, "0007")
            async with runtime.engine.begin() as conn:
                found = {
                    training: (list(agencies), joint, cost_by)
                    for training, agencies, joint, cost_by in await conn.execute(
                        text(
                            "SELECT training_id, agencies, joint, cost_by FROM rapportage.trainings"
                        )
                    )
                }
            ids = list(rows)
            assert found == {
                ids[0]: (["agii"], False, {"agii": "100.00"}),
                ids[1]: (["agii"], False, {"agii": "100.00"}),
                ids[2]: (["in-gent", "agii"], True, {}),
                ids[3]: (["vivo-partner"], False, {"vivo-partner": "100.00"}),
            }
            await migrate(runtime, "0006", down=True)
        finally:
            await runtime.engine.dispose()
