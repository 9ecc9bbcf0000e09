"""Dutch pages: the interpreter desk's queue and an interpreter's own offers."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from civic_common.api.app import runtime_of, uow
from civic_common.api.paging import MAX_CURSOR, cursor_position, encode_cursor, unknown_cursor
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.web.formats import language_code, language_name, languages
from civic_common.web.pages import install_pages, page_principal, page_templates
from tolken.adapters.registry import InterpreterRepository, QueuePosition
from tolken.api.models import policy
from tolken.app.requests import (
    QueueItem,
    accept_offer,
    agenda_of,
    assign_by_desk,
    assigned_queue,
    cancel_request,
    cancellation_preview,
    decline_offer,
    desk_queue,
    offers_of,
)
from tolken.domain.interpreters import BRUSSELS
from tolken.domain.matching import MODALITY_NL
from tolken.domain.policy import Policy
from tolken.domain.requests import DECLINE_REASON_NL, DeclineReason

templates = page_templates(Path(__file__).parent / "templates", "Tolken")
templates.env.globals["modality_nl"] = MODALITY_NL
templates.env.filters["moment"] = lambda d: (
    d.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M") if d else ""
)
router = APIRouter(include_in_schema=False)
Desk = Annotated[Principal, Depends(page_principal("interpreter_desk"))]
Own = Annotated[Principal, Depends(page_principal("interpreter"))]
Work = Annotated[UnitOfWork, Depends(uow)]
Rules = Annotated[Policy, Depends(policy)]


def install(app: FastAPI, offer_stream_seconds: float = 3.0) -> None:
    install_pages(app, templates)
    app.state.offer_stream_seconds = offer_stream_seconds


def _back(path: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


@router.get("/", response_class=HTMLResponse)
async def home(
    principal: Annotated[Principal, Depends(page_principal("interpreter_desk", "interpreter"))],
) -> Response:
    """Each signed-in user to their own page."""
    mine = "/tolkendesk" if "interpreter_desk" in principal.roles else "/mijn-aanbiedingen"
    return RedirectResponse(mine, status_code=303)


@router.get("/tolkendesk", response_class=HTMLResponse)
async def desk(
    request: Request,
    principal: Desk,
    work: Work,
    rules: Rules,
    taal: str = "",
    datum: str = "",
    cursor: str = "",
    melding: str = "",
    fout: str = "",
) -> Response:
    """The open requests grouped by day (Brussels), a page at a time; the filters travel with
    the next page's link and with every action."""
    errors, language, day = _desk_filters(taal, datum)
    after = None
    try:
        after = _queue_after(cursor)
    except Problem:  # not a cursor of this queue: show the first page, and say so
        fout = fout or "Deze pagina van de wachtrij bestaat niet (meer); dit is de eerste."
    items: list[QueueItem] = []
    position = None
    if not errors:
        items, position = await desk_queue(
            work, language, day, rules, principal, after, DESK_PAGE_SIZE
        )
    days: dict[date, list[QueueItem]] = {}
    for item in items:
        days.setdefault(item.request.day, []).append(item)
    others: dict[str, list[tuple[UUID, str]]] = {}
    async with work:
        for asked in {i.request.language for i in items}:
            others[asked] = [
                (i.id, i.name)
                for i in await InterpreterRepository(work.session).page(None, 200, asked)
            ]
    next_query = None
    if position is not None:
        next_query = urlencode(_filters(taal, datum) | {"cursor": _queue_cursor(position)})
    return templates.TemplateResponse(
        request,
        "desk.html",
        {
            "days": days,
            "others": others,
            "next_query": next_query,
            "cursor": cursor if after is not None else "",
            "first_query": urlencode(_filters(taal, datum)) if after is not None else None,
            "decline_nl": DECLINE_REASON_NL,
            **_filter_context(taal, language, datum, errors, melding, fout),
        },
        status_code=422 if errors else 200,
    )


DESK_PAGE_SIZE = 10  # requests per page of the desk's queue (each with its candidates)
QUEUE_CURSOR = {"d": str, "u": int, "at": datetime, "id": UUID}


def _queue_cursor(position: QueuePosition) -> str:
    day, not_urgent, moment, request_id = position
    return encode_cursor(
        {"d": day.isoformat(), "u": int(not_urgent), "at": moment.isoformat(), "id": request_id}
    )


def _queue_after(cursor: str) -> QueuePosition | None:
    """The queue position a page link's cursor holds; Problem (422) when it is not one."""
    found = cursor_position(cursor or None, QUEUE_CURSOR)
    if found is None:
        return None
    d, u, at, request_id = found
    if u not in (0, 1):
        raise unknown_cursor()
    try:
        return date.fromisoformat(d), bool(u), at, request_id
    except ValueError as exc:
        raise unknown_cursor() from exc


