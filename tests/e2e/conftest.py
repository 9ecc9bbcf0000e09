"""All services running as real processes (api and worker each) and the partner token issuer, on
an environment of their own."""

import base64
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Request, Response
from standardwebhooks import Webhook

from civic_common.testing.infra import Infra
from civic_common.testing.plugin import free_port, isolated_environment
from civic_common.testing.processes import stop_processes
from civic_common.testing.server import serving
from civic_common.testing.system import System, running_system

# Service settings beyond ServiceSettings that the e2e system runs with, e.g. faster timers.
EXTRA_ENVIRONMENT = {
    "CIVIC_TRAJECTEN_DEADLINE_CHECK_SECONDS": "2",
    "CIVIC_TOLKEN_TIMER_SECONDS": "2",
    "CIVIC_HOUSEKEEPING_SECONDS": "2",
    "CIVIC_TRAJECTEN_WEBHOOKS_ALLOW_PRIVATE": "true",  # partner receivers on loopback in e2e
    # Partners may choose short retry waits here, so a test sees a subscription disabled soon.
    "CIVIC_TRAJECTEN_RETRY_MIN_SECONDS": "0.5",
    # A keyring of this run's own: webhook secrets are sealed at rest.
    "CIVIC_TRAJECTEN_WEBHOOK_SECRET_KEYS": "e2e:"
    + base64.b64encode(secrets.token_bytes(32)).decode(),
    # Staff sign in at Keycloak (the `keycloak` fixture starts it for the tests that need it;
    # services only contact it when someone signs in or shows one of its tokens).
    "CIVIC_OIDC_ISSUER": f"http://127.0.0.1:{os.environ.get('CIVIC_KEYCLOAK_PORT', '8180')}"
    "/realms/civic",
}


REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class MailCatcher:
    """MailDev (deploy/local/mail.sh) on ports of this run: SMTP in, the inbox as JSON out."""

    smtp_port: int
    inbox_url: str

    def messages(self) -> list[dict]:
        return httpx.get(f"{self.inbox_url}/email", timeout=5).json()


@pytest.fixture(scope="session")
def mail_catcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailCatcher]:
    script = REPO_ROOT / "deploy" / "local" / "mail.sh"
    subprocess.run([script, "install"], check=True)
    smtp, web = free_port(), free_port()
    log = tmp_path_factory.mktemp("mail") / "maildev.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [script, "run", str(smtp), str(web)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    catcher = MailCatcher(smtp, f"http://127.0.0.1:{web}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                catcher.messages()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"maildev did not start: {log.read_text()}") from None
                time.sleep(0.2)
        yield catcher
    finally:
        stop_processes([process], grace=5)


@pytest_asyncio.fixture(scope="session")
async def system(
    mail_catcher: MailCatcher,
    infra: Infra,
    issuer_db: str,
    jwt_keys: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> AsyncIterator[System]:
    logs = tmp_path_factory.mktemp("e2e-logs")
    async with (
        isolated_environment(infra) as (db, prefix),
        running_system(
            infra,
            db,
            prefix,
            jwt_keys,
            logs,
            extra_environment=EXTRA_ENVIRONMENT
            | {
                "CIVIC_TRAJECTEN_SMTP_HOST": "127.0.0.1",
                "CIVIC_TRAJECTEN_SMTP_PORT": str(mail_catcher.smtp_port),
            },
            issuer_db=issuer_db,
        ) as found,
    ):
        try:
            yield found
        finally:
            if request.session.testsfailed:
                print(found.log_tails(), file=sys.stderr)


@pytest.fixture
def partner_token(system: System, auth) -> Callable[..., Awaitable[dict[str, str]]]:
    """``await partner_token("ocmw-evergem", "trajecten.feed:read ...", municipality=...)`` ->
    Authorization headers of a partner client registered at the system's issuer. Bearer tokens:
    the DPoP exchange has an e2e of its own (test_partner_onboarding)."""

    async def issue(
        organisation: str,
        scope: str,
        municipality: str | None = None,
        legal_bases: tuple[str, ...] = ("ocmw-maatschappelijke-integratie",),
    ) -> dict:
        async with httpx.AsyncClient(base_url=system.urls["issuer"], timeout=15) as http:
            created = await http.post(
                "/api/v1/partner-clients",
                json={
                    "display_name": organisation,
                    "organisation": organisation,
                    "municipality": municipality,
                    "allowed_scopes": scope.split(),
                    "legal_bases": list(legal_bases),
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


class WebhookReceiver:
    """A partner's webhook endpoint on a local port of its own, at ``url``. It answers only
    inside ``async with receiver.listening():``, so it can be down and come back at the same
    address (and one never listening is an endpoint where nobody answers). ``arrivals``: each
    POST's headers and body, in arrival order. Once ``secret`` is set, every POST is first
    verified with the Standard Webhooks reference library (one that fails is refused with an
    error, as a partner would), and ``messages`` keeps each verified body by its webhook-id,
    in first-arrival order."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.secret = ""
        self.arrivals: list[tuple[dict[str, str], bytes]] = []
        self.messages: dict[str, dict] = {}
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            headers, body = dict(request.headers), await request.body()
            if self.secret:
                verified = Webhook(self.secret).verify(body, headers)
                self.messages.setdefault(headers["webhook-id"], verified)
            self.arrivals.append((headers, body))
            return Response(status_code=204)

    def listening(self) -> AbstractAsyncContextManager[str]:
        return serving(self.app, self.port)


@pytest.fixture
def webhook_receiver() -> WebhookReceiver:
    """A partner's webhook endpoint of the test's own (``WebhookReceiver``)."""
    return WebhookReceiver()
