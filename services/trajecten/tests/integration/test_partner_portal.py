"""The partner portal in a real headless Chromium: a partner creates a subscription, sees its
secret once, sends a test event and finds it in the delivery log, pauses and resumes, changes
the endpoint, sets its contact; another organisation's subscription is not found."""

import random

import pytest
from fastapi import FastAPI, Request, Response

from civic_common.testing.server import serving
from trajecten.app.delivery import DeliveryLoop
from trajecten.main import build_app
from trajecten.settings import TrajectenSettings

pytestmark = pytest.mark.integration

BASIS = "ocmw-maatschappelijke-integratie"
OPENED = "trajecten.trajectory.opened.v1"
SCOPES = f"trajecten.subscriptions:write trajecten.feed:read events:{OPENED}"


@pytest.fixture(autouse=True)
def allow_private(monkeypatch):
    monkeypatch.setenv("CIVIC_TRAJECTEN_WEBHOOKS_ALLOW_PRIVATE", "true")


@pytest.fixture
def app(runtime_for):
    return build_app(runtime_for("trajecten"))


def claims(nis: str) -> dict:
    return {
        "organisation": f"ocmw-{nis}",
        "municipality": nis,
        "scope": SCOPES,
        "legal_bases": [BASIS],
    }


async def test_a_partner_manages_its_subscription_in_the_portal(app, signed_in, runtime_for):
    nis = f"{random.randint(10000, 99999)}"
    hooks = FastAPI()
    received: list[dict] = []

    @hooks.post("/hook")
    async def hook(request: Request) -> Response:
        received.append(dict(request.headers))
        return Response(status_code=204)

    async with (
        serving(hooks) as receiver,
        serving(app) as base_url,
        signed_in(base_url, "partner", f"client-{nis}", **claims(nis)) as page,
    ):
        await page.goto("/partner")
        assert await page.get_attribute("html", "lang") == "nl-BE"
        assert BASIS in await page.inner_text("#rechtsgrondenlijst")
        await page.get_by_label("Eindpunt (https-URL)").fill(f"{receiver}/hook")
        await page.get_by_label(OPENED).check()
        await page.get_by_role("button", name="Abonnement aanmaken").click()
        await page.wait_for_selector("#geheim")
        assert (await page.inner_text("#geheimwaarde")).startswith("whsec_")
        await page.get_by_role("button", name="Testbericht versturen").click()
        await page.wait_for_selector("#melding")
        detail_url = page.url.split("?")[0]
        assert "/partner/abonnementen/" in detail_url
        loop = DeliveryLoop(runtime_for("trajecten"), TrajectenSettings())
        try:
            await loop.run_once()
        finally:
            await loop.close()
        assert received and received[0]["webhook-test"] == "true"
        await page.reload()
        log = await page.inner_text("#afleveringen")
        assert "(test)" in log and "afgeleverd" in log and "204" in log and " ms" in log

        await page.get_by_role("button", name="Pauzeren").click()
        await page.wait_for_selector("#melding")
        assert await page.inner_text("#status") == "gepauzeerd"
        await page.get_by_role("button", name="Hervatten").click()
        await page.wait_for_selector("#melding")
        assert await page.inner_text("#status") == "actief"

        await page.get_by_label("Nieuw eindpunt").fill("ftp://nergens/x")
        await page.get_by_role("button", name="Eindpunt bewaren").click()
        await page.wait_for_selector("#fout")
        assert "endpoint_url" in await page.inner_text("#fout")

        await page.goto("/partner")
        await page.get_by_label("E-mailadres").fill("ops@ocmw.example")
        await page.get_by_role("button", name="Contact bewaren").click()
        await page.wait_for_selector("#melding")
        assert await page.get_by_label("E-mailadres").input_value() == "ops@ocmw.example"

    other = f"{random.randint(10000, 99999)}"
    async with (
        serving(app) as base_url,
        signed_in(base_url, "partner", f"client-{other}", **claims(other)) as page,
    ):
        response = await page.goto(detail_url.replace(detail_url.split("/partner")[0], base_url))
        assert response.status == 404
        await page.goto("/partner")
        assert "Nog geen abonnementen" in await page.inner_text("main")


async def test_staff_do_not_get_the_portal(app, signed_in):
    async with serving(app) as base_url, signed_in(base_url, "counsellor") as page:
        response = await page.goto("/partner")
        assert response.status == 403
