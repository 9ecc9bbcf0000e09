"""A historical CSV and a live training both reach the answer to question 321, with every
process running: the import goes out through rapportage's outbox and comes back through its
worker, the live training is recorded through trajecten's API and arrives as its snapshot event."""

import httpx
import pytest

from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e


def historical_csv(agency: str) -> bytes:
    return (
        "jaar;agentschap;regio;thema;aantal;kostprijs_eur;personeelsuren\n"
        f"2016;{agency};Regio Antwerpen;Duidelijke taal;110;1000;0\n"
        f"2016;{agency};Regio Limburg;Duidelijke taal;77;500;0\n"
        f"2017;{agency};Mars;Duidelijke taal;1;0;0\n"
    ).encode()


async def record_live_training(
    http: httpx.AsyncClient, trajecten: str, staff: dict, agency: str, title: str
):
    """Through trajecten's staff API, as a training team would: its snapshot event carries it
    to rapportage, its theme as a code of trajecten's theme catalogue."""
    created = await http.post(
        f"{trajecten}/api/v1/trainings",
        json={
            "agencies": [agency],
            "offer": "custom",
            "theme_code": "meertaligheid",
            "title": title,
            "region": "Limburg",
        },
        headers=staff,
    )
    assert created.status_code == 201, created.text
    training, etag = created.json()["id"], created.headers["etag"]
    for change, body in (
        ("sessions", {"held_on": "2020-10-06", "half_days": 2}),
        (
            "participants",
            {"name": "Gemeente Bree", "organisation_type": "local_government", "participants": 9},
        ),
        ("staff-hours", {"hours": "8"}),
        ("status", {"status": "held"}),
    ):
        changed = await http.post(
            f"{trajecten}/api/v1/trainings/{training}/{change}",
            json=body,
            headers=staff | {"If-Match": etag},
        )
        assert changed.status_code == 200, f"{change}: {changed.text}"
        etag = changed.headers["etag"]


async def test_the_321_answer_includes_imported_history_and_live_registrations(system, auth, infra):
    """AgII as the file spells it, agii as trajecten and tokens do: one agency. The only e2e
    test with trainings, so AgII's figures in this system are its own."""
    url = system.urls["rapportage"]
    async with httpx.AsyncClient(timeout=10) as http:
        imported = await http.post(
            f"{url}/api/v1/imports/trainings",
            files={"file": ("historiek.csv", historical_csv("AgII"), "text/csv")},
            headers=auth("analyst"),
        )
        assert imported.status_code == 200, imported.text
        assert imported.json()["imported"] == 2
        assert imported.json()["rejected"][0]["line"] == 4

        for title in ("Meertaligheid in de kinderopvang", "Meertaligheid op school"):
            await record_live_training(
                http,
                system.urls["trajecten"],
                auth("counsellor", "an@agii", organisation="agii"),
                "agii",
                title,
            )

        async def both_counted() -> dict | None:
            response = await http.get(
                f"{url}/api/v1/answers/321",
                params={"agency": "AgII", "from_year": 2016, "to_year": 2020},
                headers=auth("analyst"),
            )
            per_year = {r["year"]: r["trainings"] for r in response.json()["tables"][0]["rows"]}
            return response.json() if per_year["2016"] == 187 and per_year["2020"] == 2 else None

        answer = await eventually(both_counted, within=90)
    tables = {t["title"]: t for t in answer["tables"]}
    span = "van AgII 2016-2020"
    assert tables[f"Aantal vormingen {span}"]["rows"][0] == {"year": "2016", "trainings": 187}
    regions = {
        r["label"]: r for r in tables["Aantal vormingen van AgII naar regio 2016-2020"]["rows"]
    }
    assert regions["Regio Antwerpen"]["2016"] == 110
    assert regions["Regio Limburg"]["2020"] == 2
    # Live trainings group by their catalogue code, shown with its label; imported history
    # (no code) by its own text.
    themes = {r["label"]: r for r in tables["Vormingen van AgII per thema 2016-2020"]["rows"]}
    assert themes["Meertaligheid"]["2020"] == 2
    assert themes["Duidelijke taal"]["2016"] == 187
    cost = tables[f"Kostprijs en VTE van de vormingen per jaar {span}"]["rows"]
    assert cost[0] == {
        "year": "2016",
        "trainings": 187,
        "cost_eur": 1500.0,
        "staff_hours": 0.0,
        "vte": 0.0,
    }
    details = tables["Overzicht per vorming 2016-2020"]["rows"]
    live = next(r for r in details if r["source"] == "registratie")
    assert live["local_government_participants"] == 9
    assert {r["source"] for r in details} == {"registratie", "historisch"}
