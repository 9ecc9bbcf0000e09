"""Composition root of intake."""

from pathlib import Path

from fastapi import FastAPI

from civic_common.api.app import create_app
from civic_common.api.data_subject import SectionSource, data_subject_router
from civic_common.runtime import Runtime, ServiceSpec, Worker
from civic_common.worker import create_worker
from intake.adapters.tables import messaging, metadata
from intake.adapters.trajecten_calls import TrajectenCalls
from intake.api import data_subject, organisations, partners, staff
from intake.app.data_subject import intake_section
from intake.app.organisations import CallEligibility
from intake.settings import IntakeSettings
from intake.web import pages


def section_sources(settings: IntakeSettings) -> list[SectionSource]:
    """The other services' sections of a data-subject report, at the configured addresses."""
    timeout = settings.data_subject_timeout_seconds
    return [
        SectionSource("trajecten", settings.trajecten_api_url, timeout),
        SectionSource("tolken", settings.tolken_api_url, timeout),
        SectionSource("rapportage", settings.rapportage_api_url, timeout),
    ]


def build_app(
    runtime: Runtime,
    settings: IntakeSettings | None = None,
    sources: list[SectionSource] | None = None,
    calls: CallEligibility | None = None,
) -> FastAPI:
    """``sources``: where the data-subject report reads the other services' sections;
    ``calls``: where candidacies get trajecten's eligibility decision. By default the configured
    addresses (tests may give their own)."""
    settings = settings or IntakeSettings()
    sources = section_sources(settings) if sources is None else sources
    app = create_app(
        runtime,
        title="Intake",
        routers=[
            staff.router,
            organisations.router,
            partners.router,
            data_subject_router(intake_section),
            data_subject.report_router(sources),
        ],
    )
    app.state.call_eligibility = calls or TrajectenCalls(
        settings.trajecten_api_url, settings.trajecten_timeout_seconds
    )
    pages.install(app, settings, sources)
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
