"""Counter pages: search, register a newcomer, a person's page with corrections, history,
erasure on request and transfer to another agency; the organisation pages are in
``web/organisations.py``.

The pages call the same use cases as the API, admit the same roles (``app/roles.py``), and so
show only the persons of the caller's own agency; refusals re-render the form with what was
typed and a plain-Dutch message next to each field.
"""

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from civic_common.agencies import AGENCIES, canonical, display
from civic_common.api.app import uow
from civic_common.api.data_subject import SectionSource
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.web.formats import (
    countries,
    country_code,
    country_name,
    language_code,
    language_name,
    languages,
)
from civic_common.web.pages import install_pages, page_principal, page_templates
from intake.adapters.repository import PersonFilter
from intake.api.cursors import person_after
from intake.api.cursors import person_page as search_page
from intake.api.data_subject import pdf_answer, produce
from intake.api.models import ErasureIn, PersonIn, PersonPatch, TransferIn, normalised_insz
from intake.app import roles
from intake.app.persons import (
    DuplicateInsz,
    InvalidPerson,
    LikelyDuplicates,
    PersonGone,
    PersonMergedAway,
    PersonNotFound,
    StaleVersion,
    confirm_distinct,
    correct_person,
    erase_person,
    person_history,
    read_person,
    register_person,
    search_persons,
    transfer_person,
)
from intake.domain.agency import AGENCY_CODE, NoAgency, transfer_refusal, visibility
from intake.domain.person import Person
from intake.domain.search import query_words
from intake.reference import municipalities
from intake.settings import IntakeSettings
from intake.web import labels, merges, organisations
from intake.web.labels import field_errors

TEXT_FIELDS = (
    "insz",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "nationality",
    "street",
    "house_number",
    "postal_code",
    "municipality_nis",
    "contact_language",
    "interpreter_language",
    "interpreter_modality",
    "dutch_level",
    "education",
    "literacy",
    "residence_category",
    "legal_basis",
)
CHECKBOXES = ("needs_childcare", "needs_mobility_support", "consent_data_sharing")
PAGE_SIZE = 20
# What a page offers to whom: the same role lists as the API routes behind each action.
MAY = {
    "register": frozenset(roles.REGISTER_PERSONS),
    "correct": frozenset(roles.CORRECT_PERSONS),
    "erase": frozenset(roles.ERASE_PERSONS),
    "transfer": frozenset(roles.TRANSFER_PERSONS),
    "merge": frozenset(roles.MERGE_PERSONS),
    "organisations": frozenset(roles.READ_ORGANISATIONS),
    "register_organisation": frozenset(roles.REGISTER_ORGANISATIONS),
    "submit_candidacy": frozenset(roles.SUBMIT_CANDIDACIES),
    "data_subject_report": frozenset(roles.DATA_SUBJECT_REPORTS),
}


def agency_page_principal(*allowed: str) -> Callable[[Request], Awaitable[Principal]]:
    """``page_principal`` for person pages: the signed-in staff member must work for an agency."""
    door = page_principal(*allowed)

    async def dependency(principal: Annotated[Principal, Depends(door)]) -> Principal:
        try:
            visibility(principal.roles, principal.organisation)
        except NoAgency as exc:
            raise _NoAgencyPage(str(exc)) from exc
        return principal

    dependency.civic_roles = frozenset(allowed)  # type: ignore[attr-defined] # for the access matrix
    return dependency


def may(request: Request, action: str) -> bool:
    """Whether the signed-in user may do ``action`` (templates use it to offer only that)."""
    principal = getattr(request.state, "principal", None)
    return principal is not None and bool(principal.roles & MAY[action])


Registrar = Annotated[Principal, Depends(agency_page_principal(*roles.REGISTER_PERSONS))]
Corrector = Annotated[Principal, Depends(agency_page_principal(*roles.CORRECT_PERSONS))]
Reader = Annotated[Principal, Depends(agency_page_principal(*roles.READ_PERSONS))]
Eraser = Annotated[Principal, Depends(agency_page_principal(*roles.ERASE_PERSONS))]
Transferrer = Annotated[Principal, Depends(agency_page_principal(*roles.TRANSFER_PERSONS))]
Reporter = Annotated[Principal, Depends(page_principal(*roles.DATA_SUBJECT_REPORTS))]
Work = Annotated[UnitOfWork, Depends(uow)]


