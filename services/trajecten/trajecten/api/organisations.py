"""Staff API for the organisation side: calls, candidacies and selection, trainings (vorming) and
learning and coaching trajectories. Every change names the version it edits (If-Match)."""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from civic_common.api.app import uow
from civic_common.api.etag import IfMatch
from civic_common.api.guard import GuardedModel, line, text
from civic_common.api.idempotency import idempotent
from civic_common.api.paging import CursorParam, Page, after_cursor, cursor_after
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import require_roles
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts.intake import OrganisationType, ParticipantRole
from civic_common.events.contracts.reporting import (
    CostLine,
    Evaluation,
    ParticipatingOrganisation,
    Region,
    Session,
)
from trajecten.api.staff import expected_version
from trajecten.app.organisations import (
    A,
    call_eligibility,
    change_recorded,
    create_call,
    create_recorded,
    decide_candidacy,
    list_candidacies,
    list_recorded,
    read_call,
    read_recorded,
)
from trajecten.domain.organisations import (
    Call,
    Candidacy,
    EligibilityDecision,
    OrganisationTrajectory,
    OrganisationTrajectoryStatus,
    Training,
    TrainingOutcome,
    TrainingStatus,
)
from trajecten.domain.templates import Eligibility, Template, shipped
from trajecten.domain.themes import theme_catalogue

router = APIRouter(prefix="/api/v1", tags=["organisations"])
BRUSSELS = ZoneInfo("Europe/Brussels")
Staff = Annotated[Principal, Depends(require_roles("counsellor", "admin"))]
Work = Annotated[UnitOfWork, Depends(uow)]
Names = Annotated[list[line(200, min_length=1)], Field(max_length=50)]  # type: ignore[misc]
Agencies = Annotated[
    list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,60}$")]],
    Field(min_length=1, max_length=20),
]
Title = line(300, min_length=1)
TemplateVersion = line(20, min_length=1)
# How many sessions, participating organisations and cost lines one training or organisation
# trajectory records: its event snapshot must stay far below Kafka's 1 MB message limit.
MAX_SESSIONS, MAX_PARTICIPANTS, MAX_COST_LINES = 100, 200, 100


class _In(GuardedModel):
    pass


def _answer(document: BaseModel, status_code: int = 200, **extra: Any) -> JSONResponse:
    body = document.model_dump(mode="json") | extra
    return JSONResponse(body, status_code=status_code, headers={"ETag": f'"{body["version"]}"'})


# --- calls and candidacies --------------------------------------------------------------------


class CallIn(_In):
    edition: str = Field(pattern=r"^\d{4}-\d{4}$")
    title: Title  # type: ignore[valid-type]
    agencies: Agencies
    opens_on: date
    closes_on: date
    template_version: TemplateVersion = "2019.1"  # type: ignore[valid-type]
    eligibility: Eligibility | None = Field(None, description="Defaults to the template's rules")


@router.post("/calls", status_code=201)
async def post_call(body: CallIn, request: Request, by: Staff, work: Work) -> Response:
    template = shipped().get("leer-en-coachingstraject", body.template_version)
    call = Call(
        id=uuid4(),
        **body.model_dump(exclude={"eligibility"}),
        eligibility=body.eligibility or template.eligibility or Eligibility(),
    )

    async def run() -> JSONResponse:
        return _answer(await create_call(work, call, by), 201)

    return await idempotent(request, by, work, run)


@router.get("/calls/{call_id}")
async def get_call(call_id: UUID, by: Staff, work: Work) -> JSONResponse:
    return _answer(await read_call(work, call_id, by), 200)


# Intake's counter asks before it submits a candidacy (with the counter's own token).
Assessor = Annotated[Principal, Depends(require_roles("counter", "counsellor", "admin"))]


@router.get("/calls/{call_id}/eligibility", response_model=EligibilityDecision)
async def get_call_eligibility(
    call_id: UUID,
    by: Assessor,
    work: Work,
    organisation_type: OrganisationType,
    staff_size: Annotated[int, Query(ge=0, le=1_000_000)],
    participant_role: Annotated[list[ParticipantRole], Query(min_length=1, max_length=10)],
    on: Annotated[
        date | None, Query(description="The day it applies (default: today in Brussels)")
    ] = None,
) -> EligibilityDecision:
    """Trajecten's decision whether an organisation may answer this call: the one rule intake
    shows and the candidacy's assessment applies. 404 for an unknown call."""
    return await call_eligibility(
        work,
        call_id,
        organisation_type=organisation_type,
        staff_size=staff_size,
        participant_roles=list(participant_role),
        on=on or datetime.now(BRUSSELS).date(),
    )


