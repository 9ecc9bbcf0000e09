"""Page plumbing in a real headless Chromium against a real Keycloak: sign-in with OpenID Connect
(authorization code + PKCE), the server-side session, sign-out at the provider, role checks, and
page safety (issue 18): another origin's form is refused, a framed page is refused by headers."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
import pytest_asyncio
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from playwright.async_api import Error as PlaywrightError

from civic_common.api.app import create_app
from civic_common.auth.principal import Principal
from civic_common.testing.keycloak import DEMO_USERS, Keycloak, sign_in_at_keycloak
from civic_common.testing.plugin import service_spec
from civic_common.testing.server import serving
from civic_common.web.pages import install_pages, page_principal, page_templates

pytestmark = pytest.mark.integration

HOME = """{% extends "base.html" %}{% block content %}<h1>Welkom {{ who }}</h1>
<form method="post" action="/doen"><button id="doe" type="submit">Doen</button></form>
{% endblock %}"""


@pytest.fixture
def done() -> list[str]:
    return []


@pytest_asyncio.fixture
async def app(
    migrate, settings_for, keycloak: Keycloak, tmp_path: Path, done: list[str]
) -> AsyncIterator[FastAPI]:
    (tmp_path / "home.html").write_text(HOME)
    templates = page_templates(tmp_path, "Proef")
    migrate("intake")
    settings = settings_for("intake").model_copy(update={"oidc_issuer": keycloak.issuer})
    runtime = service_spec("intake").runtime(settings)
    app = create_app(runtime, title="Proef", routers=[])
    install_pages(app, templates)
    counter = Annotated[Principal, Depends(page_principal("counter"))]

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request, who: counter):
        return templates.TemplateResponse(request, "home.html", {"who": who.organisation})

    @app.post("/doen", response_class=HTMLResponse)
    async def act(who: counter) -> str:
        done.append(who.subject)
        return "<p id='gedaan'>Gedaan</p>"

    yield app
    await runtime.engine.dispose()


async def test_a_visitor_signs_in_at_keycloak_lands_where_they_wanted_and_signs_out_there(
    app, browser, keycloak: Keycloak
):
    async with serving(app) as base_url:
        context = await browser.new_context(base_url=base_url, locale="nl-BE")
        page = await context.new_page()
        await page.goto("/?tab=1")
        assert page.url.startswith(f"{keycloak.issuer}/protocol/openid-connect/auth")
        assert "code_challenge_method=S256" in page.url
        await sign_in_at_keycloak(page, DEMO_USERS["counter"])
        await page.wait_for_url(f"{base_url}/?tab=1")
        assert await page.inner_text("h1") == "Welkom agii"  # the org claim, from Keycloak
        assert await page.inner_text("header .signout span") == "Lotte Loket"

        [cookie] = [c for c in await context.cookies(base_url) if c["name"].startswith("civic_")]
        assert cookie["name"] == "civic_session_intake"
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert not cookie["value"].startswith("eyJ") and "." not in cookie["value"]  # no token

        await page.click("text=Afmelden")
        await page.wait_for_url(f"{base_url}/afgemeld")
        assert await page.inner_text("h1") == "Je bent afgemeld"
        # Signed out at Keycloak too: the next visit asks for the password again.
        await page.goto("/")
        assert page.url.startswith(keycloak.issuer)
        await page.wait_for_selector("#password")
        await context.close()


async def test_two_tabs_signing_in_at_once_both_land(app, browser, keycloak: Keycloak):
    async with serving(app) as base_url:
        context = await browser.new_context(base_url=base_url, locale="nl-BE")
        first, second = await context.new_page(), await context.new_page()
        await first.goto("/?tab=1")
        await second.goto("/?tab=2")  # a second pending sign-in, before the first ends
        await sign_in_at_keycloak(first, DEMO_USERS["counter"])
        await first.wait_for_url(f"{base_url}/?tab=1")
        # Keycloak knows the browser now: straight back through tab 2's own callback, no
        # password. Its login page may notice the other tab's sign-in and reload by itself.
        with contextlib.suppress(PlaywrightError):
            await second.reload()
        # Both may reach the callback with tab 2's state: the second one follows the first.
        await second.wait_for_url(f"{base_url}/?tab=2")
        assert await second.inner_text("h1") == "Welkom agii"
        await context.close()


async def test_a_callback_not_started_by_this_browser_is_refused(app, keycloak: Keycloak):
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        started = await http.get("/aanmelden", params={"next": "/"})
        assert started.status_code == 303
        [state] = [v for k, v in started.cookies.items() if k.startswith("civic_login_intake_")]
        # Another browser (no login cookie) brings that state back with a code: refused.
        async with httpx.AsyncClient(base_url=base_url) as other:
            refused = await other.get("/auth/callback", params={"state": state, "code": "x"})
        assert refused.status_code == 400
        assert "hoort niet bij deze browser" in refused.text
        assert "civic_session_intake" not in refused.cookies


async def test_the_wrong_role_gets_a_dutch_error_page_not_json(app, signed_in):
    async with serving(app) as base_url, signed_in(base_url, "analyst") as page:
        response = await page.goto("/")
        assert response.status == 403
        assert await page.inner_text("h1") == "Geen toegang"


def _attacker(target: str) -> FastAPI:
    """Another origin on the same host (same site, other port), as another service would be."""
    evil = FastAPI()

    @evil.get("/formulier", response_class=HTMLResponse)
    async def form() -> str:
        return (
            f"<form id='f' method='post' action='{target}/doen'></form>"
            "<script>document.getElementById('f').submit()</script>"
        )

    @evil.get("/afmelden", response_class=HTMLResponse)
    async def sign_out() -> str:
        return (
            f"<form id='f' method='post' action='{target}/afmelden'></form>"
            "<script>document.getElementById('f').submit()</script>"
        )

    @evil.get("/kader", response_class=HTMLResponse)
    async def frame() -> str:
        return f"<iframe id='k' src='{target}/' width='600' height='400'></iframe>"

    return evil


async def test_another_origins_form_is_refused_and_a_framed_page_stays_blank(
    app, browser, done: list[str]
):
    async with serving(app) as base_url:
        async with serving(_attacker(base_url)) as evil_url:
            context = await browser.new_context(base_url=base_url, locale="nl-BE")
            page = await context.new_page()
            await page.goto("/")
            await sign_in_at_keycloak(page, DEMO_USERS["counter"])
            await page.wait_for_url(f"{base_url}/")

            # The same form from the page itself works: the check refuses origins, not forms.
            await page.click("#doe")
            await page.wait_for_selector("#gedaan")
            assert len(done) == 1

            # Auto-submitted from another origin, with the session cookie attached: refused.
            await page.goto(f"{evil_url}/formulier")
            await page.wait_for_url(f"{base_url}/doen")
            assert await page.inner_text("h1") == "Geweigerd"
            assert len(done) == 1
            # Nor does another origin sign the person out.
            await page.goto(f"{evil_url}/afmelden")
            await page.wait_for_url(f"{base_url}/afmelden")
            assert await page.inner_text("h1") == "Geweigerd"
            home = await page.goto("/")
            assert home is not None and home.status == 200 and page.url == f"{base_url}/"

            headers = home.headers
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "same-origin"
            assert headers["cache-control"] == "no-store"

            # Framed by another origin: the browser refuses to show it.
            await page.goto(f"{evil_url}/kader")
            await page.wait_for_timeout(500)
            [framed] = page.main_frame.child_frames
            assert "Welkom" not in await framed.content()
            await context.close()


async def test_apis_carry_the_security_headers_too(app):
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get("/healthz")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
