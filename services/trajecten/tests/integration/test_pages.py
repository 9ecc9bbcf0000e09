"""The counsellor's pages in a real headless Chromium."""

import pytest
from sqlalchemy import text

from civic_common.testing.server import serving
from trajecten.main import build_app

pytestmark = pytest.mark.integration


@pytest.fixture
def app(runtime_for):
    return build_app(runtime_for("trajecten"))


async def test_a_counsellor_records_progress_and_sees_it_on_the_timeline(app, signed_in, open_one):
    t = await open_one()
    async with serving(app) as base_url, signed_in(base_url, "counsellor", "els@agii") as page:
        await page.goto(f"/trajecten/{t['id']}")
        assert await page.get_attribute("html", "lang") == "nl-BE"
        row = page.locator("#onderdeel-mo_course")
        await row.get_by_label("Uren bijkomend").fill("20,5")
        await row.get_by_role("button", name="Resultaat bewaren").click()
        await page.wait_for_selector("#melding")
        assert await row.locator(".status").inner_text() == "gestart"
        assert "20,5 / 60" in await row.inner_text()

        # Keyboard only: reason, its kind, then the suspend button.
        await page.focus("#reden")
        await page.keyboard.type("ziekenhuisopname")
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "redencode"
        await page.get_by_label("Soort reden").select_option(label="ziekte")
        await page.get_by_role("button", name="Schorsen").click()
        await page.wait_for_selector("#melding")
        assert "geschorst" in await page.inner_text("h1")
        timeline = await page.inner_text("#tijdlijn")
        assert "Uren geregistreerd: Maatschappelijke oriëntatie – cursus door els@agii" in timeline
        assert "Geschorst door els@agii – ziekte – reden: ziekenhuisopname" in timeline


async def test_an_illegal_or_stale_change_shows_the_reason_in_dutch(
    app, signed_in, open_one, client, counsellor
):
    t = await open_one()
    async with serving(app) as base_url, signed_in(base_url, "counsellor") as page:
        await page.goto(f"/trajecten/{t['id']}")
        # Someone else changes the trajectory meanwhile: the page's version is stale.
        await client.post(
            f"/api/v1/trajectories/{t['id']}/components/guidance/transitions",
            json={"action": "start"},
            headers=counsellor | {"If-Match": '"1"'},
        )
        row = page.locator("#onderdeel-mo_course")
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await row.get_by_role("button", name="Starten").click()
        assert (await posted.value).status == 412
        assert "Iemand anders wijzigde dit traject" in await page.inner_text("#fout")
        # The order of the template: the test waits for the course, so it offers no start.
        test_row = page.locator("#onderdeel-mo_test")
        assert await test_row.get_by_role("button", name="Starten").count() == 0
        # A change the page no longer offers, posted anyway, is refused in Dutch.
        await page.evaluate(
            """() => { const f = document.querySelector('#onderdeel-mo_course form.inline')
                .cloneNode(true);
                f.setAttribute('action', f.getAttribute('action').replace('mo_course', 'mo_test'));
                document.body.appendChild(f); f.querySelector('button').click(); }"""
        )
        await page.wait_for_selector("#fout")
        assert "kan pas starten na mo_course" in await page.inner_text("#fout")


async def test_the_worklist_lists_overdue_items_linking_to_the_trajectory(
    app, signed_in, open_one, runtime_for
):
    t = await open_one()
    async with runtime_for("trajecten").engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE trajecten.components SET deadline = CURRENT_DATE - 3"
                " WHERE trajectory_id = :t AND code = 'nt2_course'"
            ),
            {"t": t["id"]},
        )
    async with serving(app) as base_url, signed_in(base_url, "counsellor") as page:
        await page.goto("/")
        link = page.locator(f"#overdue a[href='/trajecten/{t['id']}']")
        assert await link.count() == 1
        await link.focus()
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{base_url}/trajecten/{t['id']}")
        assert "te laat" in await page.locator("#onderdeel-nt2_course").inner_text()


async def test_other_roles_get_a_dutch_error_page(app, signed_in):
    async with serving(app) as base_url, signed_in(base_url, "interpreter") as page:
        response = await page.goto("/")
        assert response.status == 403
        assert await page.inner_text("h1") == "Geen toegang"
