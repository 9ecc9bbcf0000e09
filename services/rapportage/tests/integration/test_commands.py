"""The command-line tools as an operator runs them: import a file, then rebuild."""

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def environment(settings) -> dict[str, str]:
    values = settings.model_dump()
    env = {
        f"CIVIC_{name.upper()}": str(
            value.get_secret_value() if hasattr(value, "get_secret_value") else value
        )
        for name, value in values.items()
        if value is not None
    }
    return os.environ | env | {"COLUMNS": "100"}


async def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode()


async def test_the_importer_reports_rejected_lines_and_the_rebuild_replays_everything(
    settings_for, runtime_for, tmp_path: Path, client, auth, events
):
    env = environment(settings_for("rapportage"))
    agency = f"C-{uuid.uuid4().hex[:6]}"
    file = tmp_path / "vormingen.csv"
    file.write_text(
        "jaar;agentschap;regio;thema;aantal\n"
        f"2018;{agency};Limburg;Taal;12\n"
        f"2018;{agency};Limburg;;1\n",
        encoding="utf-8",
    )
    code, out = await run(env, "rapportage.importer", "trainings", str(file))
    assert code == 1, out  # a rejected row makes the exit code say so
    assert "lijn 3: thema: verplicht" in out
    assert "1 rijen geïmporteerd, 1 geweigerd" in out

    # No worker runs here: the import reaches the read models only through the rebuild.
    await events.relay()
    code, out = await run(env, "rapportage.rebuild")
    assert code == 0, out
    assert "events herlezen" in out
    per_year = await client.get(
        "/api/v1/reports/trainings-per-year", params={"agency": agency}, headers=auth("analyst")
    )
    assert per_year.json()["tables"][0]["rows"] == [{"year": "2018", "trainings": 12}]
