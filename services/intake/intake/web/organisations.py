"""Organisation pages: list and search, register (KBO), an organisation with its candidacies,
and a candidacy form. Organisations are no personal data and belong to no agency: every
counter and counsellor sees them all, as through the API."""

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from civic_common.api.app import uow
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.web.pages import page_principal, staff_token
from intake.api.cursors import organisation_after, organisation_page
from intake.api.models import CandidacyIn, OrganisationIn
from intake.app import roles
from intake.app.organisations import (
    CallEligibility,
    DuplicateOrganisation,
    InvalidInput,
    organisation_candidacies,
    read_organisation,
    register_organisation,
    search_organisations,
    submit_candidacy,
)
from intake.domain.candidacy import EligibilityUnavailable
from intake.web.labels import field_errors

ORGANISATION_FIELDS = (
    "enterprise_number",
    "name",
    "organisation_type",
    "staff_size",
    "municipality_nis",
)
CANDIDACY_FIELDS = ("kind", "motivation", "theme", "call_id")
PAGE_SIZE = 20

Reader = Annotated[Principal, Depends(page_principal(*roles.READ_ORGANISATIONS))]
Registrar = Annotated[Principal, Depends(page_principal(*roles.REGISTER_ORGANISATIONS))]
Submitter = Annotated[Principal, Depends(page_principal(*roles.SUBMIT_CANDIDACIES))]
Work = Annotated[UnitOfWork, Depends(uow)]
Render = Callable[..., Response]


def routes(render: Render) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def unknown(request: Request) -> Response:
        return render(
            request,
            "error.html",
            404,
            title="Niet gevonden",
            detail="Deze organisatie bestaat niet.",
        )

    @router.get("/organisaties", response_class=HTMLResponse)
    async def listing(
        request: Request, principal: Reader, work: Work, q: str = "", cursor: str = ""
    ) -> Response:
        words = q.strip()[:200]
        found = await search_organisations(
            work, words or None, organisation_after(cursor or None), PAGE_SIZE + 1
        )
        shown, next_cursor = organisation_page(found, PAGE_SIZE)
        next_query = urlencode({"q": words, "cursor": next_cursor}) if next_cursor else None
        return render(request, "organisations.html", q=words, results=shown, next_query=next_query)

    @router.get("/organisaties/nieuw", response_class=HTMLResponse)
    async def new_organisation(request: Request, principal: Registrar) -> Response:
        return render(request, "organisation_register.html", values={}, errors={}, existing=None)

    @router.post("/organisaties/nieuw", response_class=HTMLResponse)
    async def register(request: Request, principal: Registrar, work: Work) -> Response:
        form = await request.form()
        values = {name: str(form.get(name, "")).strip() for name in ORGANISATION_FIELDS}
        submitted: dict[str, Any] = {name: value for name, value in values.items() if value}
        if values["staff_size"].isdigit():  # the API wants a number, a form sends text
            submitted["staff_size"] = int(values["staff_size"])

        def refused(status: int, errors: dict[str, str], existing: str | None = None) -> Response:
            return render(
                request,
                "organisation_register.html",
                status,
                values=values,
                errors=errors,
                existing=existing,
            )

        try:
            body = OrganisationIn.model_validate(submitted)
            organisation = await register_organisation(work, body.model_dump(), principal)
        except ValidationError as exc:
            return refused(422, field_errors(exc))
        except InvalidInput as exc:
            return refused(422, exc.errors)
        except DuplicateOrganisation as exc:
            message = "Een organisatie met dit ondernemingsnummer is al geregistreerd."
            return refused(409, {"enterprise_number": message}, f"/organisaties/{exc.existing}")
        return RedirectResponse(f"/organisaties/{organisation['id']}?bewaard=1", status_code=303)

    @router.get("/organisaties/{organisation_id}", response_class=HTMLResponse)
    async def show(
        request: Request,
        organisation_id: UUID,
        principal: Reader,
        work: Work,
        bewaard: str = "",
        ingediend: str = "",
    ) -> Response:
        organisation = await read_organisation(work, organisation_id)
        candidacies = await organisation_candidacies(work, organisation_id)
        if organisation is None or candidacies is None:
            return unknown(request)
        saved = (
            "De kandidatuur is ingediend."
            if ingediend
            else "De organisatie is geregistreerd."
            if bewaard
            else None
        )
        return render(
            request,
            "organisation.html",
            organisation=organisation,
            candidacies=candidacies,
            saved=saved,
        )

    @router.get("/organisaties/{organisation_id}/kandidatuur", response_class=HTMLResponse)
    async def new_candidacy(
        request: Request, organisation_id: UUID, principal: Submitter, work: Work
    ) -> Response:
        organisation = await read_organisation(work, organisation_id)
        if organisation is None:
            return unknown(request)
        return render(
            request,
            "candidacy.html",
            organisation=organisation,
            values={"participant_roles": []},
            errors={},
        )

    @router.post("/organisaties/{organisation_id}/kandidatuur", response_class=HTMLResponse)
    async def submit(
        request: Request, organisation_id: UUID, principal: Submitter, work: Work
    ) -> Response:
        organisation = await read_organisation(work, organisation_id)
        if organisation is None:
            return unknown(request)
        form = await request.form()
        values: dict[str, Any] = {
            name: str(form.get(name, "")).strip() for name in CANDIDACY_FIELDS
        }
        values["participant_roles"] = [str(role) for role in form.getlist("participant_roles")]
        # No role ticked is an empty list (refused as "at least one"), not a missing field.
        submitted = {name: value for name, value in values.items() if value} | {
            "organisation_id": organisation_id,
            "participant_roles": values["participant_roles"],
        }
        calls: CallEligibility = request.app.state.call_eligibility
        try:
            body = CandidacyIn.model_validate(submitted)
            await submit_candidacy(work, body.model_dump(), principal, calls, staff_token(request))
        except (ValidationError, InvalidInput) as exc:
            errors = field_errors(exc) if isinstance(exc, ValidationError) else exc.errors
            return render(
                request,
                "candidacy.html",
                422,
                organisation=organisation,
                values=values,
                errors=errors,
            )
        except EligibilityUnavailable:
            message = "Trajecten antwoordt nu niet; er is niets bewaard. Probeer later opnieuw."
            return render(
                request,
                "candidacy.html",
                503,
                organisation=organisation,
                values=values,
                errors={"call_id": message},
            )
        return RedirectResponse(f"/organisaties/{organisation_id}?ingediend=1", status_code=303)

    return router
