"""Composition root of intake."""

from pathlib import Path

from fastapi import FastAPI

from civic_common.api.app import create_app
from civic_common.runtime import Runtime, ServiceSpec, Worker
from civic_common.worker import create_worker
from intake.adapters.tables import messaging, metadata
from intake.adapters.trajecten_calls import TrajectenCalls
from intake.api import organisations, partners, staff
from intake.app.organisations import CallEligibility
from intake.settings import IntakeSettings
from intake.web import pages


def build_app(
    runtime: Runtime,
    settings: IntakeSettings | None = None,
    calls: CallEligibility | None = None,
) -> FastAPI:
    """``calls``: where candidacies get trajecten's eligibility decision (by default
    trajecten's API at ``trajecten_api_url``)."""
    settings = settings or IntakeSettings()
    app = create_app(
        runtime, title="Intake", routers=[staff.router, organisations.router, partners.router]
    )
    app.state.call_eligibility = calls or TrajectenCalls(
        settings.trajecten_api_url, settings.trajecten_timeout_seconds
    )
    pages.install(app, settings)
    return app


def build_worker(runtime: Runtime) -> Worker:
    return create_worker(runtime, subscriptions={})  # intake consumes nothing; it relays its outbox


SERVICE = ServiceSpec(
    name="intake",
    port=8001,
    metadata=metadata,
    tables=messaging,
    migrations=str(Path(__file__).parent / "migrations"),
    create_app=build_app,
    create_worker=build_worker,
)
