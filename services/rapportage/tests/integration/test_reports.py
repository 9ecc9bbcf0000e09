"""Projections and the report catalogue against real Kafka and Postgres."""

import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import text

from civic_common.events.contracts.intake import PersonRegistered
from civic_common.events.contracts.reporting import CostLine, Session
from civic_common.events.contracts.trajecten import TrajectoryOpened
from rapportage.rebuild import rebuild

pytestmark = pytest.mark.integration


async def test_a_snapshot_keeps_its_highest_sequence_and_redeliveries_change_nothing(
    agency, events, client, auth, training
):
    mine = agency()
    first = training(agencies=[mine], title="Eerste versie")
    newer = first.model_copy(update={"title": "Tweede versie", "status": "held"})
    key = str(first.training_id)
    assert await events.deliver((newer, key, 2), (first, key, 1)) == ["applied", "applied"]

    details = await client.get(
        "/api/v1/reports/training-details", params={"agency": mine}, headers=auth("analyst")
    )
    [row] = details.json()["tables"][0]["rows"]
    assert row["title"] == "Tweede versie", "the late, older snapshot did not win"

    envelopes = await events.publish((newer, key, 2))
    await events.apply(envelopes, "trajecten.trainings")
    again = await events.apply(envelopes, "trajecten.trainings")
    assert again == ["duplicate"]


async def test_the_321_overviews_count_per_year_region_and_theme_with_cost_and_vte(
    agency, events, client, auth, training
):
    mine = agency()
    partner = agency()
    t2019 = training(agencies=[mine])
    t2020 = training(
        agencies=[mine, partner],
        region="Brussel",
        theme="Meertaligheid",
        sessions=[Session(held_on=date(2020, 1, 9), half_days=1)],
        staff_hours=0,
    )
    cancelled = training(agencies=[mine], status="cancelled")
    await events.deliver(
        *[(t, str(t.training_id), 1) for t in (t2019, t2020, cancelled)],
    )
    params = {"agency": mine, "from_year": 2019, "to_year": 2020}
    analyst = auth("analyst")

    per_year = (
        await client.get("/api/v1/reports/trainings-per-year", params=params, headers=analyst)
    ).json()
    assert per_year["tables"][0]["rows"] == [
        {"year": "2019", "trainings": 1},
        {"year": "2020", "trainings": 1},
    ]
    per_region = (
        await client.get("/api/v1/reports/trainings-per-region", params=params, headers=analyst)
    ).json()
    rows = {r["label"]: r for r in per_region["tables"][0]["rows"]}
    assert rows["Regio Limburg"]["2019"] == 1 and rows["Regio Brussel"]["2020"] == 1
    assert rows["Totaal"] == {"label": "Totaal", "2019": 1, "2020": 1}
    assert len(rows) == 8, "all seven regions and the total, as in table 2"

    per_theme = (
        await client.get("/api/v1/reports/trainings-per-theme", params=params, headers=analyst)
    ).json()
    themes = {r["label"]: r for r in per_theme["tables"][0]["rows"]}
    assert themes["Meertaligheid"]["total"] == 1
    assert themes["Totaal aantal vormingen"]["total"] == 2

    cost = (
        await client.get("/api/v1/reports/cost-and-vte-per-year", params=params, headers=analyst)
    ).json()
    [y2019, y2020] = cost["tables"][0]["rows"]
    assert (y2019["cost_eur"], y2019["staff_hours"], y2019["vte"]) == (250.0, 15.96, 0.01)
    assert y2020["trainings"] == 1
    per_agency = cost["tables"][1]["rows"]
    assert [(r["year"], r["agency"]) for r in per_agency] == [("2019", mine), ("2020", mine)]
    assert per_agency[1]["joint"] == 1, "the agency filter keeps only the asked agency's share"
    assert per_agency[1]["cost_borne_eur"] == 0, "the joint training's cost was borne by agii"

    details = (
        await client.get("/api/v1/reports/training-details", params=params, headers=analyst)
    ).json()
    first = details["tables"][0]["rows"][0]
    assert first["local_government_participants"] == 7
    assert first["other_participants"] == 3
    assert first["other_organisations"] == "CAW Limburg"

    joint = (
        await client.get("/api/v1/reports/joint-trainings", params=params, headers=analyst)
    ).json()
    assert [r["agencies"] for r in joint["tables"][0]["rows"]] == [f"{mine}, {partner}"]

    evaluation = (
        await client.get("/api/v1/reports/training-evaluation", params=params, headers=analyst)
    ).json()
    assert evaluation["tables"][0]["rows"][0]["satisfied_share"] == 87.5


