import uuid

import httpx
import pytest
from sqlalchemy import text

from trajecten.main import build_app


@pytest.fixture
async def client(runtime_for):
    app = build_app(runtime_for("trajecten"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://trajecten") as http:
        yield http


@pytest.fixture
def counsellor(auth):
    return auth("counsellor", "els@agii", organisation="agii")


@pytest.fixture
def open_one(client, counsellor):
    async def open_(target_group="obligated", job_seeker=False) -> dict:
        response = await client.post(
            "/api/v1/trajectories",
            json={
                "person_id": str(uuid.uuid4()),
                "template_version": "2024.1",
                "municipality_nis": "44021",
                "target_group": target_group,
                "job_seeker": job_seeker,
            },
            headers=counsellor,
        )
        assert response.status_code == 201, response.text
        return response.json()

    return open_


@pytest.fixture
def outbox(runtime_for):
    async def events(trajectory_id: str) -> list[tuple[str, dict]]:
        async with runtime_for("trajecten").engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT event_type, convert_from(payload, 'UTF8')::jsonb FROM trajecten.outbox"
                    " WHERE partition_key = :k ORDER BY id"
                ),
                {"k": trajectory_id},
            )
            return [(r[0], r[1]) for r in rows]

    return events
