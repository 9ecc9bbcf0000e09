"""Trainings, calls, candidacies and learning and coaching trajectories: everything the written
questions 310 (seed 000) and 321 (seed 001) ask about is recordable and published as snapshots."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from civic_common.events.contracts.intake import CandidacySubmitted, OrganisationRegistered
from trajecten.app.organisations import on_candidacy_submitted, on_organisation_registered

pytestmark = pytest.mark.integration


async def edit(client, headers, path, body, version):
    response = await client.post(path, json=body, headers=headers | {"If-Match": f'"{version}"'})
    assert response.status_code == 200, (path, response.text)
    return response.json()


async def test_a_joint_custom_training_is_recorded_step_by_step_as_snapshots(
    client, counsellor, outbox
):
    created = await client.post(
        "/api/v1/trainings",
        json={
            "agencies": ["agii", "in-gent"],
            "offer": "custom",
            "theme_code": "duidelijk-gesproken-taal",
            "title": "Duidelijke taal aan het loket",
            "description": "Vorming op maat voor het OCMW",
            "region": "Oost-Vlaanderen",
            "organisers": ["team taal"],
            "external_partners": ["Wablieft"],
        },
        headers=counsellor,
    )
    assert created.status_code == 201, created.text
    t = created.json()
    base = f"/api/v1/trainings/{t['id']}"
    v = await edit(
        client,
        counsellor,
        f"{base}/sessions",
        {"held_on": "2020-02-04", "half_days": 2, "place": "Gent", "trainers": ["An"]},
        1,
    )
    v = await edit(
        client,
        counsellor,
        f"{base}/participants",
        {"name": "OCMW Gent", "organisation_type": "ocmw", "participants": 14},
        v["version"],
    )
    v = await edit(
        client,
        counsellor,
        f"{base}/participants",
        {"name": "vzw De Brug", "organisation_type": "non_profit", "participants": 3},
        v["version"],
    )
    v = await edit(
        client,
        counsellor,
        f"{base}/cost-lines",
        {"description": "Lesgevers", "amount_eur": "640.00", "borne_by": "agii"},
        v["version"],
    )
    v = await edit(client, counsellor, f"{base}/staff-hours", {"hours": "12.5"}, v["version"])
    v = await edit(
        client,
        counsellor,
        f"{base}/evaluation",
        {"invited": 17, "responded": 12, "satisfied": 11},
        v["version"],
    )
    v = await edit(
        client,
        counsellor,
        f"{base}/status",
        {"status": "held", "outcome": "continued"},
        v["version"],
    )
    assert v["version"] == 8
    assert v["charge_eur"] == "500", "custom offer: 250 euro per half day for AgII"

    snapshots = [d for k, d in await outbox(t["id"]) if k == "trajecten.training.recorded.v1"]
    assert len(snapshots) == 8
    last = snapshots[-1]
    assert last["agencies"] == ["agii", "in-gent"] and last["status"] == "held"
    assert [p["organisation_type"] for p in last["participating_organisations"]] == [
        "ocmw",
        "non_profit",
    ]
    assert last["staff_hours"] == "12.5" and last["evaluation"]["satisfied"] == 11
    assert last["cost_lines"][0]["borne_by"] == "agii"
    assert (last["theme_code"], last["theme"], last["theme_catalogue"]) == (
        "duidelijk-gesproken-taal",
        "Duidelijk gesproken taal",
        "2021.1",
    )
    assert v["theme_label"] == "Duidelijk gesproken taal"


@pytest.mark.parametrize(
    "theme_code",
    ["Duidelijk gesproken taal", "bestaat-niet", "overig-ongemapt", "", "x" * 62],
)
async def test_a_training_theme_outside_the_catalogue_is_422_naming_the_field(
    client, counsellor, theme_code
):
    """Free text, an unknown code, the migration's unmapped code, empty, too long."""
    response = await client.post(
        "/api/v1/trainings",
        json={
            "agencies": ["agii"],
            "offer": "open",
            "theme_code": theme_code,
            "title": "Vorming",
            "region": "Limburg",
        },
        headers=counsellor,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["theme_code"]


async def test_the_theme_catalogue_can_be_read(client, counsellor, auth):
    themes = await client.get("/api/v1/training-themes", headers=counsellor)
    assert themes.status_code == 200, themes.text
    body = themes.json()
    assert body["version"] == "2021.1"
    labels = {t["code"]: t["label"] for t in body["themes"]}
    assert labels["meertaligheid"] == "Meertaligheid"
    assert "overig-ongemapt" not in labels, "not for people to choose"
    refused = await client.get("/api/v1/training-themes", headers=auth("analyst"))
    assert refused.status_code == 403


async def test_in_gent_custom_price_is_150_until_2021(client, counsellor):
    created = (
        await client.post(
            "/api/v1/trainings",
            json={
                "agencies": ["in-gent"],
                "offer": "custom",
                "theme_code": "meertaligheid",
                "title": "Meertaligheid",
                "region": "Oost-Vlaanderen",
            },
            headers=counsellor,
        )
    ).json()
    v = await edit(
        client,
        counsellor,
        f"/api/v1/trainings/{created['id']}/sessions",
        {"held_on": "2020-10-01", "half_days": 1},
        1,
    )
    assert v["charge_eur"] == "150"


async def test_bad_training_input_is_refused_and_nothing_changes(client, counsellor):
    t = (
        await client.post(
            "/api/v1/trainings",
            json={
                "agencies": ["agii"],
                "offer": "open",
                "theme_code": "communiceren-met-tolken",
                "title": "Werken met tolken",
                "region": "Limburg",
            },
            headers=counsellor,
        )
    ).json()
    base = f"/api/v1/trainings/{t['id']}"
    headers = counsellor | {"If-Match": '"1"'}
    too_happy = await client.post(
        f"{base}/evaluation",
        json={"invited": 5, "responded": 3, "satisfied": 4},
        headers=headers,
    )
    assert too_happy.status_code == 422 and too_happy.json()["errors"][0]["field"] == "satisfied"
    negative = await client.post(f"{base}/staff-hours", json={"hours": -1}, headers=headers)
    assert negative.status_code == 422 and negative.json()["errors"][0]["field"] == "hours"
    held_without_sessions = await client.post(
        f"{base}/status", json={"status": "held"}, headers=headers
    )
    assert held_without_sessions.status_code == 422
    stale = await client.post(
        f"{base}/staff-hours", json={"hours": 2}, headers=counsellor | {"If-Match": '"7"'}
    )
    assert stale.status_code == 412
    unchanged = (await client.get(base, headers=counsellor)).json()
    assert (unchanged["version"], unchanged["evaluation"]) == (1, None)


async def test_candidacies_from_intake_are_assessed_selected_and_join_a_trajectory(
    client, counsellor, runtime_for, outbox
):
    call = await client.post(
        "/api/v1/calls",
        json={
            "edition": "2019-2020",
            "title": "Organisatiebeleid cultuursensitieve zorg",
            "agencies": ["agii"],
            "opens_on": "2019-05-01",
            "closes_on": "2019-06-16",
        },
        headers=counsellor,
    )
    assert call.status_code == 201, call.text
    call_id = call.json()["id"]
    assert call.json()["eligibility"]["min_staff"] == 10
    read_back = await client.get(f"/api/v1/calls/{call_id}", headers=counsellor)
    assert read_back.status_code == 200 and read_back.json() == call.json()
    assert read_back.headers["etag"] == call.headers["etag"]
    unknown = await client.get(f"/api/v1/calls/{uuid.uuid4()}", headers=counsellor)
    assert unknown.status_code == 404
    ot = (
        await client.post(
            "/api/v1/organisation-trajectories",
            json={
                "call_id": call_id,
                "edition": "2019-2020",
                "agencies": ["agii"],
                "partners": ["VIVO"],
                "region": "regio-overschrijdend",
                "goal": "Organisatiebeleid rond cultuursensitieve zorg opstarten",
                "content": "Lerend netwerk in 5 werksessies en individuele coaching",
                "evaluation_criteria": ["beleidsplan opgesteld"],
            },
            headers=counsellor,
        )
    ).json()
    status_path = f"/api/v1/organisation-trajectories/{ot['id']}/status"
    early = await client.post(
        status_path, json={"status": "completed"}, headers=counsellor | {"If-Match": '"1"'}
    )
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "status", early.text

    runtime = runtime_for("trajecten")
    org_ok, org_small = uuid.uuid4(), uuid.uuid4()
    async with runtime.uow() as work:
        for org, size in ((org_ok, 80), (org_small, 6)):
            await on_organisation_registered(
                work,
                OrganisationRegistered(
                    organisation_id=org,
                    enterprise_number="0123456749",
                    name=f"Zorg {size}",
                    organisation_type="care_and_welfare",
                    staff_size=size,
                    municipality_nis="11002",
                    registered_at=datetime.now(UTC),
                ),
                None,
            )
            await on_candidacy_submitted(
                work,
                CandidacySubmitted(
                    candidacy_id=uuid.uuid4(),
                    organisation_id=org,
                    kind="learning_and_coaching",
                    call_id=uuid.UUID(call_id),
                    staff_size=size,
                    municipality_nis="11002",
                    participant_roles=["manager", "staff_member"],
                    motivation="Meer cliënten met een migratieachtergrond bereiken",
                    submitted_at=datetime(2019, 6, 10, tzinfo=UTC),
                ),
                None,
            )
        await work.commit()

    listed = (await client.get("/api/v1/candidacies", headers=counsellor)).json()["items"]
    mine = {c["organisation_id"]: c for c in listed if c["call_id"] == call_id}
    assert mine[str(org_ok)]["status"] == "eligible"
    assert mine[str(org_small)]["status"] == "ineligible"
    assert "minder dan 10 medewerkers" in mine[str(org_small)]["reasons"][0]

    refused = await client.post(
        f"/api/v1/candidacies/{mine[str(org_small)]['id']}/decision",
        json={"selected": True, "reason": "toch", "organisation_trajectory_id": ot["id"]},
        headers=counsellor,
    )
    assert refused.status_code == 422
    chosen = await client.post(
        f"/api/v1/candidacies/{mine[str(org_ok)]['id']}/decision",
        json={
            "selected": True,
            "reason": "sterke motivatie na intakegesprek",
            "organisation_trajectory_id": ot["id"],
        },
        headers=counsellor,
    )
    assert chosen.status_code == 200, chosen.text
    snapshot = [
        d for k, d in await outbox(ot["id"]) if k == "trajecten.organisation-trajectory.recorded.v1"
    ][-1]
    assert snapshot["participating_organisations"] == [
        {
            "organisation_id": str(org_ok),
            "name": "Zorg 80",
            "organisation_type": "care_and_welfare",
            "participants": 2,
        }
    ]
    outside = await client.post(
        f"/api/v1/organisation-trajectories/{ot['id']}/sessions",
        json={"held_on": "2022-10-01", "half_days": 2},
        headers=counsellor | {"If-Match": '"2"'},
    )
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "held_on"

    # Rejected after all: the organisation leaves the trajectory's participants.
    rejected = await client.post(
        f"/api/v1/candidacies/{mine[str(org_ok)]['id']}/decision",
        json={"selected": False, "reason": "trok zich terug"},
        headers=counsellor,
    )
    assert rejected.status_code == 200, rejected.text
    after = (
        await client.get(f"/api/v1/organisation-trajectories/{ot['id']}", headers=counsellor)
    ).json()
    assert after["participating_organisations"] == []
    snapshot = [
        d for k, d in await outbox(ot["id"]) if k == "trajecten.organisation-trajectory.recorded.v1"
    ][-1]
    assert snapshot["participating_organisations"] == []


async def test_an_organisation_trajectory_of_an_unknown_template_version_is_refused(
    client, counsellor
):
    response = await client.post(
        "/api/v1/organisation-trajectories",
        json={
            "edition": "2019-2020",
            "agencies": ["agii"],
            "region": "Limburg",
            "goal": "x",
            "content": "y",
            "template_version": "0.1",
        },
        headers=counsellor,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "template_version"


async def test_trainings_are_listed_page_by_page(client, counsellor):
    for n in range(3):
        await client.post(
            "/api/v1/trainings",
            json={
                "agencies": ["atlas"],
                "offer": "open",
                "theme_code": "communiceren-met-tolken",
                "title": f"Lijst {n}",
                "region": "Antwerpen",
            },
            headers=counsellor,
        )
    seen, ids, cursor = [], [], None
    while True:
        page = (
            await client.get(
                "/api/v1/trainings",
                params={"limit": 2} | ({"cursor": cursor} if cursor else {}),
                headers=counsellor,
            )
        ).json()
        assert len(page["items"]) <= 2
        seen += [t["title"] for t in page["items"]]
        ids += [t["id"] for t in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert {"Lijst 0", "Lijst 1", "Lijst 2"} <= set(seen)
    assert len(ids) == len(set(ids)), "no training twice across pages"
    bad = await client.get("/api/v1/trainings", params={"cursor": "bm9wZQ"}, headers=counsellor)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


async def call_for(client, counsellor, opens_on: str, closes_on: str) -> str:
    call = await client.post(
        "/api/v1/calls",
        json={
            "edition": "2019-2020",
            "title": "Organisatiebeleid cultuursensitieve zorg",
            "agencies": ["agii"],
            "opens_on": opens_on,
            "closes_on": closes_on,
        },
        headers=counsellor,
    )
    assert call.status_code == 201, call.text
    assert call.json()["eligibility"]["organisation_types"] == ["care_and_welfare"]
    return call.json()["id"]


async def test_trajecten_decides_eligibility_for_a_call(client, counsellor, auth):
    """The one rule intake shows: open days, care and welfare (seed 002), staff, roles."""
    call_id = await call_for(client, counsellor, "2019-05-01", "2019-06-16")
    path = f"/api/v1/calls/{call_id}/eligibility"
    fit = {
        "organisation_type": "care_and_welfare",
        "staff_size": 40,
        "participant_role": ["manager", "staff_member"],
    }
    counter = auth("counter", "balie@agii", organisation="agii")
    on_time = await client.get(path, params=fit | {"on": "2019-06-16"}, headers=counter)
    assert on_time.status_code == 200, on_time.text
    assert on_time.json() == {
        "call_id": call_id,
        "eligible": True,
        "reasons": [],
        "advice": [],
        "decided_on": "2019-06-16",
    }
    today = await client.get(path, params=fit, headers=counter)  # closed since 2019
    assert today.json()["eligible"] is False
    assert today.json()["reasons"] == ["de oproep is gesloten sinds 16/06/2019"]
    school = await client.get(
        path,
        params=fit | {"organisation_type": "school", "on": "2019-06-01"},
        headers=counter,
    )
    assert school.json()["eligible"] is False
    assert school.json()["reasons"] == [
        "de oproep is voor een zorg- en welzijnsorganisatie (niet: school)"
    ]
    unknown = await client.get(
        f"/api/v1/calls/{uuid.uuid4()}/eligibility", params=fit, headers=counter
    )
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    bad = await client.get(path, params=fit | {"participant_role": ["ceo"]}, headers=counter)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.participant_role.0"
    refused = await client.get(path, params=fit, headers=auth("analyst"))
    assert refused.status_code == 403


async def test_an_organisation_trajectory_tracks_its_components_through_the_api(
    client, counsellor, outbox
):
    created = await client.post(
        "/api/v1/organisation-trajectories",
        json={
            "edition": "2019-2020",
            "agencies": ["agii"],
            "partners": ["VIVO"],
            "region": "Antwerpen",
            "goal": "Organisatiebeleid",
            "content": "Vijf werksessies en coaching",
        },
        headers=counsellor,
    )
    assert created.status_code == 201, created.text
    ot = created.json()
    assert [(c["code"], c["status"]) for c in ot["components"]] == [
        ("intake_call", "planned"),
        ("learning_network", "planned"),
        ("coaching", "planned"),
        ("evaluation", "planned"),
    ]
    assert ot["component_actions"]["intake_call"] == ["start"]
    assert ot["component_actions"]["evaluation"] == []
    base = f"/api/v1/organisation-trajectories/{ot['id']}"

    async def step(code: str, action: str, on: str, version: int) -> dict:
        return await edit(
            client, counsellor, f"{base}/components/{code}", {"action": action, "on": on}, version
        )

    too_soon = await client.post(
        f"{base}/components/coaching",
        json={"action": "start", "on": "2019-10-01"},
        headers=counsellor | {"If-Match": '"1"'},
    )
    assert too_soon.status_code == 422, too_soon.text
    assert too_soon.json()["errors"] == [
        {"field": "action", "message": "'coaching' start pas na het afronden van intake_call"}
    ]
    unknown = await client.post(
        f"{base}/components/mo_test",
        json={"action": "start", "on": "2019-10-01"},
        headers=counsellor | {"If-Match": '"1"'},
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "component"
    v = await step("intake_call", "start", "2019-09-02", 1)
    v = await step("intake_call", "complete", "2019-09-20", v["version"])
    v = await step("learning_network", "start", "2019-10-01", v["version"])
    assert v["component_actions"]["learning_network"] == [], "five sessions first"
    for day in range(1, 6):
        v = await edit(
            client,
            counsellor,
            f"{base}/sessions",
            {"held_on": f"2019-1{day % 3}-0{day}", "half_days": 2},
            v["version"],
        )
    assert v["component_actions"]["learning_network"] == ["complete"]
    v = await step("learning_network", "complete", "2020-06-01", v["version"])
    v = await edit(client, counsellor, f"{base}/status", {"status": "running"}, v["version"])
    not_yet = await client.post(
        f"{base}/status",
        json={"status": "completed"},
        headers=counsellor | {"If-Match": f'"{v["version"]}"'},
    )
    assert not_yet.status_code == 422
    assert "coaching, evaluation" in not_yet.json()["errors"][0]["message"]
    v = await step("coaching", "start", "2019-10-01", v["version"])
    v = await step("coaching", "complete", "2020-05-01", v["version"])
    v = await step("evaluation", "start", "2020-06-02", v["version"])
    v = await step("evaluation", "complete", "2020-06-30", v["version"])
    v = await edit(client, counsellor, f"{base}/status", {"status": "completed"}, v["version"])
    snapshot = [
        d for k, d in await outbox(ot["id"]) if k == "trajecten.organisation-trajectory.recorded.v1"
    ][-1]
    assert snapshot["status"] == "completed" and snapshot["template_version"] == "2019.1"
    assert snapshot["components"][1] == {
        "code": "learning_network",
        "status": "completed",
        "started_on": "2019-10-01",
        "completed_on": "2020-06-01",
    }


async def test_a_snapshot_never_outgrows_what_kafka_carries(client, counsellor, runtime_for):
    """Each list is bounded, their product is not: sessions of 50 trainers of 200 characters
    are refused (422 naming sessions) once the snapshot would pass 512 kB, nothing stored."""
    created = await client.post(
        "/api/v1/trainings",
        json={
            "agencies": ["agii"],
            "offer": "open",
            "theme_code": "meertaligheid",
            "title": "Groot",
            "region": "Limburg",
        },
        headers=counsellor,
    )
    base = f"/api/v1/trainings/{created.json()['id']}"
    trainers = [f"Trainer {n:02d} Zoë-Ŝ " + "é" * 183 for n in range(50)]
    version, refused = 1, None
    for day in range(1, 100):
        answer = await client.post(
            f"{base}/sessions",
            json={"held_on": f"2020-01-{day % 28 + 1:02d}", "half_days": 1, "trainers": trainers},
            headers=counsellor | {"If-Match": f'"{version}"'},
        )
        if answer.status_code != 200:
            refused = answer
            break
        version = answer.json()["version"]
    assert refused is not None and refused.status_code == 422, refused and refused.text
    assert refused.json()["errors"][0]["field"] == "sessions"
    assert 20 < version < 100
    stored = (await client.get(base, headers=counsellor)).json()
    assert stored["version"] == version, "the refused session is not stored"
    # The bytes the relay hands to Kafka (its 1 MB limit), not a re-serialisation of them.
    stored_sizes = text(
        "SELECT octet_length(payload) FROM trajecten.outbox WHERE partition_key = :key"
    )
    async with runtime_for("trajecten").engine.connect() as conn:
        found = await conn.execute(stored_sizes, {"key": created.json()["id"]})
        sizes = list(found.scalars())
    assert len(sizes) == version and max(sizes) <= 512 * 1024
