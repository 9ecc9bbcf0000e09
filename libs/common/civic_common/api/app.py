"""The FastAPI app factory: problem details, tracing, metrics, health and auth for every service."""

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.trace import Span, SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civic_common import tracing
from civic_common.api import audit
from civic_common.api.app_state import runtime_of
from civic_common.api.guard import EdgeGuard
from civic_common.api.openapi import truthful
from civic_common.api.problems import install_problem_handlers
from civic_common.api.ratelimit import TokenBuckets
from civic_common.auth.introspection import Introspector
from civic_common.auth.tokens import StaffIssuer, TokenValidator
from civic_common.db.migrate import at_head
from civic_common.db.proofs import ProofRegistry
from civic_common.db.uow import UnitOfWork
from civic_common.kafka import kafka_reachable
from civic_common.logging import current_traceparent
from civic_common.runtime import Runtime
from civic_common.web.security import SecurityHeaders, origin_of

ACCESS = logging.getLogger("civic.access")
REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "HTTP latency", ["method", "route"])
# Probes and scrapes: measured and logged, but no span (a trace every few seconds of nothing).
UNTRACED = frozenset({"/healthz", "/readyz", "/metrics"})


async def uow(request: Request) -> UnitOfWork:
    """Dependency: a fresh unit of work of this service. Async on purpose: FastAPI runs a plain
    ``def`` dependency in a worker thread, a thread hop on every request."""
    return runtime_of(request).uow()


class _Observe:
    """Trace and measure every request. A plain ASGI middleware: Starlette's BaseHTTPMiddleware
    costs a task and a stream per request."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        method = scope["method"]
        with tracing.span(
            method,  # named by its route once routed
            kind=SpanKind.SERVER,
            parent=headers.get(b"traceparent", b"").decode("latin-1") or None,
            attributes={"http.request.method": method},
            record=scope["path"] not in UNTRACED,
        ) as span:
            await self._observed(scope, receive, send, span)

    async def _observed(
        self, scope: Scope, receive: Receive, send: Send, span: Span | None
    ) -> None:
        traceparent = (current_traceparent() or "").encode()
        started = time.perf_counter()
        status = 500

        async def send_traced(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"traceparent", traceparent)]
            await send(message)

        try:
            await self._app(scope, receive, send_traced)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            # The span gets the route's template, like the access line: no ids, no query.
            tracing.rename(span, f"{scope['method']} {path}")
            tracing.annotate(
                span,
                {"http.route": path, "http.response.status_code": status},
                failed=status >= 500,
            )
            elapsed = time.perf_counter() - started
            LATENCY.labels(scope["method"], path).observe(elapsed)
            REQUESTS.labels(scope["method"], path, str(status)).inc()
            # One access line per request, without personal data: the route's template (never
            # the path with its ids, never the query string, which may hold a name), the
            # status and the time; the trace id comes with every log line.
            ACCESS.info(
                "%s %s %d %.1fms",
                scope["method"],
                path,
                status,
                elapsed * 1000,
                extra={"route": path, "status": status, "duration_ms": round(elapsed * 1000, 1)},
            )


def create_app(runtime: Runtime, *, title: str, routers: list[APIRouter]) -> FastAPI:
    settings = runtime.settings

    introspector = (
        Introspector(settings.jwt_introspection_url, settings.jwt_introspection_cache_seconds)
        if settings.jwt_introspection_url
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await runtime.engine.dispose()
        if introspector is not None:
            await introspector.close()

    app = FastAPI(title=title, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.token_validator = TokenValidator(
        settings.jwt_jwks,
        settings.jwt_issuer,
        settings.jwt_audience,
        (
            StaffIssuer(settings.oidc_issuer, settings.jwt_audience, settings.oidc_discovery_url)
            if settings.oidc_issuer
            else None
        ),
    )
    app.state.proof_registry = ProofRegistry(runtime.engine, runtime.tables.dpop_proofs)
    app.state.introspector = introspector
    app.state.partner_buckets = TokenBuckets(
        settings.partner_rate_per_second, settings.partner_burst
    )
    app.add_middleware(EdgeGuard)  # innermost: its refusals are traced and measured too
    install_problem_handlers(app)
    truthful(app)

    app.add_middleware(
        SecurityHeaders,
        form_targets=[origin_of(settings.oidc_issuer)] if settings.oidc_issuer else [],
    )
    app.add_middleware(_Observe)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks: dict[str, bool] = {}
        try:
            async with runtime.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = True
            checks["migrations"] = await at_head(
                runtime.engine, runtime.migrations, runtime.service
            )
        except Exception:  # not ready, whatever the cause; /readyz only reports
            checks["database"] = checks["migrations"] = False
        checks["kafka"] = await kafka_reachable(settings.kafka_bootstrap)
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in [*routers, audit.router]:
        app.include_router(router)
    return app