Cursor = CursorParam
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]


def _page(items: list[Any], limit: int) -> dict[str, Any]:
    last = items[-1].id if len(items) == limit else None
    return {
        "items": [i.model_dump(mode="json") for i in items],
        "next_cursor": after_cursor(last),
    }


@router.get("/candidacies", response_model=Page[Candidacy])
async def get_candidacies(
    by: Staff, work: Work, cursor: Cursor = None, limit: Limit = 50
) -> dict[str, Any]:
    return _page(await list_candidacies(work, cursor_after(cursor, UUID), limit, by), limit)


@router.get("/trainings", response_model=Page[Training])
async def get_trainings(
    by: Staff, work: Work, cursor: Cursor = None, limit: Limit = 50
) -> dict[str, Any]:
    return _page(await list_recorded(work, Training, cursor_after(cursor, UUID), limit), limit)


@router.get("/organisation-trajectories", response_model=Page[OrganisationTrajectory])
async def get_organisation_trajectories(
    by: Staff, work: Work, cursor: Cursor = None, limit: Limit = 50
) -> dict[str, Any]:
    found = await list_recorded(work, OrganisationTrajectory, cursor_after(cursor, UUID), limit)
    return _page(found, limit)


class DecisionIn(_In):
    selected: bool
    reason: text(2000, min_length=1)  # type: ignore[valid-type]
    organisation_trajectory_id: UUID | None = None


@router.post("/candidacies/{candidacy_id}/decision")
async def post_decision(candidacy_id: UUID, body: DecisionIn, by: Staff, work: Work) -> Candidacy:
    return await decide_candidacy(work, candidacy_id, **body.model_dump(), by=by)


# --- trainings and organisation trajectories --------------------------------------------------


class TrainingIn(_In):
    agencies: Agencies
    offer: Literal["open", "custom"]
    theme_code: str = Field(
        max_length=61, description="A code of the theme catalogue (GET /api/v1/training-themes)"
    )
    title: Title  # type: ignore[valid-type]
    description: text(5000) = ""  # type: ignore[valid-type]
    region: Region
    organisers: Names = Field(default_factory=list)
    external_partners: Names = Field(default_factory=list)
    ordered_by: UUID | None = None


class OrganisationTrajectoryIn(_In):
    call_id: UUID | None = None
    template_version: TemplateVersion = "2019.1"  # type: ignore[valid-type]
    edition: str = Field(pattern=r"^\d{4}-\d{4}$")
    agencies: Agencies
    partners: Names = Field(default_factory=list)
    region: Region
    goal: text(2000, min_length=1)  # type: ignore[valid-type]
    content: text(5000, min_length=1)  # type: ignore[valid-type]
    evaluation_criteria: Names = Field(default_factory=list)


def _training_out(t: Training, status_code: int = 200) -> JSONResponse:
    charge = t.charge(shipped())
    return _answer(
        t,
        status_code,
        charge_eur=None if charge is None else str(charge),
        theme_label=t.theme_label(theme_catalogue(t.theme_catalogue)),
    )


@router.get("/training-themes")
async def get_training_themes(by: Staff) -> dict[str, Any]:
    """The current theme catalogue: its version and the codes a training may be given."""
    themes = theme_catalogue()
    return {
        "version": themes.version,
        "valid_from": themes.valid_from.isoformat(),
        "themes": [
            {
                "code": t.code,
                "label": t.label,
                "valid_from": t.valid_from and t.valid_from.isoformat(),
                "valid_until": t.valid_until and t.valid_until.isoformat(),
            }
            for t in themes.themes
            if t.assignable
        ],
    }


@router.post("/trainings", status_code=201)
async def post_training(body: TrainingIn, request: Request, by: Staff, work: Work) -> Response:
    """A training with a theme from the catalogue (422 naming ``theme_code`` otherwise)."""
    themes = theme_catalogue()
    themes.assign(body.theme_code, datetime.now(BRUSSELS).date())  # UnknownTheme: 422

    async def run() -> JSONResponse:
        training = Training(id=uuid4(), theme_catalogue=themes.version, **body.model_dump())
        return _training_out(await create_recorded(work, training, by), 201)

    return await idempotent(request, by, work, run)


