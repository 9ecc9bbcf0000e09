"""Counsellor pages: the worklist (overdue and due soon), "Mijn dossiers" (the counsellor's
trajectories, filtered, sorted and paged) and a trajectory's timeline with forms to record
progress. Names and INSZ are not kept here: they are read from intake at render time with the
counsellor's own token (adapters/intake_persons.py), and link to the person's page there.
The forms call the same use cases as the API; a refusal re-renders the page
with the reason (409) or asks to reload (412)."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civic_common.agencies import AGENCIES, canonical
from civic_common.api.app import uow
from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.db.uow import UnitOfWork
from civic_common.web.pages import install_pages, page_principal, page_templates, staff_token
from trajecten.adapters.intake_persons import IntakePersons
from trajecten.api.caseload import AGENCY_PATTERN, caseload_rows
from trajecten.app.trajectories import (
    Command,
    StaleVersion,
    TrajectoryNotFound,
    change_trajectory,
    correct_last_reason,
    incoming_transfers,
    trajectories_of,
    trajectory_view,
    worklist,
)
from trajecten.domain.caseload import SORTS, CaseloadQuery
from trajecten.domain.templates import CEFR_LEVELS, Template, shipped
from trajecten.domain.trajectory import (
    FINAL_ACTIONS,
    REASONS,
    WORDED_ACTIONS,
    Change,
    IllegalTransition,
    InvalidReason,
    NotYours,
    ReasonCode,
    Refused,
    Trajectory,
    TrajectoryStatus,
)
from trajecten.web import labels

STALE = "Iemand anders wijzigde dit traject intussen. Bekijk de nieuwe stand en probeer opnieuw."

Counsellor = Annotated[Principal, Depends(page_principal("counsellor", "admin"))]
Work = Annotated[UnitOfWork, Depends(uow)]
DUE_SOON_DAYS = 14
PAGE_SIZE = 20


def install(app: FastAPI, intake: IntakePersons, intake_pages_url: str | None) -> None:
    templates = page_templates(Path(__file__).parent / "templates", "Trajectbegeleiding")
    install_pages(app, templates)
    router = APIRouter(include_in_schema=False)
    common = {
        "labels": labels,
        "cefr_levels": CEFR_LEVELS,
        "reasons": REASONS,
        # The person's page in intake (another host); None: no link.
        "intake_pages": intake_pages_url.rstrip("/") if intake_pages_url else None,
        "names_enabled": intake.enabled,
    }

    @router.get("/mijn-dossiers", response_class=HTMLResponse)
    async def caseload_page(
        request: Request,
        principal: Counsellor,
        work: Work,
        bereik: str = "mine",
        status: str = "",
        termijn: str = "",
        agentschap: str = "",
        sorteer: str = "deadline",
        cursor: str = "",
    ) -> Response:
        agency = canonical(agentschap) if agentschap.strip() else None
        typed = agentschap.strip().lower()
        if typed and agency is None and re.fullmatch(AGENCY_PATTERN, typed):
            agency = typed  # a code the platform does not list (yet): as it is
        shown = {
            "bereik": bereik,
            "status": status,
            "termijn": termijn,
            "agentschap": agency or agentschap.strip(),
            "sorteer": sorteer,
        }
        errors = {}
        if bereik not in ("mine", "agency"):
            errors["bereik"] = "Kies mijn dossiers of alle dossiers van het agentschap."
        if status and status not in {str(s) for s in TrajectoryStatus}:
            errors["status"] = "Kies een status uit de lijst."
        if termijn and termijn not in ("overdue", "soon"):
            errors["termijn"] = "Kies te laat of binnenkort."
        if agentschap.strip() and agency is None:
            errors["agentschap"] = "Kies een agentschap uit de lijst, bv. Atlas."
        if sorteer not in SORTS:
            errors["sorteer"] = "Kies een sortering uit de lijst."
        rows: list[dict] = []
        next_query = None
        if not errors:
            query = CaseloadQuery(
                mine=bereik == "mine",
                status=TrajectoryStatus(status) if status else None,
                due=termijn or None,  # type: ignore[arg-type] # checked above
                agency=agency,
                sort=sorteer,  # type: ignore[arg-type] # checked above
            )
            try:
                rows, next_cursor = await caseload_rows(
                    work, principal, query, cursor or None, PAGE_SIZE
                )
            except Problem:  # a cursor of another sort order, or not ours
                errors["sorteer"] = "Deze pagina hoort bij een andere sortering; begin opnieuw."
                next_cursor = None
            if next_cursor:
                next_query = urlencode(shown | {"cursor": next_cursor})
        names = await intake.names([row["person_id"] for row in rows], staff_token(request))
        return templates.TemplateResponse(
            request,
            "caseload.html",
            common
            | {
                "rows": rows,
                "names": names,
                "shown": shown,
                "errors": errors,
                "next_query": next_query,
                "days": DUE_SOON_DAYS,
                "statuses": [str(s) for s in TrajectoryStatus],
                "agencies": AGENCIES,
            },
            status_code=422 if errors else 200,
        )

    @router.get("/", response_class=HTMLResponse)
    async def worklist_page(
        request: Request, principal: Counsellor, work: Work, persoon: str = ""
    ) -> Response:
        today = date.today()
        found: list[Trajectory] | None = None
        error = None
        if persoon.strip():
            try:
                found = await trajectories_of(work, UUID(persoon.strip()), principal)
            except ValueError:
                error = "Geef een geldig persoonsnummer (UUID)."
        items = await worklist(work, today, today + timedelta(days=DUE_SOON_DAYS), principal)
        incoming = await incoming_transfers(work, principal)
        return templates.TemplateResponse(
            request,
            "worklist.html",
            common
            | {
                "incoming": incoming,
                "overdue": [i for i in items if i["overdue"]],
                "due_soon": [i for i in items if not i["overdue"]],
                "days": DUE_SOON_DAYS,
                "persoon": persoon,
                "found": found,
                "error": error,
            },
            status_code=422 if error else 200,
        )

    async def render(
        request: Request,
        trajectory_id: UUID,
        principal: Principal,
        work: UnitOfWork,
        *,
        message: str | None = None,
        error: str | None = None,
        status_code: int = 200,
    ) -> Response:
        trajectory, timeline, updates = await trajectory_view(work, trajectory_id, principal)
        template = shipped().get(trajectory.kind, trajectory.template_version)
        names = await intake.names([trajectory.person_id], staff_token(request))
        last = Change.of(timeline[-1]) if timeline else None
        return templates.TemplateResponse(
            request,
            "trajectory.html",
            common
            | {
                "t": trajectory,
                "person": names.get(trajectory.person_id),
                "template": template,
                "titles": {c.code: c.title for c in template.components},
                "timeline": timeline,
                "corrected": {
                    e["details"]["corrects"] for e in timeline if e["action"] == "correct_reason"
                },
                "last": last if last is not None and trajectory.correctable(last) else None,
                "final_actions": FINAL_ACTIONS,
                "updates": updates,
                "today": date.today(),
                "message": message,
                "error": error,
            },
            status_code=status_code,
        )

    async def confirmation(
        request: Request,
        trajectory_id: UUID,
        principal: Principal,
        work: UnitOfWork,
        action: str,
        code: str | None,
        version: int,
        *,
        reason: str = "",
        reason_code: str = "",
        errors: dict[str, str] | None = None,
        result: TestResult | None = None,
    ) -> Response:
        """The confirmation page of a final step (GOV.UK "confirm before you act"): what
        happens, why it cannot be taken back, a reason, and the one button that does it.
        ``result``: a test result that fails the component ("fail" by a result, not by hand):
        the page posts that result, with the reason, to the result form's address."""
        trajectory, _, _ = await trajectory_view(work, trajectory_id, principal)
        template = shipped().get(trajectory.kind, trajectory.template_version)
        if result is not None:
            # Only a result the test's form may record now, and one that fails the test.
            component = next((c for c in trajectory.components if c.code == code), None)
            fails = (
                component is not None
                and trajectory.status is TrajectoryStatus.OPEN
                and not component.done
                and trajectory.test_fails(template, component.code, *result)
            )
            allowed = [action] if fails else []
        else:
            allowed = (
                trajectory.allowed_actions(code, template) if code else trajectory.allowed_actions()
            )
        if action not in allowed:
            return await render(
                request,
                trajectory_id,
                principal,
                work,
                error=f"Deze stap kan nu niet: {labels.STATUS[trajectory.status]} traject"
                + (
                    f", onderdeel {labels.STATUS[trajectory.component(code).status]}."
                    if code
                    else "."
                )
                if action in FINAL_ACTIONS
                else f"Onbekende stap '{action[:40]}'.",
                status_code=409,
            )
        names = await intake.names([trajectory.person_id], staff_token(request))
        spec = template.component(code) if code else None
        title = spec.title if spec else ""
        question, warning, button = labels.CONFIRM[action]
        return templates.TemplateResponse(
            request,
            "confirm.html",
            common
            | {
                "t": trajectory,
                "person": names.get(trajectory.person_id),
                "action": action,
                "code": code,
                "component_title": title,
                "question": question.format(title=f"«{title}»"),
                "warning": warning,
                "button": button,
                "version": version,
                "reason": reason,
                "reason_code": reason_code,
                "errors": errors or {},
                "asks_reason": action in WORDED_ACTIONS,
                "result": result,
                "min_level": spec.completion.min_level if spec else None,
                "post_to": f"/trajecten/{trajectory_id}/onderdelen/{code}"
                + ("/resultaat" if result is not None else "")
                if code
                else f"/trajecten/{trajectory_id}/status",
            },
            status_code=422 if errors else 200,
        )

    @router.get("/trajecten/{trajectory_id}/bevestigen", response_class=HTMLResponse)
    async def confirm_page(
        request: Request,
        trajectory_id: UUID,
        principal: Counsellor,
        work: Work,
        actie: str,
        versie: int,
        onderdeel: str = "",
        geslaagd: str = "",
        niveau: str = "",
    ) -> Response:
        try:
            return await confirmation(
                request,
                trajectory_id,
                principal,
                work,
                actie,
                onderdeel or None,
                versie,
                result=_test_result(geslaagd, niveau),
            )
        except TrajectoryNotFound:
            return templates.TemplateResponse(
                request, "missing.html", {"trajectory_id": trajectory_id}, status_code=404
            )
        except Refused as exc:  # an unknown component
            return await render(
                request, trajectory_id, principal, work, error=str(exc), status_code=409
            )

    async def confirmed(
        request: Request,
        trajectory_id: UUID,
        principal: Principal,
        work: UnitOfWork,
        action: str,
        code: str | None,
        version: int,
        reason: str,
        reason_code: str,
        answer: str,
        result: TestResult | None = None,
    ) -> Response | None:
        """None when the step may go ahead; otherwise the page to show first: a final step
        not confirmed yet goes to its confirmation page (a stray Enter changes nothing), a
        confirmation without a reason comes back to it."""
        if action not in FINAL_ACTIONS:
            return None
        if answer != "ja":
            return _to_confirmation(trajectory_id, action, code, version, result)
        if reason.strip() or action not in WORDED_ACTIONS:
            return None
        return await confirmation(
            request,
            trajectory_id,
            principal,
            work,
            action,
            code,
            version,
            reason_code=reason_code,
            errors={"reden": "Geef de reden van deze stap."},
            result=result,
        )

    @router.get("/trajecten/{trajectory_id}", response_class=HTMLResponse)
    async def trajectory_page(
        request: Request, trajectory_id: UUID, principal: Counsellor, work: Work, melding: str = ""
    ) -> Response:
        try:
            return await render(request, trajectory_id, principal, work, message=melding or None)
        except TrajectoryNotFound:
            return templates.TemplateResponse(
                request, "missing.html", {"trajectory_id": trajectory_id}, status_code=404
            )

    async def apply(
        request: Request,
        trajectory_id: UUID,
        principal: Principal,
        work: UnitOfWork,
        version: int,
        command: Command,
        done: str,
    ) -> Response:
        try:
            await change_trajectory(
                work, trajectory_id, command, principal, expected_version=version
            )
        except (IllegalTransition, Refused, NotYours, InvalidReason) as exc:
            allowed = getattr(exc, "allowed", None)
            detail = str(exc) + (
                f" Mogelijk: {', '.join(labels.BUTTON.get(a, a) for a in allowed)}."
                if allowed
                else ""
            )
            return await render(
                request,
                trajectory_id,
                principal,
                work,
                error=detail,
                status_code=409,
            )
        except StaleVersion:
            return await render(
                request, trajectory_id, principal, work, error=STALE, status_code=412
            )
        return RedirectResponse(
            f"/trajecten/{trajectory_id}?melding={quote(done)}", status_code=303
        )

    @router.post("/trajecten/{trajectory_id}/onderdelen/{code}")
    async def component_action(
        request: Request,
        trajectory_id: UUID,
        code: str,
        principal: Counsellor,
        work: Work,
        version: Annotated[int, Form()],
        action: Annotated[str, Form()],
        reason: Annotated[str, Form()] = "",
        reason_code: Annotated[str, Form()] = "",
        bevestigd: Annotated[str, Form()] = "",
    ) -> Response:
        actor, at = principal.subject, datetime.now().astimezone()
        first = await confirmed(
            request,
            trajectory_id,
            principal,
            work,
            action,
            code,
            version,
            reason,
            reason_code,
            bevestigd,
        )
        if first is not None:
            return first

        def command(t: Trajectory, template: Template) -> None:
            coded = _reason_code(reason_code)
            match action:
                case "start":
                    t.start(template, code, actor, at)
                case "complete":
                    t.complete(template, code, actor, at)
                case "fail":
                    t.fail(code, actor, at, reason or None)
                case "exempt":
                    t.exempt(code, reason, actor, at, coded or ReasonCode.OTHER)
                case _:
                    raise Refused(f"onbekende actie '{action}'")

        done = f"{labels.ACTION.get(action, action)}: {code}."
        return await apply(request, trajectory_id, principal, work, version, command, done)

    @router.post("/trajecten/{trajectory_id}/onderdelen/{code}/resultaat")
    async def component_result(
        request: Request,
        trajectory_id: UUID,
        code: str,
        principal: Counsellor,
        work: Work,
        version: Annotated[int, Form()],
        hours: Annotated[str, Form()] = "",
        passed: Annotated[str, Form()] = "",
        cefr_level: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "",
        bevestigd: Annotated[str, Form()] = "",
    ) -> Response:
        """Hours, or a test's result. A result that fails the test is a final step: it is
        recorded only from its confirmation page, with a reason (the form only asks)."""
        actor, at = principal.subject, datetime.now().astimezone()
        parsed = _hours(hours)
        result = None if hours.strip() else _test_result(passed, cefr_level)
        if result is not None and bevestigd == "ja":
            first = await confirmed(
                request,
                trajectory_id,
                principal,
                work,
                "fail",
                code,
                version,
                reason,
                "",
                bevestigd,
                result,
            )
            if first is not None:
                return first

        def command(t: Trajectory, template: Template) -> None:
            if hours.strip():
                if parsed is None:
                    raise Refused("geef het aantal uren als een getal, bv. 12,5")
                t.record_hours(template, code, parsed, actor, at)
            elif result is not None:
                if bevestigd != "ja" and t.test_fails(template, code, *result):
                    raise _AskFirst
                t.record_test(template, code, *result, actor, at, reason=reason or None)
            else:
                raise Refused("vul uren in of kies een testresultaat")

        try:
            return await apply(
                request,
                trajectory_id,
                principal,
                work,
                version,
                command,
                f"Resultaat bewaard: {code}.",
            )
        except _AskFirst:  # nothing recorded: the result fails the test, so ask first
            assert result is not None
            return _to_confirmation(trajectory_id, "fail", code, version, result)

    @router.post("/trajecten/{trajectory_id}/status")
    async def trajectory_action(
        request: Request,
        trajectory_id: UUID,
        principal: Counsellor,
        work: Work,
        version: Annotated[int, Form()],
        action: Annotated[str, Form()],
        reason: Annotated[str, Form()] = "",
        reason_code: Annotated[str, Form()] = "",
        bevestigd: Annotated[str, Form()] = "",
    ) -> Response:
        actor, at = principal.subject, datetime.now().astimezone()
        first = await confirmed(
            request,
            trajectory_id,
            principal,
            work,
            action,
            None,
            version,
            reason,
            reason_code,
            bevestigd,
        )
        if first is not None:
            return first

        def command(t: Trajectory, _: Template) -> None:
            coded = _reason_code(reason_code)
            if action == "take_up":
                t.take_up(actor, at)
                return
            if action not in ("suspend", "resume", "stop"):
                raise Refused(f"onbekende actie '{action}'")
            move = getattr(t, action)
            move(reason, actor, at, coded) if coded else move(reason, actor, at)

        done = f"{labels.ACTION.get(action, action)}."
        return await apply(request, trajectory_id, principal, work, version, command, done)

    @router.post("/trajecten/{trajectory_id}/correctie")
    async def correct_reason(
        request: Request,
        trajectory_id: UUID,
        principal: Counsellor,
        work: Work,
        version: Annotated[int, Form()],
        reason: Annotated[str, Form()] = "",
    ) -> Response:
        try:
            await correct_last_reason(
                work, trajectory_id, reason, principal, expected_version=version
            )
        except Refused as exc:
            return await render(
                request, trajectory_id, principal, work, error=f"{exc}.", status_code=409
            )
        except StaleVersion:
            return await render(
                request, trajectory_id, principal, work, error=STALE, status_code=412
            )
        return RedirectResponse(
            f"/trajecten/{trajectory_id}?melding={quote('Reden gecorrigeerd.')}", status_code=303
        )

    app.include_router(router)


