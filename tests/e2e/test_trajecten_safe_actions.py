"""Safe actions (issue 14) against the running system, in headless Chromium, signed in through
Keycloak's real login page as the README's demo users, with the keyboard alone:

- a test result that fails the test ("niet geslaagd") is recorded only from its confirmation
  page, with a reason, and the timeline keeps the reason;
- transferring a case to another agency asks on a confirmation page, with a reason, and the
  trajectory follows the person to the other agency (intake's event, across Kafka).

Every page on the way passes the workplace checks: no serious or critical axe-core violation,
Enter in a text field takes only its own form's step, nothing scrolls sideways at 390 px.
People are registered in NIS 37020, which no other e2e test counts."""

import uuid

import httpx
import pytest

from civic_common.testing.browser import (
    axe_source,
    check_page,
    press,
    signed_in_page,
    tab_to,
)
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

NIS = "37020"
MO_TEST = "Maatschappelijke oriëntatie – test"


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


async def registered(system, auth, family: str) -> tuple[str, dict]:
    """A newcomer of AgII (the demo users' agency) and the trajectory intake's event opened."""
    intake, trajecten = system.urls["intake"], system.urls["trajecten"]
    async with httpx.AsyncClient(timeout=15) as http:
        created = await http.post(
            f"{intake}/api/v1/persons",
            json={
                "given_name": "Nadia",
                "family_name": family,
                "birth_date": "1989-02-11",
                "municipality_nis": NIS,
                "nationality": "SY",
                "residence_category": "recognised_refugee",
            },
            headers=auth("counter"),
        )
        assert created.status_code == 201, created.text
        person_id = created.json()["id"]

        async def opened() -> list[dict]:
            answer = await http.get(
                f"{trajecten}/api/v1/trajectories",
                params={"person_id": person_id},
                headers=auth("counsellor"),
            )
            return answer.json() if answer.status_code == 200 else []

        [trajectory] = await eventually(opened, 60)
    return person_id, trajectory


async def test_a_failed_test_result_is_confirmed_with_a_reason(
    system, keycloak, browser, axe, auth
):
    _, trajectory = await registered(system, auth, f"Examen-{uuid.uuid4().hex[:6]}")
    trajecten, path = system.urls["trajecten"], f"/trajecten/{trajectory['id']}"
    problems: list[str] = []
    page = await signed_in_page(browser, trajecten, keycloak, "counsellor", path)
    try:
        await check_page(page, axe, problems)
        # The course's hours first (the test follows the course): Enter saves only them.
        await tab_to(page, "#uren-mo_course")
        await page.keyboard.type("60")
        await press(page, "Enter")
        await page.wait_for_selector("#melding")
        row = page.locator("#onderdeel-mo_test")
        assert await row.locator(".status").inner_text() == "gepland"

        # "niet geslaagd" chosen by typing in the select, the result form's button by Enter:
        # nothing is recorded yet, the confirmation page asks.
        await tab_to(page, "#geslaagd-mo_test")
        await page.keyboard.type("niet")
        assert await page.input_value("#geslaagd-mo_test") == "nee"
        await tab_to(page, f"button[aria-label='Resultaat bewaren: {MO_TEST}']")
        await press(page, "Enter")
        await page.wait_for_url("**/bevestigen?**")
        assert await page.inner_text("h1") == f"«{MO_TEST}» als niet geslaagd registreren?"
        assert await page.inner_text("#testresultaat") == "niet geslaagd"
        assert "Dit kan niet ongedaan worden." in await page.inner_text("#waarschuwing")
        await check_page(page, axe, problems)

        # Confirmed without a reason: the page again, the summary taking the focus.
        await tab_to(page, "button.warning-button")
        await press(page, "Enter")
        await page.wait_for_selector(".error-summary")
        assert await page.evaluate("document.activeElement.id") == "fouten"
        assert "Geef de reden van deze stap." in await page.inner_text(".error-summary")
        await check_page(page, axe, problems)
        async with httpx.AsyncClient(timeout=15) as http:
            unchanged = await http.get(
                f"{trajecten}/api/v1/trajectories/{trajectory['id']}",
                headers=auth("counsellor"),
            )
        [mo_test] = [c for c in unchanged.json()["components"] if c["code"] == "mo_test"]
        assert mo_test["status"] == "planned", "nothing recorded before the confirmation"

        await tab_to(page, "#reden")
        await page.keyboard.type("afwezig op het examen, geen attest van de dokter")
        await tab_to(page, "button.warning-button")
        await press(page, "Enter")
        await page.wait_for_url(f"{trajecten}{path}?**")
        assert await row.locator(".status").inner_text() == "niet geslaagd"
        timeline = await page.inner_text("#tijdlijn")
        assert f"Niet geslaagd: {MO_TEST} door " in timeline  # the sign-in's subject
        assert "reden: afwezig op het examen, geen attest van de dokter" in timeline
        await check_page(page, axe, problems)
    finally:
        await page.context.close()
    assert problems == []
    async with httpx.AsyncClient(timeout=15) as http:
        failed = await http.get(
            f"{trajecten}/api/v1/trajectories/{trajectory['id']}", headers=auth("counsellor")
        )
    [mo_test] = [c for c in failed.json()["components"] if c["code"] == "mo_test"]
    assert (mo_test["status"], mo_test["result"]) == ("failed", "failed")