@router.get("/trainings/{training_id}")
async def get_training(training_id: UUID, by: Staff, work: Work) -> Response:
    return _training_out(await read_recorded(work, Training, training_id))


def _template_of(t: OrganisationTrajectory) -> Template:
    return shipped().get(t.template_kind, t.template_version)


def _trajectory_out(t: OrganisationTrajectory, status_code: int = 200) -> JSONResponse:
    """The stored state, and what each component allows now (``component_actions``)."""
    return _answer(t, status_code, component_actions=t.component_actions(_template_of(t)))


@router.post("/organisation-trajectories", status_code=201)
async def post_organisation_trajectory(
    body: OrganisationTrajectoryIn, request: Request, by: Staff, work: Work
) -> Response:
    """A learning and coaching trajectory; it tracks its template's components (all planned)."""
    template = shipped().get("leer-en-coachingstraject", body.template_version)

    async def run() -> JSONResponse:
        created = await create_recorded(
            work, OrganisationTrajectory.following(template, id=uuid4(), **body.model_dump()), by
        )
        return _trajectory_out(created, 201)

    return await idempotent(request, by, work, run)


@router.get("/organisation-trajectories/{trajectory_id}")
async def get_organisation_trajectory(trajectory_id: UUID, by: Staff, work: Work) -> Response:
    return _trajectory_out(await read_recorded(work, OrganisationTrajectory, trajectory_id))


class ComponentStepIn(_In):
    action: Literal["start", "complete"]
    on: date = Field(description="The day it started or was completed")


@router.post("/organisation-trajectories/{trajectory_id}/components/{code}")
async def post_organisation_trajectory_component(
    trajectory_id: UUID,
    code: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,60}$")],
    body: ComponentStepIn,
    by: Staff,
    work: Work,
    if_match: IfMatch = None,
) -> Response:
    """Starts or completes one component of the trajectory's template: a component starts once
    the ones it follows are completed, the learning network completes after its 5 sessions
    (422 naming the reason otherwise)."""
    version = expected_version(if_match)
    changed = await change_recorded(
        work,
        OrganisationTrajectory,
        trajectory_id,
        version,
        lambda t: t.advance_component(code, body.action, body.on, _template_of(t)),
        by,
    )
    return _trajectory_out(changed)


class StaffHoursIn(_In):
    hours: Decimal = Field(gt=0, le=10000, description="Staff effort to add, in hours")


class TrainingStatusIn(_In):
    status: TrainingStatus
    outcome: TrainingOutcome | None = None


class OrganisationTrajectoryStatusIn(_In):
    status: OrganisationTrajectoryStatus
    results: text(5000) | None = None  # type: ignore[valid-type]
    groups: int | None = Field(None, ge=0, le=100)


class SessionIn(_In):
    held_on: date
    half_days: int = Field(ge=1, le=10)
    place: line(200) | None = None  # type: ignore[valid-type]
    trainers: Names = Field(default_factory=list, description="Trainer names or firms")


class ParticipantsIn(_In):
    organisation_id: UUID | None = Field(None, description="Set when registered in intake")
    name: line(300, min_length=1)  # type: ignore[valid-type]
    organisation_type: OrganisationType
    participants: int = Field(ge=0, le=100_000)


class CostLineIn(_In):
    description: line(500, min_length=1)  # type: ignore[valid-type]
    amount_eur: Decimal = Field(ge=0, le=100_000_000, max_digits=12, decimal_places=2)
    borne_by: line(50, min_length=1) = Field(  # type: ignore[valid-type]
        description="Who bears it: an agency (agii, atlas, in-gent), vivo, …"
    )


class EvaluationIn(_In):
    invited: int = Field(ge=0, le=1_000_000)
    responded: int = Field(ge=0, le=1_000_000)
    satisfied: int = Field(
        ge=0, le=1_000_000, description="Respondents satisfied or very satisfied"
    )


def _room(present: list[Any], most: int, field: str) -> None:
    """Refuse one more of a bounded list (422 naming it): snapshots stay small."""
    if len(present) >= most:
        raise Problem(
            422,
            "Ongeldige invoer",
            f"Hoogstens {most} per activiteit.",
            errors=[{"field": field, "message": f"hoogstens {most}"}],
        )


