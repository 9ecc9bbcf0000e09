"""The whole platform as real processes (each service's api and workers, optionally the partner
token issuer) on an isolated database and topic prefix: the e2e suite's system and the fault
suite's, which kills and restarts its processes."""

import contextlib
import os
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from civic_common.events.contracts.base import SERVICES
from civic_common.testing.infra import Infra
from civic_common.testing.plugin import IsolatedDatabase, free_port, isolated_settings
from civic_common.testing.processes import (
    Process,
    process_environment,
    stop_processes,
    wait_ready,
)


@dataclass
class System:
    urls: dict[str, str]
    topic_prefix: str
    logs: Path
    # How long services reuse an issuer's answer on a partner token (short, so a test sees a
    # revocation take effect).
    introspection_cache_seconds: float = 1.0
    processes: dict[str, Process] = field(default_factory=dict)
    db: IsolatedDatabase | None = None  # the system's database (tests arrange data in it)
    metrics: dict[str, str] = field(default_factory=dict)  # worker process name -> /metrics URL

    def log_tails(self, lines: int = 30) -> str:
        return "\n".join(
            f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            for log in sorted(self.logs.glob("*.log"))
        )

    def workers(self, service: str) -> list[Process]:
        return [p for name, p in self.processes.items() if name.startswith(f"{service}-worker")]


def _cross_host_links(service: str, urls: Mapping[str, str]) -> dict[str, str]:
    """Pages of one service link to another's (and trajecten's read names from intake's API;
    intake asks trajecten's API for its eligibility decisions)."""
    if service == "intake":  # and its data-subject report reads the other services' sections
        return {
            "CIVIC_INTAKE_TRAJECTEN_PAGES_URL": urls["trajecten"],
            "CIVIC_INTAKE_TRAJECTEN_API_URL": urls["trajecten"],
            "CIVIC_INTAKE_TOLKEN_API_URL": urls["tolken"],
            "CIVIC_INTAKE_RAPPORTAGE_API_URL": urls["rapportage"],
        }
    if service == "trajecten":
        return {
            "CIVIC_TRAJECTEN_INTAKE_PAGES_URL": urls["intake"],
            "CIVIC_TRAJECTEN_INTAKE_API_URL": urls["intake"],
        }
    return {}


@contextlib.asynccontextmanager
async def running_system(
    infra: Infra,
    db: IsolatedDatabase,
    prefix: str,
    jwt_keys: Path,
    logs: Path,
    *,
    extra_environment: Mapping[str, str] | None = None,
    issuer_db: str | None = None,
    workers_per_service: int = 1,
    apis_per_service: int = 1,
    introspection_cache_seconds: float = 1.0,
    ready_within: float = 90.0,
) -> AsyncIterator[System]:
    """Start every process, wait until every api is ready, and stop them all afterwards.

    Worker ``n`` of a service is ``<service>-worker-<n>`` with a static group membership id of
    its own, so a restarted worker takes its partitions back at once."""
    system = System({}, prefix, logs, introspection_cache_seconds, db=db)
    if issuer_db is not None:
        issuer_port = free_port()
        system.urls["issuer"] = f"http://127.0.0.1:{issuer_port}"
        system.processes["issuer"] = Process(
            "issuer",
            [sys.executable, "-m", "civic_common.auth.issuer_app"],
            os.environ
            | dict(extra_environment or {})  # e.g. the sign-in provider, for partner staff
            | {
                "CIVIC_ISSUER_DATABASE_URL": issuer_db,
                "CIVIC_ISSUER_KEYS_DIR": str(jwt_keys),
                "CIVIC_ISSUER_HTTP_PORT": str(issuer_port),
            },
            logs / "issuer.log",
        )
    ports = {service: free_port() for service in SERVICES}
    for service in SERVICES:
        system.urls[service] = f"http://127.0.0.1:{ports[service]}"
    for service in SERVICES:
        settings = isolated_settings(infra, db, prefix, jwt_keys, service)
        if issuer_db is not None:
            settings = settings.model_copy(
                update={
                    "jwt_introspection_url": f"{system.urls['issuer']}/oauth2/introspect",
                    "jwt_introspection_cache_seconds": introspection_cache_seconds,
                }
            )
        port = ports[service]
        # api n > 1 is <service>-api-<n>, at system.urls["<service>-api-<n>"] (scale-out tests).
        extra_apis = [(f"api-{n}", "api", free_port()) for n in range(2, apis_per_service + 1)]
        for name, _, extra_port in extra_apis:
            system.urls[f"{service}-{name}"] = f"http://127.0.0.1:{extra_port}"
        kinds = [
            ("api", "api", port),
            *extra_apis,
            *((f"worker-{n}", "worker", None) for n in range(1, workers_per_service + 1)),
        ]
        for name, kind, kind_port in kinds:
            env = process_environment(settings, kind_port, extra_environment)
            if issuer_db is not None:  # deliveries ask the issuer whether a client still may
                env["CIVIC_TRAJECTEN_PARTNER_CLIENT_STATUS_URL"] = (
                    f"{system.urls['issuer']}/oauth2/client-status"
                )
                # The partner portal reads a signed-in organisation's clients there.
                env["CIVIC_TRAJECTEN_ISSUER_URL"] = system.urls["issuer"]
            if kind == "worker":
                env["CIVIC_WORKER_INSTANCE_ID"] = f"{prefix}{service}-{name}"
                metrics_port = free_port()
                env["CIVIC_WORKER_METRICS_PORT"] = str(metrics_port)
                system.metrics[f"{service}-{name}"] = f"http://127.0.0.1:{metrics_port}/metrics"
            env |= _cross_host_links(service, system.urls)
            system.processes[f"{service}-{name}"] = Process(
                f"{service}-{name}",
                [sys.executable, "-m", "civic_common.cli", service, kind],
                env,
                logs / f"{service}-{name}.log",
            )
    try:
        for process in system.processes.values():
            process.start()
        popens = [p.popen for p in system.processes.values() if p.popen is not None]
        try:
            await wait_ready(system.urls, popens, within=ready_within)
        except RuntimeError:
            print(system.log_tails(), file=sys.stderr)
            raise
        yield system
    finally:
        stop_processes([p.popen for p in system.processes.values() if p.popen is not None])
