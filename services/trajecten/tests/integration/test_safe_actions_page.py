"""Safe actions on the trajectory page, in a real headless Chromium: each step is its own form
(Enter in a field takes only that form's step), final steps go through a confirmation page
with a reason, and the last timeline entry's words can be corrected."""

import pytest

from civic_common.testing.server import serving
from trajecten.main import build_app

pytestmark = pytest.mark.integration

COURSE = "Maatschappelijke oriëntatie – cursus"
FAILED = "trajecten.trajectory.component-failed.v1"
STOPPED = "trajecten.trajectory.stopped.v1"


@pytest.fixture
def app(runtime_for):
    return build_app(runtime_for("trajecten"))


def kinds(events: list[tuple[str, dict]]) -> list[str]:
    return [kind for kind, _ in events]


async def test_enter_in_a_field_submits_only_its_own_form(app, signed_in, open_one, outbox):
    t = await open_one()
    async with serving(app) as base_url, signed_in(base_url, "counsellor", "els@agii") as page:
        await page.goto(f"/trajecten/{t['id']}")
        row = page.locator("#onderdeel-mo_course")
        # Every text field sits in a form of its own with one step in it.
        forms_with_text = await page.eval_on_selector_all(
            "form",
            """fs => fs.filter(f => f.querySelector('input:not([type=hidden]), textarea'))
                  .map(f => f.querySelectorAll('button:not([type=button])').length)""",
        )
        assert forms_with_text and set(forms_with_text) == {1}
        await row.get_by_label("Uren bijkomend").fill("12")
        await row.get_by_label("Uren bijkomend").press("Enter")
        await page.wait_for_selector("#melding")
        assert await row.locator(".status").inner_text() == "gestart"
        assert "12 / 60" in await row.inner_text()

        await page.fill("#reden", "ziekenhuisopname")
        await page.press("#reden", "Enter")
        await page.wait_for_selector("#melding")
        assert "(geschorst)" in await page.inner_text("h1")
    assert FAILED not in kinds(await outbox(t["id"]))
    assert STOPPED not in kinds(await outbox(t["id"]))


async def test_failing_a_course_asks_for_confirmation_and_a_reason(
    app, signed_in, open_one, outbox
):
    t = await open_one()
    async with serving(app) as base_url, signed_in(base_url, "counsellor", "els@agii") as page:
        await page.goto(f"/trajecten/{t['id']}")
        row = page.locator("#onderdeel-mo_course")
        await row.get_by_role("button", name=f"Starten: {COURSE}").click()
        await page.wait_for_selector("#melding")
        await row.get_by_role("link", name=f"Niet geslaagd: {COURSE}").click()
        await page.wait_for_url("**/bevestigen?**")
        assert await page.inner_text("h1") == f"«{COURSE}» als niet geslaagd registreren?"
        assert "Dit kan niet ongedaan worden." in await page.inner_text("#waarschuwing")

        # No reason: the page comes back with a summary naming the field; nothing changed.
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.get_by_role("button", name="Ja, niet geslaagd registreren").click()
        assert (await posted.value).status == 422
        summary = page.locator(".error-summary")
        link = summary.get_by_role("link", name="Reden: Geef de reden van deze stap.")
        assert await link.count() == 1, "the summary names the field"
        assert await page.evaluate("document.activeElement.id") == "fouten", "and takes focus"
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        assert await page.evaluate("document.activeElement.id") == "reden"
        assert FAILED not in kinds(await outbox(t["id"]))

        # With the keyboard: the reason, then Tab to the button and Enter.
        await page.keyboard.type("afwezig op het examen")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{base_url}/trajecten/{t['id']}?**")
        assert await row.locator(".status").inner_text() == "niet geslaagd"
        timeline = await page.inner_text("#tijdlijn")
        assert f"Niet geslaagd: {COURSE} door els@agii – reden: afwezig op het examen" in timeline
    assert kinds(await outbox(t["id"])).count(FAILED) == 1


async def test_a_final_step_posted_without_confirmation_changes_nothing(
    app, signed_in, open_one, outbox
):
    t = await open_one()
    async with serving(app) as base_url, signed_in(base_url, "counsellor") as page:
        await page.goto(f"/trajecten/{t['id']}")
        # A form posting "stop" straight away (an old page, a stray submit): it only asks.
        await page.evaluate(
            """() => { const f = document.getElementById('status-form');
                f.querySelector('[name=action]').value = 'stop';
                f.querySelector('[name=reason]').value = 'verhuisd';
                f.submit(); }"""
        )
        await page.wait_for_url("**/bevestigen?**")
        assert await page.inner_text("h1") == "Traject stopzetten?"
        await page.get_by_role("link", name="Annuleren").click()
        await page.wait_for_url(f"{base_url}/trajecten/{t['id']}")
        assert "(lopend)" in await page.inner_text("h1")
        assert STOPPED not in kinds(await outbox(t["id"]))

        # Stopping for real, from the page's own link, with its kind of reason.
        await page.click("#stop-traject")
        await page.get_by_label("Soort reden").select_option(label="verhuisd")
        await page.fill("#reden", "verhuisd naar Brussel")
        await page.get_by_role("button", name="Ja, traject stopzetten").click()
        await page.wait_for_selector("#melding")
        assert "(stopgezet)" in await page.inner_text("h1")
        assert await page.locator("#stop-traject").count() == 0
    events = await outbox(t["id"])
    assert [p["reason"] for k, p in events if k == STOPPED] == ["moved"]