# A test's result as the pages carry it: passed or not, and the level reached (if any).
TestResult = tuple[bool, str | None]


class _AskFirst(Exception):
    """The step is final and not confirmed yet: nothing is recorded, its page asks first."""


def _test_result(passed: str, level: str) -> TestResult | None:
    """The result chosen in the test's form ("ja"/"nee" and a level); None: no result."""
    if passed not in ("ja", "nee"):
        return None
    return passed == "ja", (level if level in CEFR_LEVELS else None)


def _to_confirmation(
    trajectory_id: UUID,
    action: str,
    code: str | None,
    version: int,
    result: TestResult | None = None,
) -> Response:
    """To the confirmation page of a final step (nothing was changed)."""
    query = {"actie": action, "versie": version} | ({"onderdeel": code} if code else {})
    if result is not None:
        query |= {"geslaagd": "ja" if result[0] else "nee", "niveau": result[1] or ""}
    return RedirectResponse(
        f"/trajecten/{trajectory_id}/bevestigen?{urlencode(query)}", status_code=303
    )


def _reason_code(raw: str) -> ReasonCode | None:
    """The chosen reason code; none chosen takes the action's default."""
    if not raw:
        return None
    try:
        return ReasonCode(raw)
    except ValueError:
        raise Refused(f"onbekende reden '{raw[:40]}'") from None


def _hours(raw: str) -> Decimal | None:
    try:
        return Decimal(raw.strip().replace(",", ".")) if raw.strip() else None
    except InvalidOperation:
        return None
