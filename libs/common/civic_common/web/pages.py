"""Page plumbing every service's web/ package uses.

Staff sign in with OpenID Connect (authorization code + PKCE) at the provider configured in
``CIVIC_OIDC_ISSUER`` (Keycloak in the embedded default): ``/aanmelden`` sends the browser there,
``/auth/callback`` redeems the code and keeps a server-side session whose random id is the only
thing in the cookie. The provider's single sign-on signs the person in on the other services'
pages through a redirect, without a password; ``/afmelden`` ends the session here and at the
provider, so every service sees it gone on its next page view.

Scripts and tests may instead send the API's ``Authorization`` header (a token of the local
issuer, ``make token``): a browser never adds one by itself, so it needs no CSRF check.
"""

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from civic_common.api.problems import Problem
from civic_common.auth.principal import Principal
from civic_common.auth.tokens import ROLES, authenticate
from civic_common.web.formats import FILTERS
from civic_common.web.oidc import OidcProvider, ProviderUnavailable, SignInFailed
from civic_common.web.security import SAFE_METHODS, same_origin
from civic_common.web.sessions import PageSession, PendingSignIn, SessionStore

COMMON = Path(__file__).parent
STATIC_URL = "/static/common"
CALLBACK_PATH = "/auth/callback"
SIGNED_OUT_PATH = "/afgemeld"
# Cookies belong to a host whatever its port, and the four services share one: each service's
# cookies carry its name.
SESSION_COOKIE_PREFIX = "civic_session_"
LOGIN_COOKIE_PREFIX = "civic_login_"

log = logging.getLogger(__name__)


class SignInRequired(Exception):
    """Raised by a page dependency when the browser has no session; ``expired``: it had one."""

    def __init__(self, expired: bool = False) -> None:
        self.expired = expired


class PageForbidden(Exception):
    def __init__(self, roles: tuple[str, ...]) -> None:
        self.roles = roles


class CrossOriginRefused(Exception):
    """A state-changing page request that did not come from this origin's own pages."""


@dataclass
class PageAuth:
    """The sign-in of one service's pages: its provider (None: not configured), its sessions."""

    provider: OidcProvider | None
    sessions: SessionStore
    service: str
    check_seconds: float

    @property
    def session_cookie(self) -> str:
        return SESSION_COOKIE_PREFIX + self.service

    def login_cookie(self, state: str) -> str:
        """One cookie per pending sign-in, so two tabs signing in at once do not collide."""
        return (
            f"{LOGIN_COOKIE_PREFIX}{self.service}_{hashlib.sha256(state.encode()).hexdigest()[:12]}"
        )


def page_auth_of(request: Request) -> PageAuth:
    return request.app.state.page_auth


def page_templates(service_templates: Path, service_title: str) -> Jinja2Templates:
    """Templates of one service, able to extend the shared ``base.html`` and ``forms.html``."""
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(service_templates), FileSystemLoader(COMMON / "templates")]
        ),
        autoescape=select_autoescape(["html"]),
    )
    env.globals |= {"service_title": service_title, "static": STATIC_URL}
    env.filters |= FILTERS
    return Jinja2Templates(env=env)


async def _session_principal(request: Request, auth: PageAuth) -> Principal:
    session_id = request.cookies.get(auth.session_cookie)
    session = auth.sessions.get(session_id)
    if session is None:  # none, or forgotten (api restart): the provider's SSO decides
        raise SignInRequired
    if request.method not in SAFE_METHODS and not same_origin(request):
        raise CrossOriginRefused
    await _still_valid(auth, session_id, session)
    request.state.session = session
    request.state.display_name = session.display_name
    request.state.csrf = session.csrf
    return session.principal


