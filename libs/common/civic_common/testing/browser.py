"""Headless Chromium (Debian's package) driven by Playwright, for the page tests."""

import math
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from civic_common.auth.issuer import mint
from civic_common.testing.keycloak import (  # keycloak: a fixture of this plugin
    DEMO_USERS,
    Keycloak,
    keycloak,  # noqa: F401
    sign_in_at_keycloak,
)
from civic_common.testing.server import SERVED
from civic_common.web.oidc import Tokens
from civic_common.web.pages import PageAuth

REPO_ROOT = Path(__file__).resolve().parents[4]
# Without the background-networking flags Chromium keeps dialling out of a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("chromium is missing: run deploy/local/browser.sh (make test does)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
def signed_in(browser: Browser, jwt_keys: Path) -> Callable[..., "AsyncContextFactory"]:
    """``async with signed_in(base_url, "counter", organisation="atlas") as page:`` — a page
    whose browser is signed in as ``role`` (and any claims, in a token of the test issuer): a
    page session made in the served app (``serving``), or, for the system's processes, the
    token with every request as scripts send it (``Authorization``). Like ``auth``, staff
    belong to AgII unless ``organisation=`` says otherwise. The real sign-in through Keycloak
    has tests of its own (tests/e2e/test_single_sign_in.py)."""

    def context(
        base_url: str, role: str, subject: str | None = None, **claims: str | None
    ) -> AsyncContextFactory:
        claims.setdefault("organisation", "agii")
        token = mint(jwt_keys, [role], subject or f"{role}@test", **claims)
        return AsyncContextFactory(browser, base_url, token)

    return context


class AsyncContextFactory:
    def __init__(self, browser: Browser, base_url: str, token: str) -> None:
        self._browser, self._base_url, self._token = browser, base_url, token
        self._context: BrowserContext | None = None

    async def __aenter__(self):  # noqa: ANN204 - playwright's Page
        app = SERVED.get(self._base_url)
        if app is not None:
            # An app served in this test: a page session of its own, as a sign-in leaves it
            # (Chromium drops extra headers on downloads).
            self._context = await self._browser.new_context(base_url=self._base_url, locale="nl-BE")
            auth: PageAuth = app.state.page_auth
            principal = app.state.token_validator.validate(self._token)
            session_id = auth.sessions.create(
                principal, principal.subject, Tokens("", self._token, None, math.inf)
            )
            session = auth.sessions.get(session_id)
            assert session is not None
            session.checked_at = math.inf  # no provider to ask
            await self._context.add_cookies(
                [
                    {
                        "name": auth.session_cookie,
                        "value": session_id,
                        "url": self._base_url,
                        "httpOnly": True,
                        "sameSite": "Lax",
                    }
                ]
            )
        else:  # the system's processes: the token with every request, as scripts send it
            self._context = await self._browser.new_context(
                base_url=self._base_url,
                locale="nl-BE",
                extra_http_headers={"Authorization": f"Bearer {self._token}"},
            )
        return await self._context.new_page()

    async def __aexit__(self, *exc: object) -> None:
        assert self._context is not None
        await self._context.close()


# --- checks every page of the workplace suite passes (tests/e2e/test_workplace.py) -----------


def axe_source() -> str:
    """axe-core, as deploy/local/browser.sh packed it from npm into the state dir."""
    found = subprocess.run(
        ["bash", str(REPO_ROOT / "deploy/local/browser.sh"), "axe"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    path = Path(found)
    if not path.is_file():
        pytest.fail(f"axe-core is missing at {path}: run deploy/local/browser.sh (make test does)")
    return path.read_text("utf-8")


async def axe_violations(page: Page, source: str) -> list[str]:
    """The serious and critical accessibility violations axe-core finds on the page as it is
    (axe is evaluated through the debugging protocol, so the pages' CSP need not allow it)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(source)
    found = await page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => {
                const where = v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ');
                return `${v.impact} ${v.id}: ${v.help} (${where})`;
              });
        }"""
    )
    return list(found)


async def sideways_overflow(page: Page) -> int:
    """How many pixels the page scrolls sideways (0: it fits the viewport's width)."""
    return int(
        await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


async def ambiguous_enter(page: Page) -> list[str]:
    """Forms where Enter in a text field could take another step than the field's own: a form
    with a text field submits with its first submit button, so it must have exactly one."""
    return list(
        await page.evaluate(
            """() => [...document.forms]
              .filter(f => f.querySelector(
                  'input:not([type=hidden]):not([type=checkbox]):not([type=radio])' +
                  ':not([type=submit]):not([type=button])'))
              .filter(f => f.querySelectorAll(
                  'button:not([type=button]):not([type=reset]), input[type=submit]').length !== 1)
              .map(f => f.getAttribute('action') || f.id || '(form)')"""
        )
    )


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


async def check_page(page: Page, axe: str, problems: list[str]) -> None:
    """The three checks of every page, on the page as it is now: no serious or critical axe
    violation, Enter in a text field takes only its own form's step, no sideways scrolling at
    390 px. What fails is added to ``problems``."""
    where = page.url.split("//", 1)[1]
    for violation in await axe_violations(page, axe):
        problems.append(f"{where}: {violation}")
    for form in await ambiguous_enter(page):
        problems.append(f"{where}: Enter in form {form} is ambiguous (not exactly one button)")
    await page.set_viewport_size(PHONE)
    if (overflow := await sideways_overflow(page)) > 0:
        problems.append(f"{where}: scrolls {overflow} px sideways at 390 px")
    await page.set_viewport_size(DESKTOP)


async def signed_in_page(
    browser: Browser, base_url: str, provider: Keycloak, role: str, path: str
) -> Page:
    """A page at ``base_url + path``, signed in through Keycloak's own login page as the
    README's demo user of ``role``."""
    context = await browser.new_context(locale="nl-BE", viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(f"{base_url}{path}")
    assert page.url.startswith(provider.issuer), "signed in at Keycloak's own page"
    await sign_in_at_keycloak(page, DEMO_USERS[role])
    await page.wait_for_url(f"{base_url}{path}**")
    return page


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
