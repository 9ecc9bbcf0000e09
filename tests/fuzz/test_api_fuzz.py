"""Property-based API tests: every operation of every service's OpenAPI document (and the
issuer's), fed with generated valid and invalid requests by schemathesis, answers without a
5xx, with a status code the document declares, in the content type it declares, in the shape
its schema declares.

Each app runs as a real HTTP server (uvicorn in a thread of its own) against this run's
Postgres schema and Kafka topics; every request carries a token of a role the route admits
(drawn per example, so each role that may call a route calls it). Generation is derandomized
(a fixed seed) and bounded per operation, so a run takes the same few minutes every time.
"""

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from civic_common.auth.issuer_app import IssuerSettings, build_issuer_app
from civic_common.testing.plugin import free_port, service_spec

pytestmark = pytest.mark.integration

# Examples per operation and generation mode: ~130 operations in well under 4 minutes.
EXAMPLES = int(os.environ.get("CIVIC_FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Every scope a partner edge asks for (docs/architecture.md), as in the access matrix.
PARTNER_SCOPES = (
    "trajecten.updates trajecten.subscriptions:write trajecten.feed:read tolken.requests "
    "rapportage.reports"
)
SERVICES = ["intake", "trajecten", "tolken", "rapportage"]


@contextlib.contextmanager
def serving_in_thread(app: FastAPI) -> Iterator[str]:
    """A real HTTP server on a free port, with an event loop of its own, until the block ends."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def _roles_of(dependant: Any) -> set[str]:
    found: set[str] = set()
    for sub in dependant.dependencies:
        found |= set(getattr(sub.call, "civic_roles", ()))
        found |= _roles_of(sub)
    return found


def route_roles(app: FastAPI) -> dict[tuple[str, str], list[str]]:
    """(METHOD, path template) -> the roles its door admits, read from the dependencies."""
    found: dict[tuple[str, str], list[str]] = {}
    for route in app.routes:
        if isinstance(route, APIRoute):
            endpoints = [(route.path, route.methods, route.dependant)]
        elif hasattr(route, "effective_route_contexts"):
            endpoints = [(c.path, c.methods, c.dependant) for c in route.effective_route_contexts()]
        else:
            continue
        for path, methods, dependant in endpoints:
            for method in methods:
                found[(method, path)] = sorted(_roles_of(dependant))
    return found


def credentials(auth: Callable[..., dict[str, str]]) -> Callable[[str], dict[str, str]]:
    """A token per role, minted once (signing one costs more than a request)."""
    minted: dict[str, dict[str, str]] = {}

    def header(role: str) -> dict[str, str]:
        if role not in minted:
            scope = PARTNER_SCOPES if role == "partner" else None
            minted[role] = auth(role, organisation="agii", municipality="44021", scope=scope)
        return minted[role]

    return header


def fuzz_operation(
    operation: Any,
    allowed: list[str],
    base_url: str,
    session: requests.Session,
    token: Callable[[str], dict[str, str]],
    failures: dict[str, str],
) -> None:
    """Generated valid and invalid requests against one operation, as each allowed role."""
    strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    with contextlib.suppress(Exception):  # an operation without anything to negate
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=EXAMPLES * len(strategies),
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies), role=st.sampled_from(allowed))
    def run(case: Any, role: str) -> None:
        headers = token(role)
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, BaseExceptionGroup) as exc:  # record it, keep fuzzing
            first = re.sub(r"\s+", " ", str(exc))[:400]
            key = f"{label} [{response.status_code}] {first[:120]}"
            failures.setdefault(
                key,
                f"{label} as {role} -> {response.status_code}: {first}\n"
                f"    body {response.text[:300]!r}\n    curl {case.as_curl_command()[:600]}",
            )

    run()


def fuzz(app: FastAPI, base_url: str, auth: Callable[..., dict[str, str]]) -> list[str]:
    """Run every API operation of ``app``'s OpenAPI document; the failures, one entry each."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    roles = route_roles(app)
    failures: dict[str, str] = {}
    session = requests.Session()
    token = credentials(auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the document lists operations"
    for operation in operations:
        if not operation.path.startswith(("/api/", "/partners/", "/oauth2/")):
            continue  # pages and health are no API
        allowed = roles.get((operation.method.upper(), operation.path)) or ["admin"]
        started = time.monotonic()
        fuzz_operation(operation, allowed, base_url, session, token, failures)
        print(f"  {operation.method.upper()} {operation.path}: {time.monotonic() - started:.1f}s")
    return list(failures.values())


@pytest.mark.parametrize("service", SERVICES)
def test_no_generated_request_makes_a_service_fail_or_break_its_contract(
    service: str,
    migrate: Callable[[str], None],
    settings_for: Callable[[str], Any],
    auth: Callable[..., dict[str, str]],
) -> None:
    migrate(service)
    spec = service_spec(service)
    # The app's own lifespan disposes the engine, in the server's loop that used it.
    app = spec.create_app(spec.runtime(settings_for(service)))
    started = time.monotonic()
    with serving_in_thread(app) as base_url:
        failures = fuzz(app, base_url, auth)
    print(f"{service}: fuzzed in {time.monotonic() - started:.1f}s")
    assert not failures, f"{len(failures)} distinct failures:\n" + "\n".join(failures)


def test_no_generated_request_makes_the_issuer_fail_or_break_its_contract(
    issuer_db: str, jwt_keys: Path, auth: Callable[..., dict[str, str]]
) -> None:
    app = build_issuer_app(IssuerSettings(database_url=issuer_db, keys_dir=jwt_keys))
    started = time.monotonic()
    with serving_in_thread(app) as base_url:
        failures = fuzz(app, base_url, auth)
    print(f"issuer: fuzzed in {time.monotonic() - started:.1f}s")
    assert not failures, f"{len(failures)} distinct failures:\n" + "\n".join(failures)
