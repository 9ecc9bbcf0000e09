"""Merging two records of one person through intake's API (real Postgres): what is refused and
how, what the survivor and the old record become, the outbox, the audit, and an erasure that
takes the merged record along."""

import random
import uuid
from datetime import date

import httpx
import pytest
from sqlalchemy import text

from intake.domain.insz import make_insz
from intake.main import build_app

pytestmark = pytest.mark.integration
BORN = date(1985, 8, 21)
_SEQUENCES = iter(random.sample(range(1, 997, 2), 498))


@pytest.fixture
async def client(runtime_for):
    app = build_app(runtime_for("intake"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


@pytest.fixture
def engine(runtime_for):
    return runtime_for("intake").engine


async def pair(client, auth, other: dict | None = None) -> tuple[dict, dict]:
    """The same man registered twice: first without INSZ, then (confirmed) with one."""
    core = {
        "given_name": "Karim",
        "family_name": f"Dubbel-{uuid.uuid4().hex[:8]}",
        "birth_date": BORN.isoformat(),
        "municipality_nis": "44021",
    }
    first = await client.post("/api/v1/persons", json=core, headers=auth("counter"))
    second = await client.post(
        "/api/v1/persons",
        json=core
        | {"insz": make_insz(BORN, next(_SEQUENCES)), "confirm_new_person": True}
        | (other or {}),
        headers=auth("counter"),
    )
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    return first.json(), second.json()


def merge_body(other: dict, **extra) -> dict:
    return {"other": other["id"], "other_version": other["version"], "reason": "dubbel"} | extra


async def test_a_merge_keeps_the_chosen_values_and_the_old_record_leads_to_the_survivor(
    client, auth, engine
):
    survivor, other = await pair(client, auth, {"street": "Veldstraat", "dutch_level": "A2"})
    url = f"/api/v1/persons/{survivor['id']}/merges"
    done = await client.post(
        url,
        json=merge_body(other, choices={"dutch_level": "survivor"}),
        headers=auth("counter", "ann@agii") | {"If-Match": '"1"'},
    )
    assert done.status_code == 200, done.text
    kept = done.json()["survivor"]
    assert (kept["insz"], kept["street"], kept["dutch_level"]) == (
        other["insz"],
        "Veldstraat",
        None,
    )
    assert done.headers["etag"] == f'"{kept["version"]}"' == '"2"'

    old = await client.get(f"/api/v1/persons/{other['id']}", headers=auth("counter"))
    assert old.status_code == 301 and old.headers["location"] == f"/api/v1/persons/{survivor['id']}"
    changed = await client.patch(
        f"/api/v1/persons/{other['id']}",
        json={"street": "Elders"},
        headers=auth("counter") | {"If-Match": '"2"'},
    )
    assert changed.status_code == 409 and changed.json()["merged_into"] == old.headers["location"]
    found = await client.get(
        "/api/v1/persons", params={"name": f"Karim {kept['family_name']}"}, headers=auth("counter")
    )
    assert [p["id"] for p in found.json()["items"]] == [survivor["id"]]

    async with engine.connect() as conn:
        published = (
            await conn.execute(
                text(
                    "SELECT event_type, convert_from(payload, 'UTF8') AS data"
                    " FROM intake.outbox WHERE partition_key IN (:a, :b) ORDER BY id"
                ),
                {"a": survivor["id"], "b": other["id"]},
            )
        ).all()
        audited = (
            await conn.execute(
                text(
                    "SELECT subject_id, purpose FROM intake.audit_log"
                    " WHERE action = 'merge' AND subject_id IN (:a, :b) ORDER BY subject_id"
                ),
                {"a": survivor["id"], "b": other["id"]},
            )
        ).all()
    types = [row.event_type for row in published]
    assert types[-2:] == ["intake.person.merged.v1", "intake.person.corrected.v1"]
    merged_event = next(r.data for r in published if r.event_type == "intake.person.merged.v1")
    assert other["id"] in merged_event and survivor["id"] in merged_event
    assert "dubbel" not in merged_event and "Karim" not in merged_event  # ids only
    assert sorted(r.subject_id for r in audited) == sorted([survivor["id"], other["id"]])
    assert all("dubbel" in r.purpose for r in audited)


async def test_refusals_are_problems_naming_what_is_wrong(client, auth):
    survivor, other = await pair(client, auth)
    url = f"/api/v1/persons/{survivor['id']}/merges"
    counter = auth("counter")

    no_version = await client.post(url, json=merge_body(other), headers=counter)
    assert no_version.status_code == 428
    stale = await client.post(
        url, json=merge_body(other, other_version=7), headers=counter | {"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    unknown = await client.post(
        url,
        json=merge_body(other) | {"other": str(uuid.uuid4())},
        headers=counter | {"If-Match": '"1"'},
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "other"
    odd_choice = await client.post(
        url,
        json=merge_body(other, choices={"agency": "other"}),
        headers=counter | {"If-Match": '"1"'},
    )
    assert odd_choice.status_code == 422
    assert odd_choice.json()["errors"][0]["field"] == "choices.agency"
    no_reason = await client.post(
        url, json=merge_body(other, reason=""), headers=counter | {"If-Match": '"1"'}
    )
    assert no_reason.status_code == 422
    counsellor = await client.post(
        url, json=merge_body(other), headers=auth("counsellor") | {"If-Match": '"1"'}
    )
    assert counsellor.status_code == 403
    elsewhere = await client.post(
        url,
        json=merge_body(other),
        headers=auth("counter", organisation="atlas") | {"If-Match": '"1"'},
    )
    assert elsewhere.status_code == 404, "another agency's records look unknown"

    # Two different INSZ: two people, said plainly, nothing merged.
    _, third = await pair(client, auth)
    with_insz = await client.post(
        f"/api/v1/persons/{other['id']}/merges",
        json=merge_body(third),
        headers=counter | {"If-Match": '"1"'},
    )
    assert with_insz.status_code == 409
    assert with_insz.headers["content-type"] == "application/problem+json"
    assert "verschillend INSZ" in with_insz.json()["detail"]
    check = await client.get(
        f"/api/v1/persons/{other['id']}/merges/check",
        params={"other": third["id"]},
        headers=counter,
    )
    assert check.json()["allowed"] is False and "verschillend INSZ" in check.json()["refusal"]
    assert (await client.get(f"/api/v1/persons/{other['id']}", headers=counter)).status_code == 200


async def test_erasing_the_survivor_erases_the_record_merged_into_it(client, auth, engine):
    survivor, other = await pair(client, auth)
    merged = await client.post(
        f"/api/v1/persons/{survivor['id']}/merges",
        json=merge_body(other, choices={"insz": "survivor"}),  # the old record keeps its INSZ
        headers=auth("counter") | {"If-Match": '"1"'},
    )
    assert merged.status_code == 200, merged.text
    erased = await client.post(
        f"/api/v1/persons/{survivor['id']}/erasure",
        json={"reason": "verzoek"},
        headers=auth("admin", "dpo@agii"),
    )
    assert erased.status_code == 200
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT insz, family_name, erased_at FROM intake.persons WHERE id = :id"),
                {"id": other["id"]},
            )
        ).one()
        notices = await conn.scalar(
            text(
                "SELECT count(*) FROM intake.outbox"
                " WHERE partition_key = :id AND event_type = 'intake.person.erased.v1'"
            ),
            {"id": other["id"]},
        )
    assert (row.insz, row.family_name) == (None, None) and row.erased_at is not None
    assert notices == 1


async def test_the_survivors_access_report_holds_the_record_merged_into_it(client, auth):
    """GDPR art. 15 after a merge: intake's section of the survivor's report holds the record
    merged away too, with its history and every access to it (the registration and the merge
    are audited under the old record's id)."""
    survivor, other = await pair(client, auth)
    merged = await client.post(
        f"/api/v1/persons/{survivor['id']}/merges",
        json=merge_body(other),
        headers=auth("counter") | {"If-Match": '"1"'},
    )
    assert merged.status_code == 200, merged.text
    section = await client.get(
        f"/api/v1/data-subject/{survivor['id']}", headers=auth("admin", "dpo@agii")
    )
    assert section.status_code == 200, section.text
    held = {h["kind"]: h["records"] for h in section.json()["held"]}
    assert [r["id"] for r in held["merged_persons"]] == [other["id"]]
    assert {r["person_id"] for r in held["person_history"]} == {survivor["id"], other["id"]}
    about = {a["subject_id"] for a in section.json()["accesses"]}
    assert other["id"] in about and survivor["id"] in about

    alone, _ = await pair(client, auth)  # no merge: no such part in the report
    plain = await client.get(f"/api/v1/data-subject/{alone['id']}", headers=auth("admin"))
    assert "merged_persons" not in {h["kind"] for h in plain.json()["held"]}
