"""A component's ``allowed`` actions keep to its template's order through the running system:
the MO test offers no start while the MO course is open, and a start anyway is 409 listing
what is allowed; once the course is done (its hours reached), the test can start."""

import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e


async def test_allowed_respects_the_order_of_components(system, auth):
    counsellor = auth("counsellor", "els@agii", organisation="agii")
    base = f"{system.urls['trajecten']}/api/v1/trajectories"
    async with httpx.AsyncClient(timeout=10) as http:
        opened = await http.post(
            base,
            json={
                "person_id": str(uuid.uuid4()),
                "template_version": "2024.1",
                "municipality_nis": "36015",  # Roeselare: the walking skeleton counts 44021
                "target_group": "obligated",
            },
            headers=counsellor,
        )
        assert opened.status_code == 201, opened.text
        trajectory = opened.json()

        def allowed(t: dict, code: str) -> list[str]:
            return next(c["allowed"] for c in t["components"] if c["code"] == code)

        assert "start" not in allowed(trajectory, "mo_test")
        assert "start" in allowed(trajectory, "mo_course")
        path = f"{base}/{trajectory['id']}"
        refused = await http.post(
            f"{path}/components/mo_test/transitions",
            json={"action": "start"},
            headers=counsellor | {"If-Match": f'"{trajectory["version"]}"'},
        )
        assert refused.status_code == 409, refused.text
        assert "start" not in refused.json().get("allowed", [])
        done = await http.post(
            f"{path}/components/mo_course/progress",
            json={"hours": 60},
            headers=counsellor | {"If-Match": f'"{trajectory["version"]}"'},
        )
        assert done.status_code == 200, done.text
        assert "start" in allowed(done.json(), "mo_test")
