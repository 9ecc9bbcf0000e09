"""Headless Chromium (Debian's package) driven by Playwright, for the page tests."""

import math
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, async_playwright

from civic_common.auth.issuer import mint
from civic_common.testing.keycloak import keycloak  # noqa: F401 - a fixture of this plugin
from civic_common.testing.server import SERVED
from civic_common.web.oidc import Tokens
from civic_common.web.pages import PageAuth

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
