"""Reports that leave the agency: scoped to the partner, small cells suppressed, no personal
data."""

import io
import random
import uuid
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from civic_common.events.contracts.intake import PersonRegistered
from rapportage.adapters.tables import messaging
from rapportage.app.publishing import publish_scheduled
from rapportage.domain.monthly_counts import BRUSSELS

pytestmark = pytest.mark.integration


def partner(auth, subject: str = "pc-partner", **claims: str) -> dict[str, str]:
    """A partner client's token with the scope of the report exchange."""
    return auth("partner", subject, scope="rapportage.reports", **claims)


def municipality() -> str:
    return f"9{random.randrange(10_000):04d}"


async def register(events, nis: str, count: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    now = datetime.now(UTC)
    await events.deliver(
        *[
            (PersonRegistered(person_id=p, registered_at=now, municipality_nis=nis), str(p), 1)
            for p in ids
        ]
    )
    return ids


async def test_a_partner_gets_its_own_municipality_with_small_cells_suppressed(
    events, client, auth
):
    own, other = municipality(), municipality()
    people = await register(events, own, 3)
    await register(events, other, 6)

    internal = await client.get(
        "/api/v1/reports/intakes-per-month",
        params={"municipality_nis": own},
        headers=auth("analyst"),
    )
    assert [r["intakes"] for r in internal.json()["tables"][0]["rows"]] == [3]

    ocmw = partner(auth, "pc-ocmw-genk", municipality=own, organisation="OCMW Genk")
    # Asking for another municipality still yields the partner's own.
    shared = await client.get(
        "/partners/v1/reports/intakes-per-month",
        params={"municipality_nis": other},
        headers=ocmw,
    )
    assert shared.status_code == 200
    body = shared.json()
    assert body["parameters"]["municipality_nis"] == own
    [row] = body["tables"][0]["rows"]
    assert row["municipality_nis"] == own
    assert row["intakes"] is None, "3 is below the threshold of 5"
    assert "afgeschermd" in shared.text or body["tables"][0]["notes"]
    assert not any(str(p) in shared.text for p in people), "no person ids leave the agency"

    vdab = partner(auth, "pc-vdab", municipality=other, organisation="VDAB")
    [big] = (await client.get("/partners/v1/reports/intakes-per-month", headers=vdab)).json()[
        "tables"
    ][0]["rows"]
    assert big["intakes"] == 6, "counts at or above the threshold are shown"

    async with events.runtime.engine.connect() as conn:
        shared_with = (
            (
                await conn.execute(
                    select(messaging.audit_log.c.actor).where(
                        messaging.audit_log.c.action == "share",
                        messaging.audit_log.c.subject_id == "intakes-per-month",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert {"pc-ocmw-genk", "pc-vdab"} <= set(shared_with), "every share is logged"

    csv = await client.get(
        "/partners/v1/reports/intakes-per-month", params={"format": "csv"}, headers=ocmw
    )
    assert "afgeschermd" in csv.text and ";3\r\n" not in csv.text


async def shares_logged(events, subject: str, report_id: str) -> list[str]:
    async with events.runtime.engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    select(messaging.audit_log.c.purpose).where(
                        messaging.audit_log.c.action == "share",
                        messaging.audit_log.c.actor == subject,
                        messaging.audit_log.c.subject_id == report_id,
                    )
                )
            )
            .scalars()
            .all()
        )


async def test_a_partner_downloads_a_pdf_showing_only_the_suppressed_values(events, client, auth):
    own, other = municipality(), municipality()
    await register(events, own, 3)
    await register(events, other, 6)
    subject = f"pc-x-{uuid.uuid4().hex[:6]}"
    ocmw = auth(
        "partner", subject, organisation="OCMW", municipality=own, scope="rapportage.reports"
    )

    response = await client.get(
        "/partners/v1/reports/intakes-per-month",
        params={"municipality_nis": other, "format": "pdf"},
        headers=ocmw,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="intakes-per-month.pdf"'
    )
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    shown = [line.strip() for line in text.splitlines()]
    assert f"Gemeente (NIS-code): {own}" in shown, "the scope it was given, not the one asked"
    month = f"{datetime.now(BRUSSELS):%Y-%m}"
    [row] = [line for line in shown if line.startswith(month)]
    assert row == f"{month} {own} onbekend onbekend afgeschermd", "the raw 3 never leaves"
    assert other not in text
    assert "Aantallen kleiner dan 5 zijn afgeschermd (leeg)." in shown
    assert len(await shares_logged(events, subject, "intakes-per-month")) == 1

    for staff in ("analyst", "counter"):
        refused = await client.get(
            "/partners/v1/reports/intakes-per-month", params={"format": "pdf"}, headers=auth(staff)
        )
        assert refused.status_code == 403


async def test_detail_reports_never_leave_the_agency(client, auth):
    listed = await client.get("/partners/v1/reports", headers=partner(auth))
    ids = {r["id"] for r in listed.json()}
    assert "trainings-per-region" in ids and "training-details" not in ids
    response = await client.get("/partners/v1/reports/training-details", headers=partner(auth))
    assert response.status_code == 404
    for staff in ("counter", "analyst", "admin"):
        refused = await client.get("/partners/v1/reports", headers=auth(staff))
        assert refused.status_code == 403, f"{staff} passed the partner edge"


async def test_the_schedule_publishes_once_a_day_with_an_event_in_the_outbox(
    runtime_for, client, auth, report_settings
):
    runtime = runtime_for("rapportage")
    now = datetime.now(UTC)
    first = await publish_scheduled(runtime.uow(), report_settings, now)
    assert len(first) == len(report_settings.published_reports)
    assert await publish_scheduled(runtime.uow(), report_settings, now) == []

    async with runtime.engine.connect() as conn:
        types = (
            (
                await conn.execute(
                    select(messaging.outbox.c.event_type).where(
                        messaging.outbox.c.partition_key.in_(report_settings.published_reports)
                    )
                )
            )
            .scalars()
            .all()
        )
    assert types.count("rapportage.report.published.v1") == len(first)

    fetched = await client.get(f"/partners/v1/publications/{first[0]}", headers=partner(auth))
    assert fetched.status_code == 200
    assert fetched.json()["report_id"] == report_settings.published_reports[0]


async def test_a_small_cell_cannot_be_recovered_from_the_totals_a_partner_receives(
    events, client, auth, agency, training
):
    """Trainings per region of an agency: Limburg's 2 in 2019 is suppressed, and so is a second
    count in its column, so the total row does not give it back."""
    from datetime import date

    from civic_common.events.contracts.reporting import Session

    mine = agency()
    held = [
        training(agencies=[mine], region=region, title=f"{region} {n}",
                 sessions=[Session(held_on=date(2019, 3, 1), half_days=1)])
        for region, count in (("Limburg", 2), ("Antwerpen", 9), ("Brussel", 6))
        for n in range(count)
    ]  # fmt: skip
    await events.deliver(*[(t, str(t.training_id), 1) for t in held])
    shared = await client.get(
        "/partners/v1/reports/trainings-per-region",
        params={"agency": mine, "from_year": 2019, "to_year": 2019},
        headers=partner(auth),
    )
    assert shared.status_code == 200, shared.text
    table = shared.json()["tables"][0]
    column = {r["label"]: r["2019"] for r in table["rows"]}
    assert column["Regio Limburg"] is None
    hidden = [label for label, n in column.items() if n is None]
    assert len(hidden) >= 2, "a total minus the shown cells must not give the small one back"
    assert any("andere aantallen" in note for note in table["notes"])


TRAINING_REPORTS = (
    "trainings-per-year",
    "trainings-per-region",
    "trainings-per-theme",
    "cost-and-vte-per-year",
    "trainings-per-offer",
)


async def test_the_training_reports_a_partner_receives_hide_one_pattern_together(
    events, client, auth, agency, training
):
    """An agency's trainings of 2019 (a joint one among them), every shareable training report
    as the agency's partner receives it: each small count hidden, nothing else changed, and the
    year's total (in all five reports) hidden in all of them or in none, so no report gives
    back what another hides."""
    from datetime import date

    from civic_common.events.contracts.reporting import ParticipatingOrganisation, Session

    mine = agency()
    held = []
    for region, count, offer, partners in (
        ("Limburg", 2, "open", [mine]),
        ("Antwerpen", 9, "custom", [mine]),
        ("Brussel", 6, "open", [mine, "atlas"]),
    ):
        for n in range(count):
            held.append(training(
                agencies=partners, region=region, offer=offer, title=f"{region} {n}",
                theme="Tolken" if n % 2 else "Meertaligheid",
                sessions=[Session(held_on=date(2019, 3, 1), half_days=1)],
                participating_organisations=[ParticipatingOrganisation(
                    name="Stad", organisation_type="local_government", participants=n % 3)],
            ))  # fmt: skip
    await events.deliver(*[(t, str(t.training_id), 1) for t in held])
    params = {"from_year": 2019, "to_year": 2019}
    mine_only = partner(auth, organisation=mine)
    year_totals = {}
    for report in TRAINING_REPORTS:
        shared = await client.get(
            f"/partners/v1/reports/{report}", params=params, headers=mine_only
        )
        assert shared.status_code == 200, (report, shared.text)
        inside = await client.get(
            f"/api/v1/reports/{report}", params=params | {"agency": mine}, headers=auth("analyst")
        )
        for out, true in zip(shared.json()["tables"], inside.json()["tables"], strict=True):
            counts = {c["key"] for c in true["columns"] if c["kind"] == "count"}
            for mine_row, true_row in zip(out["rows"], true["rows"], strict=True):
                for key in counts:
                    value, truth = mine_row[key], true_row[key]
                    assert value is None or value == truth, (report, key)
                    if isinstance(truth, int) and 0 < truth < 5:
                        assert value is None, (report, key, truth)
        tables = shared.json()["tables"]
        first = tables[0]["rows"]
        if report in ("trainings-per-year", "trainings-per-offer", "cost-and-vte-per-year"):
            year_totals[report] = next(r["trainings"] for r in first if r["year"] == "2019")
        else:
            year_totals[report] = first[-1]["2019"]  # the total row
    assert len(set(year_totals.values())) == 1, year_totals
