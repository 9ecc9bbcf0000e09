"""The data-subject report in process against the real database: intake's own section, and a
report that says so when another service does not answer (a port nobody listens on)."""

import io
import uuid

import httpx
import pytest
from pypdf import PdfReader

from civic_common.api.data_subject import SectionSource
from civic_common.testing.plugin import free_port
from intake.main import build_app

pytestmark = pytest.mark.integration

PERSON = {
    "given_name": "Ilse",
    "family_name": "Inzage",
    "birth_date": "1985-06-07",
    "municipality_nis": "44021",
    "languages": ["nl"],
    "confirm_new_person": True,
}


@pytest.fixture
async def client(runtime_for):
    silent = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = build_app(
        runtime_for("intake"),
        sources=[
            SectionSource("trajecten", silent, timeout=2),
            SectionSource("tolken", None, timeout=2),
        ],
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


async def test_a_service_that_does_not_answer_is_named_never_left_out(client, auth):
    created = await client.post("/api/v1/persons", json=PERSON, headers=auth("counter"))
    assert created.status_code == 201, created.text
    person = created.json()["id"]
    admin = auth("admin", "dpo@agii")

    answer = await client.get(f"/api/v1/persons/{person}/data-subject-report", headers=admin)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["complete"] is False
    by_service = {s["service"]: s for s in report["sections"]}
    assert list(by_service) == ["intake", "trajecten", "tolken"]
    assert by_service["intake"]["answered"] is True
    [record] = by_service["intake"]["section"]["held"][0]["records"]
    assert record["family_name"] == "Inzage"
    assert (by_service["trajecten"]["answered"], by_service["trajecten"]["section"]) == (
        False,
        None,
    )
    assert by_service["trajecten"]["missing"] == "de dienst antwoordde niet"
    assert by_service["tolken"]["missing"] == "het adres van deze dienst is niet ingesteld"

    pdf = await client.get(f"/api/v1/persons/{person}/data-subject-report.pdf", headers=admin)
    assert pdf.status_code == 200, pdf.text
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Dit rapport is onvolledig" in text
    assert "Geen gegevens ontvangen van deze dienst: de dienst antwoordde niet." in text
    assert "Ilse Inzage" in text

    audit = await client.get("/api/v1/audit", params={"subject_id": person}, headers=admin)
    [json_report] = [
        e
        for e in audit.json()["items"]
        if e["action"] == "report"
        and e["purpose"].endswith("json, zonder antwoord van trajecten, tolken")
    ]
    assert json_report["actor"] == "dpo@agii"


async def test_intakes_own_section_is_for_admins_and_unknown_persons_are_404(client, auth):
    created = await client.post("/api/v1/persons", json=PERSON, headers=auth("counter"))
    person = created.json()["id"]
    own = await client.get(f"/api/v1/data-subject/{person}", headers=auth("admin"))
    assert own.status_code == 200, own.text
    assert own.json()["known"] is True
    assert [a["action"] for a in own.json()["accesses"]] == ["create"]
    refused = await client.get(f"/api/v1/data-subject/{person}", headers=auth("counsellor"))
    assert refused.status_code == 403
    unknown = await client.get(f"/api/v1/data-subject/{uuid.uuid4()}", headers=auth("admin"))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
