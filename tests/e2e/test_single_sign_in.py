"""Staff sign in once, at Keycloak's own login page (OpenID Connect, code + PKCE), and the other
services' pages sign them in through Keycloak's single sign-on without a password; signing out
on one ends it on all; an expired session says so in Dutch and, after signing in again, returns
the person to the page they were on. Keycloak's access tokens open the APIs too (issue 14)."""

import httpx
import pytest

from civic_common.testing.keycloak import DEMO_USERS, keycloak_tokens, sign_in_at_keycloak

pytestmark = pytest.mark.e2e

# Each role's main page, and a page of another service it opens after signing in (allowed or
# not: single sign-on is about not being asked for a password again).
MAIN_PAGE = {
    "counter": ("intake", "/", "trajecten", "/"),
    "counsellor": ("trajecten", "/", "intake", "/"),
    "interpreter_desk": ("tolken", "/tolkendesk", "intake", "/"),
    "interpreter": ("tolken", "/mijn-aanbiedingen", "rapportage", "/"),
    "analyst": ("rapportage", "/", "tolken", "/tolkendesk"),
    "admin": ("rapportage", "/", "trajecten", "/"),
}


@pytest.mark.parametrize("role", sorted(MAIN_PAGE))
async def test_each_role_signs_in_at_keycloak_and_the_next_service_needs_no_password(
    system, browser, keycloak, role: str
) -> None:
    service, path, other, other_path = MAIN_PAGE[role]
    urls = system.urls
    context = await browser.new_context(locale="nl-BE")
    try:
        page = await context.new_page()
        await page.goto(f"{urls[service]}{path}")
        assert page.url.startswith(keycloak.issuer), "an anonymous visit goes to Keycloak"
        await sign_in_at_keycloak(page, DEMO_USERS[role])
        await page.wait_for_url(f"{urls[service]}{path}")
        assert await page.locator("form.signout button").count() == 1

        redirects: list[str] = []
        page.on("request", lambda r: r.is_navigation_request() and redirects.append(r.url))
        response = await page.goto(f"{urls[other]}{other_path}")
        assert response is not None
        assert page.url == f"{urls[other]}{other_path}", "signed in on the second service"
        assert any(u.startswith(keycloak.issuer) for u in redirects), "through Keycloak's SSO"
        assert await page.locator("#password").count() == 0
        if role == "admin":
            assert response.status == 200
        else:  # signed in is not allowed: each page still checks its role
            assert response.status in (200, 403)
    finally:
        await context.close()


async def test_signing_out_on_one_service_ends_the_session_on_the_others(
    system, browser, keycloak
) -> None:
    urls = system.urls
    context = await browser.new_context(locale="nl-BE")
    try:
        page = await context.new_page()
        await page.goto(f"{urls['rapportage']}/")
        await sign_in_at_keycloak(page, DEMO_USERS["admin"])
        await page.wait_for_url(f"{urls['rapportage']}/")
        assert (await page.goto(f"{urls['trajecten']}/")).status == 200

        await page.click("form.signout button")
        await page.wait_for_url(f"{urls['trajecten']}/afgemeld")
        assert await page.inner_text("h1") == "Je bent afgemeld"

        # Rapportage still held a session of its own: it asks Keycloak, finds it ended.
        await page.goto(f"{urls['rapportage']}/")
        assert page.url.startswith(f"{urls['rapportage']}/aanmelden")
        assert await page.inner_text("h1") == "Je sessie is verlopen"
        await page.click("text=Opnieuw aanmelden")
        await page.wait_for_selector("#password")  # Keycloak asks for the password again
        assert page.url.startswith(keycloak.issuer)
    finally:
        await context.close()


async def test_an_expired_session_says_so_and_returns_to_the_page_after_signing_in(
    system, browser, keycloak
) -> None:
    intake = system.urls["intake"]
    context = await browser.new_context(locale="nl-BE")
    try:
        page = await context.new_page()
        await page.goto(f"{intake}/personen/nieuw")
        await sign_in_at_keycloak(page, DEMO_USERS["counter"])
        await page.wait_for_url(f"{intake}/personen/nieuw")

        await keycloak.end_sessions(DEMO_USERS["counter"])  # as Keycloak's idle timeout does

        await page.reload()
        assert await page.inner_text("h1") == "Je sessie is verlopen"
        assert "Meld je opnieuw aan" in await page.inner_text("main")
        await page.click("text=Opnieuw aanmelden")
        await sign_in_at_keycloak(page, DEMO_USERS["counter"])
        await page.wait_for_url(f"{intake}/personen/nieuw")
        assert await page.locator("form.signout button").count() == 1
    finally:
        await context.close()


async def test_the_apis_take_keycloak_access_tokens_for_staff(system, keycloak) -> None:
    trajecten = system.urls["trajecten"]
    callback = f"{trajecten}/auth/callback"
    counsellor = await keycloak_tokens(keycloak, DEMO_USERS["counsellor"], callback)
    analyst = await keycloak_tokens(keycloak, DEMO_USERS["analyst"], callback)
    async with httpx.AsyncClient(base_url=trajecten, timeout=15) as http:
        url = "/api/v1/transfers/incoming"
        bearer = {"Authorization": f"Bearer {counsellor['access_token']}"}
        assert (await http.get(url, headers=bearer)).status_code == 200
        wrong_role = {"Authorization": f"Bearer {analyst['access_token']}"}
        assert (await http.get(url, headers=wrong_role)).status_code == 403
        # The ID token is for the pages' client, not an API credential.
        id_token = {"Authorization": f"Bearer {counsellor['id_token']}"}
        assert (await http.get(url, headers=id_token)).status_code == 401
