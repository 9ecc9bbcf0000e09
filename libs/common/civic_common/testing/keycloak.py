"""A real Keycloak for the sign-in tests: the one running on ``CIVIC_KEYCLOAK_PORT`` (default
8180, e.g. started by ``make up``) when it serves the civic realm, else one started (and fetched,
on a fresh machine) with deploy/local/keycloak.sh for the test session and stopped after it."""

import asyncio
import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from civic_common.testing.infra import parse_env

CLIENT_ID = "civic-pages"
DEMO_PASSWORD = "demo"
# The demo user of each staff role in deploy/keycloak/realm-civic.json (agency: AgII).
DEMO_USERS = {
    "counter": "loket",
    "counsellor": "begeleider",
    "interpreter_desk": "tolkendesk",
    "interpreter": "tolk",
    "analyst": "analist",
    "admin": "beheerder",
}
# The demo partner organisation's staff member (OCMW Evergem): the partner portal only.
DEMO_PARTNER_USER = "partner"


@dataclass(frozen=True)
class Keycloak:
    base_url: str
    admin_user: str | None
    admin_password: str | None

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/realms/civic"

    async def admin_headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        if not self.admin_password:
            pytest.fail("no Keycloak admin password: set CIVIC_KEYCLOAK_ADMIN_PASSWORD")
        response = await http.post(
            f"{self.base_url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self.admin_user or "admin",
                "password": self.admin_password,
            },
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def end_sessions(self, username: str) -> None:
        """End every sign-in session of ``username`` at Keycloak, as an expiry does."""
        async with httpx.AsyncClient(timeout=15) as http:
            headers = await self.admin_headers(http)
            admin = f"{self.base_url}/admin/realms/civic"
            found = await http.get(
                f"{admin}/users", params={"username": username, "exact": "true"}, headers=headers
            )
            found.raise_for_status()
            [user] = found.json()
            ended = await http.post(f"{admin}/users/{user['id']}/logout", headers=headers)
            ended.raise_for_status()


def _answers(issuer: str) -> bool:
    try:
        response = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=3)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


@pytest.fixture(scope="session")
def keycloak(repo_root: Path) -> Iterator[Keycloak]:
    script = repo_root / "deploy" / "local" / "keycloak.sh"
    port = os.environ.get("CIVIC_KEYCLOAK_PORT", "8180")
    base_url = f"http://127.0.0.1:{port}"
    started = False
    if not _answers(f"{base_url}/realms/civic"):
        subprocess.run([script, "start"], check=True, timeout=900)
        started = True
    env = parse_env(
        subprocess.run([script, "env"], check=True, capture_output=True, text=True).stdout
    )
    try:
        yield Keycloak(
            base_url,
            os.environ.get("CIVIC_KEYCLOAK_ADMIN_USER") or env.get("CIVIC_KEYCLOAK_ADMIN_USER"),
            os.environ.get("CIVIC_KEYCLOAK_ADMIN_PASSWORD")
            or env.get("CIVIC_KEYCLOAK_ADMIN_PASSWORD"),
        )
    finally:
        if started:
            subprocess.run([script, "stop"], check=False, timeout=120)


async def sign_in_at_keycloak(page, username: str, password: str = DEMO_PASSWORD) -> None:  # noqa: ANN001 - playwright's Page
    """Fill in Keycloak's own login page, where the browser was sent."""
    await page.wait_for_selector("#username")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#kc-login")


async def keycloak_tokens(
    keycloak: Keycloak, username: str, redirect_uri: str, password: str = DEMO_PASSWORD
) -> dict:
    """Tokens of ``username`` through the pages' own flow (authorization code + PKCE, the login
    form posted as a browser would), for API tests of Keycloak's access tokens."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    protocol = f"{keycloak.issuer}/protocol/openid-connect"
    async with httpx.AsyncClient(timeout=15) as http:
        form = await http.get(
            f"{protocol}/auth",
            params={
                "response_type": "code",
                "client_id": CLIENT_ID,
                "redirect_uri": redirect_uri,
                "scope": "openid",
                "state": "s",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        form.raise_for_status()
        action = re.search(r'id="kc-form-login"[^>]*action="([^"]+)"', form.text) or re.search(
            r'action="([^"]+)"[^>]*id="kc-form-login"', form.text
        )
        assert action is not None, "no Keycloak login form"
        # Keycloak marks its cookies Secure; a browser keeps them on http://127.0.0.1 (a secure
        # context), httpx does not: hand them back as a browser would.
        cookies = "; ".join(c.split(";", 1)[0] for c in form.headers.get_list("set-cookie"))
        posted = await http.post(
            unescape(action.group(1)),
            data={"username": username, "password": password},
            headers={"Cookie": cookies},
        )
        assert posted.status_code == 302, posted.text[:500]
        code = parse_qs(urlsplit(posted.headers["location"]).query)["code"][0]
        tokens = await http.post(
            f"{protocol}/token",
            data={
                "grant_type": "authorization_code",
                "client_id": CLIENT_ID,
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
        )
        tokens.raise_for_status()
        return tokens.json()


async def ensure_realm_user(keycloak: Keycloak, realm_file: Path, username: str) -> None:
    """Make sure ``username`` exists as ``realm_file`` describes it, with its realm roles: a
    Keycloak that imported an older realm file keeps its realm (keycloak.sh imports only on the
    first start), so a user or role added to the file since is added here, through the admin
    API. Nothing that exists is changed."""
    realm = json.loads(await asyncio.to_thread(realm_file.read_text, encoding="utf-8"))
    [wanted] = [u for u in realm["users"] if u["username"] == username]
    roles = {r["name"]: r for r in realm["roles"]["realm"]}
    admin = f"{keycloak.base_url}/admin/realms/civic"
    # Generous: a Keycloak sharing a busy machine answers its admin API slowly at times.
    async with httpx.AsyncClient(timeout=60) as http:
        headers = await keycloak.admin_headers(http)
        for name in wanted.get("realmRoles", []):
            if (await http.get(f"{admin}/roles/{name}", headers=headers)).status_code == 404:
                created = await http.post(f"{admin}/roles", json=roles[name], headers=headers)
                created.raise_for_status()
        params = {"username": username, "exact": "true"}
        if (await http.get(f"{admin}/users", params=params, headers=headers)).json():
            return
        body = {k: v for k, v in wanted.items() if k != "realmRoles"}
        (await http.post(f"{admin}/users", json=body, headers=headers)).raise_for_status()
        [user] = (await http.get(f"{admin}/users", params=params, headers=headers)).json()
        mapped = [
            (await http.get(f"{admin}/roles/{name}", headers=headers)).json()
            for name in wanted.get("realmRoles", [])
        ]
        assigned = await http.post(
            f"{admin}/users/{user['id']}/role-mappings/realm", json=mapped, headers=headers
        )
        assigned.raise_for_status()
