"""Interpreters, requests, offers and assignments in the tolken schema."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, func, literal_column, not_, select, update
from sqlalchemy.dialects.postgresql import Range, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tolken.adapters.tables import assignments, interpreters, offers, requests
from tolken.domain.interpreters import (
    AvailabilityException,
    Certificate,
    Interpreter,
    Leave,
    Modality,
    Relation,
    Tier,
    WeeklyWindow,
)
from tolken.domain.matching import Booking, Situation
from tolken.domain.requests import Kind, Place, Request, Status

# ---------------------------------------------------------------- interpreters


def interpreter_values(i: Interpreter) -> dict[str, Any]:
    cert = i.certificate
    return {
        "version": i.version,
        "name": i.name,
        "account": i.account,
        "tier": i.tier.value,
        "certificate_number": cert.number if cert else None,
        "certificate_valid_from": cert.valid_from if cert else None,
        "certificate_valid_until": cert.valid_until if cert else None,
        "languages": sorted(i.languages),
        "modalities": sorted(m.value for m in i.modalities),
        "regions": sorted(i.regions),
        "latitude": i.latitude,
        "longitude": i.longitude,
        "travel_range_km": i.travel_range_km,
        "max_assignments_per_week": i.max_assignments_per_week,
        "weekly": [
            {"weekday": w.weekday, "start": w.start.isoformat(), "end": w.end.isoformat()}
            for w in i.weekly
        ],
        "exceptions": [
            {
                "starts_at": e.starts_at.isoformat(),
                "ends_at": e.ends_at.isoformat(),
                "available": e.available,
            }
            for e in i.exceptions
        ],
        "leave": [
            {"first_day": lv.first_day.isoformat(), "last_day": lv.last_day.isoformat()}
            for lv in i.leave
        ],
        "organisations": {org: rel.value for org, rel in i.organisations.items()},
        "active": i.active,
    }


def interpreter_of(row: Row[Any]) -> Interpreter:
    m = row._mapping
    cert = (
        Certificate(
            m["certificate_number"], m["certificate_valid_from"], m["certificate_valid_until"]
        )
        if m["certificate_number"]
        else None
    )
    return Interpreter(
        id=m["id"],
        name=m["name"],
        tier=Tier(m["tier"]),
        languages=frozenset(m["languages"]),
        modalities=frozenset(Modality(x) for x in m["modalities"]),
        regions=frozenset(m["regions"]),
        latitude=m["latitude"],
        longitude=m["longitude"],
        travel_range_km=m["travel_range_km"],
        max_assignments_per_week=m["max_assignments_per_week"],
        certificate=cert,
        weekly=tuple(
            WeeklyWindow(w["weekday"], time.fromisoformat(w["start"]), time.fromisoformat(w["end"]))
            for w in m["weekly"]
        ),
        exceptions=tuple(
            AvailabilityException(
                datetime.fromisoformat(e["starts_at"]),
                datetime.fromisoformat(e["ends_at"]),
                e["available"],
            )
            for e in m["exceptions"]
        ),
        leave=tuple(
            Leave(date.fromisoformat(lv["first_day"]), date.fromisoformat(lv["last_day"]))
            for lv in m["leave"]
        ),
        organisations={org: Relation(rel) for org, rel in m["organisations"].items()},
        account=m["account"],
        active=m["active"],
        version=m["version"],
    )


class InterpreterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, interpreter: Interpreter) -> None:
        await self._session.execute(
            insert(interpreters).values(id=interpreter.id, **interpreter_values(interpreter))
        )

    async def replace(self, interpreter: Interpreter, expected_version: int) -> bool:
        """Write the new state if nobody changed it since ``expected_version``."""
        result = await self._session.execute(
            update(interpreters)
            .where(interpreters.c.id == interpreter.id, interpreters.c.version == expected_version)
            .values(**interpreter_values(interpreter))
        )
        return result.rowcount == 1

    async def get(self, interpreter_id: UUID) -> Interpreter | None:
        row = (
            await self._session.execute(
                select(interpreters).where(interpreters.c.id == interpreter_id)
            )
        ).first()
        return interpreter_of(row) if row else None

    async def by_account(self, account: str) -> Interpreter | None:
        row = (
            await self._session.execute(
                select(interpreters).where(interpreters.c.account == account)
            )
        ).first()
        return interpreter_of(row) if row else None

    async def page(
        self, after: UUID | None, limit: int, language: str | None = None
    ) -> list[Interpreter]:
        query = select(interpreters).order_by(interpreters.c.id).limit(limit)
        if after is not None:
            query = query.where(interpreters.c.id > after)
        if language:
            query = query.where(interpreters.c.languages.contains([language]))
        return [interpreter_of(r) for r in (await self._session.execute(query)).all()]

    async def situations(self, request: Request, policy_buffer: timedelta) -> list[Situation]:
        """Every active interpreter of the request's language and modality, with what matching
        needs to know of them."""
        return (await self.situations_of_many([request], policy_buffer))[request.id]

    async def situations_of_many(
        self, found: list[Request], policy_buffer: timedelta
    ) -> dict[UUID, list[Situation]]:
        """``situations`` of each request, in four queries for all of them (a page of the
        desk's queue): the interpreters of their languages, their weekly loads, their bookings
        around the requests' times, and whom of their persons they served before."""
        if not found:
            return {}
        rows = (
            await self._session.execute(
                select(interpreters).where(
                    interpreters.c.active,
                    interpreters.c.languages.overlap(sorted({r.language for r in found})),
                )
            )
        ).all()
        mine = {
            r.id: [
                row
                for row in rows
                if r.language in row.languages
                and (r.modality is None or r.modality.value in row.modalities)
            ]
            for r in found
        }
        ids = sorted({row.id for chosen in mine.values() for row in chosen})
        if not ids:
            return {r.id: [] for r in found}
        mondays = {r.day - timedelta(days=r.day.weekday()) for r in found}
        week = func.date_trunc("week", assignments.c.day)
        loads = {
            (interpreter_id, monday.date() if isinstance(monday, datetime) else monday): n
            for interpreter_id, monday, n in (
                await self._session.execute(
                    select(assignments.c.interpreter_id, week, func.count())
                    .where(
                        assignments.c.interpreter_id.in_(ids),
                        assignments.c.released_at.is_(None),
                        assignments.c.day.between(min(mondays), max(mondays) + timedelta(days=6)),
                    )
                    .group_by(assignments.c.interpreter_id, week)
                )
            ).all()
        }
        timed = [r for r in found if r.starts_at is not None and r.ends_at is not None]
        booked: list[tuple[UUID, Booking]] = []
        if timed:
            window = Range(
                min(r.starts_at for r in timed) - policy_buffer,  # type: ignore[type-var]
                max(r.ends_at for r in timed) + policy_buffer,  # type: ignore[type-var]
            )
            booked = [
                (interpreter_id, Booking(busy.lower, busy.upper))
                for interpreter_id, busy in (
                    await self._session.execute(
                        select(assignments.c.interpreter_id, assignments.c.busy).where(
                            assignments.c.interpreter_id.in_(ids),
                            assignments.c.released_at.is_(None),
                            assignments.c.busy.op("&&")(window),
                        )
                    )
                ).all()
            ]
        persons = sorted({r.person_id for r in found if r.person_id is not None})
        served: set[tuple[UUID, UUID]] = set()
        if persons:
            served = {
                (person_id, interpreter_id)
                for person_id, interpreter_id in (
                    await self._session.execute(
                        select(assignments.c.person_id, assignments.c.interpreter_id).where(
                            assignments.c.person_id.in_(persons),
                            assignments.c.interpreter_id.in_(ids),
                        )
                    )
                ).all()
            }
        known = {row.id: interpreter_of(row) for row in rows}
        held: dict[UUID, list[Booking]] = {}
        for interpreter_id, booking in booked:
            held.setdefault(interpreter_id, []).append(booking)
        result = {}
        for r in found:
            monday = r.day - timedelta(days=r.day.weekday())
            around = None
            if r.starts_at is not None and r.ends_at is not None:
                around = (r.starts_at - policy_buffer, r.ends_at + policy_buffer)
            result[r.id] = [
                Situation(
                    known[row.id],
                    tuple(
                        b
                        for b in held.get(row.id, ())
                        if around is not None and b.starts_at < around[1] and around[0] < b.ends_at
                    ),
                    loads.get((row.id, monday), 0),
                    (r.person_id, row.id) in served,
                )
                for row in mine[r.id]
            ]
        return result


# ---------------------------------------------------------------- requests


def request_values(r: Request) -> dict[str, Any]:
    place = r.place
    return {
        "version": r.version,
        "kind": r.kind.value,
        "organisation": r.organisation,
        "language": r.language,
        "modality": r.modality.value if r.modality else None,
        "starts_at": r.starts_at,
        "ends_at": r.ends_at,
        "deadline": r.deadline,
        "municipality_nis": place.municipality_nis if place else None,
        "address": place.address if place else None,
        "latitude": place.latitude if place else None,
        "longitude": place.longitude if place else None,
        "region": place.region if place else None,
        "subject_category": r.subject_category,
        "urgent": r.urgent,
        "person_id": r.person_id,
        "appointment_id": r.appointment_id,
        "status": r.status.value,
        "interpreter_id": r.interpreter_id,
        "unfulfilled_reason": r.unfulfilled_reason,
        "cancelled_at": r.cancelled_at,
        "billable": r.billable,
        "actual_minutes": r.actual_minutes,
        "received_at": r.received_at,
    }


def request_of(row: Row[Any]) -> Request:
    m = row._mapping
    place = (
        Place(m["municipality_nis"], m["address"], m["latitude"], m["longitude"], m["region"])
        if m["municipality_nis"]
        else None
    )
    return Request(
        id=m["id"],
        kind=Kind(m["kind"]),
        organisation=m["organisation"],
        language=m["language"],
        subject_category=m["subject_category"],
        urgent=m["urgent"],
        received_at=m["received_at"],
        modality=Modality(m["modality"]) if m["modality"] else None,
        starts_at=m["starts_at"],
        ends_at=m["ends_at"],
        deadline=m["deadline"],
        place=place,
        person_id=m["person_id"],
        appointment_id=m["appointment_id"],
        status=Status(m["status"]),
        interpreter_id=m["interpreter_id"],
        unfulfilled_reason=m["unfulfilled_reason"],
        cancelled_at=m["cancelled_at"],
        billable=m["billable"],
        actual_minutes=m["actual_minutes"],
        version=m["version"],
    )


QueuePosition = tuple[date, bool, datetime, UUID]  # day, not urgent, moment, id


def _queue_keys() -> tuple[ColumnElement[Any], ...]:
    """The queue's order, as the indexes of migration 0007 spell it (the time zone a constant
    in the SQL, not a parameter, so a generic plan still matches the index expression)."""
    moment = func.coalesce(requests.c.starts_at, requests.c.deadline)
    day = func.date(func.timezone(literal_column("'Europe/Brussels'"), moment))
    return day, not_(requests.c.urgent), moment, requests.c.id


def queue_position(request: Request) -> QueuePosition:
    """Where ``request`` stands in the queue's order (a page's last row: the next page's start)."""
    return request.day, not request.urgent, request.begins, request.id


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, request: Request, created_by: str) -> bool:
        """False when a request for the same appointment exists already (a redelivery)."""
        result = await self._session.execute(
            insert(requests)
            .values(id=request.id, created_by=created_by, **request_values(request))
            .on_conflict_do_nothing(index_elements=[requests.c.appointment_id])
            .returning(requests.c.id)
        )
        return result.first() is not None

    async def get(self, request_id: UUID, *, lock: bool = False) -> Request | None:
        query = select(requests).where(requests.c.id == request_id)
        if lock:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        return request_of(row) if row else None

    async def save(self, request: Request) -> None:
        await self._session.execute(
            update(requests).where(requests.c.id == request.id).values(**request_values(request))
        )

    async def open_queue(
        self,
        language: str | None,
        day: date | None,
        limit: int,
        statuses: tuple[Status, ...] = (Status.RECEIVED, Status.OFFERED),
        after: "QueuePosition | None" = None,
    ) -> list[Request]:
        """Requests in ``statuses`` (by default the open ones) by day (Brussels), urgent first
        within a day, then soonest; ``after`` a position (``queue_position``) of an earlier
        page. For the open ones a partial index holds this order (migration 0007)."""
        keys = _queue_keys()
        query = (
            select(requests)
            .where(requests.c.status.in_([s.value for s in statuses]))
            .order_by(*keys)
            .limit(limit)
        )
        if language:
            query = query.where(requests.c.language == language)
        if day is not None:
            query = query.where(keys[0] == day)
        if after is not None:
            query = query.where(func.row(*keys) > func.row(*after))
        return [request_of(r) for r in (await self._session.execute(query)).all()]

    async def open_at_the_same_time(self, found: list[Request], buffer: timedelta) -> list[Request]:
        """The open requests (received, offered) whose time may overlap one of ``found``'s,
        travel buffers included: those competing for the same interpreters (``rank`` keeps
        the ones that overlap each request). One query for all of them."""
        timed = [r for r in found if r.starts_at is not None and r.ends_at is not None]
        if not timed:
            return []
        day = _queue_keys()[0]
        query = select(requests).where(
            requests.c.status.in_([Status.RECEIVED.value, Status.OFFERED.value]),
            day.between(
                min(r.day for r in timed) - timedelta(days=1),
                max(r.day for r in timed) + timedelta(days=1),
            ),
            requests.c.starts_at - 2 * buffer < max(r.ends_at for r in timed),  # type: ignore[type-var]
            requests.c.ends_at + 2 * buffer > min(r.starts_at for r in timed),  # type: ignore[type-var]
        )
        return [request_of(r) for r in (await self._session.execute(query)).all()]

    async def assigned_to(self, interpreter_id: UUID, limit: int) -> list[Request]:
        """An interpreter's assigned requests, soonest first (their agenda)."""
        query = (
            select(requests)
            .where(
                requests.c.interpreter_id == interpreter_id,
                requests.c.status == Status.ASSIGNED.value,
            )
            .order_by(func.coalesce(requests.c.starts_at, requests.c.deadline))
            .limit(limit)
        )
        return [request_of(r) for r in (await self._session.execute(query)).all()]

    async def page_of_organisation(
        self, organisation: str, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[Request]:
        query = (
            select(requests)
            .where(requests.c.organisation == organisation)
            .order_by(requests.c.received_at, requests.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(func.row(requests.c.received_at, requests.c.id) > func.row(*after))
        return [request_of(r) for r in (await self._session.execute(query)).all()]

    async def past_due(self, now: datetime, limit: int) -> list[Request]:
        """Open requests whose start or deadline has come: no one was found in time."""
        moment = func.coalesce(requests.c.starts_at, requests.c.deadline)
        query = (
            select(requests)
            .where(
                requests.c.status.in_([Status.RECEIVED.value, Status.OFFERED.value]),
                moment <= now,
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [request_of(r) for r in (await self._session.execute(query)).all()]


# ---------------------------------------------------------------- offers and assignments


@dataclass(frozen=True)
class Offer:
    id: UUID
    request_id: UUID
    interpreter_id: UUID
    rank: int
    status: str
    why: tuple[str, ...]
    offered_at: datetime
    answer_by: datetime
    decline_reason: str | None = None  # a DeclineReason code, when declined with one


def offer_of(row: Row[Any]) -> Offer:
    m = row._mapping
    return Offer(
        m["id"],
        m["request_id"],
        m["interpreter_id"],
        m["rank"],
        m["status"],
        tuple(m["why"]),
        m["offered_at"],
        m["answer_by"],
        m["decline_reason"],
    )


class OfferRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, offer: Offer) -> None:
        await self._session.execute(
            insert(offers).values(
                id=offer.id,
                request_id=offer.request_id,
                interpreter_id=offer.interpreter_id,
                rank=offer.rank,
                status=offer.status,
                why=list(offer.why),
                offered_at=offer.offered_at,
                answer_by=offer.answer_by,
            )
        )

    async def get(self, offer_id: UUID) -> Offer | None:
        row = (await self._session.execute(select(offers).where(offers.c.id == offer_id))).first()
        return offer_of(row) if row else None

    async def pending(self, request_id: UUID) -> Offer | None:
        row = (
            await self._session.execute(
                select(offers).where(
                    offers.c.request_id == request_id, offers.c.status == "pending"
                )
            )
        ).first()
        return offer_of(row) if row else None

    async def answer(
        self, offer_id: UUID, status: str, at: datetime, decline_reason: str | None = None
    ) -> None:
        await self._session.execute(
            update(offers)
            .where(offers.c.id == offer_id)
            .values(status=status, answered_at=at, decline_reason=decline_reason)
        )

    async def of_requests(self, request_ids: list[UUID]) -> list[tuple[Offer, str]]:
        """Every offer of these requests with the interpreter's name, in the order they went
        out (one query for a page of the desk's queue)."""
        if not request_ids:
            return []
        rows = (
            await self._session.execute(
                select(offers, interpreters.c.name)
                .join(interpreters, interpreters.c.id == offers.c.interpreter_id)
                .where(offers.c.request_id.in_(request_ids))
                .order_by(offers.c.offered_at)
            )
        ).all()
        return [(offer_of(r), r.name) for r in rows]

    async def asked(self, request_id: UUID) -> tuple[frozenset[UUID], int]:
        """Interpreters already asked for this request, and how many offers went out."""
        ids = (
            (
                await self._session.execute(
                    select(offers.c.interpreter_id).where(offers.c.request_id == request_id)
                )
            )
            .scalars()
            .all()
        )
        return frozenset(ids), len(ids)

    async def asked_of_many(self, request_ids: list[UUID]) -> dict[UUID, frozenset[UUID]]:
        """``asked`` of each request (the interpreters only), in one query."""
        found: dict[UUID, set[UUID]] = {r: set() for r in request_ids}
        if request_ids:
            for request_id, interpreter_id in (
                await self._session.execute(
                    select(offers.c.request_id, offers.c.interpreter_id).where(
                        offers.c.request_id.in_(request_ids)
                    )
                )
            ).all():
                found[request_id].add(interpreter_id)
        return {r: frozenset(ids) for r, ids in found.items()}

    async def for_interpreter(self, interpreter_id: UUID) -> list[Offer]:
        rows = (
            await self._session.execute(
                select(offers)
                .where(offers.c.interpreter_id == interpreter_id, offers.c.status == "pending")
                .order_by(offers.c.answer_by)
            )
        ).all()
        return [offer_of(r) for r in rows]

    async def overdue_requests(self, now: datetime, limit: int) -> list[UUID]:
        return list(
            (
                await self._session.execute(
                    select(offers.c.request_id)
                    .where(offers.c.status == "pending", offers.c.answer_by <= now)
                    .order_by(offers.c.answer_by)
                    .limit(limit)
                )
            ).scalars()
        )


class AssignmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        assignment_id: UUID,
        request: Request,
        interpreter_id: UUID,
        busy: tuple[datetime, datetime] | None,
        by_desk: bool,
    ) -> None:
        """Raises IntegrityError when the request is assigned already or the interpreter is
        booked for overlapping time: the constraints decide, not a prior read."""
        await self._session.execute(
            insert(assignments).values(
                id=assignment_id,
                request_id=request.id,
                interpreter_id=interpreter_id,
                person_id=request.person_id,
                day=request.day,
                busy=Range(*busy) if busy else None,
                by_desk=by_desk,
            )
        )

    async def release(self, request_id: UUID, at: datetime) -> None:
        await self._session.execute(
            update(assignments)
            .where(assignments.c.request_id == request_id, assignments.c.released_at.is_(None))
            .values(released_at=at)
        )


async def move_person(session: AsyncSession, person_id: UUID, into: UUID) -> None:
    """Re-point requests and assignments from a record merged away to the surviving record
    (continuity with the same interpreter follows the person)."""
    await session.execute(
        update(requests).where(requests.c.person_id == person_id).values(person_id=into)
    )
    await session.execute(
        update(assignments).where(assignments.c.person_id == person_id).values(person_id=into)
    )


async def forget_person(session: AsyncSession, person_id: UUID) -> None:
    """Unlink a person from requests and assignments (erasure): continuity is lost with it."""
    await session.execute(
        update(requests).where(requests.c.person_id == person_id).values(person_id=None)
    )
    await session.execute(
        update(assignments).where(assignments.c.person_id == person_id).values(person_id=None)
    )
