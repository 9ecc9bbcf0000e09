"""Use cases on requests: receiving, the offer cascade, accepting, desk decisions, closing."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from asyncpg.exceptions import ExclusionViolationError, UniqueViolationError
from sqlalchemy.exc import IntegrityError

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork, UnitOfWorkFactory
from civic_common.events.contracts.tolken import (
    OfferAccepted,
    OfferDeclined,
    RequestAssigned,
    RequestCancelled,
    RequestCompleted,
    RequestOffered,
    RequestReceived,
    RequestUnfulfilled,
)
from tolken.adapters.registry import (
    AssignmentRepository,
    InterpreterRepository,
    Offer,
    OfferRepository,
    QueuePosition,
    RequestRepository,
    queue_position,
)
from tolken.adapters.repository import LanguageProfileRepository
from tolken.domain.interpreters import Interpreter
from tolken.domain.matching import Need, Proposal, Situation, busy_range, rank, refusals
from tolken.domain.policy import Policy
from tolken.domain.requests import (
    OPEN,
    DeclineReason,
    NotStartedYet,
    Request,
    Status,
    TransitionRefused,
    UnfulfilledCode,
)

NO_CANDIDATE = "geen beschikbare tolk gevonden vóór de aanvang of deadline"


def now() -> datetime:
    return datetime.now(UTC)


def _conflict(detail: str) -> Problem:
    return Problem(409, "Conflict", detail)


def _times(r: Request) -> dict[str, object]:
    return {
        "language": r.language,
        "modality": r.modality.value if r.modality else None,
        "starts_at": r.starts_at,
        "ends_at": r.ends_at,
    }


async def _locked(uow: UnitOfWork, request_id: UUID, organisation: str | None = None) -> Request:
    request = await RequestRepository(uow.session).get(request_id, lock=True)
    # A partner sees only its own organisation's requests: others do not exist for it.
    if request is None or (organisation is not None and request.organisation != organisation):
        raise Problem(404, "Niet gevonden", f"Geen aanvraag met id {request_id}.")
    return request


async def proposals(uow: UnitOfWork, request: Request, policy: Policy) -> list[Proposal]:
    """Eligible interpreters not asked before, best first: the least needed by the other open
    requests at the same time, then the highest score (``rank``)."""
    return (await proposals_of_many(uow, [request], policy))[request.id]


async def proposals_of_many(
    uow: UnitOfWork,
    found: list[Request],
    policy: Policy,
    asked: dict[UUID, frozenset[UUID]] | None = None,
) -> dict[UUID, list[Proposal]]:
    """``proposals`` of each request, in a fixed number of queries for all of them (``asked``:
    the interpreters asked before for each, when the caller read them already)."""
    buffer = timedelta(minutes=policy.travel_buffer_minutes)
    situations = await InterpreterRepository(uow.session).situations_of_many(found, buffer)
    wanted = [r for r in found if situations.get(r.id)]
    if not wanted:
        return {r.id: [] for r in found}
    if asked is None:
        asked = await OfferRepository(uow.session).asked_of_many([r.id for r in wanted])
    others = [
        Need.of(q, policy)
        for q in await RequestRepository(uow.session).open_at_the_same_time(wanted, buffer)
    ]
    ranked = {
        r.id: rank(r, situations[r.id], policy, exclude=asked[r.id], others=others) for r in wanted
    }
    return {r.id: ranked.get(r.id, []) for r in found}


async def _save(uow: UnitOfWork, request: Request) -> None:
    await RequestRepository(uow.session).save(request)


async def _offer_next(uow: UnitOfWork, request: Request, policy: Policy) -> Request:
    """Offer to the best candidate not asked yet; none left: back in the desk's queue."""
    found = await proposals(uow, request, policy)
    if not found:
        if request.status is Status.OFFERED:
            request = request.reopened()
            await _save(uow, request)
        return request
    best = found[0]
    _, asked = await OfferRepository(uow.session).asked(request.id)
    minutes = policy.urgent_offer_answer_minutes if request.urgent else policy.offer_answer_minutes
    at = now()
    offer = Offer(
        uuid4(),
        request.id,
        best.interpreter_id,
        asked + 1,
        "pending",
        best.why,
        at,
        min(at + timedelta(minutes=minutes), max(request.begins, at)),
    )
    await OfferRepository(uow.session).add(offer)
    request = request.offered()
    await _save(uow, request)
    await uow.publish(
        RequestOffered(
            request_id=request.id,
            offer_id=offer.id,
            interpreter_id=offer.interpreter_id,
            answer_by=offer.answer_by,
            **_times(request),
        ),
        key=request.id,
        sequence=request.version,
    )
    return request


