"""Page plumbing in a real headless Chromium: sign-in, role checks, the shared layout."""

from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from civic_common.api.app import create_app
from civic_common.auth.issuer import mint
from civic_common.auth.principal import Principal
from civic_common.testing.server import serving
from civic_common.web.pages import install_pages, page_principal, page_templates

pytestmark = pytest.mark.integration


@pytest.fixture
def app(runtime_for, tmp_path: Path):
    (tmp_path / "home.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Welkom {{ who }}</h1>{% endblock %}'
    )
    templates = page_templates(tmp_path, "Proef")
    app = create_app(runtime_for("intake"), title="Proef", routers=[])
    install_pages(app, templates)

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request, who: Annotated[Principal, Depends(page_principal("counter"))]):
        return templates.TemplateResponse(request, "home.html", {"who": who.subject})

    return app


async def test_a_visitor_without_session_signs_in_with_a_token_and_lands_where_they_wanted(
    app, browser, jwt_keys
):
    async with serving(app) as base_url:
        context = await browser.new_context(base_url=base_url)
        page = await context.new_page()
        await page.goto("/?tab=1")
        assert page.url.startswith(f"{base_url}/aanmelden")
        assert await page.get_attribute("html", "lang") == "nl-BE"

        await page.fill("#token", "rommel")
        await page.press("#token", "Enter")
        assert "ongeldig" in await page.inner_text("#token-error")
        assert await page.get_attribute("#token", "aria-invalid") == "true"

        await page.fill("#token", mint(jwt_keys, ["counter"], "an@agii"))
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{base_url}/?tab=1")
        assert await page.inner_text("h1") == "Welkom an@agii"
        cookie = (await context.cookies())[0]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        await context.close()


async def test_the_wrong_role_gets_a_dutch_error_page_not_json(app, signed_in):
    async with serving(app) as base_url, signed_in(base_url, "analyst") as page:
        response = await page.goto("/")
        assert response.status == 403
        assert await page.inner_text("h1") == "Geen toegang"