async def _still_valid(auth: PageAuth, session_id: str | None, session: PageSession) -> None:
    """Ask the provider, at most every ``check_seconds``, whether the person's sign-in there
    lives: signed out on another service's pages, or expired, ends this session too."""
    if auth.provider is None or time.monotonic() - session.checked_at < auth.check_seconds:
        return
    try:
        tokens = await auth.provider.still_signed_in(session.tokens)
    except (ProviderUnavailable, SignInFailed) as exc:
        log.warning("page session check failed", extra={"error": str(exc)})
        tokens = None
    if tokens is None:
        auth.sessions.drop(session_id)
        raise SignInRequired(expired=True)
    session.tokens, session.checked_at = tokens, time.monotonic()


def page_principal(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency for page routes: the signed-in principal holding one of ``roles``."""
    if unknown := set(roles) - ROLES:
        raise ValueError(f"unknown roles {unknown}")

    async def dependency(request: Request) -> Principal:
        if request.headers.get("authorization"):
            principal = await authenticate(request)
        else:
            principal = await _session_principal(request, page_auth_of(request))
        if not principal.roles & set(roles):
            raise PageForbidden(roles)
        request.state.principal = principal
        return principal

    dependency.civic_roles = frozenset(roles)  # type: ignore[attr-defined] # for the access matrix
    return dependency


def staff_token(request: Request) -> str | None:
    """The signed-in staff member's own access token, for reading another service's API on
    their behalf (that service checks and audits the read as theirs): the bearer token a request
    came with, else the page session's (after ``page_principal`` ran)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:]
    session = getattr(request.state, "session", None)
    return session.tokens.access_token if session is not None else None


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never redirect a signed-in user to another host.
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _own_url(request: Request, path: str) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}{path}"


def _cookie_flags(request: Request) -> dict[str, Any]:
    # Lax, not Strict: the browser comes back from the provider (another site in production)
    # through a top-level redirect, which must carry the cookies. Forms are guarded by the
    # same-origin check, which Strict would not replace (the services share a site).
    return {"httponly": True, "samesite": "lax", "secure": request.url.scheme == "https"}


async def _repeated_callback(
    request: Request, auth: PageAuth, state: str, bound: bool, wait_seconds: float = 5.0
) -> Response | None:
    """The callback of a sign-in already redeemed (a reload, or the provider's login page
    refreshing itself, racing the first redirect): the browser that holds the session, or still
    the login cookie of that state, goes on to the page it asked for, in that session."""
    deadline = time.monotonic() + wait_seconds
    while (finished := auth.sessions.finished_sign_in(state)) is not None:
        if auth.sessions.get(request.cookies.get(auth.session_cookie)) is not None:
            return RedirectResponse(finished.next, status_code=303)
        if not bound:
            return None
        session_id = finished.session_id
        if session_id is not None and auth.sessions.get(session_id) is not None:
            response = RedirectResponse(finished.next, status_code=303)
            response.set_cookie(auth.session_cookie, session_id, path="/", **_cookie_flags(request))
            response.delete_cookie(auth.login_cookie(state), path=CALLBACK_PATH)
            return response
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.1)  # the first callback is still redeeming the code
    return None