async def receive(uow: UnitOfWork, request: Request, by: Principal, policy: Policy) -> bool:
    """Store a new request and start the cascade, inside the caller's transaction. False when
    it was there already (the same appointment again)."""
    if request.subject_category not in policy.subjects:
        raise Problem(
            422,
            "Ongeldige invoer",
            "Onbekend onderwerp.",
            errors=[{"field": "subject_category", "message": "onbekend onderwerp"}],
        )
    if not await RequestRepository(uow.session).add(request, by.subject):
        return False
    await uow.publish(
        RequestReceived(
            request_id=request.id,
            kind=request.kind.value,
            organisation=request.organisation,
            deadline=request.deadline,
            subject_category=request.subject_category,
            urgent=request.urgent,
            person_id=request.person_id,
            appointment_id=request.appointment_id,
            received_at=request.received_at,
            **_times(request),
        ),
        key=request.id,
        sequence=request.version,
    )
    if request.person_id is not None:
        await uow.audit(by, "create", "interpreting_request", request.id)
    await _offer_next(uow, request, policy)
    return True


async def submit_request(uow: UnitOfWork, request: Request, by: Principal, policy: Policy) -> None:
    async with uow:
        await receive(uow, request, by, policy)
        await uow.commit()


async def submit_partner_request(
    uow: UnitOfWork, request: Request, by: Principal, policy: Policy
) -> None:
    """A partner's own request may name a person only within the partner's scope: an
    inhabitant of the municipality its token names. An unknown person and one outside that
    scope get the same answer, so persons cannot be probed."""
    async with uow:
        if request.person_id is not None:
            profile = await LanguageProfileRepository(uow.session).get(request.person_id)
            if profile is None or not profile.in_scope_of(by.municipality):
                raise Problem(
                    422,
                    "Ongeldige invoer",
                    "Deze persoon is niet gekend binnen uw gemeente.",
                    errors=[{"field": "person_id", "message": "niet gekend binnen uw gemeente"}],
                )
        await receive(uow, request, by, policy)
        await uow.commit()


async def read_request(
    uow: UnitOfWork, request_id: UUID, by: Principal, organisation: str | None = None
) -> Request:
    async with uow:
        request = await RequestRepository(uow.session).get(request_id)
        if request is None or (organisation is not None and request.organisation != organisation):
            raise Problem(404, "Niet gevonden", f"Geen aanvraag met id {request_id}.")
        if request.person_id is not None:
            await uow.audit(by, "read", "interpreting_request", request_id)
        await uow.commit()
    return request


async def requests_of_organisation(
    uow: UnitOfWork, after: tuple[datetime, UUID] | None, limit: int, by: Principal
) -> list[Request]:
    """A partner's own requests, oldest first."""
    assert by.organisation is not None
    async with uow:
        found = await RequestRepository(uow.session).page_of_organisation(
            by.organisation, after, limit
        )
        for request in found:
            if request.person_id is not None:
                await uow.audit(by, "read", "interpreting_request", request.id, "partnerlijst")
        await uow.commit()
    return found


@dataclass(frozen=True)
class Declined:
    """An interpreter who declined the request's offer, and why (a DeclineReason code)."""

    name: str
    reason: DeclineReason | None


@dataclass(frozen=True)
class QueueItem:
    request: Request
    pending: Offer | None
    proposals: list[Proposal]
    pending_with: str | None = None  # the name of the interpreter holding the pending offer
    declined: tuple[Declined, ...] = ()  # who declined it before, and why