async def test_the_last_entrys_reason_can_be_corrected(app, signed_in, open_one, outbox):
    t = await open_one()
    async with serving(app) as base_url, signed_in(base_url, "counsellor", "els@agii") as page:
        await page.goto(f"/trajecten/{t['id']}")
        assert await page.locator("#correctie").count() == 0, "opening carries no words"
        await page.fill("#reden", "ziekenhuisopnam")
        await page.get_by_role("button", name="Schorsen").click()
        await page.wait_for_selector("#melding")
        assert await page.input_value("#correctie") == "ziekenhuisopnam"
        await page.fill("#correctie", "ziekenhuisopname")
        await page.press("#correctie", "Enter")
        await page.wait_for_selector("#melding")
        assert await page.inner_text("#melding") == "Reden gecorrigeerd."
        entries = await page.locator("#tijdlijn li").all_inner_texts()
        assert "reden: ziekenhuisopnam (gecorrigeerd, zie verder)" in entries[-2]
        assert (
            "Reden gecorrigeerd (geschorst) door els@agii – reden: ziekenhuisopname"
            in (entries[-1])
        )
        assert "(geschorst)" in await page.inner_text("h1"), "the step itself stands"

        # The same words again are refused in Dutch, and nothing is added.
        await page.press("#correctie", "Enter")
        await page.wait_for_selector("#fout")
        assert "dezelfde" in await page.inner_text("#fout")
        assert await page.locator("#tijdlijn li").count() == len(entries)
    assert kinds(await outbox(t["id"])).count("trajecten.trajectory.suspended.v1") == 1, (
        "no event for words"
    )


async def test_a_failed_test_result_asks_for_confirmation_and_a_reason(
    app, signed_in, open_one, outbox
):
    t = await open_one()
    test = "Maatschappelijke oriëntatie – test"
    async with serving(app) as base_url, signed_in(base_url, "counsellor", "els@agii") as page:
        await page.goto(f"/trajecten/{t['id']}")
        await page.fill("#uren-mo_course", "60")
        await page.press("#uren-mo_course", "Enter")
        await page.wait_for_selector("#melding")
        row = page.locator("#onderdeel-mo_test")

        # "niet geslaagd" in the result form records nothing yet: it asks first.
        await row.get_by_label("Testresultaat").select_option(label="niet geslaagd")
        await row.get_by_role("button", name=f"Resultaat bewaren: {test}").click()
        await page.wait_for_url("**/bevestigen?**")
        assert await page.inner_text("h1") == f"«{test}» als niet geslaagd registreren?"
        assert await page.inner_text("#testresultaat") == "niet geslaagd"
        assert FAILED not in kinds(await outbox(t["id"]))

        # Cancelling leaves the test as it was.
        await page.get_by_role("link", name="Annuleren").click()
        await page.wait_for_url(f"{base_url}/trajecten/{t['id']}")
        assert await row.locator(".status").inner_text() == "gepland"

        # Confirmed without a reason: back to the page, nothing recorded.
        await row.get_by_label("Testresultaat").select_option(label="niet geslaagd")
        await row.get_by_role("button", name=f"Resultaat bewaren: {test}").click()
        await page.wait_for_url("**/bevestigen?**")
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.get_by_role("button", name="Ja, niet geslaagd registreren").click()
        assert (await posted.value).status == 422
        assert await page.inner_text("#testresultaat") == "niet geslaagd", "the result is kept"
        assert FAILED not in kinds(await outbox(t["id"]))

        # With a reason, Enter in the field does not submit (a textarea); the button does.
        await page.fill("#reden", "te laat aangekomen op het examen")
        await page.get_by_role("button", name="Ja, niet geslaagd registreren").click()
        await page.wait_for_url(f"{base_url}/trajecten/{t['id']}?**")
        assert await row.locator(".status").inner_text() == "niet geslaagd"
        timeline = await page.inner_text("#tijdlijn")
        assert f"Niet geslaagd: {test} door els@agii – reden: te laat aangekomen" in timeline
        # The words are correctable like any other step's.
        assert await page.input_value("#correctie") == "te laat aangekomen op het examen"
    assert kinds(await outbox(t["id"])).count(FAILED) == 1


async def test_a_pass_below_the_level_needed_also_asks_first(app, signed_in, open_one, outbox):
    t = await open_one()
    test = "Nederlands als tweede taal – test"
    async with serving(app) as base_url, signed_in(base_url, "counsellor") as page:
        await page.goto(f"/trajecten/{t['id']}")
        await page.fill("#uren-nt2_course", "240")
        await page.press("#uren-nt2_course", "Enter")
        await page.wait_for_selector("#melding")
        row = page.locator("#onderdeel-nt2_test")
        await row.get_by_label("Testresultaat").select_option(label="geslaagd")
        await row.get_by_label("Niveau").select_option("A1")
        await row.get_by_role("button", name=f"Resultaat bewaren: {test}").click()
        await page.wait_for_url("**/bevestigen?**")
        assert await page.inner_text("#testresultaat") == (
            "geslaagd, niveau A1 (nodig: minstens A2)"
        )
        await page.get_by_role("link", name="Annuleren").click()

        # A pass at the level needed is no final step of that kind: saved at once.
        await row.get_by_label("Testresultaat").select_option(label="geslaagd")
        await row.get_by_label("Niveau").select_option("A2")
        await row.get_by_role("button", name=f"Resultaat bewaren: {test}").click()
        await page.wait_for_selector("#melding")
        assert await row.locator(".status").inner_text() == "afgerond"
    events = kinds(await outbox(t["id"]))
    assert FAILED not in events
    assert "trajecten.trajectory.component-completed.v1" in events
