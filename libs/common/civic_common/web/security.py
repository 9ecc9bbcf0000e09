"""Page safety (issue 18): security headers on every response, and the same-origin check that
refuses a form another site (or another service on the same host) submits in a signed-in
person's name."""

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The interactive API docs load Swagger UI's script and style from a CDN, inline.
DOCS_PATHS = ("/docs", "/redoc")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """Only this origin's own scripts, styles and images; never framed; forms post here or to
    ``form_targets`` (the sign-in provider: the sign-out form's redirect ends there)."""
    targets = " ".join(["'self'", *sorted(set(form_targets))])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; form-action {targets}; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """A plain ASGI middleware adding the headers to every response (pages and APIs); responses
    other than static files are ``Cache-Control: no-store`` unless they say otherwise, since
    pages and API answers carry personal data."""

    def __init__(self, app: ASGIApp, form_targets: Iterable[str] = ()) -> None:
        self._app = app
        csp = content_security_policy(form_targets).encode()
        self._common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
        ]
        self._csp = (b"content-security-policy", csp)
        self._docs_csp = (b"content-security-policy", b"frame-ancestors 'none'")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = path.startswith("/static/")
        csp = self._docs_csp if path.startswith(DOCS_PATHS) else self._csp

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [*self._common, csp]
                if not static:
                    extra.append((b"cache-control", b"no-store"))
                headers += [(name, value) for name, value in extra if name not in present]
                message["headers"] = headers
            await send(message)

        await self._app(scope, receive, send_with_headers)


def same_origin(request: Request) -> bool:
    """The request comes from a page of this very origin (scheme, host and port): its Origin
    header, else Fetch Metadata, else its Referer says so. Same-site is not enough: the four
    services share a host and differ only by port."""
    expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == expected
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    referer = request.headers.get("referer")
    if referer:
        return origin_of(referer) == expected
    return False