async def test_a_transfer_to_another_agency_is_confirmed_with_a_reason(
    system, keycloak, browser, axe, auth
):
    family = f"Verhuis-{uuid.uuid4().hex[:6]}"
    person_id, trajectory = await registered(system, auth, family)
    intake, trajecten = system.urls["intake"], system.urls["trajecten"]
    problems: list[str] = []
    page = await signed_in_page(browser, intake, keycloak, "counter", f"/personen/{person_id}")
    try:
        await check_page(page, axe, problems)
        # Enter in the agency field only asks.
        await tab_to(page, "#agency")
        await page.keyboard.type("Atlas")
        await press(page, "Enter")
        await page.wait_for_url(f"**/personen/{person_id}/overdragen?**")
        assert await page.inner_text("h1") == "Dossier overdragen aan Atlas?"
        assert family in await page.inner_text("#persoon")
        await check_page(page, axe, problems)

        # Confirmed without a reason: the page again, nothing moved.
        await tab_to(page, "button.warning-button")
        await press(page, "Enter")
        await page.wait_for_selector(".error-summary")
        assert "Geef de reden van de overdracht." in await page.inner_text(".error-summary")
        await check_page(page, axe, problems)
        async with httpx.AsyncClient(timeout=15) as http:
            still = await http.get(f"{intake}/api/v1/persons/{person_id}", headers=auth("counter"))
        assert still.json()["agency"] == "agii"

        await tab_to(page, "#transfer_reason")
        await page.keyboard.type("verhuisd naar Antwerpen")
        await tab_to(page, "button.warning-button")
        await press(page, "Enter")
        await page.wait_for_url("**/?overgedragen=atlas")
        assert "overgedragen aan Atlas" in await page.inner_text("#melding")
        await check_page(page, axe, problems)
    finally:
        await page.context.close()
    assert problems == []

    # The trajectory follows the person: Atlas's counsellors see it, AgII's no longer do.
    atlas = auth("counsellor", "begeleider@atlas", organisation="atlas")
    async with httpx.AsyncClient(timeout=15) as http:

        async def moved() -> dict | None:
            answer = await http.get(
                f"{trajecten}/api/v1/trajectories/{trajectory['id']}", headers=atlas
            )
            return answer.json() if answer.status_code == 200 else None

        assert (await eventually(moved, 60))["agency"] == "atlas"
        gone = await http.get(
            f"{trajecten}/api/v1/trajectories/{trajectory['id']}", headers=auth("counsellor")
        )
        assert gone.status_code == 404