def sign_in_router(templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def message(
        request: Request, status: int, title: str, text: str, next_: str = "/", retry: bool = True
    ) -> Response:
        return templates.TemplateResponse(
            request,
            "signin.html",
            {"title": title, "message": text, "next": next_, "retry": retry},
            status_code=status,
        )

    @router.get("/aanmelden")
    async def sign_in(request: Request, next: str = "/", verlopen: bool = False) -> Response:
        auth = page_auth_of(request)
        target = _safe_next(next)
        if verlopen:
            return message(
                request,
                401,
                "Je sessie is verlopen",
                "Je sessie is verlopen of je hebt je afgemeld. Meld je opnieuw aan; daarna kom "
                "je terug op de pagina waar je was.",
                target,
            )
        if auth.provider is None:
            return message(
                request,
                503,
                "Aanmelden is niet ingesteld",
                "Deze dienst kent geen aanmeldserver (CIVIC_OIDC_ISSUER ontbreekt).",
                target,
                retry=False,
            )
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        redirect_uri = _own_url(request, CALLBACK_PATH)
        try:
            url, verifier = await auth.provider.authorization_url(redirect_uri, state, nonce)
        except ProviderUnavailable as exc:
            log.warning("sign-in provider unavailable", extra={"error": str(exc)})
            return message(
                request,
                503,
                "Aanmelden lukt nu niet",
                "De aanmeldserver antwoordt niet. Probeer het over enkele ogenblikken opnieuw.",
                target,
            )
        auth.sessions.start_sign_in(
            PendingSignIn(state, nonce, verifier, target, redirect_uri, time.monotonic())
        )
        response = RedirectResponse(url, status_code=303)
        # Binds the callback to this browser: no one else's code is redeemed in its name.
        response.set_cookie(
            auth.login_cookie(state),
            state,
            max_age=600,
            path=CALLBACK_PATH,
            **_cookie_flags(request),
        )
        return response

    @router.get(CALLBACK_PATH)
    async def callback(
        request: Request, state: str = "", code: str = "", error: str = ""
    ) -> Response:
        auth = page_auth_of(request)
        bound = request.cookies.get(auth.login_cookie(state)) if state else None
        pending = auth.sessions.finish_sign_in(state) if state and bound == state else None
        if pending is None and state:
            repeated = await _repeated_callback(request, auth, state, bound == state)
            if repeated is not None:
                return repeated
        if pending is None or auth.provider is None:
            return message(
                request,
                400,
                "Aanmelden mislukt",
                "Deze aanmelding is verlopen of hoort niet bij deze browser. Meld je opnieuw aan.",
            )
        if error or not code:
            return message(
                request,
                400,
                "Aanmelden mislukt",
                "De aanmeldserver heeft de aanmelding niet bevestigd. Meld je opnieuw aan.",
                pending.next,
            )
        try:
            signed_in = await auth.provider.exchange(
                code, pending.redirect_uri, pending.verifier, pending.nonce
            )
        except ProviderUnavailable:
            return message(
                request,
                503,
                "Aanmelden lukt nu niet",
                "De aanmeldserver antwoordt niet. Probeer het over enkele ogenblikken opnieuw.",
                pending.next,
            )
        except SignInFailed as exc:
            log.warning("sign-in refused", extra={"error": str(exc)})
            return message(
                request,
                400,
                "Aanmelden mislukt",
                "De aanmelding kon niet worden bevestigd. Meld je opnieuw aan.",
                pending.next,
            )
        auth.sessions.drop(request.cookies.get(auth.session_cookie))  # never reuse an old id
        session_id = auth.sessions.create(
            signed_in.principal, signed_in.display_name, signed_in.tokens
        )
        auth.sessions.complete_sign_in(state, session_id)
        response = RedirectResponse(pending.next, status_code=303)
        response.set_cookie(auth.session_cookie, session_id, path="/", **_cookie_flags(request))
        response.delete_cookie(auth.login_cookie(state), path=CALLBACK_PATH)
        return response

    @router.post("/afmelden")
    async def sign_out(request: Request, csrf: str = Form("")) -> Response:
        auth = page_auth_of(request)
        session_id = request.cookies.get(auth.session_cookie)
        session = auth.sessions.get(session_id)
        if not same_origin(request) or (
            session is not None and not secrets.compare_digest(csrf, session.csrf)
        ):
            raise CrossOriginRefused
        auth.sessions.drop(session_id)
        target: str | None = None
        if auth.provider is not None and session is not None:
            try:
                target = await auth.provider.logout_url(
                    session.tokens.id_token, _own_url(request, SIGNED_OUT_PATH)
                )
            except ProviderUnavailable as exc:
                log.warning("sign-out at the provider failed", extra={"error": str(exc)})
        response = RedirectResponse(target or SIGNED_OUT_PATH, status_code=303)
        response.delete_cookie(auth.session_cookie, path="/")
        return response

    @router.get(SIGNED_OUT_PATH, response_class=HTMLResponse)
    async def signed_out(request: Request) -> Response:
        return message(
            request,
            200,
            "Je bent afgemeld",
            "Je bent afgemeld, ook bij de andere diensten van het platform.",
        )

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


def is_page(request: Request) -> bool:
    """A request for a page (a route left out of the API schema, or, with no route, a browser
    asking for HTML outside ``/api``), not for the API."""
    route = request.scope.get("route")
    if route is not None:
        return not getattr(route, "include_in_schema", True)
    accepts_html = "text/html" in request.headers.get("accept", "")
    return accepts_html and not request.url.path.startswith("/api")


_PAGE_TITLES = {404: "Pagina niet gevonden", 405: "Dat kan hier niet", 422: "Controleer de invoer"}


def _page_or_problem(api_handler: Any) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        if not is_page(request) and api_handler is not None:
            return await api_handler(request, exc)
        if isinstance(exc, Problem):
            status, title, detail = exc.status, exc.title, exc.detail
            errors = [e.get("message", "") for e in exc.extra.get("errors", [])]
        elif isinstance(exc, RequestValidationError):
            status, title = 422, _PAGE_TITLES[422]
            detail = "Deze pagina kreeg een ongeldige waarde."
            errors = [f"{'.'.join(str(p) for p in e['loc'][1:])}: ongeldig" for e in exc.errors()]
        else:
            status = getattr(exc, "status_code", 500)
            title = _PAGE_TITLES.get(status, "Er ging iets mis")
            detail = "Dit adres bestaat niet." if status == 404 else None
            errors = []
        templates = page_templates(COMMON / "templates", "")
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": status, "title": title, "detail": detail, "errors": errors},
            status_code=status,
            headers=getattr(exc, "headers", None),
        )

    return handler


