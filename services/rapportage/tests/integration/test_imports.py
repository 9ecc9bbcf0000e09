"""Historical import: every row validated, valid rows imported together through rapportage's
own events, and the reports count them like live data."""

import io

import pytest
from openpyxl import Workbook

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
