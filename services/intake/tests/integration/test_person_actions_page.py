"""Erasure on request and transfer to another agency from the person page, in a real headless
Chromium."""

import uuid

import httpx
import pytest
from sqlalchemy import text

from civic_common.testing.server import serving
from intake.main import build_app

pytestmark = pytest.mark.integration


@pytest.fixture
def app(runtime_for):
    return build_app(runtime_for("intake"))


async def register(http: httpx.AsyncClient, auth, family: str) -> str:
    created = await http.post(
        "/api/v1/persons",
        json={
            "given_name": "Hana",
            "family_name": family,
            "birth_date": "1990-04-05",
            "municipality_nis": "44021",
        },
        headers=auth("counter"),
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_erase_a_person_on_request_and_see_the_data_gone(app, signed_in, auth):
    family = f"Erase-{uuid.uuid4().hex[:6]}"
    async with serving(app) as base_url, signed_in(base_url, "counter") as page:
        async with httpx.AsyncClient(base_url=base_url) as http:
            person_id = await register(http, auth, family)
            await page.goto(f"/personen/{person_id}")
            await page.click("text=Wissen op verzoek >> nth=-1")  # the action, not its heading
            assert family in await page.inner_text("h1")

            await page.click("main button[type=submit]")  # without the required reason
            assert await page.inner_text("#reason-error") == "Vul dit veld in."
            assert (
                await http.get(f"/api/v1/persons/{person_id}", headers=auth("counter"))
            ).is_success

            await page.fill("#reason", "Schriftelijk verzoek van 3 maart")
            await page.click("main button[type=submit]")
            await page.wait_for_url(f"**/personen/{person_id}")
            assert await page.inner_text("h1") == "Gewist"
            assert "gewist op verzoek" in await page.inner_text("main")
            assert family not in await page.content()
            gone = await http.get(f"/api/v1/persons/{person_id}", headers=auth("counter"))
            assert gone.status_code == 410

        await page.goto(f"/?name={family}")
        assert "Niemand gevonden" in await page.inner_text("main")


async def test_transfer_a_person_after_a_stale_attempt_then_the_old_agency_gets_404(
    app, signed_in, auth, runtime_for
):
    family = f"Move-{uuid.uuid4().hex[:6]}"
    async with serving(app) as base_url, signed_in(base_url, "counter") as page:
        async with httpx.AsyncClient(base_url=base_url) as http:
            person_id = await register(http, auth, family)
            await page.goto(f"/personen/{person_id}")

            await page.fill("#agency", "Atlas!")
            await page.focus("#agency")
            await page.keyboard.press("Enter")
            assert "uit de lijst" in await page.inner_text("#agency-error")
            assert await page.input_value("#agency") == "Atlas!"

            # Enter in the field only asks: the confirmation page, nothing moved yet.
            await page.fill("#agency", "Atlas")  # the name, from the type-ahead list
            await page.focus("#agency")
            await page.keyboard.press("Enter")
            # The refused attempt's page has the same address (its query names "Atlas!"): wait
            # for the confirmation page itself, not for an address already reached.
            await page.locator("h1", has_text="Dossier overdragen aan Atlas?").wait_for()
            assert await page.inner_text("h1") == "Dossier overdragen aan Atlas?"
            assert "niet ongedaan" in await page.inner_text("#waarschuwing")
            assert (await http.get(f"/api/v1/persons/{person_id}", headers=auth("counter"))).json()[
                "agency"
            ] == "agii"

            # Confirmed without a reason: the same page, the summary naming the field.
            async with page.expect_response(lambda r: r.request.method == "POST") as posted:
                await page.get_by_role("button", name="Ja, overdragen aan Atlas").click()
            assert (await posted.value).status == 422
            summary = page.locator(".error-summary")
            assert await summary.get_by_role("link", name="Reden van de overdracht").count() == 1
            assert "Geef de reden van de overdracht." in await summary.inner_text()

            # A colleague corrects the person meanwhile: nothing is transferred.
            corrected = await http.patch(
                f"/api/v1/persons/{person_id}",
                json={"street": "Meir"},
                headers=auth("counter", "collega@agii") | {"If-Match": '"1"'},
            )
            assert corrected.status_code == 200, corrected.text
            await page.fill("#transfer_reason", "verhuisd naar Antwerpen")
            await page.get_by_role("button", name="Ja, overdragen aan Atlas").click()
            assert "collega wijzigde" in await page.inner_text("#overdracht-verouderd")
            assert await page.input_value("#agency") == "Atlas"
            still = await http.get(f"/api/v1/persons/{person_id}", headers=auth("counter"))
            assert still.json()["agency"] == "agii"

            # The page now carries the current version: the second attempt goes through.
            await page.focus("#agency")
            await page.keyboard.press("Enter")
            await page.locator("h1", has_text="Dossier overdragen aan Atlas?").wait_for()
            await page.fill("#transfer_reason", "verhuisd naar Antwerpen")
            await page.get_by_role("button", name="Ja, overdragen aan Atlas").click()
            await page.wait_for_url("**/?overgedragen=atlas")
            assert "overgedragen aan Atlas" in await page.inner_text("#melding")

            hidden = await page.goto(f"/personen/{person_id}")
            assert hidden.status == 404
            assert family not in await page.content()
            atlas = auth("counter", "balie@atlas", organisation="atlas")
            moved = await http.get(f"/api/v1/persons/{person_id}", headers=atlas)
            assert moved.status_code == 200 and moved.json()["agency"] == "atlas"
            history = await http.get(f"/api/v1/persons/{person_id}/history", headers=atlas)
            assert history.json()[-1]["action"] == "transferred"
    # The reason stays with the audit entry; the event carries none (thin events).
    async with runtime_for("intake").engine.connect() as conn:
        purposes = (
            (
                await conn.execute(
                    text(
                        "SELECT purpose FROM intake.audit_log WHERE subject_id = :k "
                        "AND action = 'transfer'"
                    ),
                    {"k": person_id},
                )
            )
            .scalars()
            .all()
        )
        payloads = (
            (
                await conn.execute(
                    text(
                        "SELECT payload FROM intake.outbox WHERE partition_key = :k "
                        "AND event_type = 'intake.person.transferred.v1'"
                    ),
                    {"k": person_id},
                )
            )
            .scalars()
            .all()
        )
    assert purposes == ["agii -> atlas: verhuisd naar Antwerpen"]
    assert len(payloads) == 1 and "verhuisd" not in str(payloads[0])


async def test_a_transfer_posted_without_confirmation_only_asks(app, signed_in, auth):
    """An old page's form (or a stray submit) posting straight away moves nothing."""
    async with serving(app) as base_url, signed_in(base_url, "counter") as page:
        async with httpx.AsyncClient(base_url=base_url) as http:
            person_id = await register(http, auth, f"Stray-{uuid.uuid4().hex[:6]}")
            await page.goto(f"/personen/{person_id}")
            await page.evaluate(
                """() => { const f = document.querySelector('form[aria-labelledby=overdragen]');
                    f.method = 'post'; f.querySelector('#agency').value = 'Atlas'; f.submit(); }"""
            )
            await page.wait_for_url(f"**/personen/{person_id}/overdragen?**")
            assert await page.inner_text("h1") == "Dossier overdragen aan Atlas?"
            await page.get_by_role("link", name="Annuleren").click()
            await page.wait_for_url(f"{base_url}/personen/{person_id}")
            still = await http.get(f"/api/v1/persons/{person_id}", headers=auth("counter"))
            assert still.json()["agency"] == "agii"


async def test_a_counsellor_may_transfer_but_not_correct_or_erase(app, signed_in, auth):
    async with serving(app) as base_url, signed_in(base_url, "counsellor") as page:
        async with httpx.AsyncClient(base_url=base_url) as http:
            person_id = await register(http, auth, f"Roles-{uuid.uuid4().hex[:6]}")
        shown = await page.goto(f"/personen/{person_id}")
        assert shown.status == 200
        assert await page.locator("#overdragen").count() == 1
        assert await page.locator("#verbeteren").count() == 0
        assert await page.locator("#wissen").count() == 0
        refused = await page.goto(f"/personen/{person_id}/wissen")
        assert refused.status == 403
