"""The workplace checks of the page suites (issue 14), shared by tests/e2e/test_workplace.py and
the per-service page suites beside it: sign in at Keycloak's real login page as a demo user, run
the three checks of every page (axe-core, 390 px, Enter), and move with the keyboard alone."""

from playwright.async_api import Browser, Page

from civic_common.testing.browser import ambiguous_enter, axe_violations, sideways_overflow
from civic_common.testing.keycloak import DEMO_USERS, Keycloak, sign_in_at_keycloak
from civic_common.testing.system import System

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


async def signed_in_page(
    browser: Browser, system: System, keycloak: Keycloak, role: str, service: str, path: str
) -> Page:
    context = await browser.new_context(locale="nl-BE", viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(f"{system.urls[service]}{path}")
    assert page.url.startswith(keycloak.issuer), "signed in at Keycloak's own page"
    await sign_in_at_keycloak(page, DEMO_USERS[role])
    await page.wait_for_url(f"{system.urls[service]}{path}**")
    return page


async def check_page(page: Page, axe: str, problems: list[str]) -> None:
    """The three checks of every page, on the page as it is now."""
    where = page.url.split("//", 1)[1]
    for violation in await axe_violations(page, axe):
        problems.append(f"{where}: {violation}")
    for form in await ambiguous_enter(page):
        problems.append(f"{where}: Enter in form {form} is ambiguous (not exactly one button)")
    await page.set_viewport_size(PHONE)
    if (overflow := await sideways_overflow(page)) > 0:
        problems.append(f"{where}: scrolls {overflow} px sideways at 390 px")
    await page.set_viewport_size(DESKTOP)


async def press(page: Page, key: str, times: int = 1) -> None:
    for _ in range(times):
        await page.keyboard.press(key)


async def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Tab until the element ``selector`` has the focus, as a keyboard user would."""
    target = await page.query_selector(selector)
    assert target is not None, selector
    for _ in range(limit):
        if await page.evaluate("(el) => el === document.activeElement", target):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with Tab")
