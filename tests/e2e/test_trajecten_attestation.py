"""A newcomer registered at intake gets a trajectory; a counsellor and an NT2 provider record the
components; the last passed test issues the inburgeringsattest on the trajectories topic."""

from datetime import date

import httpx
import pytest

from civic_common.testing.kafka import read_topic
from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

TODAY = date.today().isoformat()


async def test_registered_person_to_attestation_across_services(system, auth, infra, partner_token):
    counsellor = auth("counsellor", "els@agii", organisation="agii")
    provider = await partner_token("cvo-gent", "trajecten.updates")
    trajecten = system.urls["trajecten"]
    async with httpx.AsyncClient(timeout=10) as http:
        registered = await http.post(
            f"{system.urls['intake']}/api/v1/persons",
            json={
                "given_name": "Amal",
                "family_name": "Nasser",
                "birth_date": "1992-02-11",
                "municipality_nis": "71016",
                "languages": ["ar"],
            },
            headers=auth("counter"),
        )
        assert registered.status_code == 201, registered.text
        person_id = registered.json()["id"]

        async def opened() -> list[dict]:
            response = await http.get(
                f"{trajecten}/api/v1/trajectories",
                params={"person_id": person_id},
                headers=counsellor,
            )
            return response.json()

        [trajectory] = await eventually(opened, within=60)
        trajectory_id, version = trajectory["id"], trajectory["version"]

        async def counsellor_records(path: str, body: dict) -> None:
            nonlocal version
            response = await http.post(
                f"{trajecten}/api/v1/trajectories/{trajectory_id}{path}",
                json=body,
                headers=counsellor | {"If-Match": f'"{version}"'},
            )
            assert response.status_code == 200, (path, response.text)
            version = int(response.headers["etag"].strip('"'))

        await counsellor_records("/components/guidance/transitions", {"action": "start"})
        await counsellor_records("/components/guidance/transitions", {"action": "complete"})
        await counsellor_records("/components/mo_course/progress", {"hours": 60})
        await counsellor_records("/components/mo_test/progress", {"passed": True})
        await counsellor_records(
            "/components/participation/transitions",
            {"action": "exempt", "reason": "actief als vrijwilliger"},
        )

        async def provider_posts(path: str, body: dict) -> dict:
            response = await http.post(
                f"{trajecten}/partners/v1/nt2/{path}",
                json={"trajectory_id": trajectory_id} | body,
                headers=provider | {"Idempotency-Key": f"{trajectory_id}-{path}"},
            )
            assert response.status_code == 200, (path, response.text)
            return response.json()

        await provider_posts("enrolments", {"course_level": "A2", "starts_on": TODAY})
        course = await provider_posts(
            "attendance", {"hours": 240, "period_from": TODAY, "period_to": TODAY}
        )
        assert course["component_status"] == "completed"
        test = await provider_posts(
            "test-results", {"passed": True, "cefr_level": "A2", "tested_on": TODAY}
        )
        assert (test["component_status"], test["trajectory_status"]) == ("completed", "completed")

    topic = f"{system.topic_prefix}trajecten.trajectories"

    async def events_of_trajectory() -> dict[str, dict] | None:
        records = await read_topic(infra.kafka_bootstrap, topic, expect=1, within=2)
        mine = {
            dict(r.headers)["ce_type"].decode(): r
            for r in records
            if r.key and r.key.decode() == trajectory_id
        }
        return mine if "trajecten.trajectory.completed.v1" in mine else None

    mine = await eventually(events_of_trajectory, within=60)
    completed = mine["trajecten.trajectory.completed.v1"]
    attest = completed.value.decode()
    assert '"attest_number":"INB-' in attest.replace(" ", "")
    assert "trajecten.trajectory.component-completed.v1" in mine
    sequences = {t: int(dict(r.headers)["ce_sequence"]) for t, r in mine.items()}
    assert max(sequences, key=sequences.get) == "trajecten.trajectory.completed.v1"
