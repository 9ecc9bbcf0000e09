"""Projections and the report catalogue against real Kafka and Postgres."""

import io
import uuid
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from civic_common.events.contracts.intake import PersonRegistered
from civic_common.events.contracts.reporting import Session
from civic_common.events.contracts.trajecten import TrajectoryOpened
from rapportage.rebuild import rebuild

pytestmark = pytest.mark.integration


def agency() -> str:
    """Each test its own agency: the run's database is shared by every test."""
    return f"T-{uuid.uuid4().hex[:8]}"


async def test_a_snapshot_keeps_its_highest_sequence_and_redeliveries_change_nothing(
    events, client, auth, training
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
    events, client, auth, training
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
    assert y2020["agency"] == mine, "the agency filter keeps only the asked agency's share"

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
    events, client, auth, training
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
    assert len(book.worksheets) == 8  # seven reports, the evaluation has two tables


def pdf_lines(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [line.strip() for page in reader.pages for line in page.extract_text().splitlines()]


async def test_reports_and_answers_download_as_pdf_for_analysts_only(
    events, client, auth, training
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
    events, client, auth, runtime_for, now, training
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
    assert any(r["title"] == "Bijgewerkt" for r in before[0]["tables"][2]["rows"])

    seen: list[tuple[int, int]] = []
    result = await rebuild(
        runtime_for("rapportage"), progress=lambda n, total: seen.append((n, total))
    )
    assert result.applied >= 6 and seen[-1][0] == seen[-1][1] == result.events
    assert await snapshot() == before
