"""The command-line tools as an operator runs them: import a file, then rebuild."""

import asyncio
import json
import os
import subprocess
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


REPO = Path(__file__).resolve().parents[4]
EXEC = "deploy/local/stack.sh exec rapportage "


def documented(task: str) -> list[str]:
    """The command docs/runbook.md gives for a task, after ``stack.sh exec rapportage``
    (which supplies the service's environment, as ``environment`` does here)."""
    for line in (REPO / "docs" / "runbook.md").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| {task}") and EXEC in line:
            command = line.split("`")[1].removeprefix(EXEC).split()
            assert command[:2] == [".venv/bin/python", "-m"], command
            return command[2:]
    raise AssertionError(f"docs/runbook.md has no command for: {task}")


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
    settings_for, runtime_for, tmp_path: Path, client, auth, events, report_settings
):
    agency = f"c-{uuid.uuid4().hex[:6]}"
    report_settings.agencies[agency] = agency  # the API under test knows it as well
    env = environment(settings_for("rapportage")) | {
        "CIVIC_RAPPORTAGE_AGENCIES": json.dumps(report_settings.agencies)
    }
    file = tmp_path / "vormingen.csv"
    file.write_text(
        "jaar;agentschap;regio;thema;aantal\n"
        f"2018;{agency.upper()};Limburg;Taal;12\n"
        f"2018;{agency};Limburg;;1\n"
        f"2018;{agency};Limburg;Totaal;12\n",
        encoding="utf-8",
    )
    importer = documented("import historical registrations")
    assert importer[:2] == ["rapportage.importer", "trainings"]
    code, out = await run(env, *importer[:2], str(file))
    assert code == 1, out  # a rejected row makes the exit code say so
    assert "lijn 3: thema: verplicht" in out
    assert "lijn 4: totaalrij 2018, niet als registratie ingelezen" in out
    assert "1 rijen geïmporteerd, 1 geweigerd" in out

    # No worker runs here: the import reaches the read models only through the rebuild.
    await events.relay()
    code, out = await run(env, *documented("rebuild rapportage's read models"))
    assert code == 0, out
    assert "events herlezen" in out
    per_year = await client.get(
        "/api/v1/reports/trainings-per-year", params={"agency": agency}, headers=auth("analyst")
    )
    assert per_year.json()["tables"][0]["rows"] == [{"year": "2018", "trainings": 12}]


def test_stack_exec_runs_the_command_as_the_service_it_names(tmp_path: Path):
    """``stack.sh exec rapportage …`` hands the command rapportage's database role: the loop
    that loads every service's secret must not leave the last one's name (issuer) behind."""
    (tmp_path / "secrets.env").write_text(
        "CIVIC_PG_SUPERUSER_PASSWORD=super\n"
        + "".join(
            f"CIVIC_{name}_DB_PASSWORD=pw-{name.lower()}\n"
            for name in ("INTAKE", "TRAJECTEN", "TOLKEN", "RAPPORTAGE", "ISSUER")
        )
        + "CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS=k1:x\n",
        encoding="utf-8",
    )
    for service in ("rapportage", "intake"):
        done = subprocess.run(
            [str(REPO / "deploy/local/stack.sh"), "exec", service, sys.executable, "-c",
             "import os; print(os.environ['CIVIC_DATABASE_URL'])"],
            env=os.environ | {"CIVIC_STATE": str(tmp_path)},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert f"//{service}:pw-{service}@" in done.stdout, done.stdout
