"""All services running as real processes (api and worker each), on an environment of their own."""

import asyncio
import base64
import contextlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from civic_common.events.contracts.base import SERVICES
from civic_common.testing.infra import Infra
from civic_common.testing.plugin import free_port, isolated_environment, isolated_settings


@dataclass(frozen=True)
class System:
    urls: dict[str, str]
    topic_prefix: str
    logs: Path

    def log_tails(self, lines: int = 30) -> str:
        return "\n".join(
            f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            for log in sorted(self.logs.glob("*.log"))
        )


# Service settings beyond ServiceSettings that the e2e system runs with, e.g. faster timers.
EXTRA_ENVIRONMENT = {
    "CIVIC_TRAJECTEN_DEADLINE_CHECK_SECONDS": "2",
    "CIVIC_TRAJECTEN_WEBHOOKS_ALLOW_PRIVATE": "true",  # partner receivers on loopback in e2e
    # A keyring of this run's own: webhook secrets are sealed at rest.
    "CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS": "e2e:"
    + base64.b64encode(secrets.token_bytes(32)).decode(),
}


def _environment(settings, port: int | None) -> dict[str, str]:
    env = (
        os.environ
        | EXTRA_ENVIRONMENT
        | {
            f"CIVIC_{name.upper()}": str(
                value.get_secret_value() if hasattr(value, "get_secret_value") else value
            )
            for name, value in settings.model_dump().items()
            if value is not None
        }
    )
    if port is not None:
        env["CIVIC_HTTP_PORT"] = str(port)
    return env


async def _wait_ready(
    urls: dict[str, str], processes: list[subprocess.Popen], within: float
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient(timeout=2) as http:
        pending = dict(urls)
        while pending and loop.time() < deadline:
            if any(p.poll() is not None for p in processes):
                raise RuntimeError("a service process exited during start-up")
            for name, url in list(pending.items()):
                try:
                    if (await http.get(f"{url}/readyz")).status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            await asyncio.sleep(0.5)
    if pending:
        raise RuntimeError(f"not ready in {within}s: {sorted(pending)}")


@pytest_asyncio.fixture(scope="session")
async def system(
    infra: Infra,
    jwt_keys: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> AsyncIterator[System]:
    logs = tmp_path_factory.mktemp("e2e-logs")
    async with isolated_environment(infra) as (db, prefix):
        urls: dict[str, str] = {}
        processes: list[subprocess.Popen] = []
        for service in SERVICES:
            settings = isolated_settings(infra, db, prefix, jwt_keys, service)
            port = free_port()
            urls[service] = f"http://127.0.0.1:{port}"
            for kind, kind_port in (("api", port), ("worker", None)):
                with (logs / f"{service}-{kind}.log").open("w") as out:
                    processes.append(
                        subprocess.Popen(  # noqa: ASYNC220 - starts it, never waits
                            [sys.executable, "-m", "civic_common.cli", service, kind],
                            env=_environment(settings, kind_port),
                            stdout=out,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )
        found = System(urls, prefix, logs)
        try:
            try:
                await _wait_ready(urls, processes, within=90)
            except RuntimeError:
                print(found.log_tails(), file=sys.stderr)
                raise
            yield found
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):  # already gone
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
            if request.session.testsfailed:
                print(found.log_tails(), file=sys.stderr)
