"""The partner edge: organisations submit, follow and cancel their own requests only."""

import uuid

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.integration


def partner(auth, org, municipality=None):
    """A partner client's token, with the scope of this edge."""
    return auth(
        "partner", f"pc-{org}", organisation=org, municipality=municipality, scope="tolken.requests"
    )


async def known_person(tolken, nis: str, lang: str) -> uuid.UUID:
    """A person intake registered in ``nis``, as tolken's consumer records them."""
    from datetime import UTC, datetime

    from civic_common.events.contracts import PersonRegistered
    from civic_common.events.envelope import Envelope
    from tolken.app.profiles import on_person_registered

    person = uuid.uuid4()
    event = PersonRegistered(
        person_id=person,
        registered_at=datetime.now(UTC),
        municipality_nis=nis,
        languages=[lang],
        interpreter_language=lang,
    )
    envelope = Envelope(
        type=event.event_type,
        source="/civic/intake",
        partitionkey=str(person),
        sequence=1,
        data=event.model_dump(mode="json"),
    )
    async with tolken.uow() as uow:
        await on_person_registered(uow, event, envelope)
        await uow.commit()
    return person


async def test_a_partner_submits_follows_and_cancels_its_own_requests(
    client, auth, lang, org, add_interpreter, request_body
):
    await add_interpreter(lang)
    body = request_body(lang)
    submitted = await client.post("/partners/v1/requests", json=body, headers=partner(auth, org))
    assert submitted.status_code == 201, submitted.text
    created = submitted.json()
    assert created["organisation"] == org
    assert submitted.headers["location"] == f"/partners/v1/requests/{created['id']}"

    followed = await client.get(
        f"/partners/v1/requests/{created['id']}", headers=partner(auth, org)
    )
    assert followed.json()["status"] == "offered"
    listed = (await client.get("/partners/v1/requests", headers=partner(auth, org))).json()
    assert [r["id"] for r in listed["items"]] == [created["id"]]

    cancelled = await client.post(
        f"/partners/v1/requests/{created['id']}/cancellation", headers=partner(auth, org)
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["billable"] is False


async def test_another_organisation_cannot_see_or_cancel_it(client, auth, lang, org, request_body):
    created = (
        await client.post(
            "/partners/v1/requests", json=request_body(lang), headers=partner(auth, org)
        )
    ).json()
    other = partner(auth, "someone-else")
    assert (
        await client.get(f"/partners/v1/requests/{created['id']}", headers=other)
    ).status_code == 404
    cancel = await client.post(f"/partners/v1/requests/{created['id']}/cancellation", headers=other)
    assert cancel.status_code == 404
    assert (await client.get("/partners/v1/requests", headers=other)).json()["items"] == []


async def test_a_retried_submission_with_the_same_idempotency_key_creates_one_request(
    client, auth, lang, org, request_body, tolken
):
    headers = partner(auth, org) | {"Idempotency-Key": str(uuid.uuid4())}
    body = request_body(lang)
    first = await client.post("/partners/v1/requests", json=body, headers=headers)
    again = await client.post("/partners/v1/requests", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    changed = await client.post(
        "/partners/v1/requests", json=body | {"urgent": True}, headers=headers
    )
    assert changed.status_code == 422
    async with tolken.engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM tolken.requests WHERE organisation = :o"), {"o": org}
        )
    assert count == 1


async def test_the_partner_edge_needs_an_organisation_claim_and_a_partner_role(
    client, auth, lang, request_body
):
    body = request_body(lang)
    assert (await client.post("/partners/v1/requests", json=body)).status_code == 401
    no_org = await client.post(
        "/partners/v1/requests",
        json=body,
        headers=auth("partner", "pc-x", organisation=None, scope="tolken.requests"),
    )
    assert no_org.status_code == 403
    for staff in ("interpreter_desk", "admin", "counter"):
        wrong_role = await client.post(
            "/partners/v1/requests", json=body, headers=auth(staff, organisation="x")
        )
        assert wrong_role.status_code == 403, f"{staff} acted for a partner"
    invalid = await client.post(
        "/partners/v1/requests", json=body | {"organisation": "spoofed"}, headers=partner(auth, "x")
    )
    assert invalid.status_code == 422, "a partner cannot name another organisation"


async def test_a_partner_pages_through_its_requests_and_reads_of_persons_are_audited(
    client, auth, lang, org, request_body, tolken
):
    person = str(await known_person(tolken, "44021", lang))
    ids = []
    for _ in range(3):
        response = await client.post(
            "/partners/v1/requests",
            json=request_body(lang, person_id=person),
            headers=partner(auth, org, "44021"),
        )
        ids.append(response.json()["id"])
    first = (
        await client.get("/partners/v1/requests", params={"limit": 2}, headers=partner(auth, org))
    ).json()
    rest = (
        await client.get(
            "/partners/v1/requests",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=partner(auth, org),
        )
    ).json()
    assert [r["id"] for r in first["items"] + rest["items"]] == ids
    assert rest["next_cursor"] is None
    async with tolken.engine.connect() as conn:
        reads = await conn.scalar(
            text(
                "SELECT count(*) FROM tolken.audit_log"
                " WHERE subject_id = ANY(:ids) AND action = 'read' AND organisation = :o"
            ),
            {"ids": ids, "o": org},
        )
    assert reads == 3


async def test_a_partner_can_look_up_the_subjects_and_which_need_certification(client, auth):
    subjects = (await client.get("/partners/v1/subjects", headers=partner(auth, "x"))).json()
    by_name = {s["subject_category"]: s["certified_interpreter_required"] for s in subjects}
    assert by_name["verblijfsrecht"] is True and by_name["welzijn"] is False


async def test_a_partner_names_only_its_own_inhabitants_in_its_requests(
    client, auth, lang, org, request_body, tolken
):
    """An OCMW may attach a person to its own interpreter request only when the person lives
    in its municipality; an unknown person and another municipality's get the same 422."""
    inhabitant = await known_person(tolken, "44021", lang)
    elsewhere = await known_person(tolken, "11002", lang)
    gent = partner(auth, org, "44021")
    accepted = await client.post(
        "/partners/v1/requests",
        json=request_body(lang) | {"person_id": str(inhabitant)},
        headers=gent,
    )
    assert accepted.status_code == 201, accepted.text
    for person in (elsewhere, uuid.uuid4()):
        refused = await client.post(
            "/partners/v1/requests",
            json=request_body(lang) | {"person_id": str(person)},
            headers=gent,
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"] == [
            {"field": "person_id", "message": "niet gekend binnen uw gemeente"}
        ]
    # A partner without a municipality names no person at all.
    no_town = await client.post(
        "/partners/v1/requests",
        json=request_body(lang) | {"person_id": str(inhabitant)},
        headers=partner(auth, org),
    )
    assert no_town.status_code == 422
