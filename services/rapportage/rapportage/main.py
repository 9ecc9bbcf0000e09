"""Composition root of rapportage."""

from pathlib import Path

from fastapi import FastAPI

from civic_common.api.app import create_app
from civic_common.events.contracts import PersonRegistered, TrajectoryOpened
from civic_common.runtime import Runtime, ServiceSpec, Worker
from civic_common.worker import create_worker
from rapportage.adapters.tables import messaging, metadata
from rapportage.api import staff
from rapportage.app.counts import on_person_registered, on_trajectory_opened


def build_app(runtime: Runtime) -> FastAPI:
    return create_app(runtime, title="Rapportage", routers=[staff.router])


def build_worker(runtime: Runtime) -> Worker:
    return create_worker(
        runtime,
        subscriptions={
            "intake.persons": {PersonRegistered: on_person_registered},
            "trajecten.trajectories": {TrajectoryOpened: on_trajectory_opened},
        },
    )


SERVICE = ServiceSpec(
    name="rapportage",
    port=8004,
    metadata=metadata,
    tables=messaging,
    migrations=str(Path(__file__).parent / "migrations"),
    create_app=build_app,
    create_worker=build_worker,
)
