"""The dashboard and the answer pages in headless Chromium."""

import io
from datetime import date
from decimal import Decimal

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from civic_common.events.contracts.reporting import CostLine, Session
from civic_common.testing.browser import sideways_overflow
from civic_common.testing.server import serving
from rapportage.main import build_app

pytestmark = pytest.mark.integration


async def test_an_analyst_filters_the_dashboard_drills_down_and_exports(
    runtime_for, report_settings, signed_in, events, training, agency
):
    agency = agency()
    # 32 years on the year axis, years no other test counts in (the Flemish totals of the
    # tests sharing this database would otherwise see them).
    held = [
        training(agencies=[agency], title=f"Vorming {n}", region=region, sessions=[
            Session(held_on=date(year, 5, 1), half_days=1)
        ])
        for n, (year, region) in enumerate(
            [(2019, "Limburg"), (2019, "Brussel"), (2020, "Limburg")]
        )
    ]  # fmt: skip
    await events.deliver(*[(t, str(t.training_id), 1) for t in held])
    app = build_app(runtime_for("rapportage"), report_settings)

    async with serving(app) as base_url, signed_in(base_url, "analyst") as page:
        await page.goto("/")
        assert await page.inner_text("h1") == "Dashboard integratie en inburgering"
        await page.select_option("#agency", agency)
        await page.fill("#from_year", "2019")
        await page.fill("#to_year", "2020")
        await page.press("#to_year", "Enter")
        await page.wait_for_url(f"**agency={agency}**")
        assert await page.inner_text("[data-figure='Vormingen']") == "3"
        assert await page.locator("[data-figure='Tolkaanvragen ingevuld']").count() == 1
        assert await page.locator("#grafiek-jaar svg").count() == 1
        assert await page.locator("#grafiek-regio svg").count() == 1

        await page.get_by_role("link", name="2 vormingen in 2019: details").click()
        await page.wait_for_url("**/rapporten/training-details?**")
        rows = page.locator("table.report tbody tr")
        assert await rows.count() == 2
        assert "Vorming 0" in await rows.nth(0).inner_text()

        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="Download als Excel (XLSX)").click()
        download = await download_info.value
        book = load_workbook(io.BytesIO(open(await download.path(), "rb").read()))  # noqa: ASYNC230
        assert book.worksheets[0].max_row == 4  # title, header, two trainings


async def test_the_answer_to_question_321_reads_like_the_tables_of_the_seed(
    runtime_for, report_settings, signed_in, events, training, agency
):
    agency = agency()
    held = training(agencies=[agency], region="West-Vlaanderen")
    await events.deliver((held, str(held.training_id), 1))
    app = build_app(runtime_for("rapportage"), report_settings)
    async with serving(app) as base_url, signed_in(base_url, "analyst") as page:
        await page.goto(f"/antwoorden/321?agency={agency}&from_year=2016&to_year=2020")
        headings = await page.locator("h2").all_inner_texts()
        assert headings[0] == f"Tabel 1: Aantal vormingen van {agency} 2016-2020"
        region_table = page.locator("table.report", has_text="naar regio").first
        header = await region_table.locator("thead th").all_inner_texts()
        assert header == ["Regio", "2016", "2017", "2018", "2019", "2020"]
        west = region_table.locator("tbody tr", has_text="Regio West-Vlaanderen")
        assert (await west.locator("td").all_inner_texts())[3] == "1"

        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="Download als PDF").click()
        download = await download_info.value
        assert download.suggested_filename == "antwoord-vraag-321.pdf"
        pdf = PdfReader(await download.path())
        text = "\n".join(p.extract_text() for p in pdf.pages)
        assert f"Tabel 1: Aantal vormingen van {agency} 2016-2020" in text
        assert "Regio West-Vlaanderen 0 0 0 1 0" in text


async def test_pages_are_for_analysts_only(runtime_for, report_settings, signed_in):
    app = build_app(runtime_for("rapportage"), report_settings)
    async with serving(app) as base_url, signed_in(base_url, "counter") as page:
        response = await page.goto("/")
        assert response.status == 403