async def desk_queue(
    uow: UnitOfWork,
    language: str | None,
    day: date | None,
    policy: Policy,
    by: Principal,
    after: QueuePosition | None = None,
    limit: int = 50,
) -> tuple[list[QueueItem], QueuePosition | None]:
    """A page of open requests by day, urgent and soonest first within a day, each with its
    pending offer, who declined it and why, and its candidates; and the position the next
    page starts after (None: this was the last)."""
    async with uow:
        found = await RequestRepository(uow.session).open_queue(
            language, day, limit + 1, after=after
        )
        shown = found[:limit]
        answers = await OfferRepository(uow.session).of_requests([r.id for r in shown])
        asked = {
            r.id: frozenset(o.interpreter_id for o, _ in answers if o.request_id == r.id)
            for r in shown
        }
        candidates_of = await proposals_of_many(uow, shown, policy, asked)
        items = []
        for request in shown:
            mine = [(o, name) for o, name in answers if o.request_id == request.id]
            pending = next(((o, n) for o, n in mine if o.status == "pending"), None)
            declined = tuple(
                Declined(name, DeclineReason(o.decline_reason) if o.decline_reason else None)
                for o, name in mine
                if o.status == "declined"
            )
            candidates = candidates_of[request.id]
            items.append(
                QueueItem(
                    request,
                    pending[0] if pending else None,
                    candidates[: policy.candidates_shown],
                    pending[1] if pending else None,
                    declined,
                )
            )
            if request.person_id is not None:
                await uow.audit(by, "read", "interpreting_request", request.id, "wachtrij")
        await uow.commit()
    more = len(found) > limit
    return items, queue_position(shown[-1]) if more else None


@dataclass(frozen=True)
class AssignedItem:
    request: Request
    interpreter: str  # the assigned interpreter's name
    billable: bool  # whether cancelling it now would be billed


async def assigned_queue(
    uow: UnitOfWork, language: str | None, day: date | None, policy: Policy, by: Principal
) -> list[AssignedItem]:
    """Assigned requests by day, urgent and soonest first within a day, each with its
    interpreter and whether cancelling it now would be billed (the desk's "Toegewezen" view)."""
    at = now()
    async with uow:
        items = []
        found = await RequestRepository(uow.session).open_queue(
            language, day, 50, statuses=(Status.ASSIGNED,)
        )
        for request in found:
            assert request.interpreter_id is not None
            interpreter = await InterpreterRepository(uow.session).get(request.interpreter_id)
            billable = request.cancellation_billable(at, policy.free_cancellation_working_days)
            items.append(AssignedItem(request, interpreter.name if interpreter else "?", billable))
            if request.person_id is not None:
                await uow.audit(by, "read", "interpreting_request", request.id, "toegewezen")
        await uow.commit()
    return items


async def _reserve(
    uow: UnitOfWork, request: Request, interpreter_id: UUID, policy: Policy, by_desk: bool
) -> UUID:
    """Insert the assignment; the database refuses a second one or an overlapping booking.
    Inside a savepoint, so the caller's transaction survives a refusal."""
    busy = (
        busy_range(request.starts_at, request.ends_at, request.modality, policy)
        if request.starts_at is not None and request.ends_at is not None
        else None
    )
    assignment_id = uuid4()
    try:
        async with uow.session.begin_nested():
            await AssignmentRepository(uow.session).add(
                assignment_id, request, interpreter_id, busy, by_desk
            )
    except IntegrityError as exc:
        cause = getattr(exc.orig, "__cause__", None)
        if isinstance(cause, ExclusionViolationError):
            raise _conflict("Deze tolk is op dat moment al geboekt (reistijd inbegrepen).") from exc
        if isinstance(cause, UniqueViolationError):
            raise _conflict("Deze aanvraag is al toegewezen.") from exc
        raise
    return assignment_id


