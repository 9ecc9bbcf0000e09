"""The organisation pages in a real headless Chromium: register with the KBO check, submit a
candidacy, find the organisation again."""

import re
import uuid

import httpx
import pytest

from civic_common.testing.server import serving
from intake.domain.kbo import make_enterprise_number
from intake.main import build_app

ORGANISATION_PAGE = re.compile(r".*/organisaties/[0-9a-f-]{36}(\?.*)?$")
pytestmark = pytest.mark.integration


@pytest.fixture
def app(runtime_for):
    return build_app(runtime_for("intake"))


async def test_register_an_organisation_past_a_kbo_typo_and_submit_a_candidacy(app, signed_in):
    name = f"WZC De Linde {uuid.uuid4().hex[:6]}"
    number = make_enterprise_number(uuid.uuid4().int % 19_999_999)
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    async with serving(app) as base_url, signed_in(base_url, "counter") as page:
        await page.goto("/")
        await page.click("nav >> text=Organisaties")
        await page.click("main >> text=Organisatie registreren")
        await page.fill("#enterprise_number", f"BE {typo}")
        await page.fill("#name", name)
        await page.select_option("#organisation_type", "care_and_welfare")
        await page.fill("#staff_size", "45")
        await page.select_option("#municipality_nis", "12025")
        await page.focus("#name")
        await page.keyboard.press("Enter")

        assert "controlegetallen" in await page.inner_text("#enterprise_number-error")
        assert await page.get_attribute("#enterprise_number", "aria-invalid") == "true"
        assert await page.input_value("#enterprise_number") == f"BE {typo}", "nothing is lost"
        assert await page.input_value("#name") == name
        assert await page.input_value("#organisation_type") == "care_and_welfare"
        assert await page.input_value("#staff_size") == "45"
        assert await page.input_value("#municipality_nis") == "12025"
        assert await page.get_attribute("#name", "aria-invalid") is None, "only the KBO is wrong"

        await page.fill("#enterprise_number", f"BE {number[:4]}.{number[4:7]}.{number[7:]}")
        await page.focus("#enterprise_number")
        await page.keyboard.press("Enter")
        await page.wait_for_url(ORGANISATION_PAGE)
        assert "geregistreerd" in await page.inner_text("[role=status]")
        assert await page.inner_text("#kbo") == f"{number[:4]}.{number[4:7]}.{number[7:]}"
        organisation_url = page.url.split("?")[0]

        # A custom training needs a theme: refused, with the ticked roles and motivation kept.
        await page.click("text=Kandidatuur indienen")
        await page.select_option("#kind", "custom_training")
        await page.check("#participant_roles-manager")
        await page.check("#participant_roles-staff_member")
        await page.fill("#motivation", "Ons team wil beter communiceren met anderstalige bewoners.")
        await page.click("main button[type=submit]")
        assert "thema" in await page.inner_text("#theme-error")
        assert await page.is_checked("#participant_roles-manager")
        assert await page.is_checked("#participant_roles-staff_member")
        assert "anderstalige" in await page.input_value("#motivation")

        await page.fill("#theme", "Duidelijke taal")
        await page.focus("#theme")
        await page.keyboard.press("Enter")
        await page.wait_for_url(ORGANISATION_PAGE)
        assert page.url.split("?")[0] == organisation_url
        assert "ingediend" in await page.inner_text("[role=status]")
        candidacies = await page.inner_text("table[aria-describedby=kandidaturen]")
        assert "vorming op maat: Duidelijke taal" in candidacies
        assert "leidinggevende, medewerker" in candidacies

        # The same number again: refused, pointing at the organisation already registered.
        await page.goto("/organisaties/nieuw")
        await page.fill("#enterprise_number", number)
        await page.fill("#name", "Iemand anders")
        await page.select_option("#organisation_type", "company")
        await page.fill("#staff_size", "3")
        await page.select_option("#municipality_nis", "11002")
        await page.click("main button[type=submit]")
        await page.click("#dubbel a")
        assert page.url == organisation_url

        await page.goto("/organisaties")
        await page.fill("#q", name.split()[-1])
        await page.keyboard.press("Enter")
        await page.click(f"text={name}")
        assert page.url == organisation_url


async def test_a_counsellor_reads_organisations_but_registers_nothing(app, signed_in, auth):
    number = make_enterprise_number(uuid.uuid4().int % 19_999_999)
    async with serving(app) as base_url, signed_in(base_url, "counsellor") as page:
        async with httpx.AsyncClient(base_url=base_url) as http:
            created = await http.post(
                "/api/v1/organisations",
                json={
                    "enterprise_number": number,
                    "name": f"OCMW {number}",
                    "organisation_type": "ocmw",
                    "staff_size": 120,
                    "municipality_nis": "44021",
                },
                headers=auth("counter"),
            )
        assert created.status_code == 201, created.text
        shown = await page.goto(f"/organisaties?q={number[2:8]}")
        assert shown.status == 200
        assert f"OCMW {number}" in await page.inner_text("table")
        assert await page.locator("text=Organisatie registreren").count() == 0
        await page.click(f"text=OCMW {number}")
        assert "Nog geen kandidaturen" in await page.inner_text("main")
        assert await page.locator("text=Kandidatuur indienen").count() == 0
        refused = await page.goto(f"/organisaties/{created.json()['id']}/kandidatuur")
        assert refused.status == 403
        unknown = await page.goto(f"/organisaties/{uuid.uuid4()}")
        assert unknown.status == 404