@router.get("/tolkendesk/toegewezen", response_class=HTMLResponse)
async def desk_assigned(
    request: Request,
    principal: Desk,
    work: Work,
    rules: Rules,
    taal: str = "",
    datum: str = "",
    melding: str = "",
    fout: str = "",
) -> Response:
    """Assigned requests, with cancel (billable or not, said before and on the way)."""
    errors, language, day = _desk_filters(taal, datum)
    items = [] if errors else await assigned_queue(work, language, day, rules, principal)
    return templates.TemplateResponse(
        request,
        "assigned.html",
        {
            "items": items,
            **_filter_context(taal, language, datum, errors, melding, fout),
            "query": urlencode(_filters(taal, datum)),
        },
        status_code=422 if errors else 200,
    )


def _filter_context(
    taal: str,
    language: str | None,
    datum: str,
    errors: dict[str, str],
    melding: str,
    fout: str,
) -> dict[str, object]:
    """What the desk's two views show of their filters and of the last action."""
    return {
        "taal": taal,
        "taal_naam": language_name(language) if language else taal,
        "languages": languages(),
        "datum": datum,
        "errors": errors,
        "melding": melding,
        "fout": fout,
    }


def _desk_filters(taal: str, datum: str) -> tuple[dict[str, str], str | None, date | None]:
    """The desk's filters as typed: errors (Dutch, per field), the language code, the day."""
    errors: dict[str, str] = {}
    day = None
    if datum:
        try:
            day = date.fromisoformat(datum)
        except ValueError:
            errors["datum"] = "Geef een datum als JJJJ-MM-DD."
    language = language_code(taal) if taal.strip() else None
    if taal.strip() and language is None:
        errors["taal"] = "Kies een taal uit de lijst, bv. Arabisch of Dari."
    return errors, language, day


async def _act(action: object, path: str, done: str, **filters: str) -> RedirectResponse:
    """Run ``action`` and go back to ``path`` with its outcome and the page's filters."""
    try:
        await action  # type: ignore[misc]
    except Problem as problem:
        return _back(path, fout=problem.detail or problem.title, **filters)
    return _back(path, melding=done, **filters)


@router.post("/tolkendesk/{request_id}/toewijzen")
async def desk_assign(
    request_id: UUID,
    principal: Desk,
    work: Work,
    rules: Rules,
    interpreter_id: Annotated[UUID, Form()],
    reason: Annotated[str, Form(max_length=300)] = "",
    taal: Annotated[str, Form()] = "",
    datum: Annotated[str, Form()] = "",
    cursor: Annotated[str, Form(max_length=MAX_CURSOR)] = "",
) -> Response:
    """Back to the same page of the queue, its filters kept."""
    return await _act(
        assign_by_desk(work, request_id, interpreter_id, principal, rules, reason=reason or None),
        "/tolkendesk",
        "De tolk is toegewezen.",
        taal=taal,
        datum=datum,
        cursor=cursor,
    )


@router.get("/tolkendesk/{request_id}/annuleren", response_class=HTMLResponse)
async def desk_cancel_page(
    request: Request,
    request_id: UUID,
    principal: Desk,
    work: Work,
    rules: Rules,
    taal: str = "",
    datum: str = "",
    van: str = "",
) -> Response:
    """The confirmation page: what is cancelled, whether it will be billed, and a reason."""
    return await _cancel_page(request, request_id, principal, work, rules, taal, datum, van)


