"""The partner edge: NT2 providers and VDAB post their updates under /partners/v1.

Until partner client credentials exist (issue 8), a partner calls with a bearer token holding
role counsellor or admin and an ``org`` claim naming the partner organisation. A partner only
updates the components it took on (first enrolment claims them).
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field, model_validator

from civic_common.api.app import uow
from civic_common.api.guard import GuardedModel
from civic_common.api.idempotency import idempotent
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_partner_scope
from civic_common.db.uow import UnitOfWork
from trajecten.api.subscriptions import Rules
from trajecten.app.partners import apply_partner_update, partner_actor
from trajecten.domain.templates import Cefr, Template
from trajecten.domain.trajectory import Trajectory

router = APIRouter(prefix="/partners/v1", tags=["partners"])
Work = Annotated[UnitOfWork, Depends(uow)]
_roles = require_partner_scope("trajecten.updates")


async def partner(principal: Annotated[Principal, Depends(_roles)]) -> Principal:
    if not principal.organisation:
        raise Problem(403, "Geen partner", "Het token vermeldt geen partnerorganisatie (org).")
    return principal


async def vdab(principal: Annotated[Principal, Depends(partner)], rules: Rules) -> Principal:
    if principal.organisation not in rules.vdab_organisations:
        raise Problem(403, "Geen toegang", "Alleen VDAB meldt werkzoekenden en uitkomsten.")
    return principal


Partner = Annotated[Principal, Depends(partner)]
Vdab = Annotated[Principal, Depends(vdab)]
# Applied under the trajectory's row lock with the partner's name and the time of receipt.
PartnerCommand = Callable[[Trajectory, Template, str, datetime], None]


def not_in_future(value: date) -> date:
    if value > date.today():
        raise ValueError("de datum ligt in de toekomst")
    return value


PastDate = Annotated[date, AfterValidator(not_in_future)]


class _In(GuardedModel):
    trajectory_id: UUID


class Accepted(BaseModel):
    trajectory_id: UUID
    version: int
    trajectory_status: str
    component: str
    component_status: str


async def _apply(
    request: Request,
    work: UnitOfWork,
    by: Principal,
    body: _In,
    kind: str,
    component: str,
    command: PartnerCommand,
) -> Response:
    actor, at = partner_actor(by), datetime.now(UTC)

    def run_command(t: Trajectory, template: Template) -> None:
        command(t, template, actor, at)

    async def run() -> JSONResponse:
        changed = await apply_partner_update(
            work,
            body.trajectory_id,
            kind,
            body.model_dump(mode="json"),
            run_command,
            by,
        )
        accepted = Accepted(
            trajectory_id=changed.id,
            version=changed.version,
            trajectory_status=changed.status,
            component=component,
            component_status=changed.component(component).status,
        )
        return JSONResponse(
            accepted.model_dump(mode="json"), headers={"ETag": f'"{changed.version}"'}
        )

    return await idempotent(request, by, work, run)


class EnrolmentIn(_In):
    component: Literal["nt2_course"] = "nt2_course"
    course_level: Cefr
    starts_on: date


@router.post("/nt2/enrolments", response_model=Accepted)
async def post_enrolment(body: EnrolmentIn, request: Request, by: Partner, work: Work) -> Response:
    def command(t: Trajectory, template: Template, actor: str, at: datetime) -> None:
        t.claim(body.component, by.organisation or "")
        t.start(template, body.component, actor, at)

    return await _apply(request, work, by, body, "nt2.enrolment", body.component, command)


class AttendanceIn(_In):
    component: Literal["nt2_course"] = "nt2_course"
    hours: Decimal = Field(gt=0, le=500, description="Hours attended in the period")
    period_from: date
    period_to: PastDate

    @model_validator(mode="after")
    def _in_order(self) -> "AttendanceIn":
        if self.period_to < self.period_from:
            raise ValueError("period_to ligt voor period_from")
        return self


@router.post("/nt2/attendance", response_model=Accepted)
async def post_attendance(
    body: AttendanceIn, request: Request, by: Partner, work: Work
) -> Response:
    def command(t: Trajectory, template: Template, actor: str, at: datetime) -> None:
        t.claim(body.component, by.organisation or "")
        t.record_hours(template, body.component, body.hours, actor, at)

    return await _apply(request, work, by, body, "nt2.attendance", body.component, command)


class TestResultIn(_In):
    component: Literal["nt2_test"] = "nt2_test"
    passed: bool
    cefr_level: Cefr
    tested_on: PastDate


@router.post("/nt2/test-results", response_model=Accepted)
async def post_test_result(
    body: TestResultIn, request: Request, by: Partner, work: Work
) -> Response:
    def command(t: Trajectory, template: Template, actor: str, at: datetime) -> None:
        t.claim(body.component, by.organisation or "")
        t.record_test(template, body.component, body.passed, body.cefr_level, actor, at)

    return await _apply(request, work, by, body, "nt2.test-result", body.component, command)


VDAB_REFERRAL = "vdab_referral"


class JobSeekerIn(_In):
    registered_on: PastDate


@router.post("/vdab/job-seekers", response_model=Accepted)
async def post_job_seeker(body: JobSeekerIn, request: Request, by: Vdab, work: Work) -> Response:
    def command(t: Trajectory, template: Template, actor: str, at: datetime) -> None:
        t.claim(VDAB_REFERRAL, by.organisation or "")
        t.register_job_seeker(actor, at)
        t.apply_job_seeker_rule(template)
        t.start(template, VDAB_REFERRAL, actor, at)

    return await _apply(request, work, by, body, "vdab.job-seeker", VDAB_REFERRAL, command)


class OutcomeIn(_In):
    outcome: Literal[
        "employed", "in_training", "work_trajectory_completed", "not_available", "dropped_out"
    ]
    on: PastDate


@router.post("/vdab/outcomes", response_model=Accepted)
async def post_outcome(body: OutcomeIn, request: Request, by: Vdab, work: Work) -> Response:
    def command(t: Trajectory, template: Template, actor: str, at: datetime) -> None:
        t.claim(VDAB_REFERRAL, by.organisation or "")
        t.record_outcome(template, VDAB_REFERRAL, body.outcome, actor, at)

    return await _apply(request, work, by, body, "vdab.outcome", VDAB_REFERRAL, command)
