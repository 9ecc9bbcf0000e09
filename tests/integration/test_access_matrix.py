"""Every route of every service checks its caller: no token -> 401 (pages: to the sign-in),
a wrong role -> 403, a right role -> neither. And no route answers 5xx to what we send."""

import asyncio
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Mount

from civic_common.auth.tokens import ROLES
from civic_common.testing.plugin import service_names, service_spec

pytestmark = pytest.mark.integration

# Open on purpose: health and metrics for the platform, sign-in for people, schema for clients.
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/aanmelden",
    "/afmelden",
    "/afgemeld",
    "/auth/callback",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
}


@dataclass(frozen=True)
class Guarded:
    service: str
    method: str
    path: str
    roles: frozenset[str]
    page: bool


def _roles_of(dependant: Dependant) -> frozenset[str] | None:
    found: list[frozenset[str]] = []

    def walk(node: Dependant) -> None:
        for sub in node.dependencies:
            roles = getattr(sub.call, "civic_roles", None)
            if roles is not None:
                found.append(roles)
            walk(sub)

    walk(dependant)
    return frozenset().union(*found) if found else None


def routes(app: FastAPI, service: str) -> Iterator[tuple[str, str, Dependant]]:
    """(path, method, dependant) of every endpoint. FastAPI 0.16x keeps included routers as
    lazy entries, whose endpoints come out of ``effective_route_contexts``."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            endpoints = [(route.path, route.methods, route.dependant)]
        elif hasattr(route, "effective_route_contexts"):
            endpoints = [(c.path, c.methods, c.dependant) for c in route.effective_route_contexts()]
        elif isinstance(route, Mount) or getattr(route, "path", None) in PUBLIC:
            continue
        else:
            pytest.fail(f"{service}: unexpected route {route!r}")
        for path, methods, dependant in endpoints:
            for method in sorted(methods - {"HEAD", "OPTIONS"}):
                yield path, method, dependant


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


@pytest.fixture
async def apps(runtime_for) -> dict[str, FastAPI]:
    return {name: service_spec(name).create_app(runtime_for(name)) for name in service_names()}


def role_denied(response: httpx.Response) -> bool:
    """The door's own refusal, as opposed to a business rule's 403 further in (say, "only VDAB
    reports job seekers"): the role refusal names the roles required, the scope refusal the
    scope missing."""
    return response.status_code == 403 and ("rollen" in response.text or "scope" in response.text)


# Every scope a partner edge asks for (docs/architecture.md): a partner token holding them all
# must get past every partner door, so a missing-scope refusal shows up as a failure here.
PARTNER_SCOPES = (
    "trajecten.updates trajecten.subscriptions:write trajecten.feed:read tolken.requests "
    "rapportage.reports intake.persons"
)


def credentials(auth, role: str, page: bool) -> dict[str, str]:
    """Pages and APIs both take the Authorization header (pages also a signed-in session, which
    test_single_sign_in drives through Keycloak). Tokens carry an organisation, a municipality
    and (partners) their scopes, as partner routes check them."""
    scope = PARTNER_SCOPES if role == "partner" else None
    return auth(role, organisation="agii", municipality="44021", scope=scope)


def guarded_routes(apps: dict[str, FastAPI]) -> list[Guarded]:
    found = []
    for service, app in apps.items():
        for path, method, dependant in routes(app, service):
            if path in PUBLIC:
                continue
            roles = _roles_of(dependant)
            assert roles, f"{service} {method} {path} checks no role"
            page = not path.startswith(("/api/", "/partners/"))
            found.append(Guarded(service, method, path, roles, page))
    return found


STREAM_SECONDS = 20.0  # no other route takes this long; an event stream never ends


async def test_every_route_of_every_service_checks_the_callers_role(apps, auth):
    """Each route is called as it is: unknown ids, no body. A right role must then get past
    the door (a 404 or 422 is fine) and nothing may crash."""
    guarded = guarded_routes(apps)
    assert len(guarded) >= len(apps), "each service has guarded routes"
    failures: list[str] = []
    for route in guarded:
        app = apps[route.service]
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            path = _concrete(route.path)
            wrong = sorted(ROLES - route.roles)
            right = sorted(route.roles)

            anonymous = await http.request(route.method, path)
            expected = 303 if route.page else 401
            if anonymous.status_code != expected:
                failures.append(f"{route} without token: {anonymous.status_code}")
            if wrong:
                denied = await http.request(
                    route.method, path, headers=credentials(auth, wrong[0], route.page)
                )
                if not role_denied(denied):
                    failures.append(f"{route} as {wrong[0]}: {denied.status_code}")
            for role in right:
                try:
                    allowed = await asyncio.wait_for(
                        http.request(
                            route.method, path, headers=credentials(auth, role, route.page)
                        ),
                        STREAM_SECONDS,
                    )
                except TimeoutError:
                    # Still answering: an event stream (new offers) that let this role in. A
                    # refusal answers at once, and the transport gives no status before the end.
                    continue
                if allowed.status_code == 401 or role_denied(allowed) or allowed.status_code >= 500:
                    failures.append(
                        f"{route} as {role}: {allowed.status_code} {allowed.text[:200]}"
                    )
    assert not failures, "\n".join(failures)
