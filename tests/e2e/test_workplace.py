"""The staff workplace as each role uses it (issue 14), in headless Chromium against the running
system, signed in through Keycloak's real login page as the demo users of the README:

- each role does its main work of the day with the keyboard alone;
- every page it opens has no serious or critical accessibility violation (axe-core);
- at 390 px (a phone) no page scrolls sideways;
- on every page, Enter in a text field can only take that field's own form's step (each such
  form has exactly one submit button, the one Enter presses).

With ``CIVIC_SCREENSHOTS=<dir>`` (``make screenshots`` sets docs/screenshots) each role's main
page is saved there as ``<role>.png``.
"""

import os
import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page

from civic_common.testing.browser import axe_source
from civic_common.testing.waiting import eventually
from civic_common.testing.workplace import (
    DESKTOP,
    PHONE,
    check_page,
    press,
    signed_in_page,
    tab_to,
)

pytestmark = pytest.mark.e2e

NIS = "44021"  # Gent
PERSON_PAGE = re.compile(r".*/personen/[0-9a-f-]{36}(\?.*)?$")


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


@pytest.fixture(scope="module")
async def case(system, auth) -> dict:
    """A person of AgII (the demo users' agency) with the trajectory intake's event opened."""
    intake, trajecten = system.urls["intake"], system.urls["trajecten"]
    family = f"Werkplek-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(timeout=15) as http:
        registered = await http.post(
            f"{intake}/api/v1/persons",
            json={
                "given_name": "Samira",
                "family_name": family,
                "birth_date": "1992-06-14",
                "municipality_nis": NIS,
                "nationality": "AF",
                "residence_category": "recognised_refugee",
                "languages": ["prs"],
                "interpreter_language": "prs",
            },
            headers=auth("counter"),
        )
        assert registered.status_code == 201, registered.text
        person_id = registered.json()["id"]

        async def opened() -> list[dict]:
            answer = await http.get(
                f"{trajecten}/api/v1/trajectories",
                params={"person_id": person_id},
                headers=auth("counsellor"),
            )
            return answer.json() if answer.status_code == 200 else []

        [trajectory] = await eventually(opened, 60)
    return {"person_id": person_id, "family": family, "trajectory": trajectory}


def screenshot_dir() -> Path | None:
    target = os.environ.get("CIVIC_SCREENSHOTS")
    return Path(target) if target else None


async def keep_screenshot(page: Page, role: str) -> None:
    if (target := screenshot_dir()) is not None:
        target.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(target / f"{role}.png"), full_page=False)


async def test_the_counter_registers_and_finds_a_newcomer_with_the_keyboard(
    system, keycloak, browser, axe, case
):
    problems: list[str] = []
    page = await signed_in_page(browser, system, keycloak, "counter", "intake", "/")
    try:
        await check_page(page, axe, problems)
        await keep_screenshot(page, "counter")

        # Register a newcomer: Tab from field to field, Dutch names typed, Enter saves.
        await tab_to(page, "a[href='/personen/nieuw']")
        await press(page, "Enter")
        await page.wait_for_url("**/personen/nieuw")
        await check_page(page, axe, problems)
        family = f"Toetsenbord-{uuid.uuid4().hex[:6]}"
        await tab_to(page, "#given_name")
        await page.keyboard.type("Omid")
        await tab_to(page, "#family_name")
        await page.keyboard.type(family)
        await tab_to(page, "#birth_date")
        await page.keyboard.type("03041994")
        await tab_to(page, "#nationality")
        await page.keyboard.type("Afghanistan")
        await tab_to(page, "#municipality_nis")
        await page.keyboard.type("Gent")
        await tab_to(page, "#languages")
        await page.keyboard.type("Dari")
        await press(page, "Enter")
        await page.wait_for_url(PERSON_PAGE)
        assert "Omid" in await page.inner_text("h1")
        assert await page.input_value("#languages") == "Dari"
        await check_page(page, axe, problems)

        # Find the other newcomer by a misspelt name.
        await page.goto(f"{system.urls['intake']}/")
        await tab_to(page, "#name")
        await page.keyboard.type(f"Samra {case['family']}")
        await press(page, "Enter")
        await page.wait_for_selector(f"text={case['family']}")
        await check_page(page, axe, problems)

        await page.goto(f"{system.urls['intake']}/organisaties")
        await check_page(page, axe, problems)
    finally:
        await page.context.close()
    assert problems == []


