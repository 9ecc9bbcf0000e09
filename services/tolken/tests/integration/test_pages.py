"""The desk's queue and an interpreter's offers in a real headless Chromium, in Dutch."""

from datetime import UTC, datetime, timedelta

import pytest

from civic_common.testing.server import serving
from tolken.main import build_app
from tolken.settings import TolkenSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def app(tolken):
    return build_app(tolken)


async def test_the_desk_sees_candidates_with_why_and_assigns_one(
    app, signed_in, client, auth, lang, org, add_interpreter, request_body
):
    await add_interpreter(lang, name="Eerste Tolk", account=f"eerste-{lang}")
    await add_interpreter(lang, name="Tweede Tolk", latitude=51.2, longitude=4.4)
    created = (
        await client.post(
            "/api/v1/requests", json=request_body(lang, org), headers=auth("interpreter_desk")
        )
    ).json()

    async with serving(app) as base_url, signed_in(base_url, "interpreter_desk") as page:
        await page.goto(f"/tolkendesk?taal={lang}")
        assert await page.get_attribute("html", "lang") == "nl-BE"
        section = page.locator(f"#aanvraag-{created['id']}")
        assert "wacht op antwoord" in await section.inner_text()
        assert await section.locator(".aanbod-bij").inner_text() == "Aangeboden aan Eerste Tolk"
        row = section.locator("tr.kandidaat")
        assert await row.count() == 1, "the first was offered already; the other is proposed"
        assert "Tweede Tolk" in await row.inner_text()
        assert "km ver" in await row.inner_text()

        await section.get_by_role("button", name="Toewijzen aan Tweede Tolk").click()
        await page.wait_for_selector("#melding")
        assert await page.inner_text("#melding") == "De tolk is toegewezen."
        await page.goto(f"/tolkendesk?taal={lang}")
        assert await page.inner_text("#leeg") == "Geen openstaande aanvragen."

    status = await client.get(f"/api/v1/requests/{created['id']}", headers=auth("interpreter_desk"))
    assert status.json()["status"] == "assigned"


async def test_the_desk_filters_by_date_cancels_and_is_told_about_a_bad_filter(
    app, signed_in, client, auth, lang, org, request_body, slot
):
    start, end = slot(days_ahead=25)
    created = (
        await client.post(
            "/api/v1/requests",
            json=request_body(lang, org, starts_at=start, ends_at=end),
            headers=auth("interpreter_desk"),
        )
    ).json()
    async with serving(app) as base_url, signed_in(base_url, "interpreter_desk") as page:
        await page.goto(f"/tolkendesk?taal={lang}&datum=2020-01-01")
        assert await page.locator("section.request").count() == 0
        await page.goto(f"/tolkendesk?taal={lang}&datum=rommel")
        assert "JJJJ-MM-DD" in await page.inner_text("#datum-error")

        await page.goto("/tolkendesk")
        # The whole queue, several languages in it: the filter shows none was chosen.
        assert await page.input_value("#taal") == ""
        await page.fill("#taal", lang)
        await page.fill("#datum", start[:10])
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"**datum={start[:10]}")
        section = page.locator(f"#aanvraag-{created['id']}")
        assert "Geen geschikte tolk" in await section.inner_text()

        # Cancelling asks first: free of charge here (nobody assigned), and a reason.
        await section.get_by_role("link", name="Aanvraag annuleren").click()
        await page.wait_for_url(f"**/tolkendesk/{created['id']}/annuleren?**")
        assert await page.inner_text("h1") == "Aanvraag annuleren?"
        assert await page.inner_text("#kosteloos") == "Deze annulering is kosteloos."
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.get_by_role("button", name="Ja, aanvraag annuleren").click()
        assert (await posted.value).status == 422
        assert "Geef de reden van de annulering." in await page.inner_text(".error-summary")
        still = await client.get(
            f"/api/v1/requests/{created['id']}", headers=auth("interpreter_desk")
        )
        assert still.json()["status"] == "received", "nothing cancelled without a reason"
        await page.fill("#reden", "de aanvrager heeft de afspraak verzet")
        await page.get_by_role("button", name="Ja, aanvraag annuleren").click()
        await page.wait_for_selector("#melding")
        assert await page.inner_text("#melding") == "De aanvraag is geannuleerd."
        # The filters survive the action.
        assert f"datum={start[:10]}" in page.url and f"taal={lang}" in page.url
        assert await page.input_value("#datum") == start[:10]
    status = await client.get(f"/api/v1/requests/{created['id']}", headers=auth("interpreter_desk"))
    assert status.json()["status"] == "cancelled"


