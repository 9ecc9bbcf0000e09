"""Composition root of trajecten."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from civic_common.api.app import create_app
from civic_common.api.data_subject import data_subject_router
from civic_common.events.contracts import CONTRACTS, PersonRegistered
from civic_common.events.contracts.intake import (
    CandidacySubmitted,
    OrganisationRegistered,
    PersonCorrected,
    PersonErased,
    PersonMerged,
    PersonTransferred,
)
from civic_common.periodic import PeriodicJob
from civic_common.runtime import Runtime, ServiceSpec, Worker
from civic_common.worker import Subscriptions, create_worker
from trajecten.adapters.intake_persons import IntakePersons
from trajecten.adapters.partner_clients import OwnClients
from trajecten.adapters.tables import messaging, metadata
from trajecten.api import caseload, organisations, partner_edge, partners, staff, subscriptions
from trajecten.api.errors import install_error_handlers
from trajecten.app.alerts import NotificationLoop, on_partner_alert, warn_of_expiring_bases
from trajecten.app.data_subject import trajecten_section
from trajecten.app.delivery import DeliveryLoop
from trajecten.app.organisations import on_candidacy_submitted, on_organisation_registered
from trajecten.app.retention import prune_delivery_log
from trajecten.app.subscriptions import EdgeRules, on_trajectory_event
from trajecten.app.trajectories import (
    on_person_corrected,
    on_person_erased,
    on_person_merged,
    on_person_registered,
    on_person_transferred,
    refer_missed_deadlines,
)
from trajecten.app.webhook_metrics import observe_webhooks
from trajecten.settings import TrajectenSettings
from trajecten.web import pages, partner_portal

BRUSSELS = ZoneInfo("Europe/Brussels")


def build_app(
    runtime: Runtime,
    settings: TrajectenSettings | None = None,
    intake: IntakePersons | None = None,
) -> FastAPI:
    """``intake``: where pages read names (tests put intake's app in process); by default
    intake's API at ``intake_api_url``."""
    settings = settings or TrajectenSettings()
    app = create_app(
        runtime,
        title="Trajecten",
        routers=[
            staff.router,
            caseload.router,
            partners.router,
            organisations.router,
            subscriptions.router,
            partner_edge.router,
            subscriptions.admin_router,
            partner_edge.admin_router,
            data_subject_router(trajecten_section),
        ],
    )
    install_error_handlers(app)
    intake = intake or IntakePersons(settings.intake_api_url, settings.intake_timeout_seconds)
    pages.install(app, intake, settings.intake_pages_url)
    rules = EdgeRules.of(settings)
    app.state.edge_rules = rules  # the partner edge's use cases get these, never read settings
    partner_portal.install(
        app, OwnClients(settings.issuer_url, settings.issuer_timeout_seconds), rules
    )
    return app


def consumed() -> Subscriptions:
    """What the worker consumes, by topic (tests feed their events through the same map)."""
    return {
        "intake.persons": {
            PersonRegistered: on_person_registered,
            PersonCorrected: on_person_corrected,
            PersonTransferred: on_person_transferred,
            PersonErased: on_person_erased,
            PersonMerged: on_person_merged,
        },
        "intake.organisations": {OrganisationRegistered: on_organisation_registered},
        "intake.candidacies": {CandidacySubmitted: on_candidacy_submitted},
        # Our own trajectory events, turned into partner deliveries and the partner feed.
        "trajecten.trajectories": {
            model: on_trajectory_event
            for model in CONTRACTS.values()
            if model.topic == "trajecten.trajectories"
        },
        # Alerts about a partner's subscriptions, told to its operational contact.
        "trajecten.partner-alerts": {
            model: on_partner_alert
            for model in CONTRACTS.values()
            if model.topic == "trajecten.partner-alerts"
        },
    }


def build_worker(runtime: Runtime, settings: TrajectenSettings | None = None) -> Worker:
    settings = settings or TrajectenSettings()

    async def missed_deadlines() -> None:
        today = datetime.now(BRUSSELS).date()  # deadlines are Belgian working days
        while await refer_missed_deadlines(runtime.uow(), today):
            pass  # batch after batch until no unreferred miss is left

    async def expiring_bases() -> None:
        async with runtime.uow() as work:
            await warn_of_expiring_bases(work, datetime.now(BRUSSELS).date(), settings)

    async def delivery_log() -> None:
        await prune_delivery_log(runtime, timedelta(days=settings.delivery_log_retention_days))

    # One worker at a time refers (civic_common.periodic); row locks would keep two from
    # referring twice anyway.
    return create_worker(
        runtime,
        subscriptions=consumed(),
        periodic=[
            PeriodicJob("missed-deadlines", settings.deadline_check_seconds, missed_deadlines),
            PeriodicJob("legal-basis-expiry", settings.basis_expiry_check_seconds, expiring_bases),
            PeriodicJob(
                "delivery-log-retention", runtime.settings.housekeeping_seconds, delivery_log
            ),
        ],
        tasks=[
            DeliveryLoop(runtime, settings).run,
            NotificationLoop(runtime, settings).run,
            lambda: observe_webhooks(runtime),
        ],
    )


SERVICE = ServiceSpec(
    name="trajecten",
    port=8002,
    metadata=metadata,
    tables=messaging,
    migrations=str(Path(__file__).parent / "migrations"),
    create_app=build_app,
    create_worker=build_worker,
    consumes=consumed,
    keeps_person_data=True,
)
