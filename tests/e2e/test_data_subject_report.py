"""The data-subject access report (GDPR art. 15) through the running system: a person is
registered (trajecten opens their trajectory, tolken records their language profile, rapportage
counts them), an OCMW receives their webhook, reads their events in the feed and reads them at
intake, staff read them; the admin's report names each, with when and under which basis, as JSON
and as a Dutch PDF. A partner that only read the feed is told of an erasure there."""

import io
import uuid
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from pypdf import PdfReader
from standardwebhooks import Webhook

from civic_common.testing.plugin import free_port
from civic_common.testing.server import serving
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

NIS = "44087"  # Lochristi: no other e2e test registers people there
BASIS = "ocmw-maatschappelijke-integratie"
OPENED = "trajecten.trajectory.opened.v1"
SCOPES = f"trajecten.subscriptions:write trajecten.feed:read intake.persons events:{OPENED}"
HEADINGS = (
    "Inzageverzoek (AVG art. 15)",
    "Intake (onthaal en inschrijving)",
    "Trajecten (inburgeringstrajecten)",
    "Tolken (sociaal tolken)",
    "Rapportage (statistiek)",
    "Gegevens die we bewaren",
    "Inzage en wijzigingen (auditlog)",
    "Ontvangers van de gegevens",
)


class Receiver:
    """A partner's endpoint: verifies, then keeps each message."""

    def __init__(self) -> None:
        self.secret = ""
        self.messages: list[dict] = []
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            self.messages.append(Webhook(self.secret).verify(body, dict(request.headers)))
            return Response(status_code=204)


async def _now(value):  # eventually() takes an awaitable's result
    return value


