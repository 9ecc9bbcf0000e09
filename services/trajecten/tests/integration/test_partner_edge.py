"""NT2 providers and VDAB post updates through /partners/v1, applied by the state machine."""

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.integration

TODAY = date.today().isoformat()


def partner(auth, organisation: str | None) -> dict[str, str]:
    """A partner client's token with the scope of this edge."""
    return auth(
        "partner", f"pc-{organisation}", organisation=organisation, scope="trajecten.updates"
    )


@pytest.fixture
def cvo(auth):
    return partner(auth, "cvo-gent")


@pytest.fixture
def vdab(auth):
    return partner(auth, "vdab")


async def partner_rows(runtime_for, trajectory_id: str) -> list[tuple[str, str]]:
    async with runtime_for("trajecten").engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT organisation, kind FROM trajecten.partner_updates"
                " WHERE trajectory_id = :t ORDER BY received_at"
            ),
            {"t": trajectory_id},
        )
        return [tuple(r) for r in rows]


async def test_an_nt2_provider_enrols_posts_hours_and_a_passed_test(
    client, cvo, open_one, outbox, runtime_for
):
    t = await open_one()
    enrolled = await client.post(
        "/partners/v1/nt2/enrolments",
        json={"trajectory_id": t["id"], "course_level": "A2", "starts_on": TODAY},
        headers=cvo,
    )
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["component_status"] == "started"
    hours = await client.post(
        "/partners/v1/nt2/attendance",
        json={"trajectory_id": t["id"], "hours": 240, "period_from": TODAY, "period_to": TODAY},
        headers=cvo,
    )
    assert hours.json()["component_status"] == "completed"
    passed = await client.post(
        "/partners/v1/nt2/test-results",
        json={"trajectory_id": t["id"], "passed": True, "cefr_level": "A2", "tested_on": TODAY},
        headers=cvo,
    )
    assert passed.json()["component_status"] == "completed"
    completed = [d for k, d in await outbox(t["id"]) if k.endswith("component-completed.v1")]
    assert [(d["component"], d["actor"]) for d in completed] == [
        ("nt2_course", "partner:cvo-gent"),
        ("nt2_test", "partner:cvo-gent"),
    ]
    assert [k for _, k in await partner_rows(runtime_for, t["id"])] == [
        "nt2.enrolment",
        "nt2.attendance",
        "nt2.test-result",
    ]


async def test_a_retried_update_with_the_same_idempotency_key_counts_once(
    client, cvo, counsellor, open_one
):
    t = await open_one()
    body = {"trajectory_id": t["id"], "hours": 100, "period_from": TODAY, "period_to": TODAY}
    headers = cvo | {"Idempotency-Key": f"att-{uuid.uuid4()}"}
    first = await client.post("/partners/v1/nt2/attendance", json=body, headers=headers)
    again = await client.post("/partners/v1/nt2/attendance", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    got = await client.get(
        f"/api/v1/trajectories/{t['id']}",
        headers=counsellor,
    )
    nt2 = next(c for c in got.json()["components"] if c["code"] == "nt2_course")
    assert float(nt2["hours"]) == 100


async def test_another_partner_cannot_update_a_case_it_does_not_hold(
    client, cvo, auth, open_one, runtime_for
):
    t = await open_one()
    await client.post(
        "/partners/v1/nt2/enrolments",
        json={"trajectory_id": t["id"], "course_level": "A2", "starts_on": TODAY},
        headers=cvo,
    )
    other = partner(auth, "cvo-antwerpen")
    refused = await client.post(
        "/partners/v1/nt2/attendance",
        json={"trajectory_id": t["id"], "hours": 10, "period_from": TODAY, "period_to": TODAY},
        headers=other,
    )
    assert refused.status_code == 403
    assert "andere partner" in refused.json()["detail"]
    assert [o for o, _ in await partner_rows(runtime_for, t["id"])] == ["cvo-gent"]


async def test_unknown_and_closed_trajectories_are_refused_with_the_reason(
    client, cvo, counsellor, open_one
):
    unknown = await client.post(
        "/partners/v1/nt2/test-results",
        json={
            "trajectory_id": str(uuid.uuid4()),
            "passed": True,
            "cefr_level": "A2",
            "tested_on": TODAY,
        },
        headers=cvo,
    )
    assert unknown.status_code == 404 and "geen traject" in unknown.json()["detail"]
    t = await open_one()
    stopped = await client.post(
        f"/api/v1/trajectories/{t['id']}/transitions",
        json={"action": "stop", "reason": "verhuisd naar Wallonië"},
        headers=counsellor | {"If-Match": '"1"'},
    )
    assert stopped.status_code == 200
    closed = await client.post(
        "/partners/v1/nt2/enrolments",
        json={"trajectory_id": t["id"], "course_level": "A2", "starts_on": TODAY},
        headers=cvo,
    )
    assert closed.status_code == 409 and "afgesloten" in closed.json()["detail"]


async def test_bad_partner_input_is_422_naming_the_field(client, cvo, open_one):
    t = await open_one()
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    cases = [
        ("/nt2/attendance", {"hours": -2, "period_from": TODAY, "period_to": TODAY}, "hours"),
        ("/nt2/attendance", {"hours": 2, "period_from": TODAY, "period_to": "2020-01-01"}, ""),
        (
            "/nt2/test-results",
            {"passed": True, "cefr_level": "Z9", "tested_on": TODAY},
            "cefr_level",
        ),
        (
            "/nt2/test-results",
            {"passed": True, "cefr_level": "A2", "tested_on": tomorrow},
            "tested_on",
        ),
    ]
    for path, body, field in cases:
        response = await client.post(
            f"/partners/v1{path}", json={"trajectory_id": t["id"]} | body, headers=cvo
        )
        assert response.status_code == 422, (path, body)
        assert field in response.json()["errors"][0]["field"]


async def test_a_partner_token_needs_an_organisation_and_vdab_endpoints_need_vdab(
    client, auth, cvo, open_one
):
    t = await open_one()
    body = {"trajectory_id": t["id"], "registered_on": TODAY}
    no_org = await client.post(
        "/partners/v1/vdab/job-seekers", json=body, headers=partner(auth, None)
    )
    assert no_org.status_code == 403
    not_vdab = await client.post("/partners/v1/vdab/job-seekers", json=body, headers=cvo)
    assert not_vdab.status_code == 403
    for staff in ("analyst", "counsellor", "admin"):
        wrong_role = await client.post(
            "/partners/v1/vdab/job-seekers",
            json=body,
            headers=auth(staff, organisation="vdab", scope="trajecten.updates"),
        )
        assert wrong_role.status_code == 403, f"{staff} acted for a partner"


async def test_vdab_registers_a_job_seeker_and_posts_the_outcome(client, vdab, open_one, outbox):
    t = await open_one()
    registered = await client.post(
        "/partners/v1/vdab/job-seekers",
        json={"trajectory_id": t["id"], "registered_on": TODAY},
        headers=vdab,
    )
    assert registered.status_code == 200, registered.text
    assert registered.json()["component_status"] == "started"
    outcome = await client.post(
        "/partners/v1/vdab/outcomes",
        json={"trajectory_id": t["id"], "outcome": "employed", "on": TODAY},
        headers=vdab,
    )
    assert outcome.json()["component_status"] == "completed"
    last_kind, last = (await outbox(t["id"]))[-1]
    assert last_kind.endswith("component-completed.v1") and last["result"] == "employed"
