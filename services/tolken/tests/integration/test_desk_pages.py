"""The desk's queue by day and in pages, and an interpreter's reason for declining, in a real
headless Chromium (issue 14)."""

import uuid

import pytest
from sqlalchemy import text

from civic_common.testing.server import serving
from tolken.main import build_app

pytestmark = pytest.mark.integration


@pytest.fixture
def app(tolken):
    return build_app(tolken)


async def test_the_queue_is_grouped_by_day_paged_and_keeps_its_filters_after_an_action(
    app, signed_in, client, auth, lang, org, add_interpreter, request_body, slot
):
    interpreter = await add_interpreter(lang, name="Enige Tolk", max_assignments_per_week=40)
    created: dict[str, list[str]] = {}
    # Three weekdays a week apart: 5, 5 (one urgent, the latest of its day) and 3 requests.
    for days_ahead, count in ((20, 5), (27, 5), (34, 3)):
        for n in range(count):
            start, end = slot(days_ahead=days_ahead, hour=8 + n)
            body = request_body(lang, org, starts_at=start, ends_at=end, modality="phone")
            if days_ahead == 27 and n == count - 1:
                body["urgent"] = True
            answer = await client.post(
                "/api/v1/requests", json=body, headers=auth("interpreter_desk")
            )
            assert answer.status_code == 201, answer.text
            created.setdefault(start[:10], []).append(answer.json()["id"])
    first, second, third = sorted(created)

    async with serving(app) as base_url, signed_in(base_url, "interpreter_desk") as page:
        await page.goto(f"/tolkendesk?taal={lang}")
        days = page.locator("section.dag")
        assert await days.count() == 2, "ten requests a page: the first two days"
        assert await days.nth(0).get_attribute("aria-labelledby") == f"dag-{first}"
        assert (await days.nth(0).locator("h2").inner_text()).split()[0] in (
            "maandag",
            "dinsdag",
            "woensdag",
            "donderdag",
            "vrijdag",
        )
        in_first = (
            await days.nth(0)
            .locator("section.request")
            .evaluate_all("(all) => all.map((s) => s.id)")
        )
        assert in_first == [f"aanvraag-{i}" for i in created[first]], "soonest first"
        in_second = (
            await days.nth(1)
            .locator("section.request")
            .evaluate_all("(all) => all.map((s) => s.id)")
        )
        urgent = created[second][-1]
        assert in_second[0] == f"aanvraag-{urgent}", "urgent first within its day"
        assert "Dringend" in await page.inner_text(f"#titel-{urgent}")
        assert await page.locator("#eerste").count() == 0

        # The next page keeps the language filter and holds the third day only.
        await page.locator("#volgende").focus()
        await page.keyboard.press("Enter")
        await page.wait_for_url("**cursor=**")
        assert f"taal={lang}" in page.url
        assert await page.input_value("#taal") == lang
        assert await page.locator("section.dag").count() == 1
        assert await page.locator("section.request").count() == 3
        assert await page.locator(f"#dag-{third}").count() == 1
        assert await page.locator("#volgende").count() == 0
        assert await page.locator("#eerste").count() == 1
        paged = page.url

        # An action on the second page comes back to the same page, filters kept.
        target = created[third][0]
        section = page.locator(f"#aanvraag-{target}")
        await section.locator("select").select_option(interpreter)
        await section.get_by_role("button", name="Toewijzen (afwijken van voorstel)").click()
        await page.wait_for_selector("#melding")
        assert await page.inner_text("#melding") == "De tolk is toegewezen."
        assert f"taal={lang}" in page.url and paged.split("cursor=")[1] in page.url
        assert await page.locator("section.request").count() == 2
        assert await page.locator(f"#aanvraag-{target}").count() == 0

        # A cursor that is not one of the queue's: the first page, said in Dutch.
        await page.goto(f"/tolkendesk?taal={lang}&cursor=rommel")
        assert "eerste" in await page.inner_text("#fout")
        assert await page.locator("section.dag").count() == 2


async def test_an_interpreter_declines_with_a_reason_from_the_list_and_the_desk_sees_it(
    app, signed_in, client, auth, lang, org, add_interpreter, request_body, slot, tolken
):
    account = f"weigert-{lang}"
    await add_interpreter(lang, name="Weigerende Tolk", account=account)
    start, end = slot(days_ahead=22)
    created = (
        await client.post(
            "/api/v1/requests",
            json=request_body(lang, org, starts_at=start, ends_at=end),
            headers=auth("interpreter_desk"),
        )
    ).json()
    async with serving(app) as base_url:
        async with signed_in(base_url, "interpreter", account) as page:
            await page.goto("/mijn-aanbiedingen")
            await page.get_by_role("link", name="Weigeren").click()
            await page.wait_for_url("**/weigeren")
            legend = await page.inner_text("legend")
            assert legend.startswith("Waarom weiger je?")
            assert await page.locator("input[type=radio][name=reden]").count() == 6
            assert await page.locator("textarea, input[type=text]").count() == 0, "no free text"
            await page.get_by_label("Ik ken de persoon of heb een belangenconflict").check()
            await page.get_by_role("button", name="Ja, weigeren").click()
            await page.wait_for_selector("#melding")
            assert await page.inner_text("#leeg") == "Je hebt geen openstaande aanbiedingen."
        async with signed_in(base_url, "interpreter_desk") as page:
            await page.goto(f"/tolkendesk?taal={lang}")
            section = page.locator(f"#aanvraag-{created['id']}")
            assert await section.locator(".geweigerd li").inner_text() == (
                "Geweigerd door Weigerende Tolk: Ik ken de persoon of heb een belangenconflict"
            )
    async with tolken.engine.connect() as conn:
        payload = (
            await conn.execute(
                text(
                    "SELECT convert_from(payload, 'UTF8')::jsonb FROM tolken.outbox"
                    " WHERE partition_key = :k AND event_type = 'tolken.request.declined.v1'"
                ),
                {"k": created["id"]},
            )
        ).scalar_one()
    assert payload["reason"] == "declined"
    assert payload["decline_reason"] == "conflict_of_interest", "the code, never the words"


async def test_the_api_declines_with_a_reason_from_the_list_only(
    client, auth, lang, org, add_interpreter, request_body, tolken
):
    account = f"api-{lang}"
    await add_interpreter(lang, account=account)
    created = (
        await client.post(
            "/api/v1/requests", json=request_body(lang, org), headers=auth("interpreter_desk")
        )
    ).json()
    [offer] = (await client.get("/api/v1/offers", headers=auth("interpreter", account))).json()
    path = f"/api/v1/offers/{offer['id']}/decline"
    refused = await client.post(
        path, json={"reason": "ik heb geen zin"}, headers=auth("interpreter", account)
    )
    assert refused.status_code == 422, "free text is not a reason of the list"
    declined = await client.post(
        path, json={"reason": "too_far"}, headers=auth("interpreter", account)
    )
    assert declined.status_code == 204, declined.text
    async with tolken.engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT decline_reason FROM tolken.offers WHERE id = :o"),
                {"o": uuid.UUID(offer["id"])},
            )
        ).scalar_one()
    assert stored == "too_far"
    assert created["id"] == offer["request_id"]