def _add_session(a: Any, body: SessionIn) -> None:
    _room(a.sessions, MAX_SESSIONS, "sessions")
    a.add_session(Session.model_validate(body.model_dump()))


def _add_participants(a: Any, body: ParticipantsIn) -> None:
    key = body.organisation_id or body.name
    known = [p for p in a.participating_organisations if (p.organisation_id or p.name) != key]
    _room(known, MAX_PARTICIPANTS, "participating_organisations")
    a.add_participants(ParticipatingOrganisation.model_validate(body.model_dump()))


def _add_cost(a: Any, body: CostLineIn) -> None:
    _room(a.cost_lines, MAX_COST_LINES, "cost_lines")
    a.add_cost(CostLine.model_validate(body.model_dump()))


def _edits(kind: type[A], path: str, out: Callable[[A], JSONResponse] = _answer) -> None:
    """The same change endpoints for trainings and organisation trajectories."""

    async def apply(
        aggregate_id: UUID,
        change: Callable[[A], None],
        by: Principal,
        work: UnitOfWork,
        if_match: str | None,
        grows: str = "body",
    ) -> Response:
        version = expected_version(if_match)
        return out(await change_recorded(work, kind, aggregate_id, version, change, by, grows))

    @router.post(f"/{path}/{{aggregate_id}}/sessions", name=f"{path}-session")
    async def post_session(
        aggregate_id: UUID, body: SessionIn, by: Staff, work: Work, if_match: IfMatch = None
    ) -> Response:
        return await apply(
            aggregate_id, lambda a: _add_session(a, body), by, work, if_match, "sessions"
        )

    @router.post(f"/{path}/{{aggregate_id}}/participants", name=f"{path}-participants")
    async def post_participants(
        aggregate_id: UUID,
        body: ParticipantsIn,
        by: Staff,
        work: Work,
        if_match: IfMatch = None,
    ) -> Response:
        return await apply(
            aggregate_id,
            lambda a: _add_participants(a, body),
            by,
            work,
            if_match,
            "participating_organisations",
        )

    @router.post(f"/{path}/{{aggregate_id}}/cost-lines", name=f"{path}-cost")
    async def post_cost_line(
        aggregate_id: UUID, body: CostLineIn, by: Staff, work: Work, if_match: IfMatch = None
    ) -> Response:
        return await apply(
            aggregate_id, lambda a: _add_cost(a, body), by, work, if_match, "cost_lines"
        )

    @router.post(f"/{path}/{{aggregate_id}}/staff-hours", name=f"{path}-hours")
    async def post_staff_hours(
        aggregate_id: UUID, body: StaffHoursIn, by: Staff, work: Work, if_match: IfMatch = None
    ) -> Response:
        return await apply(
            aggregate_id, lambda a: a.add_staff_hours(body.hours), by, work, if_match
        )

    @router.post(f"/{path}/{{aggregate_id}}/evaluation", name=f"{path}-evaluation")
    async def post_evaluation(
        aggregate_id: UUID, body: EvaluationIn, by: Staff, work: Work, if_match: IfMatch = None
    ) -> Response:
        evaluation = Evaluation.model_validate(body.model_dump())
        return await apply(aggregate_id, lambda a: a.evaluate(evaluation), by, work, if_match)


_edits(Training, "trainings", _training_out)
_edits(OrganisationTrajectory, "organisation-trajectories", _trajectory_out)


@router.post("/trainings/{training_id}/status")
async def post_training_status(
    training_id: UUID, body: TrainingStatusIn, by: Staff, work: Work, if_match: IfMatch = None
) -> Response:
    version = expected_version(if_match)
    changed = await change_recorded(
        work,
        Training,
        training_id,
        version,
        lambda t: t.set_status(body.status, body.outcome),
        by,
    )
    return _training_out(changed)


@router.post("/organisation-trajectories/{trajectory_id}/status")
async def post_organisation_trajectory_status(
    trajectory_id: UUID,
    body: OrganisationTrajectoryStatusIn,
    by: Staff,
    work: Work,
    if_match: IfMatch = None,
) -> Response:
    version = expected_version(if_match)

    def change(t: OrganisationTrajectory) -> None:
        t.move_to(body.status, _template_of(t))
        if body.results is not None:
            t.results = body.results
        if body.groups is not None:
            t.groups = body.groups

    changed = await change_recorded(
        work, OrganisationTrajectory, trajectory_id, version, change, by
    )
    return _trajectory_out(changed)
