"""Composition root of rapportage."""

from pathlib import Path

from fastapi import FastAPI

from civic_common.api.app import create_app
from civic_common.runtime import Runtime, ServiceSpec, Worker
from civic_common.worker import create_worker
from rapportage.adapters.tables import messaging, metadata
from rapportage.api import staff
from rapportage.app.projections import SUBSCRIPTIONS
from rapportage.settings import RapportageSettings


def build_app(runtime: Runtime, settings: RapportageSettings | None = None) -> FastAPI:
    app = create_app(runtime, title="Rapportage", routers=[staff.router])
    app.state.rapportage_settings = settings or RapportageSettings()
    return app


def build_worker(runtime: Runtime) -> Worker:
    return create_worker(runtime, subscriptions=SUBSCRIPTIONS)


SERVICE = ServiceSpec(
    name="rapportage",
    port=8004,
    metadata=metadata,
    tables=messaging,
    migrations=str(Path(__file__).parent / "migrations"),
    create_app=build_app,
    create_worker=build_worker,
)
