""" "Mijn dossiers" and the trajectory page in a real headless Chromium, with the names read
from intake's real API (in process, same database) under the counsellor's own token, and the
links between the two services' pages."""

import uuid

import httpx
import pytest
from sqlalchemy import text

from civic_common.testing.server import serving
from intake.main import build_app as build_intake
from intake.settings import IntakeSettings
from trajecten.adapters.intake_persons import IntakePersons
from trajecten.main import build_app as build_trajecten
from trajecten.settings import TrajectenSettings

pytestmark = pytest.mark.integration

AGENCY = f"pagina-{uuid.uuid4().hex[:6]}"
COUNSELLOR = f"ines@{AGENCY}"
INTAKE_PAGES = "http://onthaal.test"
TRAJECTEN_PAGES = "http://trajecten.test"


@pytest.fixture
def intake_app(runtime_for):
    return build_intake(runtime_for("intake"), IntakeSettings(trajecten_pages_url=TRAJECTEN_PAGES))


@pytest.fixture
def trajecten_app(runtime_for, intake_app):
    intake = IntakePersons(
        "http://intake", 5.0, httpx.ASGITransport(app=intake_app, raise_app_exceptions=False)
    )
    return build_trajecten(
        runtime_for("trajecten"), TrajectenSettings(intake_pages_url=INTAKE_PAGES), intake
    )


async def test_a_counsellor_sees_names_from_intake_and_moves_between_the_two(
    intake_app, trajecten_app, auth, signed_in, runtime_for
):
    counter = auth("counter", f"balie@{AGENCY}", organisation=AGENCY)
    counsellor = auth("counsellor", COUNSELLOR, organisation=AGENCY)
    intake_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=intake_app), base_url="http://intake"
    )
    trajecten_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=trajecten_app), base_url="http://trajecten"
    )
    async with intake_http, trajecten_http:
        person = await intake_http.post(
            "/api/v1/persons",
            json={
                "given_name": "Samira",
                "family_name": "Benali",
                "birth_date": "1994-06-12",
                "municipality_nis": "12025",
            },
            headers=counter,
        )
        assert person.status_code == 201, person.text
        person_id = person.json()["id"]
        opened = await trajecten_http.post(
            "/api/v1/trajectories",
            json={
                "person_id": person_id,
                "template_version": "2024.1",
                "municipality_nis": "12025",
                "target_group": "obligated",
            },
            headers=counsellor,
        )
        assert opened.status_code == 201, opened.text
        unknown = await trajecten_http.post(
            "/api/v1/trajectories",
            json={
                "person_id": str(uuid.uuid4()),  # intake does not show this one
                "template_version": "2024.1",
                "municipality_nis": "12025",
            },
            headers=counsellor,
        )
        assert unknown.status_code == 201
    trajectory_id = opened.json()["id"]

    async with (
        serving(trajecten_app) as base_url,
        signed_in(base_url, "counsellor", COUNSELLOR, organisation=AGENCY) as page,
    ):
        await page.goto("/mijn-dossiers")
        table = await page.inner_text("#dossiers")
        assert "Benali, Samira" in table
        assert f"persoon {unknown.json()['person_id']}" in table, "no name: the number"
        link = page.get_by_role("link", name="Onthaaldossier").first
        assert (await link.get_attribute("href")).startswith(f"{INTAKE_PAGES}/personen/")

        # Keyboard only: filter on what is overdue (nothing), then back to all.
        await page.select_option("#termijn", "overdue")
        await page.focus("#agentschap")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**termijn=overdue**")
        assert "Geen dossiers gevonden." in await page.inner_text("main")

        await page.goto("/mijn-dossiers")
        await page.get_by_role("link", name="inburgeringstraject").first.click()
        await page.wait_for_url("**/trajecten/*")
        shown = await page.inner_text("#persoon")
        if page.url.endswith(trajectory_id):
            assert "Samira Benali" in shown
            assert await page.get_attribute("#onthaal-link", "href") == (
                f"{INTAKE_PAGES}/personen/{person_id}"
            )

        await page.goto(f"/trajecten/{trajectory_id}")
        assert "Samira Benali" in await page.inner_text("#persoon")

    async with serving(intake_app) as base_url:
        async with signed_in(base_url, "counsellor", COUNSELLOR, organisation=AGENCY) as page:
            await page.goto(f"/personen/{person_id}")
            assert await page.get_attribute("#trajecten-link", "href") == (
                f"{TRAJECTEN_PAGES}/?persoon={person_id}"
            )

    async with runtime_for("intake").engine.connect() as conn:
        readers = (
            (
                await conn.execute(
                    text(
                        "SELECT actor FROM intake.audit_log WHERE subject_id = :id "
                        "AND action = 'read'"
                    ),
                    {"id": person_id},
                )
            )
            .scalars()
            .all()
        )
    assert COUNSELLOR in readers, "intake audits the name look-up as the counsellor's read"
    assert "system" not in readers