def _configured_auth(app: Any) -> PageAuth:
    runtime = getattr(app.state, "runtime", None)
    settings = getattr(runtime, "settings", None)
    issuer = getattr(settings, "oidc_issuer", None)
    provider = (
        OidcProvider(issuer, getattr(settings, "oidc_client_id", "civic-pages")) if issuer else None
    )
    return PageAuth(
        provider=provider,
        sessions=SessionStore(getattr(settings, "oidc_session_max_seconds", 36000.0)),
        service=getattr(runtime, "service", None) or "pages",
        check_seconds=getattr(settings, "oidc_session_check_seconds", 0.0),
    )


def install_pages(app: Any, templates: Jinja2Templates, auth: PageAuth | None = None) -> None:
    """Mount the shared static files and the sign-in routes, and turn page auth failures into a
    redirect (no session), an error page (wrong role) or a refusal (another origin's form).
    ``auth``: the sign-in of these pages; by default the one the service's settings describe."""
    app.state.page_auth = auth or _configured_auth(app)
    app.mount(STATIC_URL, StaticFiles(directory=COMMON / "static"), name="common-static")
    app.include_router(sign_in_router(templates))

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method not in SAFE_METHODS:
            # A form posted after the session ended: come back to the page it was on.
            target = _safe_next(request.headers.get("referer", "").partition(request.url.netloc)[2])
        query = {"next": target} | ({"verlopen": "1"} if exc.expired else {})
        response = RedirectResponse(f"/aanmelden?{urlencode(query, quote_via=quote)}", 303)
        if exc.expired:
            response.delete_cookie(page_auth_of(request).session_cookie, path="/")
        return response

    # A page never answers with a problem document: the same refusals, as a Dutch page.
    api_handlers = dict(app.exception_handlers)
    for kind in (Problem, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(kind, _page_or_problem(api_handlers.get(kind)))

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return error_page(
            request,
            403,
            "Geen toegang",
            f"Deze pagina is voor de rollen: {', '.join(exc.roles)}.",
        )

    @app.exception_handler(CrossOriginRefused)
    async def _cross_origin(request: Request, _: CrossOriginRefused) -> Response:
        return error_page(
            request,
            403,
            "Geweigerd",
            "Dit formulier kwam niet van een pagina van deze dienst en werd niet uitgevoerd.",
        )
