"""The data-subject access report (GDPR art. 15) of one person, for admins: JSON and PDF."""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from civic_common.api.app import uow
from civic_common.api.data_subject import DataSubjectSection, SectionSource, UnknownDataSubject
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from civic_common.web.pages import staff_token
from intake.adapters.report_pdf import to_pdf
from intake.app import roles
from intake.app.data_subject import DataSubjectReport, data_subject_report

Admin = Annotated[Principal, Depends(require_roles(*roles.DATA_SUBJECT_REPORTS))]
Work = Annotated[UnitOfWork, Depends(uow)]


class ReportSection(BaseModel):
    service: str
    answered: bool
    missing: str | None  # why the service's section is missing (answered is False)
    section: DataSubjectSection | None


class DataSubjectReportOut(BaseModel):
    person_id: UUID
    generated_at: datetime
    generated_by: str
    complete: bool  # False: at least one service's section is missing, and says why
    sections: list[ReportSection]

    @classmethod
    def of(cls, report: DataSubjectReport) -> "DataSubjectReportOut":
        return cls(
            person_id=report.person_id,
            generated_at=report.generated_at,
            generated_by=report.generated_by,
            complete=report.complete,
            sections=[
                ReportSection(
                    service=a.service,
                    answered=a.section is not None,
                    missing=a.missing,
                    section=a.section,
                )
                for a in report.sections
            ],
        )


def pdf_answer(report: DataSubjectReportOut) -> Response:
    return Response(
        to_pdf(report.model_dump(mode="json")),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="inzageverzoek-{report.person_id}.pdf"'
        },
    )


async def produce(
    request: Request,
    work: UnitOfWork,
    person_id: UUID,
    principal: Principal,
    sources: Sequence[SectionSource],
    form: str,
) -> DataSubjectReportOut:
    """The report with the caller's own token passed on to the other services; 404 for a
    person intake does not know."""
    try:
        report = await data_subject_report(
            work, person_id, principal, staff_token(request), sources, form
        )
    except UnknownDataSubject as exc:
        raise Problem(404, "Onbekende persoon", f"Geen persoon met id {person_id}.") from exc
    return DataSubjectReportOut.of(report)


def report_router(sources: Sequence[SectionSource]) -> APIRouter:
    """``sources``: the other services' sections (set at the composition root)."""
    router = APIRouter(prefix="/api/v1", tags=["persons"])

    @router.get("/persons/{person_id}/data-subject-report", response_model=DataSubjectReportOut)
    async def get_report(
        request: Request, person_id: UUID, principal: Admin, work: Work
    ) -> DataSubjectReportOut:
        """Everything the four services hold about the person, every audited access to it and
        every partner that received it, with when and under which basis (GDPR art. 15). A
        service that does not answer is named with why (``complete`` false). Audited."""
        return await produce(request, work, person_id, principal, sources, "json")

    @router.get(
        "/persons/{person_id}/data-subject-report.pdf",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}}},
    )
    async def get_report_pdf(
        request: Request, person_id: UUID, principal: Admin, work: Work
    ) -> Response:
        """The same report as a PDF, in Dutch."""
        return pdf_answer(await produce(request, work, person_id, principal, sources, "pdf"))

    return router
