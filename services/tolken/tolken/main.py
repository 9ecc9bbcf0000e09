"""Composition root of tolken."""

from pathlib import Path

from fastapi import FastAPI

from civic_common.api.app import create_app
from civic_common.api.data_subject import data_subject_router
from civic_common.events.contracts import PersonRegistered
from civic_common.events.contracts.intake import (
    PersonCorrected,
    PersonErased,
    PersonMerged,
    PersonTransferred,
)
from civic_common.events.contracts.trajecten import AppointmentScheduled
from civic_common.periodic import PeriodicJob
from civic_common.runtime import Runtime, ServiceSpec, Worker
from civic_common.worker import Subscriptions, create_worker
from tolken.adapters.tables import messaging, metadata
from tolken.api import partners, staff
from tolken.app.booking import appointment_handler
from tolken.app.data_subject import tolken_section
from tolken.app.profiles import (
    on_person_erased,
    on_person_merged,
    on_person_registered,
    on_person_transferred,
)
from tolken.app.requests import run_deadlines
from tolken.domain.policy import Policy
from tolken.settings import TolkenSettings
from tolken.web import pages


def build_app(runtime: Runtime, settings: TolkenSettings | None = None) -> FastAPI:
    app = create_app(
        runtime,
        title="Tolken",
        routers=[
            staff.router,
            partners.router,
            pages.router,
            data_subject_router(tolken_section),
        ],
    )
    settings = settings or TolkenSettings()
    app.state.policy = settings.policy()
    pages.install(app, offer_stream_seconds=settings.offer_stream_seconds)
    return app


def consumed(policy: Policy) -> Subscriptions:
    """What the worker consumes, by topic."""
    return {
        "intake.persons": {
            PersonRegistered: on_person_registered,
            PersonCorrected: on_person_registered,
            PersonTransferred: on_person_transferred,
            PersonErased: on_person_erased,
            PersonMerged: on_person_merged,
        },
        "trajecten.trajectories": {AppointmentScheduled: appointment_handler(policy)},
    }


def build_worker(runtime: Runtime, settings: TolkenSettings | None = None) -> Worker:
    settings = settings or TolkenSettings()
    policy = settings.policy()

    async def deadlines() -> None:
        await run_deadlines(runtime.uow, policy)

    return create_worker(
        runtime,
        subscriptions=consumed(policy),
        periodic=[PeriodicJob("offer-deadlines", settings.timer_seconds, deadlines)],
    )


SERVICE = ServiceSpec(
    name="tolken",
    port=8003,
    metadata=metadata,
    tables=messaging,
    migrations=str(Path(__file__).parent / "migrations"),
    create_app=build_app,
    create_worker=build_worker,
    consumes=lambda: consumed(TolkenSettings().policy()),
    keeps_person_data=True,
)
