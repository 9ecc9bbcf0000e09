"""All services running as real processes (api and worker each) and the partner token issuer, on
an environment of their own."""

import base64
import os
import secrets
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
from civic_common.testing.processes import (
    process_environment,
    start_process,
    stop_processes,
    wait_ready,
)


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
        processes.append(
            start_process(
                [sys.executable, "-m", "civic_common.auth.issuer_app"],
                os.environ
                | {
                    "CIVIC_ISSUER_DATABASE_URL": issuer_db,
                    "CIVIC_ISSUER_KEYS_DIR": str(jwt_keys),
                    "CIVIC_ISSUER_HTTP_PORT": str(issuer_port),
                },
                logs / "issuer.log",
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
                processes.append(
                    start_process(
                        [sys.executable, "-m", "civic_common.cli", service, kind],
                        process_environment(settings, kind_port, EXTRA_ENVIRONMENT),
                        logs / f"{service}-{kind}.log",
                    )
                )
        found = System(urls, prefix, logs)
        try:
            try:
                await wait_ready(urls, processes, within=90)
            except RuntimeError:
                print(found.log_tails(), file=sys.stderr)
                raise
            yield found
        finally:
            stop_processes(processes)
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