async def test_the_imports_page_shows_each_batch_and_its_progress(
    runtime_for, report_settings, signed_in, client, auth, agency, events
):
    mine = agency()
    content = f"jaar;agentschap;regio;thema;aantal\n2005;{mine};Limburg;Taal;3\n".encode()
    imported = await client.post(
        "/api/v1/imports/trainings",
        files={"file": ("import-pagina.csv", content, "text/csv")},
        headers=auth("analyst"),
    )
    import_id = imported.json()["import_id"]
    app = build_app(runtime_for("rapportage"), report_settings)
    async with serving(app) as base_url, signed_in(base_url, "analyst") as page:
        await page.goto("/imports")
        row = page.locator(f"tr[data-import='{import_id}']")
        assert "import-pagina.csv" in await row.inner_text()
        assert await row.locator(".status").inner_text() == "geïmporteerd (wordt verwerkt)"
        cells = await row.locator("td.count").all_inner_texts()
        assert [c.strip() for c in cells] == ["1 / 1", "1", "0", "0 / 1"]
    # Through the read models, as the worker would: the run's data stays consistent.
    await events.relay_and_apply("rapportage.historical", import_id)


async def test_the_key_figures_count_a_joint_training_once_and_name_years_not_registered(
    runtime_for, report_settings, signed_in, client, auth, events, training
):
    """1998 and 1999 are this test's own years: the figures for all agencies are its data."""
    joint = training(
        agencies=["agii", "atlas"],
        sessions=[Session(held_on=date(1998, 4, 2), half_days=1)],
        cost_lines=[
            CostLine(description="lesgevers", amount_eur=Decimal("705683.92"), borne_by="agii"),
        ],
        staff_hours=Decimal("75905.76"),  # 47,56 VTE
    )
    await events.deliver((joint, str(joint.training_id), 1))
    history = b"jaar;agentschap;regio;thema;aantal;kostprijs_eur\n1999;AgII;Limburg;Taal;4;\n"
    imported = await client.post(
        "/api/v1/imports/trainings",
        files={"file": ("1999.csv", history, "text/csv")},
        headers=auth("analyst"),
    )
    await events.relay_and_apply("rapportage.historical", imported.json()["import_id"])
    app = build_app(runtime_for("rapportage"), report_settings)
    async with serving(app) as base_url, signed_in(base_url, "analyst") as page:
        await page.goto("/?from_year=1998&to_year=1998")
        figure = page.locator("[data-figure='Kostprijs vormingen']")
        assert await figure.inner_text() == "€ 705.683,92", "once, not once per agency"
        assert await page.inner_text("[data-figure='VTE vormingen']") == "47,56"
        assert await page.inner_text("[data-figure='Vormingen']") == "1"
        await page.goto("/?from_year=1998&to_year=1999")
        assert await figure.inner_text() == "€ 705.683,92 (niet geregistreerd: 1999)"
        await page.goto("/?from_year=1999&to_year=1999&municipality_nis=71016")
        assert await figure.inner_text() == "niet per gemeente geregistreerd"


async def test_a_bad_filter_gets_a_dutch_page_never_json(runtime_for, report_settings, signed_in):
    app = build_app(runtime_for("rapportage"), report_settings)
    async with serving(app) as base_url, signed_in(base_url, "analyst") as page:
        for query, says in (
            ("from_year=twintig", "Geef een jaartal tussen 1990 en 2100"),
            ("from_year=2024&to_year=2020", "tot en met jaar"),
            ("kleur=rood", "Deze filters bestaan niet: kleur."),
        ):
            response = await page.goto(f"/?{query}")
            assert response.status == 422, query
            assert response.headers["content-type"].startswith("text/html"), query
            assert says.lower() in (await page.inner_text("main")).lower(), query
            assert "{" not in await page.inner_text("main"), "no JSON shown"
        missing = await page.goto("/rapporten/bestaat-niet")
        assert missing.status == 404
        assert await page.inner_text("h1") == "Onbekend rapport"
    # The API still answers with problem documents.
    async with serving(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as http:
            answer = await http.get("/api/v1/reports/nope", headers={"accept": "text/html"})
            assert answer.headers["content-type"].startswith("application/problem+json")


async def test_the_dashboard_and_a_report_fit_a_phone(
    runtime_for, report_settings, signed_in, events, training, agency
):
    agency = agency()
    held = [
        training(agencies=[agency], title=f"Vorming over een lang onderwerp {year}", sessions=[
            Session(held_on=date(year, 5, 1), half_days=1)
        ])
        for year in range(2040, 2072)
    ]  # fmt: skip
    await events.deliver(*[(t, str(t.training_id), 1) for t in held])
    app = build_app(runtime_for("rapportage"), report_settings)
    async with serving(app) as base_url, signed_in(base_url, "analyst") as page:
        await page.set_viewport_size({"width": 390, "height": 844})
        for path in ("/", f"/?agency={agency}", "/rapporten/cost-and-vte-per-year", "/imports"):
            await page.goto(path)
            overflow = await sideways_overflow(page)
            assert overflow == 0, f"{path} scrolls {overflow} px sideways at 390 px"
