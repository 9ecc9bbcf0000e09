"""The Docker image's install path, proven without Docker: a venv made the way the Dockerfile
makes the image (requirements.txt alone, then the project's packages ``--no-deps``, then
``pip check``), from which every entry point is imported and every process kind started against
the test infrastructure until it is ready.

The Dockerfile's own ``RUN pip …`` lines are executed, so a change there is tested here. The
third-party layer is cached per requirements.txt, as Docker caches it.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from civic_common.events.contracts.base import SERVICES
from civic_common.testing.infra import Infra
from civic_common.testing.plugin import free_port, isolated_environment, isolated_settings
from civic_common.testing.processes import (
    Process,
    process_environment,
    stop_processes,
    wait_ready,
)

pytestmark = pytest.mark.e2e

ENTRY_POINT_MODULES = [
    "civic_common.cli",
    "civic_common.provision",
    "civic_common.auth.issuer",
    "civic_common.auth.issuer_app",
]


def _dockerfile_pip_steps(repo_root: Path) -> list[str]:
    text = (repo_root / "deploy" / "docker" / "Dockerfile").read_text()
    runs = re.findall(r"^RUN (.*?)(?<!\\)$", text.replace("\\\n", " "), flags=re.M)
    steps = [" ".join(run.split()) for run in runs if "pip " in run]
    assert len(steps) == 2, f"expected the two pip layers of the Dockerfile, found {steps}"
    return steps


def _image_venv(repo_root: Path, state: Path) -> Path:
    """The venv of the image: its third-party layer reused while requirements.txt is unchanged,
    the project's packages always installed afresh."""
    third_party, project = _dockerfile_pip_steps(repo_root)
    digest = hashlib.sha256((repo_root / "requirements.txt").read_bytes()).hexdigest()[:16]
    venv = state / f"image-venv-{digest}"
    env = os.environ | {"PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    if not (venv / ".layer-done").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(third_party, shell=True, cwd=repo_root, env=env, check=True)
        (venv / ".layer-done").touch()
    subprocess.run(
        project.replace("pip install", "pip install --force-reinstall", 1),
        shell=True,
        cwd=repo_root,
        env=env,
        check=True,
    )
    return venv


@pytest.fixture(scope="module")
def image_venv(repo_root: Path) -> Path:
    state = Path(os.environ.get("CIVIC_STATE", repo_root / ".state"))
    return _image_venv(repo_root, state)


def test_every_entry_point_imports(image_venv: Path, repo_root: Path) -> None:
    python = image_venv / "bin" / "python"
    services = [f"{name}.main" for name in SERVICES]
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)"
    done = subprocess.run(
        [python, "-c", code, *ENTRY_POINT_MODULES, *services],
        cwd=image_venv,  # not the repo: nothing may come from the work tree
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    # civic-issuer has no --help: it reads its settings and serves; the next test starts it.
    for script in ("civic-service", "civic-provision", "civic-token"):
        helped = subprocess.run([image_venv / "bin" / script, "--help"], capture_output=True)
        assert helped.returncode == 0, (script, helped.stderr.decode())


@pytest.fixture(scope="module")
def image_keys(image_venv: Path, repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The issuer-keys job: the compose file's own script, its volumes as folders here."""
    compose = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    script = compose["services"]["issuer-keys"]["command"][0]
    keys, jwks = tmp_path_factory.mktemp("issuer"), tmp_path_factory.mktemp("keys")
    script = script.replace('"/issuer"', f'"{keys}"').replace('"/keys/', f'"{jwks}/')
    made = subprocess.run(
        [image_venv / "bin" / "python", "-c", script], cwd=keys, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    assert (jwks / "jwks.json").exists()
    return keys


async def test_every_process_kind_starts(
    image_venv: Path, image_keys: Path, infra: Infra, issuer_db: str, tmp_path: Path
) -> None:
    bin_dir = image_venv / "bin"
    keys = image_keys
    logs = tmp_path / "logs"
    logs.mkdir()
    async with isolated_environment(infra) as (db, prefix):
        urls: dict[str, str] = {}
        processes: list[Process] = []
        try:
            issuer_port = free_port()
            urls["issuer"] = f"http://127.0.0.1:{issuer_port}"
            processes.append(
                Process(
                    "issuer",
                    [bin_dir / "civic-issuer"],
                    os.environ
                    | {
                        "CIVIC_ISSUER_DATABASE_URL": issuer_db,
                        "CIVIC_ISSUER_KEYS_DIR": str(keys),
                        "CIVIC_ISSUER_HTTP_PORT": str(issuer_port),
                    },
                    logs / "issuer.log",
                )
            )
            for service in SERVICES:
                settings = isolated_settings(infra, db, prefix, keys, service)
                port = free_port()
                urls[service] = f"http://127.0.0.1:{port}"
                for kind, kind_port in (("api", port), ("worker", None)):
                    processes.append(
                        Process(
                            f"{service}-{kind}",
                            [bin_dir / "civic-service", service, kind],
                            process_environment(settings, kind_port),
                            logs / f"{service}-{kind}.log",
                        )
                    )
            for process in processes:
                process.start()
            try:
                await wait_ready(urls, [p.popen for p in processes if p.popen], within=120)
            except RuntimeError:
                tails = {p.name: p.read_text()[-2000:] for p in logs.glob("*.log")}
                raise AssertionError(tails) from None
            # Workers have no HTTP port: still running after the apis are ready is the check.
            assert all(p.running for p in processes), "a process exited"
        finally:
            stop_processes([p.popen for p in processes if p.popen])
