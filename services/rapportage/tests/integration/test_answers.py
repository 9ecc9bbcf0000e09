"""The answers to questions 321 and 310 cell by cell: a known history (the seed's tables)
imported through the API, live data through the topics, and every cell compared."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from civic_common.events.contracts.reporting import CostLine, Session

pytestmark = pytest.mark.integration

YEARS = (2016, 2017, 2018, 2019, 2020)
# Table 2 of the answer to question 321: trainings of AgII per region and year.
TABLE_2 = {
    "Regio Antwerpen": (110, 95, 58, 60, 46),
    "Regio Brussel": (19, 81, 84, 44, 21),
    "Regio Limburg": (77, 130, 170, 122, 45),
    "Regio Oost-Vlaanderen": (54, 128, 127, 57, 28),
    "Regio Vlaams-Brabant": (134, 111, 47, 28, 36),
    "Regio West-Vlaanderen": (75, 139, 112, 89, 61),
    "Regio-overschrijdend": (28, 22, 22, 13, 39),
}
TABLE_1 = (497, 706, 620, 413, 276)
# Table 4: Atlas per theme, with the totals as the answer declares them (2019 and 2020 do not
# add up: 270 and 227).
TABLE_4 = {
    "Sociaal Tolken en Vertalen": (10, 7, 8, 13, 15),
    "Infopunt": (47, 43, 44, 49, 20),
    "Taal": (58, 91, 69, 74, 76),
    "Diversiteit": (30, 66, 93, 100, 101),
    "Workshop diversiteit scholen": (86, 153, 92, 34, 15),
}
TABLE_4_DECLARED = (231, 360, 306, 268, 116)


def history(agency: str) -> bytes:
    lines = ["jaar;agentschap;regio;thema;aantal;kostprijs_eur;personeelsuren"]
    for region, counts in TABLE_2.items():
        lines += [
            f"{y};{agency};{region};Integratie;{n};;" for y, n in zip(YEARS, counts, strict=True)
        ]
    lines += [f"{y};{agency};Totaal;;{n};;" for y, n in zip(YEARS, TABLE_1, strict=True)]
    return "\n".join(lines).encode()


def atlas(agency: str) -> bytes:
    lines = ["jaar;agentschap;regio;thema;aantal"]
    for theme, counts in TABLE_4.items():
        lines += [f"{y};{agency};Antwerpen;{theme};{n}" for y, n in zip(YEARS, counts, strict=True)]
    lines += [
        f"{y};{agency};Antwerpen;Totaal;{n}" for y, n in zip(YEARS, TABLE_4_DECLARED, strict=True)
    ]
    return "\n".join(lines).encode()


async def imported(client, auth, events, kind: str, name: str, content: bytes) -> dict:
    response = await client.post(
        f"/api/v1/imports/{kind}",
        files={"file": (name, content, "text/csv")},
        headers=auth("analyst"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rejected"] == []
    await events.relay_and_apply("rapportage.historical", body["import_id"])
    return body


async def test_question_321_every_cell_from_history_and_live_data(
    client, auth, events, agency, training
):
    mine = agency()
    body = await imported(client, auth, events, "trainings", f"{mine}.csv", history(mine))
    assert body["imported"] == 35, "the Totaal rows are declared totals, not registrations"
    assert [d["trainings"] for d in body["declared"]] == list(TABLE_1)
    live = training(
        agencies=[mine],
        region="Limburg",
        offer="custom",
        sessions=[Session(held_on=date(2020, 10, 1), half_days=1)],
        cost_lines=[CostLine(description="zaal", amount_eur=Decimal("250"), borne_by=mine)],
        staff_hours=Decimal("798"),
    )
    await events.deliver((live, str(live.training_id), 1))

    params = {"agency": mine.upper(), "from_year": 2016, "to_year": 2020}
    answer = await client.get("/api/v1/answers/321", params=params, headers=auth("analyst"))
    assert answer.status_code == 200, answer.text
    tables = {t["title"]: t for t in answer.json()["tables"]}

    per_year = tables[f"Aantal vormingen van {mine} 2016-2020"]["rows"]
    assert per_year == [
        {"year": str(y), "trainings": n + (y == 2020)} for y, n in zip(YEARS, TABLE_1, strict=True)
    ]
    region = tables[f"Aantal vormingen van {mine} naar regio 2016-2020"]["rows"]
    expected = [
        {"label": label, **{str(y): n + (y == 2020 and label == "Regio Limburg")
                            for y, n in zip(YEARS, counts, strict=True)}}
        for label, counts in TABLE_2.items()
    ]  # fmt: skip
    expected.append({"label": "Totaal", **{r["year"]: r["trainings"] for r in per_year}})
    assert region == expected

    offer = tables["Vormingen in open aanbod en op maat, en hun deelnemers 2016-2020"]["rows"]
    assert [(r["open"], r["custom"], r["offer_unknown"]) for r in offer] == [
        (0, 0, n) for n in TABLE_1[:-1]
    ] + [(0, 1, 276)]
    assert offer[-1]["local_government_participants"] == 7
    assert offer[-1]["other_participants"] == 3

    # The seed: cost and VTE "cannot be generated" from the registrations. Not 0.
    cost = tables[f"Kostprijs en VTE van de vormingen per jaar van {mine} 2016-2020"]["rows"]
    for row in cost:
        assert row["cost_eur"] is None and row["vte"] is None
        assert set(row["niet_geregistreerd"]) == {"cost_eur", "staff_hours", "vte"}
    assert [r["trainings"] for r in cost] == [r["trainings"] for r in per_year]
    bearers = tables["Wie droeg de kostprijs van de vormingen 2016-2020"]["rows"]
    assert {"year": "2020", "borne_by": mine, "cost_eur": 250.0} in bearers
    assert {
        "year": "2019",
        "borne_by": "kostprijs niet geregistreerd",
        "cost_eur": None,
        "niet_geregistreerd": ["cost_eur"],
    } in bearers

    text = (
        await client.get(
            "/api/v1/reports/cost-and-vte-per-year",
            params=params | {"format": "csv"},
            headers=auth("analyst"),
        )
    ).text.lstrip("\ufeff")
    first = list(csv.reader(io.StringIO(text), delimiter=";"))[2]
    assert first == [
        "2016",
        "497",
        "niet geregistreerd",
        "niet geregistreerd",
        "niet geregistreerd",
    ]
    xlsx = await client.get(
        "/api/v1/reports/cost-and-vte-per-year",
        params=params | {"format": "xlsx"},
        headers=auth("analyst"),
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert [c.value for c in sheet[3]] == [
        "2016",
        497,
        "niet geregistreerd",
        "niet geregistreerd",
        "niet geregistreerd",
    ]
    pdf = await client.get(
        "/api/v1/reports/cost-and-vte-per-year",
        params=params | {"format": "pdf"},
        headers=auth("analyst"),
    )
    pages = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "niet geregistreerd" in pages and "Agentschap: " in pages

    reconciliation = (
        await client.get(
            "/api/v1/reports/import-reconciliation",
            params={"agency": mine},
            headers=auth("analyst"),
        )
    ).json()["tables"][0]["rows"]
    assert [(r["year"], r["declared"], r["summed"], r["status"]) for r in reconciliation] == [
        (str(y), n, n, "klopt") for y, n in zip(YEARS, TABLE_1, strict=True)
    ]


async def test_the_atlas_totals_are_reconciled_and_the_rows_named(client, auth, events, agency):
    stand_in = agency()  # Atlas's table under a code of this test's own
    await imported(client, auth, events, "trainings", "atlas-tabel-4.csv", atlas(stand_in))
    rows = (
        await client.get(
            "/api/v1/reports/import-reconciliation",
            params={"agency": stand_in},
            headers=auth("analyst"),
        )
    ).json()["tables"][0]["rows"]
    assert [
        (r["year"], r["declared"], r["summed"], r["difference"], r["status"]) for r in rows
    ] == [
        ("2016", 231, 231, 0, "klopt"),
        ("2017", 360, 360, 0, "klopt"),
        ("2018", 306, 306, 0, "klopt"),
        ("2019", 268, 270, 2, "verschil"),
        ("2020", 116, 227, 111, "verschil"),
    ]
    assert rows[3]["rows"] == (
        "lijn 5 Sociaal Tolken en Vertalen: 13; lijn 10 Infopunt: 49; lijn 15 Taal: 74; "
        "lijn 20 Diversiteit: 100; lijn 25 Workshop diversiteit scholen: 34"
    )
    per_theme = (
        await client.get(
            "/api/v1/reports/trainings-per-theme",
            params={"agency": stand_in},
            headers=auth("analyst"),
        )
    ).json()["tables"][0]["rows"]
    cells = {r["label"]: [r[str(y)] for y in YEARS] for r in per_theme}
    assert cells == {**{k: list(v) for k, v in TABLE_4.items()},
                     "Totaal aantal vormingen": [231, 360, 306, 270, 227]}  # fmt: skip


async def test_question_310_every_cell_from_history_and_a_live_edition(
    client, auth, events, agency
):
    """The seed: a first edition in 2016-2017 (17 organisations, about 30 participants) and a
    second in 2019-2020 (29 organisations, about 45 participants; five work sessions in three
    groups; the costs largely borne by VIVO)."""
    import uuid

    from civic_common.events.contracts.reporting import (
        Evaluation,
        ParticipatingOrganisation,
    )
    from civic_common.events.contracts.trajecten import OrganisationTrajectoryRecorded

    mine = agency()
    first = (
        "editie;agentschap;partners;provincie;doel;inhoud;organisaties;deelnemers;"
        "kostprijs_eur;sessies;groepen\n"
        f"2016-2017;{mine};VIVO;Vlaams-Brabant;Cultuursensitieve zorg;Lerend netwerk;17;30;;5;\n"
    ).encode()
    await imported(client, auth, events, "organisation-trajectories", "310.csv", first)
    second = OrganisationTrajectoryRecorded(
        organisation_trajectory_id=uuid.uuid4(),
        edition="2019-2020",
        partners=["VIVO", "Atlas"],
        goal="Cultuursensitieve zorg",
        content="Lerend netwerk en coaching",
        status="completed",
        groups=3,
        agencies=[mine],
        region="Antwerpen",
        sessions=[Session(held_on=date(2019, 10, d), half_days=2) for d in (1, 8, 15, 22, 29)],
        participating_organisations=[
            ParticipatingOrganisation(
                name=f"Zorg {n}",
                organisation_type="care_and_welfare",
                participants=2 if n < 16 else 1,
            )
            for n in range(29)
        ],
        cost_lines=[
            CostLine(description="personeel", amount_eur=Decimal("9000"), borne_by="VIVO"),
            CostLine(description="catering", amount_eur=Decimal("1000"), borne_by="vivo"),
            CostLine(description="begeleiding", amount_eur=Decimal("2500"), borne_by=mine),
        ],
        evaluation=Evaluation(invited=45, responded=30, satisfied=28),
    )
    await events.deliver((second, str(second.organisation_trajectory_id), 1))

    answer = await client.get(
        "/api/v1/answers/310", params={"agency": mine}, headers=auth("analyst")
    )
    assert answer.status_code == 200, answer.text
    per_edition, per_province, overview = answer.json()["tables"]
    assert per_edition["rows"] == [
        {"edition": "2016-2017", "region": "Regio Vlaams-Brabant", "sessions": 5, "groups": None,
         "organisations": 17, "participants": 30, "cost_eur": None, "agency_cost_eur": None,
         "agency_share": None, "invited": None, "responded": None, "satisfied": None,
         "niet_geregistreerd": ["groups", "cost_eur", "agency_cost_eur", "agency_share",
                                "invited", "responded", "satisfied"]},
        {"edition": "2019-2020", "region": "Regio Antwerpen", "sessions": 5, "groups": 3,
         "organisations": 29, "participants": 45, "cost_eur": 12500.0,
         "agency_cost_eur": 2500.0, "agency_share": 20.0, "invited": 45, "responded": 30,
         "satisfied": 28},
    ]  # fmt: skip
    cells = {r["label"]: r for r in per_province["rows"]}
    assert cells["Regio Vlaams-Brabant"]["2016"] == 1 and cells["Regio Antwerpen"]["2019"] == 1
    assert cells["Totaal"] == {"label": "Totaal", "2016": 1, "2017": 0, "2018": 0, "2019": 1}
    assert [r["organisers"] for r in overview["rows"]] == [f"{mine}, VIVO", f"{mine}, VIVO, Atlas"]
