"""Historical import: every row validated, valid rows imported together through rapportage's
own events, and the reports count them like live data."""

import io
import uuid

import pytest
from openpyxl import Workbook

from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.integration

HEADER = (
    "jaar;agentschap;regio;thema;aanbod;titel;aantal;deelnemers_lokale_besturen;kostprijs_eur;"
    "personeelsuren;beslissing"
)


def csv_file(agency: str) -> bytes:
    lines = [
        HEADER,
        f"2016;{agency};Regio Antwerpen;Duidelijke taal;open;;110;40;1.250,50;798;",
        f"2017;{agency};Limburg;Meertaligheid;op maat;Talen thuis;130;12;300;0;voortgezet",
        f"2017;{agency};Mars;Meertaligheid;;;1;;;;",  # unknown region
        f"2018;{agency};Brussel;Meertaligheid;;;nul;;;;",  # not a number
        f"2017;{agency};Limburg;Meertaligheid;op maat;Talen thuis;5;;;;",  # same as line 3
        f"2017;{agency}|atlas;regio-overschrijdend;Tolken;open;Werken met tolken;2;;;;aangepast",
    ]
    return "\n".join(lines).encode("utf-8")


async def test_valid_rows_import_rejected_rows_are_reported_and_reports_include_them(
    client, auth, events, agency
):
    agency = agency()
    response = await client.post(
        "/api/v1/imports/trainings",
        files={"file": ("vormingen.csv", csv_file(agency), "text/csv")},
        headers=auth("analyst"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["imported"] == 3
    assert [(r["line"], r["reason"].split(":")[0]) for r in body["rejected"]] == [
        (4, "regio"),
        (5, "aantal"),
        (6, "dezelfde registratie als lijn 3"),
    ]
    outcomes = await events.relay_and_apply("rapportage.historical", body["import_id"])
    assert outcomes == ["applied"] * 3

    per_year = await client.get(
        "/api/v1/reports/trainings-per-year", params={"agency": agency}, headers=auth("analyst")
    )
    assert per_year.json()["tables"][0]["rows"] == [
        {"year": "2016", "trainings": 110},
        {"year": "2017", "trainings": 132},
    ]
    cost = await client.get(
        "/api/v1/reports/cost-and-vte-per-year", params={"agency": agency}, headers=auth("analyst")
    )
    first = cost.json()["tables"][0]["rows"][0]
    assert (first["cost_eur"], first["vte"]) == (1250.5, 0.5)

    # A corrected file replaces the earlier import of the same registration.
    fixed = csv_file(agency).replace(b";110;", b";111;")
    again = await client.post(
        "/api/v1/imports/trainings",
        files={"file": ("vormingen.csv", fixed, "text/csv")},
        headers=auth("analyst"),
    )
    await events.relay_and_apply("rapportage.historical", again.json()["import_id"])
    per_year = await client.get(
        "/api/v1/reports/trainings-per-year", params={"agency": agency}, headers=auth("analyst")
    )
    assert per_year.json()["tables"][0]["rows"][0] == {"year": "2016", "trainings": 111}


async def test_an_xlsx_of_trajectories_imports_and_feeds_the_310_report(
    client, auth, events, agency
):
    agency = agency()
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "editie",
            "agentschap",
            "partners",
            "provincie",
            "doel",
            "inhoud",
            "organisaties",
            "deelnemers",
            "kostprijs_eur",
            "evaluatiecriteria",
        ]
    )
    sheet.append(
        [
            "2016-2017",
            agency,
            "VIVO",
            "Vlaams-Brabant",
            "Cultuursensitieve zorg",
            "Lerend netwerk en coaching",
            17,
            30,
            0,
            "tevredenheid|toepassing",
        ]
    )
    sheet.append(["2019", agency, "", "Limburg", "", "inhoud", 1, 1, None, None])
    out = io.BytesIO()
    book.save(out)
    response = await client.post(
        "/api/v1/imports/organisation-trajectories",
        files={"file": ("trajecten.xlsx", out.getvalue(), "application/octet-stream")},
        headers=auth("admin"),
    )
    body = response.json()
    assert body["imported"] == 1
    assert body["rejected"] == [{"line": 3, "reason": "doel: verplicht"}]
    await events.relay_and_apply("rapportage.historical", body["import_id"])

    answer = await client.get(
        "/api/v1/answers/310", params={"agency": agency}, headers=auth("analyst")
    )
    tables = answer.json()["tables"]
    [edition] = tables[0]["rows"]
    assert edition["edition"] == "2016-2017" and edition["cost_eur"] == 0
    # The file says nothing of sessions, groups or the evaluation: not registered, not 0.
    assert edition["sessions"] is None and edition["invited"] is None
    assert set(edition["niet_geregistreerd"]) == {
        "sessions",
        "groups",
        "invited",
        "responded",
        "satisfied",
    }
    per_province = {r["label"]: r for r in tables[1]["rows"]}
    assert per_province["Regio Vlaams-Brabant"]["2016"] == 1
    [row] = tables[2]["rows"]
    assert (row["edition"], row["organisations"], row["participants"]) == ("2016-2017", 17, 30)
    assert row["organisers"] == f"{agency}, VIVO"
    assert row["evaluation_criteria"] == "tevredenheid; toepassing"