async def _assigned(
    uow: UnitOfWork, request: Request, assignment_id: UUID, interpreter_id: UUID, by_desk: bool
) -> Request:
    request = request.assigned(interpreter_id)
    await _save(uow, request)
    await uow.publish(
        RequestAssigned(
            request_id=request.id,
            assignment_id=assignment_id,
            interpreter_id=interpreter_id,
            deadline=request.deadline,
            by_desk=by_desk,
            **_times(request),
        ),
        key=request.id,
        sequence=request.version,
    )
    return request


async def _answer(
    uow: UnitOfWork,
    request: Request,
    offer: Offer,
    status: str,
    decline_reason: DeclineReason | None = None,
) -> Request:
    await OfferRepository(uow.session).answer(
        offer.id, status, now(), decline_reason.value if decline_reason else None
    )
    request = request.touched()
    await _save(uow, request)
    if status == "accepted":
        event: OfferAccepted | OfferDeclined = OfferAccepted(
            request_id=request.id, offer_id=offer.id, interpreter_id=offer.interpreter_id
        )
    else:
        event = OfferDeclined(
            request_id=request.id,
            offer_id=offer.id,
            interpreter_id=offer.interpreter_id,
            reason=status,
            decline_reason=decline_reason.value if decline_reason else None,
        )
    await uow.publish(event, key=request.id, sequence=request.version)
    return request


async def _own_offer(uow: UnitOfWork, offer_id: UUID, by: Principal) -> Offer:
    interpreter = await InterpreterRepository(uow.session).by_account(by.subject)
    offer = await OfferRepository(uow.session).get(offer_id)
    if offer is None or interpreter is None or offer.interpreter_id != interpreter.id:
        raise Problem(404, "Niet gevonden", f"Geen aanbod met id {offer_id}.")
    return offer


async def accept_offer(uow: UnitOfWork, offer_id: UUID, by: Principal, policy: Policy) -> Request:
    async with uow:
        offer = await _own_offer(uow, offer_id, by)
        request = await _locked(uow, offer.request_id)
        # Re-read under the request's lock: a timeout or the desk may have closed the offer.
        current = await OfferRepository(uow.session).get(offer_id)
        if current is None or current.status != "pending" or request.status not in OPEN:
            raise _conflict("Dit aanbod is niet meer open.")
        try:
            assignment_id = await _reserve(uow, request, offer.interpreter_id, policy, False)
        except Problem:
            # Booked elsewhere since the offer went out: withdraw it and ask the next candidate
            # now rather than at the answer deadline; the interpreter still hears 409.
            request = await _answer(uow, request, offer, "withdrawn")
            await _offer_next(uow, request, policy)
            await uow.commit()
            raise
        request = await _answer(uow, request, offer, "accepted")
        request = await _assigned(uow, request, assignment_id, offer.interpreter_id, False)
        await uow.commit()
    return request


async def decline_offer(
    uow: UnitOfWork,
    offer_id: UUID,
    by: Principal,
    policy: Policy,
    reason: DeclineReason | None = None,
) -> None:
    """The interpreter says no; ``reason`` from the closed list (the desk sees it, the event
    carries its code). The offer goes to the next candidate at once."""
    async with uow:
        offer = await _own_offer(uow, offer_id, by)
        request = await _locked(uow, offer.request_id)
        current = await OfferRepository(uow.session).get(offer_id)
        if current is None or current.status != "pending":
            raise _conflict("Dit aanbod is niet meer open.")
        request = await _answer(uow, request, offer, "declined", reason)
        await _offer_next(uow, request, policy)
        await uow.commit()


async def offers_of(uow: UnitOfWork, by: Principal) -> list[tuple[Offer, Request]]:
    async with uow:
        interpreter = await InterpreterRepository(uow.session).by_account(by.subject)
        if interpreter is None:
            return []
        found = []
        for offer in await OfferRepository(uow.session).for_interpreter(interpreter.id):
            request = await RequestRepository(uow.session).get(offer.request_id)
            assert request is not None
            found.append((offer, request))
    return found