async def test_an_interpreter_accepts_one_offer_and_declines_another(
    app, signed_in, client, auth, lang, org, add_interpreter, request_body, slot
):
    account = f"tolk-{lang}"
    await add_interpreter(lang, account=account)
    for days in (15, 16):
        start, end = slot(days_ahead=days)
        await client.post(
            "/api/v1/requests",
            json=request_body(lang, org, starts_at=start, ends_at=end, subject_category="asiel"),
            headers=auth("interpreter_desk"),
        )
    async with serving(app) as base_url, signed_in(base_url, "interpreter", account) as page:
        await page.goto("/mijn-aanbiedingen")
        offers = page.locator("section.offer")
        assert await offers.count() == 2
        assert "asiel" in await offers.first.inner_text()

        await offers.first.get_by_role("button", name="Aanvaarden").click()
        await page.wait_for_selector("#melding")
        assert await page.inner_text("#melding") == "Je hebt de opdracht aanvaard."
        await page.locator("section.offer").first.get_by_role("link", name="Weigeren").focus()
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/weigeren")
        assert await page.inner_text("h1") == "Aanbod weigeren?"
        # Without a reason from the list nothing is declined: the page asks for one.
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.get_by_role("button", name="Ja, weigeren").focus()
            await page.keyboard.press("Enter")
        assert (await posted.value).status == 422
        assert "Kies waarom je dit aanbod weigert." in await page.inner_text(".error-summary")
        await page.get_by_label("De plaats is te ver of niet bereikbaar").check()
        await page.get_by_role("button", name="Ja, weigeren").focus()
        await page.keyboard.press("Enter")
        await page.wait_for_selector("text=Je hebt de opdracht geweigerd.")
        assert await page.inner_text("#leeg") == "Je hebt geen openstaande aanbiedingen."

        # The accepted one is in the agenda, under its day in words.
        await page.get_by_role("link", name="Mijn opdrachten").click()
        await page.wait_for_url("**/mijn-opdrachten")
        assert await page.locator("li.opdracht").count() == 1
        day = await page.inner_text("section.dag h2")
        assert day.split()[0] in ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag")
        assert "asiel" in await page.inner_text("li.opdracht")


async def test_an_interpreter_cannot_open_the_desk(app, signed_in):
    async with serving(app) as base_url, signed_in(base_url, "interpreter") as page:
        response = await page.goto("/tolkendesk")
        assert response.status == 403
        assert await page.inner_text("h1") == "Geen toegang"


async def test_the_start_page_leads_each_role_to_its_own_page(app, signed_in):
    async with serving(app) as base_url:
        async with signed_in(base_url, "interpreter") as page:
            await page.goto("/")
            assert await page.inner_text("h1") == "Mijn aanbiedingen"
        async with signed_in(base_url, "interpreter_desk") as page:
            await page.goto("/")
            assert await page.inner_text("h1") == "Openstaande aanvragen"


async def test_the_desk_cancels_an_assigned_request_warned_that_it_is_billable(
    app, signed_in, client, auth, lang, org, add_interpreter, request_body
):
    soon = datetime.now(UTC) + timedelta(hours=3)
    around = {
        "starts_at": (soon - timedelta(days=1)).isoformat(),
        "ends_at": (soon + timedelta(days=1)).isoformat(),
    }
    interpreter = await add_interpreter(
        lang, name="Late Tolk", weekly=[], exceptions=[around | {"available": True}]
    )
    body = request_body(
        lang,
        org,
        starts_at=soon.isoformat(),
        ends_at=(soon + timedelta(hours=1)).isoformat(),
        modality="phone",
    )
    desk = auth("interpreter_desk")
    created = (await client.post("/api/v1/requests", json=body, headers=desk)).json()
    assigned = await client.post(
        f"/api/v1/requests/{created['id']}/assignment",
        json={"interpreter_id": interpreter},
        headers=desk,
    )
    assert assigned.status_code == 200, assigned.text

    async with serving(app) as base_url, signed_in(base_url, "interpreter_desk") as page:
        await page.goto("/tolkendesk")
        await page.get_by_role("link", name="Toegewezen").click()
        await page.fill("#taal", lang)
        await page.press("#taal", "Enter")
        await page.wait_for_url(f"**/tolkendesk/toegewezen?taal={lang}**")
        section = page.locator(f"#toegewezen-{created['id']}")
        assert await section.locator(".tolk").inner_text() == "Late Tolk"
        assert "Annuleren wordt nu aangerekend." in await section.inner_text()

        await section.get_by_role("link", name="Aanvraag annuleren").click()
        await page.wait_for_url("**/annuleren?**")
        assert "Deze annulering wordt aangerekend." in await page.inner_text("#aangerekend")
        await page.fill("#reden", "de persoon is verhuisd")
        await page.get_by_role("button", name="Ja, aanvraag annuleren").click()
        await page.wait_for_selector("#melding")
        assert "/tolkendesk/toegewezen" in page.url and f"taal={lang}" in page.url
        assert await page.inner_text("#leeg") == "Geen toegewezen aanvragen."
    cancelled = await client.get(f"/api/v1/requests/{created['id']}", headers=desk)
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["billable"] is True


async def test_a_new_offer_appears_on_the_interpreters_page_without_a_reload(
    tolken, signed_in, client, auth, lang, org, add_interpreter, request_body, slot
):
    app = build_app(tolken, TolkenSettings(offer_stream_seconds=0.3))
    account = f"tolk-sse-{lang}"
    await add_interpreter(lang, account=account)
    async with serving(app) as base_url, signed_in(base_url, "interpreter", account) as page:
        await page.goto("/mijn-aanbiedingen")
        assert await page.inner_text("#leeg") == "Je hebt geen openstaande aanbiedingen."
        navigations: list[str] = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        start, end = slot(days_ahead=20)
        await client.post(
            "/api/v1/requests",
            json=request_body(lang, org, starts_at=start, ends_at=end, subject_category="asiel"),
            headers=auth("interpreter_desk"),
        )
        await page.wait_for_selector("section.offer", timeout=15_000)
        assert "asiel" in await page.inner_text("section.offer")
        assert await page.locator("#leeg").count() == 0
        assert navigations == [], "no reload"
