"""Publishing reports on a schedule: suppressed aggregates stored for partners to fetch, and
announced with ``rapportage.report.published.v1``."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.rapportage import ReportPublished
from rapportage.adapters.tables import publications
from rapportage.app.catalogue import CATALOGUE, Params
from rapportage.app.releases import one_snapshot
from rapportage.app.reports import protected_tables
from rapportage.domain.monthly_counts import BRUSSELS
from rapportage.settings import RapportageSettings

NAMESPACE = uuid.UUID("6f1d6c1e-5a0b-4f57-9a57-3c3b7b1f0d21")


async def publish_scheduled(
    uow: UnitOfWork, settings: RapportageSettings, now: datetime
) -> list[uuid.UUID]:
    """Publish each scheduled report for the current year once per day: a second worker or a
    second tick the same day finds the publication there and publishes nothing."""
    today = now.astimezone(BRUSSELS).date()
    params = Params(from_year=today.year, to_year=today.year)
    published: list[uuid.UUID] = []
    async with uow:
        await one_snapshot(uow.session)  # every report of the day from the same moment
        for report_id in settings.published_reports:
            report = CATALOGUE[report_id]
            publication_id = uuid.uuid5(NAMESPACE, f"{report_id}/{today.isoformat()}")
            tables = [t.as_json() for t in await protected_tables(uow, report, params, settings)]
            inserted = await uow.session.execute(
                insert(publications)
                .values(
                    publication_id=publication_id,
                    report_id=report_id,
                    parameters=params.as_json(),
                    tables=tables,
                    published_at=now,
                )
                .on_conflict_do_nothing()
                .returning(publications.c.publication_id)
            )
            if inserted.first() is None:
                continue
            event = ReportPublished(
                publication_id=publication_id,
                report_id=report_id,
                parameters=params.as_json(),
                published_at=now,
                tables=tables,
            )
            await uow.publish(event, key=report_id, sequence=int(now.timestamp()))
            published.append(publication_id)
        await uow.commit()
    return published


async def publication(uow: UnitOfWork, publication_id: uuid.UUID) -> dict[str, Any] | None:
    async with uow:
        row = (
            await uow.session.execute(
                select(publications).where(publications.c.publication_id == publication_id)
            )
        ).first()
    if row is None:
        return None
    return {
        "publication_id": str(row.publication_id),
        "report_id": row.report_id,
        "parameters": row.parameters,
        "published_at": row.published_at.isoformat(),
        "tables": row.tables,
    }