async def register(http: httpx.AsyncClient, intake: str, auth, given: str, family: str) -> str:
    answer = await http.post(
        f"{intake}/api/v1/persons",
        json={
            "given_name": given,
            "family_name": family,
            "birth_date": "1991-03-04",
            "municipality_nis": NIS,
            "nationality": "SY",
            "languages": ["ar"],
            "interpreter_language": "ar",
        },
        headers=auth("counter", "loket@agii"),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


async def feed_of(http: httpx.AsyncClient, trajecten: str, partner: dict) -> list[dict]:
    answer = await http.get(
        f"{trajecten}/partners/v1/feed",
        params={"event_types": OPENED, "limit": 500},
        headers=partner,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_an_admin_downloads_everything_held_read_and_shared_about_a_person(
    system, auth, partner_token
):
    intake, trajecten, tolken = (system.urls[s] for s in ("intake", "trajecten", "tolken"))
    admin = auth("admin", "dpo@agii")
    ocmw = await partner_token("ocmw-lochristi", SCOPES, municipality=NIS)
    receiver, port = Receiver(), free_port()
    async with httpx.AsyncClient(timeout=30) as http, serving(receiver.app, port):
        created = await http.post(
            f"{trajecten}/partners/v1/subscriptions",
            json={"endpoint_url": f"http://127.0.0.1:{port}/hook", "event_types": [OPENED]},
            headers=ocmw,
        )
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]
        person = await register(http, intake, auth, "Leyla", "Çağdaş")

        # The partner receives the webhook, reads the feed and the person resource.
        await eventually(
            lambda: _now([m for m in receiver.messages if m["data"].get("person_id") == person]),
            within=60,
        )
        feed = await feed_of(http, trajecten, ocmw)
        assert any(i["data"].get("person_id") == person for i in feed)
        resource = await http.get(f"{intake}/partners/v1/persons/{person}", headers=ocmw)
        assert resource.status_code == 200, resource.text

        # Staff read the person; the interpreter desk reads their language profile once tolken
        # recorded it from the registration.
        staff_read = await http.get(
            f"{intake}/api/v1/persons/{person}", headers=auth("counsellor", "begeleider@agii")
        )
        assert staff_read.status_code == 200, staff_read.text

        async def profile() -> bool:
            answer = await http.get(
                f"{tolken}/api/v1/language-profiles/{person}",
                headers=auth("interpreter_desk", "tolkendesk@agii"),
            )
            return answer.status_code == 200

        await eventually(profile, within=60)

        async def report() -> dict | None:
            answer = await http.get(
                f"{intake}/api/v1/persons/{person}/data-subject-report", headers=admin
            )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            rapportage = body["sections"][3]["section"]
            return body if rapportage and rapportage["known"] else None  # counted there too

        body = await eventually(report, within=60)

        assert body["complete"] is True
        assert [s["service"] for s in body["sections"]] == [
            "intake",
            "trajecten",
            "tolken",
            "rapportage",
        ]
        assert all(s["answered"] and s["missing"] is None for s in body["sections"])
        sections = {s["service"]: s["section"] for s in body["sections"]}

        def held(service: str, kind: str) -> list[dict]:
            [records] = [h for h in sections[service]["held"] if h["kind"] == kind]
            return records["records"]

        # What is held, in every service.
        [record] = held("intake", "persons")
        assert (record["given_name"], record["family_name"]) == ("Leyla", "Çağdaş")
        assert record["birth_date"] == "1991-03-04"
        [trajectory] = held("trajecten", "trajectories")
        assert trajectory["person_id"] == person and trajectory["municipality_nis"] == NIS
        assert held("trajecten", "components"), "the trajectory's components"
        assert held("trajecten", "transitions"), "its timeline"
        assert [e["event_type"] for e in held("trajecten", "partner_events")] == [OPENED]
        [language] = held("tolken", "language_profiles")
        assert language["languages"] == ["ar"] and language["interpreter_language"] == "ar"
        [counted] = held("rapportage", "intakes")
        assert counted["municipality_nis"] == NIS

        # Every read, who and when and why.
        intake_reads = sections["intake"]["accesses"]
        [counsellor] = [a for a in intake_reads if a["actor"] == "begeleider@agii"]
        assert (counsellor["action"], counsellor["role"]) == ("read", "counsellor")
        assert at(counsellor["at"]) >= at(record["registered_at"])
        [registration] = [a for a in intake_reads if a["action"] == "create"]
        assert registration["actor"] == "loket@agii"
        [partner_read] = [a for a in intake_reads if a["role"] == "partner"]
        assert partner_read["purpose"] == f"partner, basis {BASIS}"
        [desk] = [a for a in sections["tolken"]["accesses"] if a["actor"] == "tolkendesk@agii"]
        assert desk["subject_type"] == "person.language_profile"
        feed_reads = [
            a for a in sections["trajecten"]["accesses"] if a["action"] == "partner.feed.read"
        ]
        assert feed_reads and all(a["purpose"] == f"rechtsgrond {BASIS}" for a in feed_reads)

        # Every partner that received the data, when and under which basis.
        [resource_recipient] = sections["intake"]["recipients"]
        assert resource_recipient["organisation"] == "ocmw-lochristi"
        assert resource_recipient["channel"] == "person-resource"
        assert resource_recipient["legal_basis"] == BASIS
        assert resource_recipient["at"] == partner_read["at"]
        by_channel = {r["channel"]: r for r in sections["trajecten"]["recipients"]}
        assert set(by_channel) == {"webhook", "feed"}
        for recipient in by_channel.values():
            assert (recipient["organisation"], recipient["legal_basis"]) == (
                "ocmw-lochristi",
                BASIS,
            )
            assert at(recipient["at"]) >= at(trajectory["opened_at"])
        assert OPENED in by_channel["webhook"]["what"]
        assert sections["rapportage"]["recipients"] == []

        # The PDF: the same report, in Dutch.
        pdf = await http.get(
            f"{intake}/api/v1/persons/{person}/data-subject-report.pdf", headers=admin
        )
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Leyla Çağdaş" in text
        for heading in HEADINGS:
            assert heading in text, heading
        assert "ocmw-lochristi" in text and BASIS in text
        assert "onvolledig" not in text

        # Only admins; an unknown person is 404; every report is itself audited.
        for path in ("data-subject-report", "data-subject-report.pdf"):
            refused = await http.get(
                f"{intake}/api/v1/persons/{person}/{path}", headers=auth("counter")
            )
            assert refused.status_code == 403, refused.text
            unknown = await http.get(
                f"{intake}/api/v1/persons/{uuid.uuid4()}/{path}", headers=admin
            )
            assert unknown.status_code == 404, unknown.text
            assert unknown.headers["content-type"].startswith("application/problem+json")
        section_refused = await http.get(
            f"{trajecten}/api/v1/data-subject/{person}", headers=auth("counsellor")
        )
        assert section_refused.status_code == 403
        audit = await http.get(
            f"{intake}/api/v1/audit", params={"subject_id": person}, headers=admin
        )
        reports = [
            e for e in audit.json()["items"] if e["subject_type"] == "person.data-subject-report"
        ]
        assert {(e["actor"], e["action"]) for e in reports} == {("dpo@agii", "report")}
        assert {e["purpose"] for e in reports} >= {
            "inzageverzoek (AVG art. 15), json",
            "inzageverzoek (AVG art. 15), pdf",
        }
        for service in ("trajecten", "tolken", "rapportage"):
            logged = await http.get(
                f"{system.urls[service]}/api/v1/audit",
                params={"subject_id": person, "actor": "dpo@agii"},
                headers=admin,
            )
            assert any(
                e["subject_type"] == "person.data-subject" for e in logged.json()["items"]
            ), f"{service} audits the admin's read of its section"


async def test_a_partner_that_only_read_the_feed_is_told_of_an_erasure_there(
    system, auth, partner_token
):
    """GDPR art. 19 for feed readers: the feed read is recorded per person and partner, so the
    erasure notice reaches the partner in its own feed, and the recipients list says it was
    fetched."""
    intake, trajecten = system.urls["intake"], system.urls["trajecten"]
    admin = auth("admin", "dpo@agii")
    reader = await partner_token(
        "ocmw-lochristi-feed", f"trajecten.feed:read events:{OPENED}", municipality=NIS
    )
    async with httpx.AsyncClient(timeout=30) as http:
        person = await register(http, intake, auth, "Omar", "Feedlezer")

        async def in_feed() -> list[dict]:
            return [
                i
                for i in await feed_of(http, trajecten, reader)
                if i["data"].get("person_id") == person
            ]

        await eventually(in_feed, within=60)
        erased = await http.post(
            f"{intake}/api/v1/persons/{person}/erasure",
            json={"reason": "verzoek van de persoon"},
            headers=admin,
        )
        assert erased.status_code == 200, erased.text

        async def notice() -> list[dict]:
            return [
                i
                for i in await feed_of(http, trajecten, reader)
                if i["type"] == "trajecten.person.erased.v1"
                and i["data"].get("person_id") == person
            ]

        [told] = await eventually(notice, within=60)
        assert set(told["data"]) == {"person_id", "erased_at"}
        assert not [
            i
            for i in await feed_of(http, trajecten, reader)
            if i["type"] == OPENED and i["data"].get("person_id") == person
        ], "the person's events left the feed"
        other = await partner_token(
            "ocmw-lochristi-other", f"trajecten.feed:read events:{OPENED}", municipality=NIS
        )
        assert not [
            i for i in await feed_of(http, trajecten, other) if i["data"].get("person_id") == person
        ], "the notice is addressed to the organisation that read the person, no one else"

        answer = await http.get(
            f"{trajecten}/api/v1/persons/{person}/partner-recipients", headers=admin
        )
        assert answer.status_code == 200, answer.text
        mine = [r for r in answer.json()["items"] if r["organisation"] == "ocmw-lochristi-feed"]
        reads = [r for r in mine if r["status"] == "read"]
        assert reads and all((r["channel"], r["legal_basis"]) == ("feed", BASIS) for r in reads)
        [fetched] = [r for r in mine if r["event_type"] == "trajecten.person.erased.v1"]
        assert (fetched["channel"], fetched["status"]) == ("feed", "fetched")
        assert fetched["delivered_at"] is not None
