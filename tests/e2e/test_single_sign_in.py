"""One sign-in for all four web pages: a staff member signs in once, at intake's /aanmelden, and
the running trajecten, tolken and rapportage pages know them too (the session cookie belongs to
the host, whatever the port). Each page still checks its own role."""

import pytest

from civic_common.auth.issuer import mint

pytestmark = pytest.mark.e2e

ROLES = ["counter", "counsellor", "interpreter_desk", "analyst"]


async def test_one_sign_in_opens_every_services_pages_and_each_checks_its_role(
    system, browser, jwt_keys
) -> None:
    urls = system.urls
    context = await browser.new_context(locale="nl-BE")
    try:
        page = await context.new_page()
        await page.goto(f"{urls['intake']}/aanmelden")
        await page.fill("#token", mint(jwt_keys, ROLES, "lies@agii", organisation="agii"))
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{urls['intake']}/")

        for url in (
            f"{urls['intake']}/",
            f"{urls['trajecten']}/",
            f"{urls['tolken']}/tolkendesk",
            f"{urls['rapportage']}/",
        ):
            response = await page.goto(url)
            assert response is not None and response.status == 200, url
            assert "/aanmelden" not in page.url, f"{url} asked to sign in again"

        # Signed in is not the same as allowed: the interpreter's own page wants that role.
        refused = await page.goto(f"{urls['tolken']}/mijn-aanbiedingen")
        assert refused is not None and refused.status == 403
    finally:
        await context.close()
