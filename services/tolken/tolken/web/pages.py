"""Dutch pages: the interpreter desk's queue and an interpreter's own offers."""

from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civic_common.api.app import uow
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.web.pages import install_pages, page_principal, page_templates
from tolken.adapters.registry import InterpreterRepository
from tolken.api.models import policy
from tolken.app.requests import (
    accept_offer,
    assign_by_desk,
    cancel_request,
    decline_offer,
    desk_queue,
    offers_of,
)
from tolken.domain.interpreters import BRUSSELS
from tolken.domain.matching import MODALITY_NL
from tolken.domain.policy import Policy

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


def install(app: FastAPI) -> None:
    install_pages(app, templates)


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
    melding: str = "",
    fout: str = "",
) -> Response:
    errors: dict[str, str] = {}
    day = None
    if datum:
        try:
            day = date.fromisoformat(datum)
        except ValueError:
            errors["datum"] = "Geef een datum als JJJJ-MM-DD."
    if taal and not (taal.isalpha() and 2 <= len(taal) <= 3):
        errors["taal"] = "Geef een taalcode zoals ar of tr."
    items = [] if errors else await desk_queue(work, taal.lower() or None, day, rules, principal)
    others: dict[str, list[tuple[UUID, str]]] = {}
    async with work:
        for language in {i.request.language for i in items}:
            others[language] = [
                (i.id, i.name)
                for i in await InterpreterRepository(work.session).page(None, 200, language)
            ]
    return templates.TemplateResponse(
        request,
        "desk.html",
        {
            "items": items,
            "others": others,
            "taal": taal,
            "datum": datum,
            "errors": errors,
            "melding": melding,
            "fout": fout,
        },
    )


async def _act(action: object, path: str, done: str) -> RedirectResponse:
    try:
        await action  # type: ignore[misc]
    except Problem as problem:
        return _back(path, fout=problem.detail or problem.title)
    return _back(path, melding=done)


@router.post("/tolkendesk/{request_id}/toewijzen")
async def desk_assign(
    request_id: UUID,
    principal: Desk,
    work: Work,
    rules: Rules,
    interpreter_id: Annotated[UUID, Form()],
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    return await _act(
        assign_by_desk(work, request_id, interpreter_id, principal, rules, reason=reason or None),
        "/tolkendesk",
        "De tolk is toegewezen.",
    )


@router.post("/tolkendesk/{request_id}/annuleren")
async def desk_cancel(request_id: UUID, principal: Desk, work: Work, rules: Rules) -> Response:
    return await _act(
        cancel_request(work, request_id, principal, rules),
        "/tolkendesk",
        "De aanvraag is geannuleerd.",
    )


@router.get("/mijn-aanbiedingen", response_class=HTMLResponse)
async def my_offers(
    request: Request, principal: Own, work: Work, melding: str = "", fout: str = ""
) -> Response:
    offers = await offers_of(work, principal)
    return templates.TemplateResponse(
        request, "offers.html", {"offers": offers, "melding": melding, "fout": fout}
    )


@router.post("/mijn-aanbiedingen/{offer_id}/aanvaarden")
async def offer_accept(offer_id: UUID, principal: Own, work: Work, rules: Rules) -> Response:
    return await _act(
        accept_offer(work, offer_id, principal, rules),
        "/mijn-aanbiedingen",
        "Je hebt de opdracht aanvaard.",
    )


@router.post("/mijn-aanbiedingen/{offer_id}/weigeren")
async def offer_decline(offer_id: UUID, principal: Own, work: Work, rules: Rules) -> Response:
    return await _act(
        decline_offer(work, offer_id, principal, rules),
        "/mijn-aanbiedingen",
        "Je hebt de opdracht geweigerd.",
    )