def install(app: FastAPI, settings: IntakeSettings, sources: Sequence[SectionSource]) -> None:
    """``sources``: the other services' sections of the data-subject report."""
    templates = page_templates(Path(__file__).parent / "templates", "Onthaal")
    templates.env.globals["may"] = may
    # Where a person's trajectories are shown (trajecten's pages, another host); None: no link.
    templates.env.globals["trajecten_pages"] = (
        settings.trajecten_pages_url.rstrip("/") if settings.trajecten_pages_url else None
    )
    install_pages(app, templates)
    by_name = sorted(municipalities().values(), key=lambda m: m.name)
    common = {
        "labels": labels.FIELDS,
        "hints": labels.HINTS,
        "choices": {name: list(options.items()) for name, options in labels.CHOICES.items()},
        "municipalities": [(m.nis, f"{m.name} ({m.nis})") for m in by_name],
        "municipality_names": {m.nis: m.name for m in by_name},
        "target_groups": labels.TARGET_GROUPS,
        "actions": labels.ACTIONS,
        "in_words": labels.in_words,
        "languages": languages(),
        "countries": countries(),
        "agencies": AGENCIES,
    }
    router = APIRouter(include_in_schema=False)

    def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        return templates.TemplateResponse(request, name, common | context, status_code=status)

    @router.get("/", response_class=HTMLResponse)
    async def home(
        request: Request,
        principal: Reader,
        work: Work,
        name: str = "",
        insz: str = "",
        birth_date: str = "",
        municipality_nis: str = "",
        cursor: str = "",
        overgedragen: str = "",
    ) -> Response:
        query = {
            "name": name.strip(),
            "insz": insz.strip(),
            "birth_date": birth_date.strip(),
            "municipality_nis": municipality_nis.strip(),
        }
        if not any(query.values()):
            moved = (
                f"Het dossier is overgedragen aan {display(overgedragen)}. Voortaan behandelt dat "
                "agentschap deze persoon."
                if AGENCY_CODE.fullmatch(overgedragen)
                else None
            )
            return render(request, "home.html", query=query, errors={}, results=None, saved=moved)
        errors: dict[str, str] = {}
        try:
            wanted_insz = normalised_insz(query["insz"] or None)
        except ValueError as exc:
            errors["insz"] = labels.dutch_message("insz", {"type": "value_error", "msg": str(exc)})
        try:
            born = date.fromisoformat(query["birth_date"]) if query["birth_date"] else None
        except ValueError:
            errors["birth_date"] = "Geef een geldige datum."
        if query["municipality_nis"] and query["municipality_nis"] not in municipalities():
            errors["municipality_nis"] = "Kies een gemeente uit de lijst."
        if query["name"] and not query_words(query["name"]):
            errors["name"] = "Geef een naam met letters."
        elif len(query["name"]) > 200:
            errors["name"] = "Geef hoogstens 200 tekens."
        if errors:
            return render(request, "home.html", 422, query=query, errors=errors, results=None)
        try:
            after = person_after(cursor or None, ranked=bool(query["name"]))
        except Problem:  # a cursor of another search, or not ours: start again, say so
            errors["name"] = "Deze resultatenpagina hoort bij een andere zoekopdracht."
            return render(request, "home.html", 422, query=query, errors=errors, results=None)
        where = PersonFilter(
            wanted_insz, query["name"] or None, born, query["municipality_nis"] or None
        )
        found, next_cursor = search_page(
            await search_persons(work, where, after, PAGE_SIZE + 1, principal), PAGE_SIZE
        )
        return render(
            request,
            "home.html",
            query=query,
            errors={},
            results=[hit.person for hit in found],
            next_cursor=next_cursor is not None,
            next_query=urlencode(query | {"cursor": next_cursor}) if next_cursor else None,
        )

    @router.get("/personen/nieuw", response_class=HTMLResponse)
    async def new_person(request: Request, principal: Registrar) -> Response:
        return render(
            request, "register.html", values={}, errors={}, duplicate=None, candidates=None
        )

    @router.post("/personen/nieuw", response_class=HTMLResponse)
    async def register(request: Request, principal: Registrar, work: Work) -> Response:
        values = await _form_values(request)
        confirmed = (await request.form()).get("confirm_new_person") == "1"
        try:
            body = PersonIn.model_validate(_submitted(values, clear_empty=False))
            person = await register_person(
                work, body.domain_fields(), principal, confirm_new_person=confirmed
            )
        except LikelyDuplicates as exc:
            # Nothing saved yet: the typed record beside each candidate, the form kept as typed.
            return render(
                request,
                "register.html",
                409,
                values=values,
                errors={},
                candidates=[hit.person for hit in exc.candidates],
            )
        except ValidationError as exc:
            return render(request, "register.html", 422, values=values, errors=field_errors(exc))
        except InvalidPerson as exc:
            return render(request, "register.html", 422, values=values, errors=exc.errors)
        except DuplicateInsz as exc:
            return render(
                request,
                "register.html",
                409,
                values=values,
                errors={"insz": _duplicate_message(exc, "Dit INSZ is al geregistreerd.")},
                duplicate=f"/personen/{exc.existing}" if exc.existing else None,
            )
        return RedirectResponse(f"/personen/{person.id}?bewaard=1", status_code=303)

    async def person_page(
        request: Request,
        person: Person,
        principal: Principal,
        work: UnitOfWork,
        status: int = 200,
        **context: Any,
    ) -> Response:
        history = await person_history(work, person.id, principal)
        context = {
            "values": _values_of(person),
            "errors": {},
            "version": person.version,
            "saved": None,
            "stale": None,
            "transfer": {"agency": "", "errors": {}, "stale": None},
        } | context
        return render(
            request,
            "person.html",
            status,
            person=person,
            municipality=municipalities()[person.municipality_nis],
            history=history,
            **context,
        )

    async def found(work: UnitOfWork, person_id: UUID, principal: Principal) -> Person:
        with _shown():
            person = await read_person(work, person_id, principal)
        if person.erased_at is not None:
            raise _NotShown(True)
        return person

    @router.get("/personen/{person_id}", response_class=HTMLResponse)
    async def show(
        request: Request,
        person_id: UUID,
        principal: Reader,
        work: Work,
        bewaard: str = "",
        samengevoegd: str = "",
    ) -> Response:
        person = await found(work, person_id, principal)
        saved = "De persoon is geregistreerd." if bewaard else None
        if samengevoegd:
            saved = (
                "Het dossier dat je opende is samengevoegd met dit dossier; je ziet nu het "
                "dossier dat overblijft."
            )
        return await person_page(request, person, principal, work, saved=saved)

    @router.get("/personen/{person_id}/inzageverzoek.pdf")
    async def data_subject_report_pdf(
        request: Request, person_id: UUID, principal: Reporter, work: Work
    ) -> Response:
        """The data-subject access report (GDPR art. 15) to download, read from the other
        services with the admin's own session token."""
        return pdf_answer(await produce(request, work, person_id, principal, sources, "pdf"))

    @router.get("/personen/{person_id}/inzageverzoek.json")
    async def data_subject_report_json(
        request: Request, person_id: UUID, principal: Reporter, work: Work
    ) -> Response:
        report = await produce(request, work, person_id, principal, sources, "json")
        return JSONResponse(
            report.model_dump(mode="json"),
            headers={
                "Content-Disposition": f'attachment; filename="inzageverzoek-{person_id}.json"'
            },
        )

    @router.post("/personen/{person_id}/verbeteren", response_class=HTMLResponse)
    async def correct(
        request: Request, person_id: UUID, principal: Corrector, work: Work
    ) -> Response:
        values = await _form_values(request)
        version = int(values.pop("version", "0") or 0)
        current = await found(work, person_id, principal)
        with _shown():  # e.g. transferred to another agency meanwhile
            try:
                body = PersonPatch.model_validate(_submitted(values, clear_empty=True))
                person = await correct_person(
                    work, person_id, version, body.domain_fields(exclude_unset=True), principal
                )
            except ValidationError as exc:
                return await person_page(
                    request,
                    current,
                    principal,
                    work,
                    422,
                    values=values,
                    errors=field_errors(exc),
                    version=version,
                )
            except InvalidPerson as exc:
                return await person_page(
                    request,
                    current,
                    principal,
                    work,
                    422,
                    values=values,
                    errors=exc.errors,
                    version=version,
                )
            except DuplicateInsz as exc:
                return await person_page(
                    request,
                    current,
                    principal,
                    work,
                    409,
                    values=values,
                    version=version,
                    errors={
                        "insz": _duplicate_message(
                            exc, f"Dit INSZ hoort al bij een andere persoon ({exc.existing})."
                        )
                    },
                )
            except StaleVersion:
                return await person_page(
                    request,
                    current,
                    principal,
                    work,
                    412,
                    values=values,
                    version=version,
                    stale="Een collega wijzigde deze persoon intussen. Bekijk de gegevens en de "
                    "geschiedenis hieronder; je invoer staat nog in het formulier.",
                )
        return await person_page(
            request, person, principal, work, saved="De verbetering is opgeslagen."
        )

    @router.post("/personen/{person_id}/andere-persoon", response_class=HTMLResponse)
    async def distinct(
        request: Request, person_id: UUID, principal: Corrector, work: Work
    ) -> Response:
        values = await _form_values(request)
        with _shown(), contextlib.suppress(StaleVersion):  # the page shows the state anyway
            await confirm_distinct(work, person_id, int(values.get("version") or 0), principal)
        return RedirectResponse(f"/personen/{person_id}", status_code=303)

    @router.get("/personen/{person_id}/wissen", response_class=HTMLResponse)
    async def erase_form(
        request: Request, person_id: UUID, principal: Eraser, work: Work
    ) -> Response:
        person = await found(work, person_id, principal)
        return render(request, "erase.html", person=person, reason="", errors={})

    @router.post("/personen/{person_id}/wissen", response_class=HTMLResponse)
    async def erase(request: Request, person_id: UUID, principal: Eraser, work: Work) -> Response:
        reason = str((await request.form()).get("reason", "")).strip()
        try:
            body = ErasureIn(reason=reason)
        except ValidationError as exc:
            person = await found(work, person_id, principal)
            return render(
                request, "erase.html", 422, person=person, reason=reason, errors=field_errors(exc)
            )
        with _shown():
            await erase_person(work, person_id, body.reason, principal)
        # The person page of an erased person says that the data are erased (410).
        return RedirectResponse(f"/personen/{person_id}", status_code=303)

    async def transfer_refused(
        request: Request,
        person_id: UUID,
        principal: Principal,
        work: UnitOfWork,
        agency: str,
        status: int,
        errors: dict[str, str],
        stale: str | None = None,
    ) -> Response:
        """The person as they are now, with the transfer form as it was sent (an agency the
        confirmation page sent by its code, by its name)."""
        current = await found(work, person_id, principal)
        code = canonical(agency)
        shown = {"agency": display(code) if code else agency, "errors": errors, "stale": stale}
        return await person_page(request, current, principal, work, status, transfer=shown)

    async def transfer_confirmation(
        request: Request,
        person_id: UUID,
        principal: Principal,
        work: UnitOfWork,
        agency: str,
        version: str,
        reason: str = "",
        errors: dict[str, str] | None = None,
    ) -> Response:
        """The confirmation page of a transfer (GOV.UK "confirm before you act"): to whom,
        what it means for this agency (it no longer sees the person), a reason, and the one
        button that does it. A target the form refuses goes back to the person page."""
        person = await found(work, person_id, principal)
        try:
            target = TransferIn(agency=canonical(agency.strip()) or agency.strip()).agency
        except ValidationError as exc:
            return await transfer_refused(
                request, person_id, principal, work, agency, 422, field_errors(exc)
            )
        if refusal := transfer_refusal(person.agency, target):
            return await transfer_refused(
                request, person_id, principal, work, agency, 422, {"agency": refusal}
            )
        return render(
            request,
            "transfer.html",
            422 if errors else 200,
            person=person,
            agency=target,
            version=version if version.isdigit() else str(person.version),
            reason=reason,
            errors=errors or {},
        )

    @router.get("/personen/{person_id}/overdragen", response_class=HTMLResponse)
    async def confirm_transfer(
        request: Request,
        person_id: UUID,
        principal: Transferrer,
        work: Work,
        agency: str = "",
        version: str = "",
    ) -> Response:
        return await transfer_confirmation(request, person_id, principal, work, agency, version)

    @router.post("/personen/{person_id}/overdragen", response_class=HTMLResponse)
    async def transfer(
        request: Request, person_id: UUID, principal: Transferrer, work: Work
    ) -> Response:
        form = await request.form()
        agency = str(form.get("agency", "")).strip()
        version = str(form.get("version", ""))
        reason = str(form.get("transfer_reason", "")).strip()
        if form.get("bevestigd") != "ja":  # an old form, a stray submit: only ask
            query = urlencode({"agency": agency, "version": version})
            return RedirectResponse(f"/personen/{person_id}/overdragen?{query}", status_code=303)

        async def refused(
            status: int, errors: dict[str, str], stale: str | None = None
        ) -> Response:
            return await transfer_refused(
                request, person_id, principal, work, agency, status, errors, stale
            )

        try:
            body = TransferIn(agency=canonical(agency) or agency, reason=reason or None)
        except ValidationError as exc:
            errors = field_errors(exc)
            if "reason" not in errors:
                return await refused(422, errors)
            errors = {"transfer_reason": errors["reason"]}  # e.g. too long
        else:
            errors = {} if reason else {"transfer_reason": "Geef de reden van de overdracht."}
        if errors:  # back to the confirmation page, the reason as typed
            return await transfer_confirmation(
                request, person_id, principal, work, agency, version, reason, errors
            )
        try:
            with _shown():
                moved, _ = await transfer_person(
                    work,
                    person_id,
                    int(version) if version.isdigit() else 0,
                    body.agency,
                    principal,
                    reason=body.reason,
                )
        except InvalidPerson as exc:
            return await refused(422, exc.errors)
        except StaleVersion:
            return await refused(
                412,
                {},
                "Een collega wijzigde deze persoon intussen, dus is er niets overgedragen. "
                "Bekijk de gegevens hieronder en draag dan opnieuw over.",
            )
        return RedirectResponse(f"/?overgedragen={moved.agency}", status_code=303)

    app.include_router(organisations.routes(render))
    app.include_router(merges.routes(render, agency_page_principal(*roles.MERGE_PERSONS), _shown))

    @app.exception_handler(_NotShown)
    async def _not_shown(request: Request, exc: _NotShown) -> Response:
        title = "Gewist" if exc.erased else "Niet gevonden"
        detail = (
            "Deze gegevens zijn gewist op verzoek." if exc.erased else "Deze persoon bestaat niet."
        )
        return render(request, "error.html", 410 if exc.erased else 404, title=title, detail=detail)

    @app.exception_handler(_MergedPage)
    async def _merged(request: Request, exc: _MergedPage) -> Response:
        """A record merged into another: its old address leads to the record that stays."""
        return RedirectResponse(f"/personen/{exc.into}?samengevoegd=1", status_code=303)

    @app.exception_handler(_NoAgencyPage)
    async def _no_agency(request: Request, exc: _NoAgencyPage) -> Response:
        return render(request, "error.html", 403, title="Geen agentschap", detail=exc.detail)

    app.include_router(router)


