"""Composition root of tolken."""

from pathlib import Path

from fastapi import FastAPI

from civic_common.api.app import create_app
from civic_common.events.contracts import PersonRegistered
from civic_common.runtime import Runtime, ServiceSpec, Worker
from civic_common.worker import create_worker
from tolken.adapters.tables import messaging, metadata
from tolken.api import staff
from tolken.app.profiles import on_person_registered


def build_app(runtime: Runtime) -> FastAPI:
    return create_app(runtime, title="Tolken", routers=[staff.router])


def build_worker(runtime: Runtime) -> Worker:
    return create_worker(
        runtime, subscriptions={"intake.persons": {PersonRegistered: on_person_registered}}
    )


SERVICE = ServiceSpec(
    name="tolken",
    port=8003,
    metadata=metadata,
    tables=messaging,
    migrations=str(Path(__file__).parent / "migrations"),
    create_app=build_app,
    create_worker=build_worker,
)
