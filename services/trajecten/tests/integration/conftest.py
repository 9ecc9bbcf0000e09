import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import text

from civic_common.consumer import InboxConsumer, Record
from civic_common.events.contracts import CONTRACTS
from civic_common.testing.server import serving
from trajecten.app.delivery import DeliveryLoop
from trajecten.app.subscriptions import on_trajectory_event
from trajecten.main import build_app
from trajecten.settings import TrajectenSettings


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


# --- the partner edge's tests (subscriptions, controls): a receiver, the worker's handler and
# delivery loop driven by hand, trajectories to deliver ---------------------------------------


@dataclass
class Receiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    failing: bool = False

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    app = FastAPI()
    state = Receiver("")

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        if state.failing:
            return Response(status_code=503)
        state.received.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    async with serving(app) as base:
        state.url = f"{base}/hook"
        yield state


@pytest.fixture
def pump(runtime_for):
    """Hand every trajectory event in the outbox to the worker's handler, as Kafka would (the
    inbox makes handing one twice harmless)."""
    runtime = runtime_for("trajecten")
    consumer = InboxConsumer(
        "trajecten",
        runtime.uow,
        {
            m: on_trajectory_event
            for m in CONTRACTS.values()
            if m.event_type.startswith("trajecten.trajectory.")
        },
    )

    async def run() -> None:
        async with runtime.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, partition_key, headers, payload FROM trajecten.outbox"
                        " WHERE topic = 'trajecten.trajectories' ORDER BY id"
                    )
                )
            ).all()
        for row in rows:
            await consumer.handle(
                Record(
                    topic="trajecten.trajectories",
                    partition=0,
                    offset=row.id,
                    key=row.partition_key.encode(),
                    value=bytes(row.payload),
                    headers={k: str(v).encode() for k, v in row.headers.items()},
                )
            )

    return run


@pytest.fixture
def deliver(runtime_for):
    async def run() -> None:
        loop = DeliveryLoop(runtime_for("trajecten"), TrajectenSettings())
        try:
            while await loop.run_once():
                pass
        finally:
            await loop.close()

    return run


@pytest.fixture
def open_in(client, counsellor):
    async def open_(nis: str, job_seeker: bool = False) -> dict:
        response = await client.post(
            "/api/v1/trajectories",
            json={
                "person_id": str(uuid.uuid4()),
                "template_version": "2024.1",
                "municipality_nis": nis,
                "target_group": "obligated",
                "job_seeker": job_seeker,
            },
            headers=counsellor,
        )
        assert response.status_code == 201, response.text
        return response.json()

    return open_


@pytest.fixture
def start(client, counsellor):
    async def start_(trajectory: dict, code: str) -> dict:
        response = await client.post(
            f"/api/v1/trajectories/{trajectory['id']}/components/{code}/transitions",
            json={"action": "start"},
            headers=counsellor | {"If-Match": f'"{trajectory["version"]}"'},
        )
        assert response.status_code == 200, response.text
        trajectory["version"] = int(response.headers["etag"].strip('"'))
        return response.json()

    return start_


@pytest.fixture
def stop(client, counsellor):
    """Stop a trajectory (trajecten.trajectory.stopped.v1), the staff member's words kept on
    the timeline only."""

    async def stop_(trajectory: dict, reason_code: str = "moved") -> dict:
        response = await client.post(
            f"/api/v1/trajectories/{trajectory['id']}/transitions",
            json={"action": "stop", "reason": "verhuisd naar Gent", "reason_code": reason_code},
            headers=counsellor | {"If-Match": f'"{trajectory["version"]}"'},
        )
        assert response.status_code == 200, response.text
        trajectory["version"] = int(response.headers["etag"].strip('"'))
        return response.json()

    return stop_


@pytest.fixture
def client_with(runtime_for):
    """``async with client_with(secret_grace_hours=0) as http:`` a client of an app built with
    these settings changed: the composition root reads settings once, when it builds the app."""

    @asynccontextmanager
    async def make(**changes: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = TrajectenSettings().model_copy(update=changes)
        app = build_app(runtime_for("trajecten"), settings)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://trajecten") as http:
            yield http

    return make