async def agenda_of(uow: UnitOfWork, by: Principal, limit: int = 100) -> list[Request]:
    """The signed-in interpreter's assigned requests, soonest first ("Mijn opdrachten")."""
    async with uow:
        interpreter = await InterpreterRepository(uow.session).by_account(by.subject)
        if interpreter is None:
            return []
        found = await RequestRepository(uow.session).assigned_to(interpreter.id, limit)
        for request in found:
            if request.person_id is not None:
                await uow.audit(by, "read", "interpreting_request", request.id, "agenda")
        await uow.commit()
    return found


async def assign_by_desk(
    uow: UnitOfWork,
    request_id: UUID,
    interpreter_id: UUID,
    by: Principal,
    policy: Policy,
    *,
    reason: str | None = None,
) -> Request:
    """The desk books an interpreter itself (accepting a proposal or overriding it). The rules
    that protect the client still hold; the desk may go past the weekly pattern, the load and
    the regions, having agreed with the interpreter, but says why (kept in the audit log), and
    never past a double booking or a leave."""
    async with uow:
        request = await _locked(uow, request_id)
        if request.status not in OPEN:
            raise _conflict(f"Deze aanvraag is al {request.status.value}.")
        interpreter = await InterpreterRepository(uow.session).get(interpreter_id)
        if interpreter is None:
            raise Problem(
                422,
                "Ongeldige invoer",
                "Onbekende tolk.",
                errors=[{"field": "interpreter_id", "message": "onbekende tolk"}],
            )
        if blocking := _binding_refusals(request, interpreter, policy):
            raise Problem(
                422,
                "Tolk voldoet niet",
                "; ".join(blocking),
                errors=[{"field": "interpreter_id", "message": m} for m in blocking],
            )
        bent = _bent_refusals(request, interpreter, policy)
        if bent and not (reason or "").strip():
            message = f"{'; '.join(bent)}: zeg waarom u toch deze tolk kiest"
            raise Problem(
                422, "Reden vereist", message, errors=[{"field": "reason", "message": message}]
            )
        if (pending := await OfferRepository(uow.session).pending(request.id)) is not None:
            request = await _answer(uow, request, pending, "withdrawn")
        assignment_id = await _reserve(uow, request, interpreter_id, policy, True)
        request = await _assigned(uow, request, assignment_id, interpreter_id, True)
        why = f"afwijking: {'; '.join(bent)}; reden: {reason}" if bent else None
        await uow.audit(by, "assign", "interpreting_request", request.id, why)
        await uow.commit()
    return request


# What the desk may bend, having agreed with the interpreter (a double booking still fails when
# the assignment is reserved; a leave never bends).
BENDING = ("niet beschikbaar", "maximale belasting", "al geboekt", "werkt niet in")


def _binding_refusals(request: Request, interpreter: Interpreter, policy: Policy) -> list[str]:
    return [
        r for r in refusals(request, Situation(interpreter), policy) if not r.startswith(BENDING)
    ]


def _bent_refusals(request: Request, interpreter: Interpreter, policy: Policy) -> list[str]:
    return [r for r in refusals(request, Situation(interpreter), policy) if r.startswith(BENDING)]


async def cancellation_preview(
    uow: UnitOfWork, request_id: UUID, by: Principal, policy: Policy
) -> tuple[Request, bool]:
    """A request the desk is about to cancel, and whether cancelling now would be billed (the
    confirmation page warns before it happens)."""
    async with uow:
        request = await RequestRepository(uow.session).get(request_id)
        if request is None:
            raise Problem(404, "Niet gevonden", f"Geen aanvraag met id {request_id}.")
        if request.person_id is not None:
            await uow.audit(by, "read", "interpreting_request", request.id, "annuleren")
        await uow.commit()
    return request, request.cancellation_billable(now(), policy.free_cancellation_working_days)