async def test_reports_export_as_csv_and_xlsx_and_the_answer_numbers_its_tables(
    agency, events, client, auth, training
):
    mine = agency()
    t = training(agencies=[mine], title="Taal; en ‘tekens’")
    await events.deliver((t, str(t.training_id), 1))
    params = {"agency": mine, "format": "csv"}
    csv = await client.get(
        "/api/v1/reports/training-details", params=params, headers=auth("analyst")
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Jaar;Organiserende agentschappen")
    assert '"Taal; en ‘tekens’"' in lines[1]

    xlsx = await client.get(
        "/api/v1/answers/321", params={"agency": mine, "format": "xlsx"}, headers=auth("analyst")
    )
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.worksheets[0]["A1"].value.startswith("Tabel 1: Aantal vormingen van")
    assert len(book.worksheets) == 11  # eight reports; cost has three tables, evaluation two


def pdf_lines(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [line.strip() for page in reader.pages for line in page.extract_text().splitlines()]


async def test_reports_and_answers_download_as_pdf_for_analysts_only(
    agency, events, client, auth, training
):
    mine = agency()
    held = [training(agencies=[mine], title=f"Vorming {n}") for n in range(3)]
    await events.deliver(*[(t, str(t.training_id), 1) for t in held])
    params = {"agency": mine, "from_year": 2019, "to_year": 2019, "format": "pdf"}

    report = await client.get(
        "/api/v1/reports/trainings-per-year", params=params, headers=auth("analyst")
    )
    assert report.status_code == 200
    assert report.headers["content-type"] == "application/pdf"
    assert report.headers["content-disposition"] == (
        'attachment; filename="trainings-per-year.pdf"'
    )
    shown = pdf_lines(report.content)
    assert shown[0] == "Aantal vormingen per jaar"
    assert {"Van jaar: 2019", "Tot en met jaar: 2019", f"Agentschap: {mine}"} <= set(shown)
    assert "2019 3" in shown

    answer = await client.get("/api/v1/answers/321", params=params, headers=auth("admin"))
    assert answer.headers["content-disposition"] == (
        'attachment; filename="antwoord-vraag-321.pdf"'
    )
    shown = pdf_lines(answer.content)
    assert shown[0].startswith("Antwoord op Vormingsaanbod van de agentschappen")
    assert f"Tabel 1: Aantal vormingen van {mine} 2019-2019" in shown
    assert any(line.startswith("Tabel 8: ") for line in shown)

    refused = await client.get(
        "/api/v1/reports/trainings-per-year", params=params, headers=auth("counter")
    )
    assert refused.status_code == 403
    bad = await client.get(
        "/api/v1/reports/trainings-per-year", params={"format": "docx"}, headers=auth("analyst")
    )
    assert bad.status_code == 422


async def test_bad_parameters_are_422_naming_the_field_and_reports_are_for_analysts(client, auth):
    response = await client.get(
        "/api/v1/reports/trainings-per-year",
        params={"from_year": 2020, "to_year": 2019},
        headers=auth("analyst"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "to_year"
    bad_region = await client.get(
        "/api/v1/reports/trainings-per-year", params={"region": "Mars"}, headers=auth("analyst")
    )
    assert bad_region.status_code == 422
    forbidden = await client.get("/api/v1/reports/trainings-per-year", headers=auth("counter"))
    assert forbidden.status_code == 403
    unknown = await client.get("/api/v1/reports/bestaat-niet", headers=auth("analyst"))
    assert unknown.status_code == 404


async def test_a_rebuild_from_the_topics_gives_the_same_numbers(
    agency, events, client, auth, runtime_for, now, training
):
    mine = agency()
    trainings = [training(agencies=[mine], region=r) for r in ("Limburg", "Brussel", "Limburg")]
    updated = trainings[0].model_copy(update={"title": "Bijgewerkt"})
    person = uuid.uuid4()
    await events.deliver(
        *[(t, str(t.training_id), 1) for t in trainings],
        (updated, str(updated.training_id), 2),
        (PersonRegistered(person_id=person, registered_at=now(), municipality_nis="71016"),
         str(person), 1),
        (TrajectoryOpened(trajectory_id=uuid.uuid4(), person_id=person, kind="inburgeringstraject",
                          template_version="1", opened_at=now(), municipality_nis="71016"),
         str(person), 1),
    )  # fmt: skip

    async def snapshot() -> list[dict]:
        """Every report of the catalogue over everything this run's tests published, and this
        test's own answer."""
        catalogue = (await client.get("/api/v1/reports", headers=auth("analyst"))).json()
        reports = [
            (await client.get(f"/api/v1/reports/{r['id']}", headers=auth("analyst"))).json()
            for r in catalogue
        ]
        answer = await client.get(
            "/api/v1/answers/321", params={"agency": mine}, headers=auth("analyst")
        )
        return [answer.json(), *reports]

    before = await snapshot()
    assert before[0]["tables"][0]["rows"] == [{"year": "2019", "trainings": 3}]
    [details] = [t for t in before[0]["tables"] if t["title"].startswith("Overzicht per vorming")]
    assert any(r["title"] == "Bijgewerkt" for r in details["rows"])

    seen: list[tuple[int, int]] = []
    result = await rebuild(
        runtime_for("rapportage"), progress=lambda n, total: seen.append((n, total))
    )
    assert result.applied >= 6 and seen[-1][0] == seen[-1][1] == result.events
    assert await snapshot() == before
    # Its staging tables lived in its transaction only.
    async with runtime_for("rapportage").engine.connect() as connection:
        staging = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'rapportage'"
                " AND tablename LIKE 'rebuild\\_%'"
            )
        )
    assert staging == 0


async def test_a_joint_training_counts_once_in_the_flemish_totals_and_each_agency_shows_its_share(
    events, client, auth, training
):
    """A year no other test uses: the Flemish totals of 1997 are this test's alone."""
    joint = training(
        agencies=["agii", "Atlas"],
        sessions=[Session(held_on=date(1997, 3, 5), half_days=2)],
        cost_lines=[
            CostLine(description="lesgevers", amount_eur=Decimal("300.00"), borne_by="AgII"),
            CostLine(description="zaal", amount_eur=Decimal("200.00"), borne_by="atlas"),
            CostLine(description="catering", amount_eur=Decimal("50.00"), borne_by="VIVO"),
        ],
        staff_hours=Decimal("1596"),
    )
    alone = training(
        agencies=["atlas"],
        sessions=[Session(held_on=date(1997, 6, 1), half_days=1)],
        cost_lines=[CostLine(description="zaal", amount_eur=Decimal("100"), borne_by="atlas")],
        staff_hours=Decimal("798"),
    )
    await events.deliver(*[(t, str(t.training_id), 1) for t in (joint, alone)])
    params = {"from_year": 1997, "to_year": 1997}
    cost = (
        await client.get(
            "/api/v1/reports/cost-and-vte-per-year", params=params, headers=auth("analyst")
        )
    ).json()
    totals, per_agency, bearers = (t["rows"] for t in cost["tables"])
    assert totals == [
        {"year": "1997", "trainings": 2, "cost_eur": 650.0, "staff_hours": 2394.0, "vte": 1.5}
    ], "the joint training once, not once per agency"
    assert per_agency == [
        {"year": "1997", "agency": "AgII", "trainings": 1, "joint": 1, "cost_borne_eur": 300.0,
         "staff_hours": 798.0, "vte": 0.5},
        {"year": "1997", "agency": "Atlas", "trainings": 2, "joint": 1, "cost_borne_eur": 300.0,
         "staff_hours": 1596.0, "vte": 1.0},
    ]  # fmt: skip
    assert bearers == [
        {"year": "1997", "borne_by": "AgII", "cost_eur": 300.0},
        {"year": "1997", "borne_by": "Atlas", "cost_eur": 300.0},
        {"year": "1997", "borne_by": "vivo", "cost_eur": 50.0},
    ]
    assert any("één keer" in note for note in cost["tables"][0]["notes"])

    # AgII and agii are one agency, in every spelling a filter may use.
    for spelling in ("AgII", "agii", "AGII"):
        response = await client.get(
            "/api/v1/reports/trainings-per-year",
            params={**params, "agency": spelling},
            headers=auth("analyst"),
        )
        assert response.json()["tables"][0]["rows"] == [{"year": "1997", "trainings": 1}]
    unknown = await client.get(
        "/api/v1/reports/trainings-per-year",
        params={**params, "agency": "Agentschap X"},
        headers=auth("analyst"),
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "agency"


async def test_a_filter_a_report_cannot_apply_is_422_never_ignored(client, auth):
    analyst = auth("analyst")
    for path, params, field in (
        ("/api/v1/reports/interpreter-requests", {"region": "Limburg"}, "region"),
        ("/api/v1/reports/trainings-per-year", {"municipality_nis": "44021"}, "municipality_nis"),
        ("/api/v1/reports/trainings-per-year", {"regio": "Limburg"}, "regio"),
        ("/api/v1/answers/321", {"municipality_nis": "44021"}, "municipality_nis"),
    ):
        response = await client.get(path, params=params, headers=analyst)
        assert response.status_code == 422, (path, params)
        assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_rows_with_equal_sort_keys_come_in_one_order_whatever_the_order_they_arrived(
    events, client, auth, training, agency
):
    """Three trainings of one agency, year and title (only their themes differ, which the
    detail report does not sort on) arrive in two different orders for two agencies: both
    reports list them in the same order, that of their ids, not of their arrival."""
    themes = ("Tolken", "Meertaligheid", "Diversiteit")
    ids = sorted(uuid.uuid4() for _ in themes)
    orders = {}
    for arrival in ((2, 0, 1), (1, 2, 0)):
        mine = agency()
        held = [
            training(training_id=ids[n], agencies=[mine], theme=themes[n], title="Zelfde titel",
                     sessions=[Session(held_on=date(1998, 5, 5), half_days=1)])
            for n in arrival
        ]  # fmt: skip
        ids = sorted(uuid.uuid4() for _ in themes)  # the next agency's trainings: new ids
        for t in held:  # one at a time, in this arrival order
            await events.deliver((t, str(t.training_id), 1))
        rows = (
            await client.get(
                "/api/v1/reports/training-details",
                params={"agency": mine, "from_year": 1998, "to_year": 1998},
                headers=auth("analyst"),
            )
        ).json()["tables"][0]["rows"]
        orders[arrival] = [r["theme"] for r in rows]
    assert orders[(2, 0, 1)] == orders[(1, 2, 0)] == list(themes), orders
