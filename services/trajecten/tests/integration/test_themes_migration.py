"""Migration 0013 on a database of its own: free-text training themes become catalogue codes
(an unknown one overig-ongemapt, its text kept) and each changed training's snapshot goes to
the outbox; organisation trajectories get their template's components; calls that follow the
2019.1 template's rules are for care and welfare organisations."""

import json
import uuid

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from civic_common.testing.plugin import isolated_environment, isolated_settings
from trajecten.main import SERVICE

pytestmark = pytest.mark.integration
BEFORE = "0012"  # the revision 0013 follows


async def migrate(runtime, revision: str, down: bool = False) -> None:
    def run(connection) -> None:
        config = Config()
        config.set_main_option("script_location", runtime.migrations)
        config.attributes["schema"] = "trajecten"
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with runtime.engine.begin() as conn:
        await conn.run_sync(run)


def training(theme: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "version": 3,
        "agencies": ["agii"],
        "region": "Limburg",
        "offer": "open",
        "theme": theme,
        "title": "Vorming",
        "description": "",
        "status": "planned",
    }


async def test_free_text_themes_become_codes_and_nothing_is_lost(infra, jwt_keys):
    async with isolated_environment(infra) as (db, prefix):
        runtime = SERVICE.runtime(isolated_settings(infra, db, prefix, jwt_keys, "trajecten"))
        try:
            await migrate(runtime, BEFORE)
            known, spelled, unknown = (
                training("Meertaligheid"),
                training("  klare taal SCHRIJVEN"),
                training("Omgaan met de buren"),
            )
            trajectory_id, call_id, custom_call_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            trajectory = {
                "id": str(trajectory_id),
                "version": 2,
                "agencies": ["agii"],
                "region": "Antwerpen",
                "template_version": "2019.1",
                "edition": "2019-2020",
                "goal": "g",
                "content": "c",
                "status": "running",
            }
            seed_rules = {
                "min_staff": 10,
                "required_participant_roles": ["manager", "diversity_officer"],
                "recommended_participants": 2,
            }
            call = {"id": str(call_id), "template_version": "2019.1", "eligibility": seed_rules}
            own_rules = seed_rules | {"min_staff": 3}
            custom = call | {"id": str(custom_call_id), "eligibility": own_rules}
            async with runtime.engine.begin() as conn:
                for table, doc in (
                    ("trainings", known),
                    ("trainings", spelled),
                    ("trainings", unknown),
                    ("organisation_trajectories", trajectory),
                    ("calls", call),
                    ("calls", custom),
                ):
                    await conn.execute(
                        text(
                            f"INSERT INTO trajecten.{table} (id, version, data)"
                            " VALUES (:id, :v, CAST(:d AS jsonb))"
                        ),
                        {"id": doc["id"], "v": doc.get("version", 1), "d": json.dumps(doc)},
                    )

            await migrate(runtime, "0013")
            async with runtime.engine.connect() as conn:
                docs = {
                    str(r.id): (r.version, r.data)
                    for table in ("trainings", "organisation_trajectories", "calls")
                    for r in await conn.execute(
                        text(f"SELECT id, version, data FROM trajecten.{table}")
                    )
                }
                sent = [
                    (r.partition_key, r.headers, json.loads(bytes(r.payload)))
                    for r in await conn.execute(
                        text(
                            "SELECT partition_key, headers, payload FROM trajecten.outbox"
                            " ORDER BY id"
                        )
                    )
                ]
            codes = {
                d["id"]: (v, d["theme_code"], d["unmapped_theme"], d["theme_catalogue"])
                for v, d in (docs[t["id"]] for t in (known, spelled, unknown))
            }
            assert codes == {
                known["id"]: (4, "meertaligheid", None, "2021.1"),
                spelled["id"]: (4, "duidelijk-geschreven-taal", None, "2021.1"),
                unknown["id"]: (4, "overig-ongemapt", "Omgaan met de buren", "2021.1"),
            }
            assert all("theme" not in docs[t["id"]][1] for t in (known, spelled, unknown))
            snapshots = {key: body for key, _, body in sent}
            assert snapshots[unknown["id"]]["theme"] == "Omgaan met de buren"
            assert snapshots[unknown["id"]]["theme_code"] == "overig-ongemapt"
            assert snapshots[spelled["id"]]["theme"] == "Duidelijk geschreven taal"
            headers = {key: h for key, h, _ in sent}
            assert headers[known["id"]]["ce_type"] == "trajecten.training.recorded.v1"
            assert headers[known["id"]]["ce_sequence"] == "4"
            assert [c["code"] for c in docs[str(trajectory_id)][1]["components"]] == [
                "intake_call",
                "learning_network",
                "coaching",
                "evaluation",
            ]
            assert docs[str(call_id)][1]["eligibility"]["organisation_types"] == [
                "care_and_welfare"
            ]
            assert "organisation_types" not in docs[str(custom_call_id)][1]["eligibility"]

            await migrate(runtime, BEFORE, down=True)
            async with runtime.engine.connect() as conn:
                back = {
                    str(r.id): r.data
                    for r in await conn.execute(text("SELECT id, data FROM trajecten.trainings"))
                }
            assert back[unknown["id"]]["theme"] == "Omgaan met de buren"
            assert back[known["id"]]["theme"] == "Meertaligheid"
        finally:
            await runtime.engine.dispose()