class _NotShown(Exception):
    def __init__(self, erased: bool) -> None:
        self.erased = erased


class _MergedPage(Exception):
    def __init__(self, into: UUID) -> None:
        self.into = into


@contextlib.contextmanager
def _shown() -> Iterator[None]:
    """A person the caller may not see (unknown, another agency's) or an erased one, as the
    page says it: 404 or 410."""
    try:
        yield
    except PersonNotFound as exc:
        raise _NotShown(False) from exc
    except PersonGone as exc:
        raise _NotShown(True) from exc
    except PersonMergedAway as exc:
        raise _MergedPage(exc.into) from exc


class _NoAgencyPage(Exception):
    def __init__(self, detail: str) -> None:
        self.detail = detail


def _duplicate_message(exc: DuplicateInsz, known: str) -> str:
    """``known`` when the caller may see the holder; else nothing about that person."""
    if exc.existing is None:
        return (
            "Dit INSZ is al geregistreerd bij een ander agentschap. Vraag dat agentschap de "
            "persoon aan jullie over te dragen."
        )
    return known


async def _form_values(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in TEXT_FIELDS}
    values |= {name: name in form for name in CHECKBOXES}
    values["languages"] = str(form.get("languages", "")).strip()
    if "version" in form:
        values["version"] = str(form["version"])
    return values


