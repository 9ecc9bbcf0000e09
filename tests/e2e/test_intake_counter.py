"""A newcomer registered at the counter page becomes a trajectory in trajecten and a count in
rapportage: every process running, real Kafka and Postgres, a real browser."""

import re
import uuid
from datetime import UTC, date, datetime

import httpx
import pytest

from civic_common.testing.waiting import eventually
from intake.domain.insz import make_insz

PERSON_PAGE = re.compile(r".*/personen/[0-9a-f-]{36}(\?.*)?$")
pytestmark = pytest.mark.e2e

TONGEREN_BORGLOON = "73111"  # merged on 1 January 2025; no other e2e test counts here


async def test_register_refuse_duplicate_correct_search_and_flow_downstream(
    system, signed_in, auth
):
    family = f"Nasser-{uuid.uuid4().hex[:6]}"
    insz = make_insz(date(1993, 2, 11), 42)
    async with signed_in(system.urls["intake"], "counter", "onthaal@agii") as page:
        for attempt in ("first", "again"):
            await page.goto("/personen/nieuw")
            await page.fill("#insz", insz)
            await page.fill("#given_name", "Rania")
            await page.fill("#family_name", family)
            await page.fill("#birth_date", "1993-02-11")
            await page.select_option("#sex", "female")
            await page.fill("#nationality", "SY")
            await page.select_option("#municipality_nis", TONGEREN_BORGLOON)
            await page.fill("#languages", "ar")
            await page.select_option("#residence_category", "recognised_refugee")
            await page.focus("#family_name")
            await page.keyboard.press("Enter")
            if attempt == "first":
                await page.wait_for_url(PERSON_PAGE)
                person_url = page.url.split("?")[0]
                assert await page.inner_text("#doelgroep") == "verplichte inburgeraar"
        assert "al geregistreerd" in await page.inner_text("#dubbel")
        await page.click("#dubbel a")
        assert page.url == person_url

        await page.select_option("#dutch_level", "A2")
        await page.focus("#street")
        await page.keyboard.press("Enter")
        assert "opgeslagen" in await page.inner_text(".notice")
        assert "A2" in await page.inner_text("table[aria-describedby=geschiedenis]")

        await page.goto("/")
        await page.fill("#name", family)
        await page.keyboard.press("Enter")
        await page.click(f"text={family}, Rania")
        assert page.url == person_url
    person_id = person_url.rsplit("/", 1)[1]

    async with httpx.AsyncClient(timeout=10) as http:

        async def trajectory():
            response = await http.get(
                f"{system.urls['trajecten']}/api/v1/trajectories",
                params={"person_id": person_id},
                headers=auth("counsellor"),
            )
            return response.json() if response.status_code == 200 and response.json() else None

        opened = await eventually(trajectory, within=60)
        assert opened[0]["kind"] == "inburgeringstraject"

        async def counted():
            month = datetime.now(UTC).strftime("%Y-%m")
            response = await http.get(
                f"{system.urls['rapportage']}/api/v1/reports/monthly-counts",
                params={
                    "from_month": month,
                    "to_month": month,
                    "municipality_nis": TONGEREN_BORGLOON,
                },
                headers=auth("analyst"),
            )
            rows = response.json() if response.status_code == 200 else []
            return rows[0] if rows and rows[0]["intakes"] == 1 else None

        row = await eventually(counted, within=60)
        assert row["intakes"] == 1
