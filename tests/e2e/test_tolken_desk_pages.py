"""The interpreter desk's queue by day and in pages, and an interpreter declining an offer with a
reason the desk then reads (issue 14), against the running system in headless Chromium, signed
in at Keycloak's real login page as the README's demo users.

Every page opened is checked as the workplace suite checks them
(``civic_common.testing.browser.check_page``):
axe-core without serious or critical violations, no sideways scroll at 390 px, and Enter in a
text field takes only its own form's step. The work itself is done with the keyboard."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from civic_common.testing.browser import axe_source, check_page, press, signed_in_page, tab_to
from civic_common.testing.keycloak import DEMO_USERS
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e
BRUSSELS = ZoneInfo("Europe/Brussels")
# Real ISO 639 codes no other e2e test uses, so this file's requests are the only ones of each.
PAGED_LANGUAGE, PAGED_NAME = "ka", "Georgisch"
DECLINED_LANGUAGE, DECLINED_NAME = "hy", "Armeens"


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


def weekday_at(days_ahead: int, hour: int) -> datetime:
    day = datetime.now(BRUSSELS).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BRUSSELS)


def request_body(language: str, start: datetime) -> dict:
    return {
        "language": language,
        "modality": "phone",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "subject_category": "welzijn",
        "organisation": "ocmw-gent",
    }


async def test_the_desk_pages_through_a_queue_grouped_by_day_with_the_keyboard(
    system, keycloak, browser, axe, auth
):
    tolken = system.urls["tolken"]
    async with httpx.AsyncClient(timeout=15) as http:
        # Twelve requests on three weekdays a week apart: ten fit a page.
        for days_ahead in (30, 37, 44):
            for hour in (9, 10, 11, 12):
                created = await http.post(
                    f"{tolken}/api/v1/requests",
                    json=request_body(PAGED_LANGUAGE, weekday_at(days_ahead, hour)),
                    headers=auth("interpreter_desk"),
                )
                assert created.status_code == 201, created.text
    problems: list[str] = []
    page = await signed_in_page(
        browser, system.urls["tolken"], keycloak, "interpreter_desk", "/tolkendesk"
    )
    try:
        await tab_to(page, "#taal")
        await page.keyboard.type(PAGED_NAME)
        await press(page, "Enter")
        await page.wait_for_url(f"**taal={PAGED_NAME}**")
        await check_page(page, axe, problems)
        assert await page.locator("section.dag").count() == 3
        assert await page.locator("section.request").count() == 10
        headings = await page.locator("section.dag h2").all_inner_texts()
        assert all(
            h.split()[0] in ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag")
            for h in headings
        ), headings

        await tab_to(page, "#volgende")
        await press(page, "Enter")
        await page.wait_for_url("**cursor=**")
        await check_page(page, axe, problems)
        assert await page.input_value("#taal") == PAGED_NAME, "the filter travels with the page"
        assert await page.locator("section.request").count() == 2
        assert await page.locator("#volgende").count() == 0

        await tab_to(page, "#eerste")
        await press(page, "Enter")
        await page.wait_for_function("() => !location.search.includes('cursor')")
        assert await page.locator("section.request").count() == 10
        assert await page.input_value("#taal") == PAGED_NAME
    finally:
        await page.context.close()
    assert problems == []


async def test_an_interpreter_declines_with_a_reason_and_the_desk_reads_it(
    system, keycloak, browser, axe, auth
):
    tolken = system.urls["tolken"]
    async with httpx.AsyncClient(timeout=15) as http:
        # The demo interpreter's Keycloak account is an interpreter of the registry.
        headers = await keycloak.admin_headers(http)
        found = await http.get(
            f"{keycloak.base_url}/admin/realms/civic/users",
            params={"username": DEMO_USERS["interpreter"], "exact": "true"},
            headers=headers,
        )
        [user] = found.json()
        registered = await http.post(
            f"{tolken}/api/v1/interpreters",
            json={
                "name": "Anahit Petrosyan",
                "account": user["id"],
                "tier": "certified",
                "certificate": {
                    "number": "VR-E2E-7",
                    "valid_from": "2024-01-01",
                    "valid_until": "2031-12-31",
                },
                "languages": [DECLINED_LANGUAGE],
                "modalities": ["phone", "video"],
                "regions": [],
                "latitude": 51.05,
                "longitude": 3.72,
                "travel_range_km": 50,
                "max_assignments_per_week": 10,
                "weekly": [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)],
            },
            headers=auth("interpreter_desk"),
        )
        assert registered.status_code == 201, registered.text
        created = await http.post(
            f"{tolken}/api/v1/requests",
            json=request_body(DECLINED_LANGUAGE, weekday_at(33, 14)),
            headers=auth("interpreter_desk"),
        )
        assert created.status_code == 201, created.text
        request_id = created.json()["id"]

    problems: list[str] = []
    page = await signed_in_page(
        browser, system.urls["tolken"], keycloak, "interpreter", "/mijn-aanbiedingen"
    )
    try:
        await tab_to(page, "section.offer a.button")
        await press(page, "Enter")
        await page.wait_for_url("**/weigeren")
        await check_page(page, axe, problems)
        # Enter on the confirmation without a reason declines nothing: the list is asked for.
        await tab_to(page, "button.warning-button")
        await press(page, "Enter")
        await page.wait_for_selector(".error-summary")
        await check_page(page, axe, problems)
        await tab_to(page, "#reden")
        await press(page, "ArrowDown")  # the second reason of the list: too far
        assert await page.is_checked("#reden-too_far")
        await tab_to(page, "button.warning-button")
        await press(page, "Enter")
        await page.wait_for_selector("#melding")
        assert await page.inner_text("#leeg") == "Je hebt geen openstaande aanbiedingen."
    finally:
        await page.context.close()

    page = await signed_in_page(
        browser, system.urls["tolken"], keycloak, "interpreter_desk", "/tolkendesk"
    )
    try:
        await tab_to(page, "#taal")
        await page.keyboard.type(DECLINED_NAME)
        await press(page, "Enter")
        await page.wait_for_url(f"**taal={DECLINED_NAME}**")
        await check_page(page, axe, problems)

        async def reason() -> str:
            await page.reload()
            shown = page.locator(f"#aanvraag-{request_id} .geweigerd li")
            return await shown.inner_text() if await shown.count() else ""

        assert await eventually(reason, 10) == (
            "Geweigerd door Anahit Petrosyan: De plaats is te ver of niet bereikbaar"
        )
    finally:
        await page.context.close()
    assert problems == []
