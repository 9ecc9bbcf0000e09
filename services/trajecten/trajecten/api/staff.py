"""Staff API for trajectory counsellors: /api/v1/trajectories and the worklist."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from civic_common.api.app import uow
from civic_common.api.etag import IfMatch
from civic_common.api.etag import expected_version as version_in
from civic_common.api.guard import GuardedModel, Instant, line, text
from civic_common.api.idempotency import idempotent
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from trajecten.app import appointments
from trajecten.app.trajectories import (
    Command,
    change_trajectory,
    incoming_transfers,
    open_trajectory,
    trajectories_of,
    trajectory_view,
    worklist,
)
from trajecten.domain.templates import Cefr, Template, shipped
from trajecten.domain.trajectory import ReasonCode, Trajectory

router = APIRouter(prefix="/api/v1", tags=["trajectories"])
Counsellor = Annotated[Principal, Depends(require_roles("counsellor", "admin"))]
Work = Annotated[UnitOfWork, Depends(uow)]
Reason = text(1000, min_length=1)


class _In(GuardedModel):
    pass


class ComponentOut(BaseModel):
    code: str
    status: str
    required: bool
    deadline: date | None
    hours: Decimal
    result: str | None
    cefr_level: str | None
    provider: str | None
    allowed: list[str]


class TrajectoryOut(BaseModel):
    id: UUID
    version: int
    person_id: UUID
    kind: str
    template_version: str
    status: str
    municipality_nis: str
    opened_at: datetime
    target_group: str | None = None
    job_seeker: bool = False
    attest_number: str | None = None
    agency: str | None = Field(None, description="The agency whose case this is (org code)")
    allowed: list[str] = Field(default_factory=list, description="Allowed trajectory actions")
    components: list[ComponentOut] = Field(default_factory=list)

    @classmethod
    def of(cls, t: Trajectory) -> "TrajectoryOut":
        template = shipped().get(t.kind, t.template_version)
        return cls(
            **{name: getattr(t, name) for name in cls.model_fields if hasattr(t, name)}
            | {
                "allowed": t.allowed_actions(),
                "components": [
                    ComponentOut.model_validate(
                        vars(c) | {"allowed": t.allowed_actions(c.code, template)}
                    )
                    for c in t.components
                ],
            }
        )


def expected_version(if_match: str | None) -> int:
    """Changes must name the version they were based on (optimistic concurrency)."""
    return version_in(if_match, what="het traject")


def with_etag(t: Trajectory, status_code: int = 200) -> JSONResponse:
    return JSONResponse(
        TrajectoryOut.of(t).model_dump(mode="json"),
        status_code=status_code,
        headers={"ETag": f'"{t.version}"', "Location": f"/api/v1/trajectories/{t.id}"},
    )


@router.get("/trajectories")
async def list_trajectories(
    person_id: UUID,
    principal: Annotated[Principal, Depends(require_roles("counsellor", "counter", "admin"))],
    work: Work,
) -> list[TrajectoryOut]:
    return [TrajectoryOut.of(t) for t in await trajectories_of(work, person_id, principal)]


class OpenIn(_In):
    person_id: UUID
    kind: Literal["inburgeringstraject"] = "inburgeringstraject"  # person templates only
    template_version: line(20, min_length=1)  # type: ignore[valid-type]
    municipality_nis: str = Field(pattern=r"^\d{5}$")
    target_group: Literal["obligated", "entitled"] | None = None
    job_seeker: bool = False


@router.post("/trajectories", status_code=201, response_model=TrajectoryOut)
async def post_trajectory(
    body: OpenIn, request: Request, principal: Counsellor, work: Work
) -> Response:
    async def run() -> JSONResponse:
        opened = await open_trajectory(work, **body.model_dump(), by=principal)
        return with_etag(opened, 201)

    return await idempotent(request, principal, work, run)


@router.get("/trajectories/{trajectory_id}", response_model=TrajectoryOut)
async def get_trajectory(trajectory_id: UUID, principal: Counsellor, work: Work) -> Response:
    trajectory, _, _ = await trajectory_view(work, trajectory_id, principal)
    return with_etag(trajectory)


class TimelineEntry(BaseModel):
    sequence: int
    action: str
    component: str | None
    from_status: str
    to_status: str
    actor: str
    at: datetime
    reason: str | None
    details: dict


@router.get("/trajectories/{trajectory_id}/timeline")
async def get_timeline(
    trajectory_id: UUID, principal: Counsellor, work: Work
) -> list[TimelineEntry]:
    _, timeline, _ = await trajectory_view(work, trajectory_id, principal)
    return [TimelineEntry.model_validate(row) for row in timeline]


class TrajectoryTransitionIn(_In):
    action: Literal["suspend", "resume", "stop"]
    reason: Reason = Field(  # type: ignore[valid-type]
        description="The staff member's own words; kept on the timeline only"
    )
    reason_code: ReasonCode | None = Field(
        None,
        description="What goes into the event: suspend (illness, pregnancy, work, education, "
        "stay_abroad, family, other), resume (suspension_ended, other), stop (moved, "
        "left_belgium, deceased, no_longer_obliged, non_cooperation, other); default: other "
        "(resume: suspension_ended)",
    )


@router.post("/trajectories/{trajectory_id}/transitions", response_model=TrajectoryOut)
async def post_trajectory_transition(
    trajectory_id: UUID,
    body: TrajectoryTransitionIn,
    principal: Counsellor,
    work: Work,
    if_match: IfMatch = None,
) -> Response:
    version = expected_version(if_match)

    def command(t: Trajectory, _: Template) -> None:
        move = getattr(t, body.action)
        at = datetime.now().astimezone()
        if body.reason_code is None:
            move(body.reason, principal.subject, at)
        else:
            move(body.reason, principal.subject, at, body.reason_code)

    changed = await change_trajectory(
        work, trajectory_id, command, principal, expected_version=version
    )
    return with_etag(changed)


class ComponentTransitionIn(_In):
    action: Literal["start", "complete", "fail", "exempt"]
    reason: Reason | None = None  # type: ignore[valid-type]
    reason_code: ReasonCode = Field(
        ReasonCode.OTHER,
        description="exempt only, what goes into the event: prior_qualification, medical, other",
    )

    @model_validator(mode="after")
    def _exemption_needs_reason(self) -> "ComponentTransitionIn":
        if self.action == "exempt" and not self.reason:
            raise ValueError("een vrijstelling vraagt een reden (veld reason)")
        return self


@router.post(
    "/trajectories/{trajectory_id}/components/{code}/transitions", response_model=TrajectoryOut
)
async def post_component_transition(
    trajectory_id: UUID,
    code: Annotated[str, Path(max_length=50)],
    body: ComponentTransitionIn,
    principal: Counsellor,
    work: Work,
    if_match: IfMatch = None,
) -> Response:
    version = expected_version(if_match)
    actor, at = principal.subject, datetime.now().astimezone()

    def command(t: Trajectory, template: Template) -> None:
        match body.action:
            case "start":
                t.start(template, code, actor, at)
            case "complete":
                t.complete(template, code, actor, at)
            case "fail":
                t.fail(code, actor, at, body.reason)
            case "exempt":
                t.exempt(code, body.reason or "", actor, at, body.reason_code)

    changed = await change_trajectory(
        work, trajectory_id, command, principal, expected_version=version
    )
    return with_etag(changed)


class ProgressIn(_In):
    """One result: hours attended, a test result, or an outcome."""

    hours: Decimal | None = Field(None, ge=0, le=2000)
    passed: bool | None = None
    cefr_level: Cefr | None = None
    outcome: line(100, min_length=1) | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> "ProgressIn":
        kinds = [self.hours is not None, self.passed is not None, self.outcome is not None]
        if sum(kinds) != 1:
            raise ValueError("geef precies één van: hours, passed (met cefr_level), outcome")
        return self


@router.post(
    "/trajectories/{trajectory_id}/components/{code}/progress", response_model=TrajectoryOut
)
async def post_progress(
    trajectory_id: UUID,
    code: Annotated[str, Path(max_length=50)],
    body: ProgressIn,
    principal: Counsellor,
    work: Work,
    if_match: IfMatch = None,
) -> Response:
    version = expected_version(if_match)
    changed = await change_trajectory(
        work,
        trajectory_id,
        record_progress(code, body, principal.subject),
        principal,
        expected_version=version,
    )
    return with_etag(changed)


def record_progress(code: str, body: ProgressIn, actor: str) -> Command:
    at = datetime.now().astimezone()

    def command(t: Trajectory, template: Template) -> None:
        if body.hours is not None:
            t.record_hours(template, code, body.hours, actor, at)
        elif body.passed is not None:
            t.record_test(template, code, body.passed, body.cefr_level, actor, at)
        elif body.outcome is not None:
            t.record_outcome(template, code, body.outcome, actor, at)

    return command


class AppointmentIn(_In):
    starts_at: Instant = Field(description="With a time zone; naive times are refused")
    ends_at: Instant = Field(description="With a time zone; naive times are refused")
    municipality_nis: str = Field(pattern=r"^\d{5}$")
    location: line(300) | None = None  # type: ignore[valid-type]
    subject_category: line(100, min_length=1) = "trajectbegeleiding"  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _ends_after_start(self) -> "AppointmentIn":
        # both are aware and in UTC (Instant), so they compare
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at moet na starts_at liggen")
        return self


@router.post("/trajectories/{trajectory_id}/appointments", status_code=201)
async def post_appointment(
    trajectory_id: UUID,
    body: AppointmentIn,
    request: Request,
    principal: Counsellor,
    work: Work,
) -> Response:
    async def run() -> JSONResponse:
        appointment_id = uuid4()
        await appointments.schedule(
            work, trajectory_id, appointment_id, by=principal, **body.model_dump()
        )
        return JSONResponse(
            {"id": str(appointment_id), "trajectory_id": str(trajectory_id)},
            status_code=201,
        )

    return await idempotent(request, principal, work, run)


class WorkItem(BaseModel):
    trajectory_id: UUID
    person_id: UUID
    municipality_nis: str
    target_group: str | None
    code: str
    status: str
    deadline: date
    overdue: bool


@router.get("/worklist")
async def get_worklist(
    principal: Counsellor,
    work: Work,
    days: Annotated[int, Query(ge=0, le=365)] = 10,
) -> list[WorkItem]:
    """Overdue components and those due within ``days`` calendar days."""
    today = date.today()
    rows = await worklist(work, today, today + timedelta(days=days), principal)
    return [WorkItem.model_validate(row) for row in rows]


class IncomingTransfer(BaseModel):
    trajectory_id: UUID
    person_id: UUID
    kind: str
    municipality_nis: str
    transferred_from: str
    version: int


@router.get("/transfers/incoming")
async def get_incoming_transfers(principal: Counsellor, work: Work) -> list[IncomingTransfer]:
    """Cases transferred to the caller's agency that no counsellor has taken up yet."""
    rows = await incoming_transfers(work, principal)
    return [IncomingTransfer.model_validate(row) for row in rows]


@router.post("/trajectories/{trajectory_id}/take-up", response_model=TrajectoryOut)
async def post_take_up(
    trajectory_id: UUID,
    principal: Counsellor,
    work: Work,
    if_match: IfMatch = None,
) -> Response:
    """Take a transferred case up: it leaves the incoming list (on the timeline, audited)."""
    version = expected_version(if_match)

    def command(t: Trajectory, _: Template) -> None:
        t.take_up(principal.subject, datetime.now().astimezone())

    changed = await change_trajectory(
        work, trajectory_id, command, principal, expected_version=version
    )
    return with_etag(changed)
