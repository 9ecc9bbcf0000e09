"""Merging two records of one person (samenvoegen), in four pages: from the person's page pick
the other record (search by name), check both side by side and choose per field what stays,
confirm with a reason (irreversible: a form of its own), and the done page.

The pages call the same use cases as the API (app/merges.py) and admit the same roles; the
record whose page the counter starts from is the one that stays (the survivor). A refusal
(different INSZ, erased, merged already, another agency) is said on the comparison page."""

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from civic_common.api.app import uow
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from intake.adapters.repository import PersonFilter
from intake.api.models import ErasureIn
from intake.app.merges import MergeCheck, check_merge, merge_persons
from intake.app.persons import InvalidPerson, StaleVersion, read_person, search_persons
from intake.domain.merge import CHOSEN_FIELDS, InvalidChoice, MergeRefused
from intake.domain.search import query_words
from intake.web.labels import field_errors

Work = Annotated[UnitOfWork, Depends(uow)]
PAGE_SIZE = 20
CHOICE = "keuze_"  # form field per chosen field: keuze_<field> = survivor | other


def routes(
    render: Callable[..., Response],
    merger: Callable[..., Any],
    shown: Callable[[], AbstractContextManager[None]],
) -> APIRouter:
    """``merger``: the page dependency admitting who may merge; ``shown``: turns a person the
    caller may not see, or an erased one, into the page that says so."""
    router = APIRouter(include_in_schema=False)
    Merger = Annotated[Principal, Depends(merger)]

    @router.get("/personen/{person_id}/samenvoegen", response_class=HTMLResponse)
    async def pick(
        request: Request,
        person_id: UUID,
        principal: Merger,
        work: Work,
        name: str | None = None,
        birth_date: str = "",
    ) -> Response:
        """Search the other record of this person by name (and birth date)."""
        with shown():
            person = await read_person(work, person_id, principal)
        typed = (
            f"{person.given_name or ''} {person.family_name or ''}".strip()
            if name is None
            else name.strip()
        )
        query = {"name": typed, "birth_date": birth_date.strip()}
        errors: dict[str, str] = {}
        born: date | None = None
        if query["birth_date"]:
            try:
                born = date.fromisoformat(query["birth_date"])
            except ValueError:
                errors["birth_date"] = "Geef een geldige datum."
        if not query_words(typed):
            errors["name"] = "Geef een naam met letters."
        elif len(typed) > 200:
            errors["name"] = "Geef hoogstens 200 tekens."
        results = None
        if not errors:
            found = await search_persons(
                work, PersonFilter(None, typed, born, None), None, PAGE_SIZE + 1, principal
            )
            results = [hit.person for hit in found if hit.person.id != person_id][:PAGE_SIZE]
        return render(
            request,
            "merge_pick.html",
            422 if errors else 200,
            person=person,
            query=query,
            errors=errors,
            results=results,
        )

    async def comparison(
        request: Request,
        check: MergeCheck,
        status: int = 200,
        chosen: Mapping[str, str] | None = None,
        **context: Any,
    ) -> Response:
        kept = {c.name: (chosen or {}).get(c.name, c.default) for c in check.fields}
        return render(
            request,
            "merge_check.html",
            409 if check.refusal and status == 200 else status,
            check=check,
            kept=kept,
            errors=context.pop("errors", {}),
            **context,
        )

    @router.get("/personen/{person_id}/samenvoegen/{other_id}", response_class=HTMLResponse)
    async def compare(
        request: Request, person_id: UUID, other_id: UUID, principal: Merger, work: Work
    ) -> Response:
        """Both records side by side; per field that differs, the counter chooses."""
        with shown():
            check = await check_merge(work, person_id, other_id, principal)
        return await comparison(request, check, chosen=_choices(request.query_params))

    @router.get(
        "/personen/{person_id}/samenvoegen/{other_id}/bevestigen", response_class=HTMLResponse
    )
    async def confirm_form(
        request: Request, person_id: UUID, other_id: UUID, principal: Merger, work: Work
    ) -> Response:
        """What the surviving record will hold, and the reason: a step that cannot be undone."""
        with shown():
            check = await check_merge(work, person_id, other_id, principal)
        if check.refusal:
            return await comparison(request, check)
        chosen = _choices(request.query_params)
        return _confirm(request, check, chosen, "", {})

    def _confirm(
        request: Request,
        check: MergeCheck,
        chosen: Mapping[str, str],
        reason: str,
        errors: dict[str, str],
        status: int = 200,
    ) -> Response:
        kept = {c.name: chosen.get(c.name, c.default) for c in check.fields}
        return render(
            request,
            "merge_confirm.html",
            status,
            check=check,
            kept=kept,
            reason=reason,
            errors=errors,
            back=urlencode({f"{CHOICE}{k}": v for k, v in kept.items()}),
        )

    @router.post(
        "/personen/{person_id}/samenvoegen/{other_id}/bevestigen", response_class=HTMLResponse
    )
    async def confirm(
        request: Request, person_id: UUID, other_id: UUID, principal: Merger, work: Work
    ) -> Response:
        form = await request.form()
        chosen = _choices(form)
        reason = str(form.get("reason", "")).strip()
        versions = (_number(form.get("version")), _number(form.get("other_version")))
        try:
            body = ErasureIn(reason=reason)  # the same rule for a reason: 1 to 500 characters
        except ValidationError as exc:
            with shown():
                check = await check_merge(work, person_id, other_id, principal)
            return _confirm(request, check, chosen, reason, field_errors(exc), 422)
        try:
            with shown():
                await merge_persons(
                    work, person_id, other_id, versions, chosen, body.reason, principal
                )
        except (MergeRefused, StaleVersion, InvalidPerson, InvalidChoice) as exc:
            with shown():
                check = await check_merge(work, person_id, other_id, principal)
            if isinstance(exc, StaleVersion):
                return await comparison(
                    request,
                    check,
                    412,
                    chosen,
                    stale="Een collega wijzigde een van beide dossiers intussen, dus is er niets "
                    "samengevoegd. Bekijk de gegevens hieronder en kies opnieuw.",
                )
            if isinstance(exc, InvalidPerson | InvalidChoice):
                errors = {f"{CHOICE}{k}": v for k, v in exc.errors.items()}
                return await comparison(request, check, 422, chosen, errors=errors)
            return await comparison(request, check, 409, chosen)
        return RedirectResponse(f"/personen/{person_id}/samengevoegd/{other_id}", status_code=303)

    @router.get("/personen/{person_id}/samengevoegd/{other_id}", response_class=HTMLResponse)
    async def done(
        request: Request, person_id: UUID, other_id: UUID, principal: Merger, work: Work
    ) -> Response:
        with shown():
            person = await read_person(work, person_id, principal)
        return render(request, "merge_done.html", person=person, other_id=other_id)

    return router


def _choices(values: Mapping[str, Any]) -> dict[str, str]:
    """The choices a form or query names, per field; anything else is left out (the default)."""
    return {
        name: str(values[f"{CHOICE}{name}"])
        for name in CHOSEN_FIELDS
        if str(values.get(f"{CHOICE}{name}", "")) in ("survivor", "other")
    }


def _number(value: Any) -> int:
    text = str(value or "")
    return int(text) if text.isdigit() else 0
