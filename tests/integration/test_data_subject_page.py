"""The data-subject report from the person page, in a real headless Chromium: an admin
downloads it as PDF and JSON; the other services' sections are read from their real APIs (in
process, same database) under the admin's own page session token."""

import json
import uuid

import httpx
import pytest
from pypdf import PdfReader

from civic_common.api.data_subject import SectionSource
from civic_common.testing.server import serving
from intake.main import build_app as build_intake
from rapportage.main import build_app as build_rapportage
from tolken.main import build_app as build_tolken
from trajecten.main import build_app as build_trajecten

pytestmark = pytest.mark.integration


@pytest.fixture
def intake_app(runtime_for):
    def source(service: str, app) -> SectionSource:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        return SectionSource(service, f"http://{service}", 10.0, transport)

    return build_intake(
        runtime_for("intake"),
        sources=[
            source("trajecten", build_trajecten(runtime_for("trajecten"))),
            source("tolken", build_tolken(runtime_for("tolken"))),
            source("rapportage", build_rapportage(runtime_for("rapportage"))),
        ],
    )


async def register(http: httpx.AsyncClient, auth, family: str) -> str:
    created = await http.post(
        "/api/v1/persons",
        json={
            "given_name": "Şirin",
            "family_name": family,
            "birth_date": "1988-02-03",
            "municipality_nis": "44021",
            "languages": ["tr"],
            "confirm_new_person": True,
        },
        headers=auth("counter"),
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_an_admin_downloads_the_report_from_the_person_page(intake_app, signed_in, auth):
    family = f"Inzage-{uuid.uuid4().hex[:6]}"
    async with serving(intake_app) as base_url, signed_in(base_url, "admin", "dpo@agii") as page:
        async with httpx.AsyncClient(base_url=base_url) as http:
            person = await register(http, auth, family)
        await page.goto(f"/personen/{person}")
        assert "Inzageverzoek (AVG, artikel 15)" in await page.inner_text("#inzageverzoek")

        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="Download als PDF").click()
        download = await download_info.value
        assert download.suggested_filename == f"inzageverzoek-{person}.pdf"
        text = "\n".join(p.extract_text() for p in PdfReader(await download.path()).pages)
        assert f"Şirin {family}" in text
        assert "Gegevens die we bewaren" in text and "Ontvangers van de gegevens" in text
        assert "onvolledig" not in text, "every service answered the admin's session token"

        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="Download als JSON").click()
        download = await download_info.value
        report = json.loads(open(await download.path(), encoding="utf-8").read())  # noqa: ASYNC230
        assert report["complete"] is True
        assert [s["service"] for s in report["sections"]] == [
            "intake",
            "trajecten",
            "tolken",
            "rapportage",
        ]


async def test_staff_other_than_admins_are_not_offered_the_report(intake_app, signed_in, auth):
    async with serving(intake_app) as base_url, signed_in(base_url, "counter") as page:
        async with httpx.AsyncClient(base_url=base_url) as http:
            person = await register(http, auth, f"Inzage-{uuid.uuid4().hex[:6]}")
        await page.goto(f"/personen/{person}")
        assert await page.locator("#inzageverzoek").count() == 0
        refused = await page.goto(f"/personen/{person}/inzageverzoek.pdf")
        assert refused is not None and refused.status == 403
