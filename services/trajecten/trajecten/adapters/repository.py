"""Trajectories in the trajecten schema: the aggregate (trajectory + components) and its log.

Every read goes through the caller's visibility (domain/visibility.py): a repository is made for
one principal, and a trajectory of an agency they may not see is simply not found, exactly like
an unknown id, so other agencies' trajectories cannot be probed.
"""

from dataclasses import asdict, fields
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from civic_common.auth.principal import Principal
from trajecten.adapters.tables import (
    appointments,
    attest_numbers,
    components,
    partner_updates,
    trajectories,
    transitions,
)
from trajecten.domain.caseload import (
    NO_DEADLINE,
    CaseloadPosition,
    CaseloadQuery,
    due_window,
    parse_key,
)
from trajecten.domain.trajectory import (
    DONE,
    Change,
    Component,
    ComponentStatus,
    Trajectory,
    TrajectoryStatus,
)
from trajecten.domain.visibility import visibility

_TRAJECTORY_COLUMNS = [
    f.name for f in fields(Trajectory) if f.name not in ("components", "changes")
]
_OPEN_COMPONENT = components.c.status.not_in([str(s) for s in DONE])


class TrajectoryRepository:
    def __init__(self, session: AsyncSession, by: Principal) -> None:
        """Raises NoAgency for a staff principal without an agency, before anything is read."""
        self._session = session
        self._visibility = visibility(by.roles, by.organisation)

    def _visible(self) -> ColumnElement[bool]:
        agencies = self._visibility.agencies
        return true() if agencies is None else trajectories.c.agency.in_(sorted(agencies))

    def _visible_ids(self) -> Select[tuple[UUID]]:
        return select(trajectories.c.id).where(self._visible())

    async def add(self, trajectory: Trajectory) -> None:
        await self._session.execute(trajectories.insert(), [self._row(trajectory)])
        await self._session.execute(components.insert(), self._component_rows(trajectory))
        await self._save_changes(trajectory)

    async def get(self, trajectory_id: UUID, *, lock: bool = False) -> Trajectory | None:
        """``lock`` holds the row until commit: changes to one trajectory happen one at a time."""
        query = select(trajectories).where(trajectories.c.id == trajectory_id, self._visible())
        row = (await self._session.execute(query.with_for_update() if lock else query)).first()
        if row is None:
            return None
        return await self._load(row._mapping)

    async def save(self, trajectory: Trajectory) -> None:
        await self._session.execute(
            trajectories.update()
            .where(trajectories.c.id == trajectory.id)
            .values(**self._row(trajectory))
        )
        await self._save_components(trajectory)
        await self._save_changes(trajectory)

    async def for_person(self, person_id: UUID, *, lock: bool = False) -> list[Trajectory]:
        query = (
            select(trajectories)
            .where(trajectories.c.person_id == person_id, self._visible())
            .order_by(trajectories.c.opened_at, trajectories.c.id)
        )
        rows = await self._session.execute(query.with_for_update() if lock else query)
        return [await self._load(row) for row in rows.mappings().all()]

    async def erase_person(self, person_id: UUID) -> list[UUID]:
        """Delete the person's trajectories with their components, timeline, partner updates
        and appointments (erasure on request); returns the trajectories' ids."""
        ids = list(
            (
                await self._session.execute(
                    select(trajectories.c.id).where(trajectories.c.person_id == person_id)
                )
            ).scalars()
        )
        if ids:
            for table in (components, transitions, partner_updates, appointments):
                await self._session.execute(table.delete().where(table.c.trajectory_id.in_(ids)))
            await self._session.execute(trajectories.delete().where(trajectories.c.id.in_(ids)))
        return ids

    async def next_attest_number(self, prefix: str, year: int) -> str:
        number = await self._session.scalar(select(attest_numbers.next_value()))
        return f"{prefix}-{year}-{number:06d}"

    async def with_missed_deadlines(self, today: date, limit: int) -> list[UUID]:
        """Open trajectories of obligated persons with a required component past its deadline
        whose miss was not referred yet."""
        rows = await self._session.execute(
            select(components.c.trajectory_id)
            .join(trajectories, trajectories.c.id == components.c.trajectory_id)
            .where(
                trajectories.c.status == str(TrajectoryStatus.OPEN),
                trajectories.c.target_group == "obligated",
                components.c.required,
                _OPEN_COMPONENT,
                components.c.deadline < today,
                components.c.referred_deadline.is_distinct_from(components.c.deadline),
                self._visible(),
            )
            .distinct()
            .limit(limit)
        )
        return list(rows.scalars())

    async def incoming(self, limit: int) -> list[dict[str, Any]]:
        """Transferred trajectories not taken up yet by the agency they came to."""
        rows = await self._session.execute(
            select(
                trajectories.c.id.label("trajectory_id"),
                trajectories.c.person_id,
                trajectories.c.kind,
                trajectories.c.municipality_nis,
                trajectories.c.transferred_from,
                trajectories.c.version,
            )
            .where(trajectories.c.transferred_from.is_not(None), self._visible())
            .order_by(trajectories.c.opened_at, trajectories.c.id)
            .limit(limit)
        )
        return [dict(row) for row in rows.mappings().all()]

    async def worklist(self, until: date, limit: int) -> list[dict[str, Any]]:
        """Open required components due up to ``until`` (overdue ones included), soonest first."""
        rows = await self._session.execute(
            select(
                trajectories.c.id.label("trajectory_id"),
                trajectories.c.person_id,
                trajectories.c.municipality_nis,
                trajectories.c.target_group,
                components.c.code,
                components.c.status,
                components.c.deadline,
            )
            .join(components, trajectories.c.id == components.c.trajectory_id)
            .where(
                trajectories.c.status == str(TrajectoryStatus.OPEN),
                components.c.required,
                _OPEN_COMPONENT,
                components.c.deadline <= until,
                self._visible(),
            )
            .order_by(components.c.deadline, trajectories.c.id, components.c.position)
            .limit(limit)
        )
        return [dict(row) for row in rows.mappings()]

    async def caseload(
        self,
        actor: str,
        query: CaseloadQuery,
        today: date,
        after: CaseloadPosition | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Trajectories for "Mijn dossiers" (domain/caseload.py): each with the earliest
        deadline of its open required components (None: nothing due). ``after`` continues a
        page; ValueError when its key does not fit ``query.sort``."""
        next_deadline = (
            select(func.min(components.c.deadline))
            .where(
                components.c.trajectory_id == trajectories.c.id,
                components.c.required,
                _OPEN_COMPONENT,
            )
            .scalar_subquery()
        )
        deadline = func.coalesce(next_deadline, literal(NO_DEADLINE))
        rows = select(
            trajectories.c.id.label("trajectory_id"),
            trajectories.c.person_id,
            trajectories.c.kind,
            trajectories.c.status,
            trajectories.c.municipality_nis,
            trajectories.c.agency,
            trajectories.c.opened_at,
            trajectories.c.version,
            next_deadline.label("next_deadline"),
        ).where(self._visible())
        if query.mine:
            rows = rows.where(
                exists().where(
                    transitions.c.trajectory_id == trajectories.c.id, transitions.c.actor == actor
                )
            )
        if query.status is not None:
            rows = rows.where(trajectories.c.status == str(query.status))
        if query.agency is not None:
            rows = rows.where(trajectories.c.agency == query.agency)
        if query.due is not None:
            start, until = due_window(today)
            rows = rows.where(
                trajectories.c.status == str(TrajectoryStatus.OPEN),
                next_deadline < start
                if query.due == "overdue"
                else next_deadline.between(start, until),
            )
        key, descending = {
            "deadline": (deadline, False),
            "opened": (trajectories.c.opened_at, True),
            "status": (trajectories.c.status, False),
        }[query.sort]
        if after is not None:
            at = parse_key(query.sort, after.key)
            beyond = key < at if descending else key > at
            rows = rows.where(or_(beyond, and_(key == at, trajectories.c.id > after.id)))
        rows = rows.order_by(key.desc() if descending else key, trajectories.c.id).limit(limit)
        return [dict(row) for row in (await self._session.execute(rows)).mappings()]

    async def timeline(self, trajectory_id: UUID) -> list[dict[str, Any]]:
        rows = await self._session.execute(
            select(transitions)
            .where(
                transitions.c.trajectory_id == trajectory_id,
                transitions.c.trajectory_id.in_(self._visible_ids()),
            )
            .order_by(transitions.c.sequence, transitions.c.id)
        )
        return [dict(row) for row in rows.mappings()]

    async def last_change(self, trajectory_id: UUID) -> Change | None:
        """The timeline's last entry (of a trajectory the caller may see)."""
        row = (
            await self._session.execute(
                select(transitions)
                .where(
                    transitions.c.trajectory_id == trajectory_id,
                    transitions.c.trajectory_id.in_(self._visible_ids()),
                )
                .order_by(transitions.c.sequence.desc(), transitions.c.id.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        return Change.of(row._mapping)

    async def partner_updates(self, trajectory_id: UUID) -> list[dict[str, Any]]:
        rows = await self._session.execute(
            select(partner_updates)
            .where(
                partner_updates.c.trajectory_id == trajectory_id,
                partner_updates.c.trajectory_id.in_(self._visible_ids()),
            )
            .order_by(partner_updates.c.received_at)
        )
        return [dict(row) for row in rows.mappings()]

    async def record_partner_update(
        self, trajectory_id: UUID, organisation: str, kind: str, payload: dict[str, Any], at: Any
    ) -> None:
        await self._session.execute(
            partner_updates.insert().values(
                id=uuid4(),
                trajectory_id=trajectory_id,
                organisation=organisation,
                kind=kind,
                payload=payload,
                received_at=at,
            )
        )

    async def add_appointment(self, **values: Any) -> None:
        await self._session.execute(appointments.insert().values(**values))

    @staticmethod
    def _row(trajectory: Trajectory) -> dict[str, Any]:
        return {name: getattr(trajectory, name) for name in _TRAJECTORY_COLUMNS}

    async def _load(self, row: Any) -> Trajectory:
        trajectory = Trajectory(**{name: row[name] for name in _TRAJECTORY_COLUMNS})
        trajectory.status = TrajectoryStatus(trajectory.status)
        found = await self._session.execute(
            select(components)
            .where(components.c.trajectory_id == trajectory.id)
            .order_by(components.c.position)
        )
        for c in found.mappings():
            trajectory.components.append(
                Component(
                    code=c["code"],
                    required=c["required"],
                    deadline=c["deadline"],
                    status=ComponentStatus(c["status"]),
                    hours=c["hours"],
                    result=c["result"],
                    cefr_level=c["cefr_level"],
                    provider=c["provider"],
                    referred_deadline=c["referred_deadline"],
                )
            )
        return trajectory

    @staticmethod
    def _component_rows(trajectory: Trajectory) -> list[dict[str, Any]]:
        return [
            asdict(c) | {"trajectory_id": trajectory.id, "position": i, "status": str(c.status)}
            for i, c in enumerate(trajectory.components)
        ]

    async def _save_components(self, trajectory: Trajectory) -> None:
        if not trajectory.components:
            return
        rows = self._component_rows(trajectory)
        statement = insert(components).values(rows)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[components.c.trajectory_id, components.c.code],
                set_={
                    name: statement.excluded[name]
                    for name in rows[0]
                    if name not in ("trajectory_id", "code")
                },
            )
        )

    async def _save_changes(self, trajectory: Trajectory) -> None:
        if not trajectory.changes:
            return
        await self._session.execute(
            transitions.insert(),
            [
                {
                    "trajectory_id": trajectory.id,
                    "sequence": c.sequence,
                    "action": c.action,
                    "component": c.component,
                    "from_status": c.from_status,
                    "to_status": c.to_status,
                    "actor": c.actor,
                    "at": c.at,
                    "reason": c.reason,
                    "details": c.details,
                }
                for c in trajectory.changes
            ],
        )
