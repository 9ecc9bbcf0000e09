""" "Mijn dossiers" across real processes: a newcomer registered at one agency's counter becomes
a trajectory through Kafka; once the counsellor acts on it, it is in their "Mijn dossiers",
whose page shows the name trajecten does not keep, read from intake's api over HTTP with the
counsellor's own token, and links to the person's page in intake."""

import uuid

import httpx
import pytest

from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

NIS = "13040"  # Turnhout: no other e2e registers people there
AGENCY = "kempen"  # an agency of its own: its lists hold only this test's case


async def test_a_counsellors_dossiers_show_the_name_from_intake(system, auth, signed_in):
    intake, trajecten = system.urls["intake"], system.urls["trajecten"]
    counter = auth("counter", f"balie@{AGENCY}", organisation=AGENCY)
    subject = f"begeleider-{uuid.uuid4().hex[:6]}@{AGENCY}"
    counsellor = auth("counsellor", subject, organisation=AGENCY)
    async with httpx.AsyncClient(timeout=15) as http:
        registered = await http.post(
            f"{intake}/api/v1/persons",
            json={
                "given_name": "Yasmin",
                "family_name": "Haddou",
                "birth_date": "1990-08-17",
                "municipality_nis": NIS,
                "nationality": "SY",
                "residence_category": "recognised_refugee",
                "languages": ["ar"],
            },
            headers=counter,
        )
        assert registered.status_code == 201, registered.text
        person_id = registered.json()["id"]

        async def opened() -> list[dict]:
            answer = await http.get(
                f"{trajecten}/api/v1/trajectories",
                params={"person_id": person_id},
                headers=counsellor,
            )
            return answer.json() if answer.status_code == 200 else []

        [trajectory] = await eventually(opened, 60)
        mine = await http.get(f"{trajecten}/api/v1/my-trajectories", headers=counsellor)
        assert mine.json()["items"] == [], "opened by the system: nobody's yet"

        started = await http.post(
            f"{trajecten}/api/v1/trajectories/{trajectory['id']}/components/guidance/transitions",
            json={"action": "start"},
            headers=counsellor | {"If-Match": f'"{trajectory["version"]}"'},
        )
        assert started.status_code == 200, started.text
        mine = (await http.get(f"{trajecten}/api/v1/my-trajectories", headers=counsellor)).json()
        assert [i["trajectory_id"] for i in mine["items"]] == [trajectory["id"]]
        assert "Haddou" not in str(mine), "the api keeps to ids"

    async with signed_in(trajecten, "counsellor", subject, organisation=AGENCY) as page:
        await page.goto("/mijn-dossiers")
        row = page.locator("#dossiers tbody tr")
        assert await row.count() == 1
        assert "Haddou, Yasmin" in await row.inner_text()
        onthaal = row.get_by_role("link", name="Onthaaldossier")
        assert await onthaal.get_attribute("href") == f"{intake}/personen/{person_id}"
        await row.get_by_role("link", name="inburgeringstraject").click()
        await page.wait_for_url(f"**/trajecten/{trajectory['id']}")
        assert "Yasmin Haddou" in await page.inner_text("#persoon")
