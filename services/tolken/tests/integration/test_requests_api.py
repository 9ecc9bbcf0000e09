"""Requests through their lifecycle over the staff API: matching, the offer cascade, desk
decisions, cancellation and completion, against the real test database."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tolken.app.requests import run_deadlines
from tolken.settings import TolkenSettings

pytestmark = pytest.mark.integration


async def submit(client, auth, body, role="interpreter_desk"):
    response = await client.post("/api/v1/requests", json=body, headers=auth(role))
    assert response.status_code == 201, response.text
    return response.json()


async def pending_offer(tolken, request_id):
    async with tolken.engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT id, interpreter_id FROM tolken.offers"
                    " WHERE request_id = :r AND status = 'pending'"
                ),
                {"r": request_id},
            )
        ).first()


async def status_of(client, auth, request_id):
    return (
        await client.get(f"/api/v1/requests/{request_id}", headers=auth("interpreter_desk"))
    ).json()["status"]


async def test_a_request_is_offered_to_the_best_candidate_and_accepting_assigns_it(
    client, auth, lang, org, add_interpreter, request_body, events, tolken
):
    far = await add_interpreter(lang, account=f"far-{lang}", latitude=51.2, longitude=4.4)
    near = await add_interpreter(lang, account=f"near-{lang}")
    created = await submit(client, auth, request_body(lang, org))
    assert created["status"] == "received"

    offer = await pending_offer(tolken, created["id"])
    assert offer.interpreter_id == uuid.UUID(near), "the nearer interpreter scores higher"
    assert await status_of(client, auth, created["id"]) == "offered"

    mine = (await client.get("/api/v1/offers", headers=auth("interpreter", f"near-{lang}"))).json()
    assert [o["id"] for o in mine] == [str(offer.id)]
    assert (
        await client.get("/api/v1/offers", headers=auth("interpreter", f"far-{lang}"))
    ).json() == []
    # Someone else's offer does not exist for another interpreter.
    stolen = await client.post(
        f"/api/v1/offers/{offer.id}/acceptance", headers=auth("interpreter", f"far-{lang}")
    )
    assert stolen.status_code == 404

    accepted = await client.post(
        f"/api/v1/offers/{offer.id}/acceptance", headers=auth("interpreter", f"near-{lang}")
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "assigned" and accepted.json()["interpreter_id"] == near
    assert await events(created["id"]) == [
        "tolken.request.received.v1",
        "tolken.request.offered.v1",
        "tolken.request.accepted.v1",
        "tolken.request.assigned.v1",
    ]
    again = await client.post(
        f"/api/v1/offers/{offer.id}/acceptance", headers=auth("interpreter", f"near-{lang}")
    )
    assert again.status_code == 409
    assert far


async def test_declining_moves_the_offer_to_the_next_candidate_and_then_back_to_the_desk(
    client, auth, lang, org, add_interpreter, request_body, tolken, events
):
    first = await add_interpreter(lang, account=f"a-{lang}", organisations={org: "preferred"})
    second = await add_interpreter(lang, account=f"b-{lang}")
    created = await submit(client, auth, request_body(lang, org))

    offer = await pending_offer(tolken, created["id"])
    assert offer.interpreter_id == uuid.UUID(first), "the requester's preferred interpreter first"
    declined = await client.post(
        f"/api/v1/offers/{offer.id}/decline", headers=auth("interpreter", f"a-{lang}")
    )
    assert declined.status_code == 204
    offer = await pending_offer(tolken, created["id"])
    assert offer.interpreter_id == uuid.UUID(second)

    await client.post(
        f"/api/v1/offers/{offer.id}/decline", headers=auth("interpreter", f"b-{lang}")
    )
    assert await pending_offer(tolken, created["id"]) is None
    assert await status_of(client, auth, created["id"]) == "received", "back in the desk's queue"
    assert (await events(created["id"])).count("tolken.request.declined.v1") == 2


async def test_an_offer_left_unanswered_expires_and_the_next_candidate_is_asked(
    client, auth, lang, org, add_interpreter, request_body, tolken
):
    await add_interpreter(lang)
    await add_interpreter(lang)
    created = await submit(client, auth, request_body(lang, org))
    first = await pending_offer(tolken, created["id"])
    async with tolken.engine.begin() as conn:
        await conn.execute(
            text("UPDATE tolken.offers SET answer_by = now() - interval '1 minute' WHERE id = :o"),
            {"o": first.id},
        )
    assert await run_deadlines(tolken.uow, TolkenSettings().policy()) >= 1
    second = await pending_offer(tolken, created["id"])
    assert second is not None and second.interpreter_id != first.interpreter_id
    async with tolken.engine.connect() as conn:
        assert (
            await conn.scalar(
                text("SELECT status FROM tolken.offers WHERE id = :o"), {"o": first.id}
            )
            == "expired"
        )


async def test_a_request_whose_start_passed_unassigned_becomes_unfulfilled_with_a_reason(
    client, auth, lang, org, request_body, tolken, events
):
    created = await submit(client, auth, request_body(lang, org))  # nobody speaks lang
    async with tolken.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE tolken.requests SET starts_at = now() - interval '2 hours', "
                "ends_at = now() - interval '1 hour' WHERE id = :r"
            ),
            {"r": created["id"]},
        )
    await run_deadlines(tolken.uow, TolkenSettings().policy())
    found = (
        await client.get(f"/api/v1/requests/{created['id']}", headers=auth("interpreter_desk"))
    ).json()
    assert (
        found["status"] == "unfulfilled" and "geen beschikbare tolk" in found["unfulfilled_reason"]
    )
    assert (await events(created["id"]))[-1] == "tolken.request.unfulfilled.v1"


async def test_the_desk_queue_shows_open_requests_with_candidates_and_why_filtered(
    client, auth, lang, org, add_interpreter, request_body, slot
):
    await add_interpreter(lang)
    start, end = slot(days_ahead=21)
    created = await submit(client, auth, request_body(lang, org, starts_at=start, ends_at=end))
    queue = (
        await client.get(
            "/api/v1/requests", params={"language": lang}, headers=auth("interpreter_desk")
        )
    ).json()
    [item] = queue
    assert item["request"]["id"] == created["id"] and item["offered_to"] is not None
    # The one interpreter was asked already: no one else to propose.
    assert item["proposals"] == []
    other_day = (
        await client.get(
            "/api/v1/requests",
            params={"language": lang, "day": "2020-01-01"},
            headers=auth("interpreter_desk"),
        )
    ).json()
    assert other_day == []
    on_day = (
        await client.get(
            "/api/v1/requests",
            params={"language": lang, "day": start[:10]},
            headers=auth("interpreter_desk"),
        )
    ).json()
    assert len(on_day) == 1


async def test_the_desk_can_override_with_another_interpreter_but_not_break_the_law(
    client, auth, lang, org, add_interpreter, request_body, events, tolken
):
    proposed = await add_interpreter(lang)
    chosen = await add_interpreter(lang, max_assignments_per_week=0)  # over its load: desk may
    aspirant = await add_interpreter(lang, tier="aspirant", certificate=None)
    created = await submit(client, auth, request_body(lang, org, subject_category="verblijfsrecht"))
    assert (await pending_offer(tolken, created["id"])).interpreter_id == uuid.UUID(proposed)

    path = f"/api/v1/requests/{created['id']}/assignment"
    refused = await client.post(
        path, json={"interpreter_id": aspirant}, headers=auth("interpreter_desk")
    )
    assert refused.status_code == 422
    assert "certificaat" in refused.json()["errors"][0]["message"]

    day = datetime.fromisoformat(created["starts_at"]).date().isoformat()
    away = await add_interpreter(lang, leave=[{"first_day": day, "last_day": day}])
    on_leave = await client.post(
        path, json={"interpreter_id": away}, headers=auth("interpreter_desk")
    )
    assert on_leave.status_code == 422, "the desk bends the weekly pattern, never a leave"
    assert "met verlof" in on_leave.json()["errors"][0]["message"]

    unexplained = await client.post(
        path, json={"interpreter_id": chosen}, headers=auth("interpreter_desk")
    )
    assert unexplained.status_code == 422, "past its load: the desk says why"
    assert unexplained.json()["errors"][0]["field"] == "reason"
    done = await client.post(
        path,
        json={"interpreter_id": chosen, "reason": "tolk stemde in met een extra opdracht"},
        headers=auth("interpreter_desk"),
    )
    assert done.status_code == 200, done.text
    async with tolken.engine.connect() as conn:
        why = await conn.scalar(
            text(
                "SELECT purpose FROM tolken.audit_log WHERE subject_id = :r AND action = 'assign'"
            ),
            {"r": created["id"]},
        )
    assert "maximale belasting" in why and "extra opdracht" in why
    assert done.json()["interpreter_id"] == chosen
    assert (await events(created["id"]))[-2:] == [
        "tolken.request.declined.v1",
        "tolken.request.assigned.v1",
    ]
    assert await pending_offer(tolken, created["id"]) is None, "the pending offer was withdrawn"
    twice = await client.post(
        path, json={"interpreter_id": proposed}, headers=auth("interpreter_desk")
    )
    assert twice.status_code == 409


async def test_cancelling_late_is_billable_and_frees_the_interpreter(
    client, auth, lang, org, add_interpreter, request_body, tolken
):
    soon = datetime.now(UTC) + timedelta(hours=3)
    around = {
        "starts_at": (soon - timedelta(days=1)).isoformat(),
        "ends_at": (soon + timedelta(days=1)).isoformat(),
    }
    # Whatever the hour of the test run: available around the slot, by an extra window.
    interpreter = await add_interpreter(lang, weekly=[], exceptions=[around | {"available": True}])
    body = request_body(
        lang,
        org,
        starts_at=soon.isoformat(),
        ends_at=(soon + timedelta(hours=1)).isoformat(),
        modality="phone",
    )
    created = await submit(client, auth, body)
    assign = await client.post(
        f"/api/v1/requests/{created['id']}/assignment",
        json={"interpreter_id": interpreter},
        headers=auth("interpreter_desk"),
    )
    assert assign.status_code == 200, assign.text
    cancelled = await client.post(
        f"/api/v1/requests/{created['id']}/cancellation", headers=auth("interpreter_desk")
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["billable"] is True
    async with tolken.engine.connect() as conn:
        assert await conn.scalar(
            text("SELECT released_at IS NOT NULL FROM tolken.assignments WHERE request_id = :r"),
            {"r": created["id"]},
        )
    # The freed slot can be booked again.
    other = await submit(client, auth, body)
    rebook = await client.post(
        f"/api/v1/requests/{other['id']}/assignment",
        json={"interpreter_id": interpreter},
        headers=auth("interpreter_desk"),
    )
    assert rebook.status_code == 200, rebook.text


async def test_cancelling_well_ahead_is_free_and_completion_records_the_actual_duration(
    client, auth, lang, org, add_interpreter, request_body, slot, tolken
):
    interpreter = await add_interpreter(lang)
    start, end = slot(days_ahead=30)
    first = await submit(client, auth, request_body(lang, org, starts_at=start, ends_at=end))
    await client.post(
        f"/api/v1/requests/{first['id']}/assignment",
        json={"interpreter_id": interpreter},
        headers=auth("interpreter_desk"),
    )
    cancelled = await client.post(
        f"/api/v1/requests/{first['id']}/cancellation", headers=auth("interpreter_desk")
    )
    assert cancelled.json()["billable"] is False

    second = await submit(client, auth, request_body(lang, org, starts_at=start, ends_at=end))
    await client.post(
        f"/api/v1/requests/{second['id']}/assignment",
        json={"interpreter_id": interpreter},
        headers=auth("interpreter_desk"),
    )
    early = await client.post(
        f"/api/v1/requests/{second['id']}/completion",
        json={"actual_minutes": 75},
        headers=auth("interpreter_desk"),
    )
    assert early.status_code == 409 and "nog niet afgerond" in early.text, early.text
    async with tolken.engine.begin() as conn:  # test data: as if the assignment took place
        await conn.execute(
            text(
                "UPDATE tolken.requests SET starts_at = now() - interval '2 hours', "
                "ends_at = now() - interval '1 hour' WHERE id = :r"
            ),
            {"r": second["id"]},
        )
    completion = await client.post(
        f"/api/v1/requests/{second['id']}/completion",
        json={"actual_minutes": 75},
        headers=auth("interpreter_desk"),
    )
    assert completion.status_code == 200
    assert completion.json()["actual_minutes"] == 75 and completion.json()["status"] == "completed"
    late = await client.post(
        f"/api/v1/requests/{second['id']}/cancellation", headers=auth("interpreter_desk")
    )
    assert late.status_code == 409


async def test_a_translation_has_a_deadline_and_no_slot(
    client, auth, lang, org, add_interpreter, tolken
):
    translator = await add_interpreter(lang, weekly=[])
    deadline = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    created = await submit(
        client,
        auth,
        {
            "kind": "translation",
            "language": lang,
            "deadline": deadline,
            "subject_category": "onderwijs",
            "organisation": org,
        },
    )
    offer = await pending_offer(tolken, created["id"])
    assert offer.interpreter_id == uuid.UUID(translator)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"modality": None}, "modality"),
        ({"starts_at": None}, "starts_at"),
        (
            {"starts_at": "2020-01-01T10:00:00+01:00", "ends_at": "2020-01-01T11:00:00+01:00"},
            "starts_at",
        ),
        ({"ends_at": "2000-01-01T10:00:00+01:00"}, "ends_at"),
        ({"starts_at": "2030-01-01T10:00:00"}, "starts_at"),
        ({"municipality_nis": None}, "municipality_nis"),
        ({"municipality_nis": "4402"}, "municipality_nis"),
        ({"subject_category": "astrologie"}, "subject_category"),
        ({"language": "Arabisch"}, "language"),
        ({"modality": "fax"}, "modality"),
        ({"kind": "translation"}, "deadline"),
        ({"deadline": "2030-01-01T10:00:00+01:00"}, "deadline"),
        ({"organisation": ""}, "organisation"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_a_malformed_request_is_422_naming_the_field_and_stores_nothing(
    client, auth, lang, org, request_body, change, field, tolken
):
    response = await client.post(
        "/api/v1/requests", json=request_body(lang, org) | change, headers=auth("interpreter_desk")
    )
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}
    async with tolken.engine.connect() as conn:
        assert (
            await conn.scalar(
                text("SELECT count(*) FROM tolken.requests WHERE language = :l"), {"l": lang}
            )
            == 0
        )


async def test_request_routes_are_role_checked(client, auth, lang, org, request_body):
    assert (await client.post("/api/v1/requests", json=request_body(lang, org))).status_code == 401
    assert (
        await client.post("/api/v1/requests", json=request_body(lang, org), headers=auth("counter"))
    ).status_code == 403
    assert (await client.get("/api/v1/requests", headers=auth("interpreter"))).status_code == 403
    assert (await client.get("/api/v1/offers", headers=auth("interpreter_desk"))).status_code == 403


async def test_an_offer_that_can_no_longer_be_honoured_moves_on_at_once(
    client, auth, lang, org, add_interpreter, request_body, slot, tolken
):
    busy = await add_interpreter(lang, account=f"busy-{lang}", organisations={org: "preferred"})
    other = await add_interpreter(lang)
    start, end = slot(days_ahead=33)
    first = await submit(client, auth, request_body(lang, org, starts_at=start, ends_at=end))
    second = await submit(client, auth, request_body(lang, org, starts_at=start, ends_at=end))
    offer_first = await pending_offer(tolken, first["id"])
    offer_second = await pending_offer(tolken, second["id"])
    assert offer_first.interpreter_id == offer_second.interpreter_id == uuid.UUID(busy)

    who = auth("interpreter", f"busy-{lang}")
    assert (
        await client.post(f"/api/v1/offers/{offer_first.id}/acceptance", headers=who)
    ).status_code == 200
    refused = await client.post(f"/api/v1/offers/{offer_second.id}/acceptance", headers=who)
    assert refused.status_code == 409 and "al geboekt" in refused.json()["detail"]

    moved = await pending_offer(tolken, second["id"])
    assert moved.interpreter_id == uuid.UUID(other), "asked the next candidate right away"
    async with tolken.engine.connect() as conn:
        status = await conn.scalar(
            text("SELECT status FROM tolken.offers WHERE id = :o"), {"o": offer_second.id}
        )
    assert status == "withdrawn"


async def test_the_desks_words_on_an_unfulfilled_request_stay_in_tolken(
    client, auth, lang, org, request_body, tolken
):
    """Thin events: the event says only why in a code; the desk's reason stays on the request."""
    created = await submit(client, auth, request_body(lang, org))
    words = "aanvrager belde af: cliënt opgenomen in ziekenhuis"
    marked = await client.post(
        f"/api/v1/requests/{created['id']}/unfulfilment",
        json={"reason": words},
        headers=auth("interpreter_desk"),
    )
    assert marked.status_code == 200, marked.text
    assert marked.json()["unfulfilled_reason"] == words
    async with tolken.engine.connect() as conn:
        payload = (
            await conn.execute(
                text(
                    "SELECT convert_from(payload, 'UTF8')::jsonb FROM tolken.outbox"
                    " WHERE partition_key = :k AND event_type = 'tolken.request.unfulfilled.v1'"
                ),
                {"k": created["id"]},
            )
        ).scalar_one()
    assert payload["reason"] == "by_desk"
    assert "ziekenhuis" not in str(payload)


async def test_an_interpreter_working_elsewhere_is_not_offered_but_the_desk_may_agree(
    client, auth, lang, org, add_interpreter, request_body, tolken
):
    """Regions bind the matcher (on site, in Gent: Oost-Vlaanderen); the desk may agree with
    the interpreter to go anyway, as it may for the weekly pattern."""
    limburg = await add_interpreter(lang, regions=["Limburg"])
    created = await submit(client, auth, request_body(lang, org))
    assert await pending_offer(tolken, created["id"]) is None, "nobody of the region to ask"
    queue = (
        await client.get(
            "/api/v1/requests", params={"language": lang}, headers=auth("interpreter_desk")
        )
    ).json()
    [item] = [i for i in queue if i["request"]["id"] == created["id"]]
    assert item["proposals"] == [], "not proposed"
    agreed = await client.post(
        f"/api/v1/requests/{created['id']}/assignment",
        json={"interpreter_id": limburg, "reason": "komt uitzonderlijk naar Gent"},
        headers=auth("interpreter_desk"),
    )
    assert agreed.status_code == 200, agreed.text
