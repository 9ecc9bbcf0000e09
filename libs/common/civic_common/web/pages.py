"""Page plumbing every service's web/ package uses.

Pages sign in with the same bearer JWT as the APIs, kept in an HttpOnly, SameSite=Strict cookie
(set through ``/aanmelden``); production puts an OpenID Connect login in front of that form.
"""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from civic_common.auth.principal import Principal
from civic_common.auth.tokens import ROLES, InvalidToken, TokenValidator

SESSION_COOKIE = "civic_session"
COMMON = Path(__file__).parent
STATIC_URL = "/static/common"


class SignInRequired(Exception):
    """Raised by a page dependency when the browser has no valid session."""


class PageForbidden(Exception):
    def __init__(self, roles: tuple[str, ...]) -> None:
        self.roles = roles


def page_templates(service_templates: Path, service_title: str) -> Jinja2Templates:
    """Templates of one service, able to extend the shared ``base.html`` and ``forms.html``."""
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(service_templates), FileSystemLoader(COMMON / "templates")]
        ),
        autoescape=select_autoescape(["html"]),
    )
    env.globals |= {"service_title": service_title, "static": STATIC_URL}
    return Jinja2Templates(env=env)


def page_principal(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency for page routes: the signed-in principal holding one of ``roles``."""
    if unknown := set(roles) - ROLES:
        raise ValueError(f"unknown roles {unknown}")

    async def dependency(request: Request) -> Principal:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise SignInRequired
        validator: TokenValidator = request.app.state.token_validator
        try:
            principal = validator.validate(token)
        except InvalidToken as exc:
            raise SignInRequired from exc
        if not principal.roles & set(roles):
            raise PageForbidden(roles)
        request.state.principal = principal
        return principal

    dependency.civic_roles = frozenset(roles)  # type: ignore[attr-defined] # for the access matrix
    return dependency


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never redirect a signed-in user to another host.
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def sign_in_router(templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/aanmelden", response_class=HTMLResponse)
    async def sign_in_form(request: Request, next: str = "/") -> Response:
        return templates.TemplateResponse(
            request, "signin.html", {"next": _safe_next(next), "error": None}
        )

    @router.post("/aanmelden")
    async def sign_in(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
        validator: TokenValidator = request.app.state.token_validator
        try:
            validator.validate(token.strip())
        except InvalidToken:
            return templates.TemplateResponse(
                request,
                "signin.html",
                {"next": _safe_next(next), "error": "Dit token is ongeldig of verlopen."},
                status_code=401,
            )
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token.strip(),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @router.post("/afmelden")
    async def sign_out() -> Response:
        response = RedirectResponse("/aanmelden", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    return router


def wants_html(request: Request) -> bool:
    """Browsers on page routes get HTML errors; API clients keep problem+json."""
    path = request.url.path
    if path.startswith(("/api/", "/partners/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, title: str, detail: str | None) -> Response:
    templates = page_templates(COMMON / "templates", "")
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail},
        status_code=status,
    )


def install_pages(app: Any, templates: Jinja2Templates) -> None:
    """Mount the shared static files and the sign-in routes, and turn page auth failures into a
    redirect (no session) or an error page (wrong role)."""
    app.mount(STATIC_URL, StaticFiles(directory=COMMON / "static"), name="common-static")
    app.include_router(sign_in_router(templates))

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> Response:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/aanmelden?next={target}", status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return error_page(
            request,
            403,
            "Geen toegang",
            f"Deze pagina is voor de rollen: {', '.join(exc.roles)}.",
        )
