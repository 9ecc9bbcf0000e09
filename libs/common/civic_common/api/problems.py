"""RFC 9457 problem details for every error; no stack trace ever reaches a client."""

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civic_common.db.errors import is_transient

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 2  # a database restart takes seconds


class Problem(Exception):
    """Raise from a route or use case to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.type = status, title, detail, type_
        self.headers = headers
        self.extra = extra


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = request.url.path
    body |= extra
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    # ("body", "birth_date") -> "birth_date"; keep query/path/header names as they are.
    parts = [str(p) for p in loc]
    return ".".join(parts[1:] if parts and parts[0] == "body" and len(parts) > 1 else parts)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            request,
            exc.status,
            exc.title,
            exc.detail,
            type_=exc.type,
            headers=exc.headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem_response(
            request, 422, "Ongeldige invoer", f"Controleer: {fields}", errors=errors
        )

    @app.exception_handler(ValidationError)
    async def _invalid_later(request: Request, exc: ValidationError) -> JSONResponse:
        """A model built from the request further in (a domain or event model with rules of
        its own) refused it: still the caller's input, so a 422 naming the fields."""
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors()
        ]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem_response(
            request, 422, "Ongeldige invoer", f"Controleer: {fields}", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Niet gevonden", 405: "Methode niet toegestaan"}.get(exc.status_code, "Fout")
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else None
        return problem_response(
            request, exc.status_code, title, detail, headers=getattr(exc, "headers", None)
        )

    app.add_middleware(ContainCrashes)


def crash_response(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After when the database is away (a client should retry), else 500; the
    log names the error's type and place, never its message, which may quote personal data."""
    if is_transient(exc):
        log.warning(
            "database unavailable on %s %s (%s)",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return problem_response(
            request,
            503,
            "Tijdelijk niet beschikbaar",
            "De databank is even niet bereikbaar; probeer opnieuw.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    log.error(
        "unhandled %s on %s %s\n%s",
        type(exc).__name__,
        request.method,
        request.url.path,
        "".join(traceback.format_tb(exc.__traceback__)),
    )
    return problem_response(request, 500, "Interne fout", "Er ging iets mis; probeer opnieuw.")


class ContainCrashes:
    """Answer an unhandled error here, before Starlette's outermost middleware, which would
    re-raise it to the server and so log its message."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, receive, tracking)
        except Exception as exc:
            response = crash_response(Request(scope), exc)
            if not started:  # else the client sees the connection end; the log says why
                await response(scope, receive, send)
