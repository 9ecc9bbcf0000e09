"""Domain refusals as problem details: the same mapping for staff, partner and page routes."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from civic_common.api.problems import problem_response
from civic_common.web.pages import error_page, wants_html
from trajecten.app.organisations import NotFound
from trajecten.app.trajectories import StaleVersion, TrajectoryNotFound
from trajecten.domain.organisations import InvalidChange
from trajecten.domain.templates import UnknownTemplate
from trajecten.domain.themes import UnknownTheme
from trajecten.domain.trajectory import IllegalTransition, InvalidReason, NotYours, Refused
from trajecten.domain.visibility import NoAgency


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(IllegalTransition)
    async def _illegal(request: Request, exc: IllegalTransition) -> JSONResponse:
        allowed = ", ".join(exc.allowed) or "geen"
        return problem_response(
            request,
            409,
            "Overgang niet toegestaan",
            f"{exc} Toegestaan: {allowed}.",
            current_status=str(exc.current),
            allowed=exc.allowed,
        )

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        return problem_response(request, 409, "Geweigerd", str(exc))

    @app.exception_handler(NotYours)
    async def _not_yours(request: Request, exc: NotYours) -> JSONResponse:
        return problem_response(request, 403, "Niet uw dossier", str(exc))

    @app.exception_handler(NoAgency)
    async def _no_agency(request: Request, exc: NoAgency) -> Response:
        if wants_html(request):
            return error_page(request, 403, "Geen toegang", str(exc))
        return problem_response(request, 403, "Geen agentschap", str(exc))

    @app.exception_handler(TrajectoryNotFound)
    async def _missing(request: Request, exc: TrajectoryNotFound) -> JSONResponse:
        return problem_response(request, 404, "Onbekend traject", str(exc))

    @app.exception_handler(StaleVersion)
    async def _stale(request: Request, exc: StaleVersion) -> JSONResponse:
        return problem_response(
            request,
            412,
            "Intussen gewijzigd",
            f"{exc}; laad het traject opnieuw.",
            headers={"ETag": f'"{exc.current}"'},
        )

    @app.exception_handler(UnknownTemplate)
    async def _template(request: Request, exc: UnknownTemplate) -> JSONResponse:
        return problem_response(
            request,
            422,
            "Ongeldige invoer",
            str(exc),
            errors=[{"field": "template_version", "message": str(exc)}],
        )

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem_response(request, 404, "Niet gevonden", str(exc))

    @app.exception_handler(InvalidChange)
    @app.exception_handler(InvalidReason)
    @app.exception_handler(UnknownTheme)
    async def _invalid(
        request: Request, exc: InvalidChange | InvalidReason | UnknownTheme
    ) -> JSONResponse:
        return problem_response(
            request,
            422,
            "Ongeldige invoer",
            str(exc),
            errors=[{"field": exc.field, "message": str(exc)}],
        )
