"""Use cases on person trajectories: each loads the aggregate under a row lock, applies one
command through the state machine, stores the timeline and publishes one event per change, all
in one transaction (nothing half-applied).

Every use case makes its repository for the principal acting, so staff only ever load their own
agency's trajectories (domain/visibility.py); event handlers and timers act as SYSTEM."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID

from civic_common.auth.principal import SYSTEM, Principal
from civic_common.db.uow import UnitOfWork
from civic_common.events.contracts import EventData, PersonRegistered, TrajectoryOpened
from civic_common.events.contracts.intake import (
    PersonCorrected,
    PersonErased,
    PersonMerged,
    PersonTransferred,
)
from civic_common.events.contracts.trajecten import (
    ComponentCompleted,
    ComponentExempted,
    ComponentFailed,
    ComponentStarted,
    DeadlineMissed,
    TrajectoryCompleted,
    TrajectoryResumed,
    TrajectoryStopped,
    TrajectorySuspended,
)
from civic_common.events.envelope import Envelope
from trajecten.adapters.repository import TrajectoryRepository
from trajecten.app.subscriptions import forget_partner_data, move_partner_data
from trajecten.domain.caseload import CaseloadPosition, CaseloadQuery
from trajecten.domain.templates import Template, shipped
from trajecten.domain.trajectory import (
    INBURGERING,
    Change,
    ReasonCode,
    Refused,
    Trajectory,
    opens_trajectory,
)
from trajecten.domain.visibility import agency_code

Command = Callable[[Trajectory, Template], None]


class TrajectoryNotFound(LookupError):
    def __init__(self, trajectory_id: UUID) -> None:
        super().__init__(f"geen traject met id {trajectory_id}")


class StaleVersion(Exception):
    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"het traject is intussen gewijzigd (versie {current}, niet {expected})")
        self.current = current


def now() -> datetime:
    return datetime.now(UTC)


async def on_person_registered(uow: UnitOfWork, event: PersonRegistered, _: Envelope) -> None:
    """Opens an integration trajectory unless intake found the person outside the target group
    (in the consumer's transaction: inbox, change and outbox commit together)."""
    if opens_trajectory(event.target_group):
        await _open_for_intake(uow, event, event.registered_at)


async def _open_for_intake(
    uow: UnitOfWork, event: PersonRegistered | PersonCorrected, at: datetime
) -> None:
    """The integration trajectory intake's event asks for, for the agency it names (None: no
    agency known, admins only until a transfer names one)."""
    trajectory = Trajectory.open(
        shipped().latest(INBURGERING),
        person_id=event.person_id,
        municipality_nis=event.municipality_nis,
        opened_at=at,
        target_group=event.target_group,
        actor="intake",
        agency=event.agency,
    )
    await _store_new(uow, trajectory, SYSTEM)


async def on_person_transferred(uow: UnitOfWork, event: PersonTransferred, _: Envelope) -> None:
    """Every trajectory of the person moves to the new agency, each with a timeline entry (in the
    consumer's transaction; the inbox makes a redelivery a no-op, and so does the domain)."""
    repository = TrajectoryRepository(uow.session, SYSTEM)
    for trajectory in await repository.for_person(event.person_id, lock=True):
        trajectory.transfer(event.to_agency, "intake", event.transferred_at)
        await repository.save(trajectory)


async def on_person_merged(uow: UnitOfWork, event: PersonMerged, _: Envelope) -> None:
    """Moves every trajectory of the record merged away, open or closed, to the surviving
    record, each with a timeline entry, and what is kept for partners with them (in the
    consumer's transaction). When both records have an open trajectory of the same kind, both
    stay open and both timelines flag the other, for the counsellor to stop one."""
    repository = TrajectoryRepository(uow.session, SYSTEM)
    ids = sorted([event.person_id, event.into])  # lock in one order
    held = {pid: await repository.for_person(pid, lock=True) for pid in ids}
    moving, staying = held[event.person_id], held[event.into]
    for trajectory in moving:
        twins = [
            t
            for t in staying
            if not t.closed and not trajectory.closed and t.kind == trajectory.kind
        ]
        trajectory.move_to_person(event.into, "intake", event.merged_at, [t.id for t in twins])
        if twins:  # the survivor's facts as its trajectory holds them (intake's correction may
            latest = twins[-1]  # come before or after this event; then it corrects all)
            trajectory.correct(
                municipality_nis=latest.municipality_nis,
                target_group=latest.target_group,
                actor="intake",
                at=event.merged_at,
            )
        await repository.save(trajectory)
        for twin in twins:
            twin.flag_duplicate(trajectory.id, "intake", event.merged_at)
            await repository.save(twin)
    await move_partner_data(uow, event.person_id, event.into)


async def on_person_corrected(uow: UnitOfWork, event: PersonCorrected, _: Envelope) -> None:
    """The person's open trajectories follow the corrected municipality and target group, each
    change on the timeline (in the consumer's transaction). A person intake now places in the
    target group who had no trajectory gets one, for the agency of their case."""
    repository = TrajectoryRepository(uow.session, SYSTEM)
    found = await repository.for_person(event.person_id, lock=True)
    for trajectory in found:
        if trajectory.correct(
            municipality_nis=event.municipality_nis,
            target_group=event.target_group,
            actor="intake",
            at=event.corrected_at,
        ):
            await repository.save(trajectory)
    if not found and event.target_group is not None and opens_trajectory(event.target_group):
        await _open_for_intake(uow, event, event.corrected_at)


async def on_person_erased(uow: UnitOfWork, event: PersonErased, _: Envelope) -> None:
    """Erasure on request: the person's trajectories and everything kept for partners about
    them go, and each partner that received their data gets an erasure notice
    (docs/services/trajecten.md); counts already made elsewhere stay."""
    trajectory_ids = await TrajectoryRepository(uow.session, SYSTEM).erase_person(event.person_id)
    await forget_partner_data(uow, event.person_id, trajectory_ids, event.erased_at)


async def open_trajectory(
    uow: UnitOfWork,
    *,
    person_id: UUID,
    kind: str,
    template_version: str,
    municipality_nis: str,
    target_group: str | None,
    job_seeker: bool,
    by: Principal,
) -> Trajectory:
    """A counsellor opens a trajectory by hand (UnknownTemplate for an unknown version), for
    the agency their token names."""
    agency = agency_code(by.organisation)
    template = shipped().get(kind, template_version)
    trajectory = Trajectory.open(
        template,
        person_id=person_id,
        municipality_nis=municipality_nis,
        opened_at=now(),
        target_group=target_group,
        actor=by.subject,
        agency=agency,
        job_seeker=job_seeker,
    )
    async with uow:
        await _store_new(uow, trajectory, by)
        await uow.audit(by, "create", "trajectory", trajectory.id)
        await uow.commit()
    return trajectory


async def _store_new(uow: UnitOfWork, trajectory: Trajectory, by: Principal) -> None:
    await TrajectoryRepository(uow.session, by).add(trajectory)
    await uow.publish(
        TrajectoryOpened(
            trajectory_id=trajectory.id,
            person_id=trajectory.person_id,
            kind=trajectory.kind,
            template_version=trajectory.template_version,
            opened_at=trajectory.opened_at,
            municipality_nis=trajectory.municipality_nis,
        ),
        key=trajectory.id,
        sequence=trajectory.version,
    )


async def change_trajectory(
    uow: UnitOfWork,
    trajectory_id: UUID,
    command: Command,
    by: Principal,
    *,
    expected_version: int | None = None,
) -> Trajectory:
    """Apply ``command``; when it leaves every required component done, issue the attest."""
    async with uow:
        trajectory = await apply_in(uow, trajectory_id, command, by, expected_version)
        await uow.commit()
    return trajectory


async def correct_last_reason(
    uow: UnitOfWork,
    trajectory_id: UUID,
    reason: str,
    by: Principal,
    *,
    expected_version: int | None = None,
) -> Trajectory:
    """Correct the words of the timeline's last entry (Trajectory.correct_reason); no event:
    the words never leave the timeline."""
    async with uow:
        repository = TrajectoryRepository(uow.session, by)
        trajectory = await repository.get(trajectory_id, lock=True)
        if trajectory is None:
            raise TrajectoryNotFound(trajectory_id)
        if expected_version is not None and expected_version != trajectory.version:
            raise StaleVersion(expected_version, trajectory.version)
        last = await repository.last_change(trajectory_id)
        if last is None:
            raise Refused("dit traject heeft nog geen tijdlijn")
        trajectory.correct_reason(last, reason, by.subject, now())
        await repository.save(trajectory)
        await uow.audit(by, "update", "trajectory", trajectory.id)
        await uow.commit()
    return trajectory


async def apply_in(
    uow: UnitOfWork,
    trajectory_id: UUID,
    command: Command,
    by: Principal,
    expected_version: int | None = None,
) -> Trajectory:
    """The body of a change inside an open unit of work (partners add their own record)."""
    repository = TrajectoryRepository(uow.session, by)
    trajectory = await repository.get(trajectory_id, lock=True)
    if trajectory is None:
        raise TrajectoryNotFound(trajectory_id)
    if expected_version is not None and expected_version != trajectory.version:
        raise StaleVersion(expected_version, trajectory.version)
    template = shipped().get(trajectory.kind, trajectory.template_version)
    command(trajectory, template)
    if trajectory.changes and trajectory.ready_for_attest() and template.attest_prefix:
        at = trajectory.changes[-1].at
        number = await repository.next_attest_number(template.attest_prefix, at.year)
        trajectory.issue_attest(number, "system", at)
    await repository.save(trajectory)
    for change in trajectory.changes:
        if (event := _event_of(trajectory, change)) is not None:
            await uow.publish(event, key=trajectory.id, sequence=change.sequence)
    await uow.audit(by, "update", "trajectory", trajectory.id)
    return trajectory


def _code(c: Change) -> str:
    """The reason's code for the event; the staff member's words stay on the timeline."""
    return str(c.details.get("reason_code", ReasonCode.OTHER))


def _event_of(t: Trajectory, c: Change) -> EventData | None:
    common = {"trajectory_id": t.id, "person_id": t.person_id, "occurred_at": c.at}
    if c.component is not None:
        part = common | {"component": c.component}
        component = t.component(c.component)
        match c.action:
            case "start":
                return ComponentStarted(**part, actor=c.actor)
            case "complete":
                return ComponentCompleted(
                    **part,
                    actor=c.actor,
                    result=component.result,
                    cefr_level=component.cefr_level,
                    hours=component.hours or None,
                )
            case "fail":
                return ComponentFailed(
                    **part, actor=c.actor, result=component.result, cefr_level=component.cefr_level
                )
            case "exempt":
                return ComponentExempted(**part, actor=c.actor, reason=_code(c))
            case "deadline_missed":
                return DeadlineMissed(
                    **part,
                    deadline=date.fromisoformat(c.details["deadline"]),
                    municipality_nis=t.municipality_nis,
                )
        return None  # hours and outcomes below the target are on the timeline only
    match c.action:
        case "suspend":
            return TrajectorySuspended(**common, actor=c.actor, reason=_code(c))
        case "resume":
            return TrajectoryResumed(**common, actor=c.actor, reason=_code(c))
        case "stop":
            return TrajectoryStopped(**common, actor=c.actor, reason=_code(c))
        case "complete":
            return TrajectoryCompleted(
                **common,
                actor=c.actor,
                attest_number=t.attest_number or "",
                kind=t.kind,
                template_version=t.template_version,
                municipality_nis=t.municipality_nis,
            )
    return None  # "open" was published as TrajectoryOpened; job-seeker flags stay internal


async def refer_missed_deadlines(uow: UnitOfWork, today: date, batch: int = 100) -> int:
    """The worker's timer: one referral event per missed deadline of an obligated person.
    Handles up to ``batch`` trajectories; returns how many referrals it made."""
    referred = 0
    async with uow:
        repository = TrajectoryRepository(uow.session, SYSTEM)
        for trajectory_id in await repository.with_missed_deadlines(today, batch):
            trajectory = await repository.get(trajectory_id, lock=True)
            if trajectory is None:
                continue
            missed = trajectory.refer_missed_deadlines(today, now())
            await repository.save(trajectory)
            for change in trajectory.changes:
                if (event := _event_of(trajectory, change)) is not None:
                    await uow.publish(event, key=trajectory.id, sequence=change.sequence)
            referred += len(missed)
        await uow.commit()
    return referred


async def trajectories_of(uow: UnitOfWork, person_id: UUID, by: Principal) -> list[Trajectory]:
    async with uow:
        found = await TrajectoryRepository(uow.session, by).for_person(person_id)
        await uow.audit(by, "read", "person.trajectories", person_id)
        await uow.commit()
    return found


async def trajectory_view(
    uow: UnitOfWork, trajectory_id: UUID, by: Principal
) -> tuple[Trajectory, list[dict], list[dict]]:
    """A trajectory with its timeline and partner updates (an audited read)."""
    async with uow:
        repository = TrajectoryRepository(uow.session, by)
        trajectory = await repository.get(trajectory_id)
        if trajectory is None:
            raise TrajectoryNotFound(trajectory_id)
        timeline = await repository.timeline(trajectory_id)
        updates = await repository.partner_updates(trajectory_id)
        await uow.audit(by, "read", "trajectory", trajectory_id)
        await uow.commit()
    return trajectory, timeline, updates


async def incoming_transfers(uow: UnitOfWork, by: Principal) -> list[dict]:
    """Cases transferred to the caller's agency that nobody took up yet."""
    async with uow:
        rows = await TrajectoryRepository(uow.session, by).incoming(limit=500)
        await uow.audit(by, "read", "trajectory.incoming", "transfers")
        await uow.commit()
    return rows


async def worklist(uow: UnitOfWork, today: date, until: date, by: Principal) -> list[dict]:
    async with uow:
        rows = await TrajectoryRepository(uow.session, by).worklist(until, limit=500)
        await uow.audit(by, "read", "trajectory.worklist", today.isoformat())
        await uow.commit()
    for row in rows:
        row["overdue"] = row["deadline"] < today
    return rows


async def caseload(
    uow: UnitOfWork,
    query: CaseloadQuery,
    today: date,
    after: CaseloadPosition | None,
    limit: int,
    by: Principal,
) -> list[dict]:
    """ "Mijn dossiers" (domain/caseload.py), an audited read; each row says whether it is
    overdue. ValueError when ``after`` does not fit the query's sort."""
    async with uow:
        rows = await TrajectoryRepository(uow.session, by).caseload(
            by.subject, query, today, after, limit
        )
        await uow.audit(by, "read", "trajectory.caseload", today.isoformat())
        await uow.commit()
    for row in rows:
        row["overdue"] = row["next_deadline"] is not None and row["next_deadline"] < today
    return rows
