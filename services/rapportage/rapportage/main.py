"""Composition root of rapportage."""

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from civic_common.api.app import create_app
from civic_common.api.data_subject import data_subject_router
from civic_common.periodic import PeriodicJob
from civic_common.runtime import Runtime, ServiceSpec, Worker
from civic_common.web.pages import install_pages
from civic_common.worker import create_worker
from rapportage.adapters.tables import messaging, metadata
from rapportage.api import partners, staff
from rapportage.app.data_subject import rapportage_section
from rapportage.app.projections import SUBSCRIPTIONS
from rapportage.app.publishing import publish_scheduled
from rapportage.settings import RapportageSettings
from rapportage.web import pages


def build_app(runtime: Runtime, settings: RapportageSettings | None = None) -> FastAPI:
    app = create_app(
        runtime,
        title="Rapportage",
        routers=[staff.router, partners.router, data_subject_router(rapportage_section)],
    )
    app.state.rapportage_settings = settings or RapportageSettings()
    install_pages(app, pages.templates)
    app.include_router(pages.router)
    return app


def build_worker(runtime: Runtime, settings: RapportageSettings | None = None) -> Worker:
    settings = settings or RapportageSettings()

    async def publish_reports() -> None:
        await publish_scheduled(runtime.uow(), settings, datetime.now(UTC))

    return create_worker(
        runtime,
        subscriptions=SUBSCRIPTIONS,
        periodic=[
            PeriodicJob("scheduled-publication", settings.publish_interval_seconds, publish_reports)
        ],
    )


SERVICE = ServiceSpec(
    name="rapportage",
    port=8004,
    metadata=metadata,
    tables=messaging,
    migrations=str(Path(__file__).parent / "migrations"),
    create_app=build_app,
    create_worker=build_worker,
    consumes=lambda: SUBSCRIPTIONS,
    keeps_person_data=True,
)