async def _cancel_page(
    request: Request,
    request_id: UUID,
    principal: Principal,
    work: UnitOfWork,
    rules: Policy,
    taal: str,
    datum: str,
    van: str = "",
    reason: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    view = _view(van)
    try:
        found, billable = await cancellation_preview(work, request_id, principal, rules)
    except Problem as problem:
        return _back(view, fout=problem.detail or problem.title, taal=taal, datum=datum)
    return templates.TemplateResponse(
        request,
        "cancel.html",
        {
            "r": found,
            "billable": billable,
            "free_days": rules.free_cancellation_working_days,
            "taal": taal,
            "datum": datum,
            "reason": reason,
            "errors": errors or {},
            "van": van,
            "back": view + (f"?{urlencode(q)}" if (q := _filters(taal, datum)) else ""),
        },
        status_code=422 if errors else 200,
    )


def _view(van: str) -> str:
    """The desk view a cancellation came from, to go back to."""
    return "/tolkendesk/toegewezen" if van == "toegewezen" else "/tolkendesk"


def _filters(taal: str, datum: str) -> dict[str, str]:
    return {k: v for k, v in {"taal": taal, "datum": datum}.items() if v}


@router.post("/tolkendesk/{request_id}/annuleren")
async def desk_cancel(
    request: Request,
    request_id: UUID,
    principal: Desk,
    work: Work,
    rules: Rules,
    reason: Annotated[str, Form(max_length=300)] = "",
    bevestigd: Annotated[str, Form()] = "",
    taal: Annotated[str, Form()] = "",
    datum: Annotated[str, Form()] = "",
    van: Annotated[str, Form()] = "",
) -> Response:
    """Cancelling cannot be taken back: without the confirmation page's ``bevestigd`` (an old
    page, a stray submit) it only shows that page; without a reason it comes back to it."""
    if bevestigd != "ja":
        return _back(f"/tolkendesk/{request_id}/annuleren", taal=taal, datum=datum, van=van)
    if not reason.strip():
        return await _cancel_page(
            request,
            request_id,
            principal,
            work,
            rules,
            taal,
            datum,
            van,
            errors={"reden": "Geef de reden van de annulering."},
        )
    return await _act(
        cancel_request(work, request_id, principal, rules, reason=reason.strip()),
        _view(van),
        "De aanvraag is geannuleerd.",
        taal=taal,
        datum=datum,
    )


@router.get("/mijn-aanbiedingen", response_class=HTMLResponse)
async def my_offers(
    request: Request, principal: Own, work: Work, melding: str = "", fout: str = ""
) -> Response:
    offers = await offers_of(work, principal)
    return templates.TemplateResponse(
        request, "offers.html", {"offers": offers, "melding": melding, "fout": fout}
    )


@router.get("/mijn-aanbiedingen/stroom")
async def offer_stream(request: Request, principal: Own) -> Response:
    """Server-sent events for the open offers page: ``ververs`` with the open offers' ids
    whenever they change (new offers appear without a reload; civic.js fetches the list)."""
    interval: float = request.app.state.offer_stream_seconds
    runtime = runtime_of(request)

    async def events() -> AsyncIterator[str]:
        shown: list[str] | None = None
        while not await request.is_disconnected():
            ids = sorted(str(offer.id) for offer, _ in await offers_of(runtime.uow(), principal))
            yield f"event: ververs\ndata: {','.join(ids)}\n\n" if ids != shown else ": -\n\n"
            shown = ids
            await asyncio.sleep(interval)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.get("/mijn-opdrachten", response_class=HTMLResponse)
async def my_agenda(request: Request, principal: Own, work: Work) -> Response:
    """The interpreter's agenda: assigned requests by day (Brussels), soonest first."""
    days: dict[date, list[object]] = {}
    for found in await agenda_of(work, principal):
        when = found.starts_at or found.deadline
        assert when is not None
        days.setdefault(when.astimezone(BRUSSELS).date(), []).append(found)
    return templates.TemplateResponse(request, "agenda.html", {"days": days})


@router.post("/mijn-aanbiedingen/{offer_id}/aanvaarden")
async def offer_accept(offer_id: UUID, principal: Own, work: Work, rules: Rules) -> Response:
    return await _act(
        accept_offer(work, offer_id, principal, rules),
        "/mijn-aanbiedingen",
        "Je hebt de opdracht aanvaard.",
    )


@router.get("/mijn-aanbiedingen/{offer_id}/weigeren", response_class=HTMLResponse)
async def offer_decline_page(
    request: Request, offer_id: UUID, principal: Own, work: Work
) -> Response:
    """Declining cannot be taken back (the offer goes to the next interpreter): confirm first,
    with a reason from the list."""
    return await _decline_page(request, offer_id, principal, work)


async def _decline_page(
    request: Request,
    offer_id: UUID,
    principal: Principal,
    work: UnitOfWork,
    chosen: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    found = next((o for o in await offers_of(work, principal) if o[0].id == offer_id), None)
    if found is None:
        return _back("/mijn-aanbiedingen", fout="Dit aanbod is niet meer open.")
    offer, r = found
    return templates.TemplateResponse(
        request,
        "decline.html",
        {
            "offer": offer,
            "r": r,
            "reasons": DECLINE_REASON_NL,
            "chosen": chosen,
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@router.post("/mijn-aanbiedingen/{offer_id}/weigeren")
async def offer_decline(
    request: Request,
    offer_id: UUID,
    principal: Own,
    work: Work,
    rules: Rules,
    bevestigd: Annotated[str, Form()] = "",
    reden: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    """Without the confirmation page's ``bevestigd`` (an old page, a stray submit) it only
    shows that page; without a reason from the list it comes back to it, nothing declined."""
    if bevestigd != "ja":
        return _back(f"/mijn-aanbiedingen/{offer_id}/weigeren")
    if reden not in {r.value for r in DeclineReason}:
        return await _decline_page(
            request,
            offer_id,
            principal,
            work,
            errors={"reden": "Kies waarom je dit aanbod weigert."},
        )
    return await _act(
        decline_offer(work, offer_id, principal, rules, DeclineReason(reden)),
        "/mijn-aanbiedingen",
        "Je hebt de opdracht geweigerd.",
    )
