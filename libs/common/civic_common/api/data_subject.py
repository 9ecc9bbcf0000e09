"""The data-subject access report (GDPR art. 15): what every service gives for one person.

Each service answers `GET /api/v1/data-subject/{person_id}` (admins only, the read itself
audited) with one ``DataSubjectSection``: the records it holds about the person, every entry of
its audit log about them or their records (who, when, what, why) and every partner that received
their data from it (when, how, under which basis). Intake, the person's owner, assembles the four
sections into the report (``SectionSource`` fetches another service's with the admin's own
token). What a service holds and whom it told is each service's own use case; this module holds
only the shape they share, the audit query and the route.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy import Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from civic_common.api.app import uow
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork

log = logging.getLogger(__name__)

# The purpose every read made for a report is audited under.
PURPOSE = "inzageverzoek (AVG art. 15)"


class HeldRecords(BaseModel):
    """Records of one kind a service holds about the person, each as its stored columns."""

    kind: str  # the table or record kind, e.g. "trajectories"
    title: str  # in Dutch, for the report
    records: list[dict[str, Any]]


class Access(BaseModel):
    """One entry of a service's audit log about the person or one of their records."""

    at: datetime
    actor: str
    role: str
    organisation: str | None
    action: str
    subject_type: str
    subject_id: str
    purpose: str | None


class Recipient(BaseModel):
    """A partner (or an interpreter) that received the person's data."""

    organisation: str
    channel: str  # webhook | feed | person-resource | interpreter-request | interpreter-assignment
    legal_basis: str | None
    at: datetime
    what: str  # in Dutch: which data, e.g. the event type delivered


class DataSubjectSection(BaseModel):
    service: str
    person_id: UUID
    known: bool  # whether the service holds anything of the person at all
    held: list[HeldRecords]
    accesses: list[Access]
    recipients: list[Recipient]


class UnknownDataSubject(Exception):
    """The person's owning service does not know the id (404)."""


async def records(session: AsyncSession, query: Select[Any]) -> list[dict[str, Any]]:
    """The rows of ``query`` as JSON-ready dicts (dates as ISO strings, ids as strings)."""
    rows = (await session.execute(query)).mappings().all()
    return [jsonable_encoder(dict(row)) for row in rows]


async def accesses_of(
    session: AsyncSession, audit_log: Table, subject_ids: Collection[UUID | str]
) -> list[Access]:
    """Every audit entry about these subjects (the person and their records), oldest first."""
    if not subject_ids:
        return []
    rows = (
        (
            await session.execute(
                select(audit_log)
                .where(audit_log.c.subject_id.in_(sorted({str(s) for s in subject_ids})))
                .order_by(audit_log.c.id)
            )
        )
        .mappings()
        .all()
    )
    return [Access.model_validate(dict(row)) for row in rows]


def partner_reads(accesses: Sequence[Access], channel: str, what: str) -> list[Recipient]:
    """The audited reads by partner clients, as recipients. A partner's read is audited with its
    basis as the purpose's last word ("partner, basis <code>", "rechtsgrond <code>")."""
    return [
        Recipient(
            organisation=a.organisation or a.actor,
            channel=channel,
            legal_basis=a.purpose.split()[-1] if a.purpose else None,
            at=a.at,
            what=what,
        )
        for a in accesses
        if a.role == "partner" and a.action in ("read", "partner.feed.read")
    ]


SectionUseCase = Callable[[UnitOfWork, UUID, Principal], Awaitable[DataSubjectSection]]


def data_subject_router(section: SectionUseCase) -> APIRouter:
    """``GET /api/v1/data-subject/{person_id}`` answering the service's ``section`` use case
    (which audits the read); admins only; 404 when the use case raises UnknownDataSubject."""
    router = APIRouter(prefix="/api/v1", tags=["data subject"])

    @router.get("/data-subject/{person_id}", response_model=DataSubjectSection)
    async def get_data_subject(
        person_id: UUID,
        principal: Annotated[Principal, Depends(require_roles("admin"))],
        work: Annotated[UnitOfWork, Depends(uow)],
    ) -> DataSubjectSection:
        """Everything this service holds about one person, every audited access to it and
        every partner it went to (GDPR art. 15); the read is audited."""
        try:
            return await section(work, person_id, principal)
        except UnknownDataSubject as exc:
            raise Problem(404, "Onbekende persoon", f"Geen persoon met id {person_id}.") from exc

    return router


@dataclass(frozen=True)
class SectionAnswer:
    """Another service's section, or why it is missing (then ``section`` is None)."""

    service: str
    section: DataSubjectSection | None
    missing: str | None = None


class SectionSource:
    """Fetches one service's section with the caller's own token (that service checks the
    role and audits the read as theirs). Never raises: a service that does not answer, or
    answers something else than its section, yields a SectionAnswer saying so."""

    def __init__(
        self,
        service: str,
        api_url: str | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.service = service
        self._url = api_url.rstrip("/") if api_url else None
        self._timeout = timeout
        self._transport = transport

    async def section(self, person_id: UUID, token: str | None) -> SectionAnswer:
        if self._url is None:
            return SectionAnswer(self.service, None, "het adres van deze dienst is niet ingesteld")
        if not token:
            return SectionAnswer(self.service, None, "geen toegangstoken om door te geven")
        try:
            async with httpx.AsyncClient(
                base_url=self._url,
                timeout=self._timeout,
                transport=self._transport,
                headers={"Authorization": f"Bearer {token}"},
            ) as http:
                answer = await http.get(f"/api/v1/data-subject/{person_id}")
        except httpx.HTTPError as exc:
            log.warning(
                "%s did not answer a data-subject read: %s", self.service, type(exc).__name__
            )
            return SectionAnswer(self.service, None, "de dienst antwoordde niet")
        if answer.status_code != 200:
            return SectionAnswer(
                self.service, None, f"de dienst antwoordde met status {answer.status_code}"
            )
        try:
            section = DataSubjectSection.model_validate(answer.json())
        except ValueError:
            return SectionAnswer(self.service, None, "de dienst gaf een onleesbaar antwoord")
        if (section.service, section.person_id) != (self.service, person_id):
            return SectionAnswer(self.service, None, "de dienst antwoordde over iets anders")
        return SectionAnswer(self.service, section)


async def sections_of(
    sources: Sequence[SectionSource], person_id: UUID, token: str | None
) -> list[SectionAnswer]:
    """Every source's answer, asked at once, in the order of ``sources``."""
    return list(await asyncio.gather(*(s.section(person_id, token) for s in sources)))