async def test_a_file_that_cannot_be_read_is_422_and_imports_nothing(client, auth):
    missing = await client.post(
        "/api/v1/imports/trainings",
        files={"file": ("x.csv", b"jaar;thema\n2019;x\n", "text/csv")},
        headers=auth("analyst"),
    )
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"field": "file", "message": "ontbrekende kolommen: agentschap, regio"}
    ]
    broken = await client.post(
        "/api/v1/imports/trainings",
        files={"file": ("x.xlsx", b"not a zip", "application/octet-stream")},
        headers=auth("analyst"),
    )
    assert broken.status_code == 422
    forbidden = await client.post(
        "/api/v1/imports/trainings",
        files={"file": ("x.csv", b"", "text/csv")},
        headers=auth("counsellor"),
    )
    assert forbidden.status_code == 403


def rows(agency: str, years: range, region: str = "Limburg") -> bytes:
    lines = ["jaar;agentschap;regio;thema;aantal"]
    lines += [f"{y};{agency};{region};Taal;{y - 1990}" for y in years]
    return "\n".join(lines).encode()


def themes(agency: str, count: int) -> bytes:
    """``count`` rows of 2012 (a year no other test uses), one per theme."""
    lines = ["jaar;agentschap;regio;thema;aantal"]
    lines += [f"2012;{agency};Limburg;Thema {n};1" for n in range(count)]
    return "\n".join(lines).encode()


async def per_year(client, auth, agency: str) -> dict[str, int]:
    response = await client.get(
        "/api/v1/reports/trainings-per-year", params={"agency": agency}, headers=auth("analyst")
    )
    return {r["year"]: r["trainings"] for r in response.json()["tables"][0]["rows"]}


async def test_a_batch_shows_only_whole_can_be_corrected_and_withdrawn(
    client, auth, events, agency
):
    mine = agency()
    first = await client.post(
        "/api/v1/imports/trainings",
        files={"file": ("v1.csv", rows(mine, range(2000, 2004)), "text/csv")},
        headers=auth("analyst"),
    )
    batch = first.json()["import_id"]
    ids = await events.outbox_ids(batch)
    await events.relay()
    # Two of its four rows reach the read models: the reports show none of the batch.
    assert await events.apply_ids(set(ids[:2]), "rapportage.historical") == ["applied"] * 2
    assert await per_year(client, auth, mine) == {}
    half = (await client.get(f"/api/v1/imports/{batch}", headers=auth("analyst"))).json()
    assert (half["applied"], half["visible"]) == (2, False)
    assert await events.apply_ids(set(ids[2:]), "rapportage.historical") == ["applied"] * 2
    listed = (await client.get("/api/v1/imports", headers=auth("analyst"))).json()
    mine_listed = next(b for b in listed if b["import_id"] == batch)
    assert mine_listed["visible"] and mine_listed["applied"] == 4
    assert await per_year(client, auth, mine) == {"2000": 10, "2001": 11, "2002": 12, "2003": 13}

    # The correction drops 2003 and changes 2001: it replaces the batch, it does not add to it.
    corrected = rows(mine, range(2000, 2003)).replace(
        b"2001;" + mine.encode() + b";Limburg;Taal;11",
        b"2001;" + mine.encode() + b";Limburg;Taal;21",
    )
    second = await client.post(
        "/api/v1/imports/trainings",
        params={"replaces": batch},
        files={"file": ("v2.csv", corrected, "text/csv")},
        headers=auth("analyst"),
    )
    assert second.status_code == 200, second.text
    old = (await client.get(f"/api/v1/imports/{batch}", headers=auth("analyst"))).json()
    assert old["status"] == "replaced" and not old["visible"]
    # Until the correction is whole, neither it nor the replaced batch shows.
    assert await per_year(client, auth, mine) == {}
    await events.relay_and_apply("rapportage.historical", second.json()["import_id"])
    assert await per_year(client, auth, mine) == {"2000": 10, "2001": 21, "2002": 12}

    withdrawn = await client.post(
        f"/api/v1/imports/{second.json()['import_id']}/withdraw", headers=auth("analyst")
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert await per_year(client, auth, mine) == {}
    again = await client.post(f"/api/v1/imports/{batch}/withdraw", headers=auth("analyst"))
    assert again.status_code == 409
    missing = await client.get(f"/api/v1/imports/{uuid.uuid4()}", headers=auth("analyst"))
    assert missing.status_code == 404


async def test_a_large_import_runs_in_the_background_with_its_progress(
    client, auth, events, agency, report_settings
):
    mine = agency()
    report_settings.background_import_rows = 10
    response = await client.post(
        "/api/v1/imports/trainings",
        files={"file": ("groot.csv", themes(mine, 30), "text/csv")},
        headers=auth("analyst"),
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "running"
    url = response.headers["location"]

    async def done() -> dict | None:
        state = (await client.get(url, headers=auth("analyst"))).json()
        return state if state["status"] == "imported" else None

    state = await eventually(done, within=30)
    assert (state["rows_total"], state["rows_done"], state["imported"]) == (30, 30, 30)
    assert not state["visible"], "its rows have not reached the read models yet"
    await events.relay_and_apply("rapportage.historical", state["import_id"])
    assert await per_year(client, auth, mine) == {"2012": 30}


async def test_a_large_correction_of_an_unknown_batch_is_refused_before_it_starts(
    client, auth, agency, report_settings
):
    report_settings.background_import_rows = 2
    response = await client.post(
        "/api/v1/imports/trainings",
        params={"replaces": str(uuid.uuid4())},
        files={"file": ("groot.csv", themes(agency(), 5), "text/csv")},
        headers=auth("analyst"),
    )
    assert response.status_code == 404