def _language_codes(typed: str) -> list[str]:
    """A list of languages as typed: names or codes, separated by commas (or, for codes, by
    spaces). What names no language stays as typed, for the API to refuse in Dutch."""
    codes: list[str] = []
    for part in (p.strip() for p in typed.split(",")):
        if not part:
            continue
        if (code := language_code(part)) is not None:
            codes.append(code)
            continue
        words = [language_code(word) for word in part.split()]
        codes.extend(
            [w for w in words if w is not None] if all(words) else [part]  # type: ignore[misc]
        )
    return codes


def _submitted(values: Mapping[str, Any], *, clear_empty: bool) -> dict[str, Any]:
    """Form strings to API fields: empty means not given (or cleared, on a correction).
    Languages and countries are typed by their Dutch names (or codes) and sent as codes."""
    body: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = values[name]
        if name == "nationality" and value:
            value = country_code(value) or value
        if name in ("contact_language", "interpreter_language") and value:
            value = language_code(value) or value
        if value:
            body[name] = value
        elif clear_empty and name not in (
            "given_name",
            "family_name",
            "birth_date",
            "municipality_nis",
        ):
            body[name] = None
    body["languages"] = _language_codes(values["languages"])
    body |= {name: values[name] for name in CHECKBOXES}
    return body


def _values_of(person: Person) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: "" if getattr(person, name) is None else str(getattr(person, name))
        for name in TEXT_FIELDS
    }
    values |= {name: bool(getattr(person, name)) for name in CHECKBOXES}
    values["languages"] = ", ".join(language_name(code) for code in person.languages)
    for name in ("contact_language", "interpreter_language"):
        values[name] = language_name(values[name])
    values["nationality"] = country_name(values["nationality"])
    return values