async def test_the_counsellor_records_progress_with_the_keyboard(
    system, keycloak, browser, axe, case
):
    problems: list[str] = []
    trajectory_id = case["trajectory"]["id"]
    page = await signed_in_page(browser, system, keycloak, "counsellor", "trajecten", "/")
    try:
        await check_page(page, axe, problems)
        await keep_screenshot(page, "counsellor")
        await page.goto(f"{system.urls['trajecten']}/mijn-dossiers?bereik=agency")
        await check_page(page, axe, problems)

        # The worklist's search by person, then the trajectory, all from the keyboard.
        await page.goto(f"{system.urls['trajecten']}/")
        await tab_to(page, "#persoon")
        await page.keyboard.type(case["person_id"])
        await press(page, "Enter")
        link = f"a[href='/trajecten/{trajectory_id}']"
        await page.wait_for_selector(link)
        await tab_to(page, link)
        await press(page, "Enter")
        await page.wait_for_url(f"**/trajecten/{trajectory_id}")
        await check_page(page, axe, problems)

        # Hours on the course: Enter in the field saves them and nothing else.
        await tab_to(page, "#uren-mo_course")
        await page.keyboard.type("12,5")
        await press(page, "Enter")
        await page.wait_for_selector("#melding")
        assert "12,5 / 60" in await page.locator("#onderdeel-mo_course").inner_text()

        # A final step asks first; its confirmation page passes the same checks.
        await tab_to(page, "#stop-traject")
        await press(page, "Enter")
        await page.wait_for_url("**/bevestigen?**")
        await check_page(page, axe, problems)
        await tab_to(page, "text=Annuleren")
        await press(page, "Enter")
        await page.wait_for_url(f"**/trajecten/{trajectory_id}")
        assert "(lopend)" in await page.inner_text("h1")
    finally:
        await page.context.close()
    assert problems == []


async def test_the_interpreter_desk_filters_by_a_language_name_with_the_keyboard(
    system, keycloak, browser, axe
):
    problems: list[str] = []
    page = await signed_in_page(
        browser, system, keycloak, "interpreter_desk", "tolken", "/tolkendesk"
    )
    try:
        await check_page(page, axe, problems)
        await keep_screenshot(page, "interpreter_desk")
        await tab_to(page, "#taal")
        await page.keyboard.type("Dari")
        await press(page, "Enter")
        await page.wait_for_url("**taal=Dari**")
        assert await page.input_value("#taal") == "Dari"
        assert await page.locator("#taal-error").count() == 0
        await check_page(page, axe, problems)
        await page.goto(f"{system.urls['tolken']}/tolkendesk/toegewezen")
        await check_page(page, axe, problems)
    finally:
        await page.context.close()
    assert problems == []


async def test_the_interpreter_sees_their_offers_on_a_phone(system, keycloak, browser, axe):
    problems: list[str] = []
    page = await signed_in_page(
        browser, system, keycloak, "interpreter", "tolken", "/mijn-aanbiedingen"
    )
    try:
        await check_page(page, axe, problems)
        await page.set_viewport_size(PHONE)
        await keep_screenshot(page, "interpreter")
        assert await page.inner_text("h1") == "Mijn aanbiedingen"
        await page.set_viewport_size(DESKTOP)
        await page.goto(f"{system.urls['tolken']}/mijn-opdrachten")
        await check_page(page, axe, problems)
    finally:
        await page.context.close()
    assert problems == []


@pytest.mark.parametrize("role", ["analyst", "admin"])
async def test_the_analyst_filters_the_dashboard_with_the_keyboard(
    system, keycloak, browser, axe, role
):
    problems: list[str] = []
    page = await signed_in_page(browser, system, keycloak, role, "rapportage", "/")
    try:
        await check_page(page, axe, problems)
        await keep_screenshot(page, role)
        await tab_to(page, "#from_year")
        await page.keyboard.type("2024")
        await press(page, "Enter")
        await page.wait_for_url("**from_year=2024**")
        await check_page(page, axe, problems)
        for link in await page.locator(
            "main a[href^='/rapporten/'], main a[href^='/antwoorden/']"
        ).all():
            href = await link.get_attribute("href")
            if href and "/training-details" not in href:
                await page.goto(f"{system.urls['rapportage']}{href}")
                await check_page(page, axe, problems)
                break
        await page.goto(f"{system.urls['rapportage']}/?from_year=twintig")
        assert "Geef een jaartal" in await page.inner_text("main")
        await check_page(page, axe, problems)
    finally:
        await page.context.close()
    assert problems == []