async def cancel_request(
    uow: UnitOfWork,
    request_id: UUID,
    by: Principal,
    policy: Policy,
    organisation: str | None = None,
    reason: str | None = None,
) -> Request:
    """``reason``: the desk's words, kept in the audit log (never in the event)."""
    async with uow:
        request = await _locked(uow, request_id, organisation)
        interpreter_id = request.interpreter_id
        if (pending := await OfferRepository(uow.session).pending(request.id)) is not None:
            request = await _answer(uow, request, pending, "withdrawn")
        at = now()
        try:
            request = request.cancelled(at, policy.free_cancellation_working_days)
        except TransitionRefused as exc:
            raise _conflict(
                f"Een aanvraag die {request.status.value} is, kan niet meer geannuleerd worden."
            ) from exc
        await AssignmentRepository(uow.session).release(request.id, at)
        await _save(uow, request)
        await uow.publish(
            RequestCancelled(
                request_id=request.id,
                interpreter_id=interpreter_id,
                billable=bool(request.billable),
                cancelled_at=at,
            ),
            key=request.id,
            sequence=request.version,
        )
        await uow.audit(
            by, "cancel", "interpreting_request", request.id, f"reden: {reason}" if reason else None
        )
        await uow.commit()
    return request


async def complete_request(
    uow: UnitOfWork, request_id: UUID, actual_minutes: int, by: Principal
) -> Request:
    async with uow:
        request = await _locked(uow, request_id)
        try:
            request = request.completed(actual_minutes, now())
        except TransitionRefused as exc:
            raise _conflict("Alleen een toegewezen aanvraag kan afgerond worden.") from exc
        except NotStartedYet as exc:
            raise _conflict(f"Deze opdracht kan nog niet afgerond worden: ze {exc}.") from exc
        await _save(uow, request)
        assert request.interpreter_id is not None
        await uow.publish(
            RequestCompleted(
                request_id=request.id,
                interpreter_id=request.interpreter_id,
                actual_minutes=actual_minutes,
                completed_at=now(),
            ),
            key=request.id,
            sequence=request.version,
        )
        await uow.audit(by, "complete", "interpreting_request", request.id)
        await uow.commit()
    return request


async def _unfulfil(
    uow: UnitOfWork, request: Request, reason: str, code: UnfulfilledCode
) -> Request:
    """The desk's words stay on the request; the event carries only the code (thin events)."""
    if (pending := await OfferRepository(uow.session).pending(request.id)) is not None:
        request = await _answer(uow, request, pending, "withdrawn")
    request = request.unfulfilled(reason)
    await _save(uow, request)
    await uow.publish(
        RequestUnfulfilled(
            request_id=request.id,
            language=request.language,
            modality=request.modality.value if request.modality else None,
            reason=code,
        ),
        key=request.id,
        sequence=request.version,
    )
    return request


async def mark_unfulfilled(
    uow: UnitOfWork, request_id: UUID, reason: str, by: Principal
) -> Request:
    async with uow:
        request = await _locked(uow, request_id)
        if request.status not in OPEN:
            raise _conflict(f"Deze aanvraag is al {request.status.value}.")
        request = await _unfulfil(uow, request, reason, UnfulfilledCode.BY_DESK)
        await uow.audit(by, "unfulfilled", "interpreting_request", request.id)
        await uow.commit()
    return request


async def run_deadlines(uow_factory: UnitOfWorkFactory, policy: Policy) -> int:
    """The worker's timer: move expired offers on to the next candidate, and close requests
    whose start came without anyone assigned. One transaction per request."""
    handled = 0
    at = now()
    async with uow_factory() as uow:
        overdue = await OfferRepository(uow.session).overdue_requests(at, 100)
    for request_id in overdue:
        async with uow_factory() as uow:
            request = await RequestRepository(uow.session).get(request_id, lock=True)
            pending = await OfferRepository(uow.session).pending(request_id)
            if request is None or pending is None or pending.answer_by > at:
                continue  # answered meanwhile
            request = await _answer(uow, request, pending, "expired")
            await _offer_next(uow, request, policy)
            await uow.commit()
            handled += 1
    async with uow_factory() as uow:
        for request in await RequestRepository(uow.session).past_due(at, 100):
            await _unfulfil(uow, request, NO_CANDIDATE, UnfulfilledCode.NO_CANDIDATE)
            handled += 1
        await uow.commit()
    return handled
