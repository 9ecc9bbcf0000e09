"""All services running as real processes (api and worker each) and the partner token issuer, on
an environment of their own."""

import asyncio
import base64
import contextlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
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
    # How long services reuse an issuer's answer on a partner token (short, so a test sees a
    # revocation take effect).
    introspection_cache_seconds: float = 1.0

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
    issuer_db: str,
    jwt_keys: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> AsyncIterator[System]:
    logs = tmp_path_factory.mktemp("e2e-logs")
    async with isolated_environment(infra) as (db, prefix):
        urls: dict[str, str] = {}
        processes: list[subprocess.Popen] = []
        # The partner token issuer, signing with the test keys; services introspect its tokens.
        issuer_port = free_port()
        urls["issuer"] = f"http://127.0.0.1:{issuer_port}"
        with (logs / "issuer.log").open("w") as out:
            processes.append(
                subprocess.Popen(  # noqa: ASYNC220 - starts it, never waits
                    [sys.executable, "-m", "civic_common.auth.issuer_app"],
                    env=os.environ
                    | {
                        "CIVIC_ISSUER_DATABASE_URL": issuer_db,
                        "CIVIC_ISSUER_KEYS_DIR": str(jwt_keys),
                        "CIVIC_ISSUER_HTTP_PORT": str(issuer_port),
                    },
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        for service in SERVICES:
            settings = isolated_settings(infra, db, prefix, jwt_keys, service).model_copy(
                update={
                    "jwt_introspection_url": f"{urls['issuer']}/oauth2/introspect",
                    "jwt_introspection_cache_seconds": System.introspection_cache_seconds,
                }
            )
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


@pytest.fixture
def partner_token(system: System, auth) -> Callable[..., Awaitable[dict[str, str]]]:
    """``await partner_token("ocmw-evergem", "trajecten.feed:read ...", municipality=...)`` ->
    Authorization headers of a partner client registered at the system's issuer. Bearer tokens:
    the DPoP exchange has an e2e of its own (test_partner_onboarding)."""

    async def issue(organisation: str, scope: str, municipality: str | None = None) -> dict:
        async with httpx.AsyncClient(base_url=system.urls["issuer"], timeout=15) as http:
            created = await http.post(
                "/api/v1/partner-clients",
                json={
                    "display_name": organisation,
                    "organisation": organisation,
                    "municipality": municipality,
                    "allowed_scopes": scope.split(),
                    "sender_constrained": False,
                },
                headers=auth("admin", "ops@e2e"),
            )
            assert created.status_code == 201, created.text
            client = created.json()
            granted = await http.post(
                "/oauth2/token",
                data={"grant_type": "client_credentials"},
                auth=(client["client_id"], client["client_secret"]),
            )
            assert granted.status_code == 200, granted.text
        return {"Authorization": f"Bearer {granted.json()['access_token']}"}

    return issue
