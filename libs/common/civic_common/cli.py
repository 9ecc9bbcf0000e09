"""``civic-service <service> api|worker|migrate``: how every process of every service starts.

Services are found through the ``civic.services`` entry point group. Both api and worker
migrate first (under an advisory lock), so either may start before the other.
"""

import argparse
import asyncio
import logging
import sys
from importlib.metadata import entry_points

import uvicorn

from civic_common.db.errors import is_transient
from civic_common.db.migrate import upgrade
from civic_common.logging import configure_logging
from civic_common.runtime import Runtime, ServiceSpec
from civic_common.tracing import TracingSettings, configure_tracing


def load_service(name: str) -> ServiceSpec:
    found = {ep.name: ep for ep in entry_points(group="civic.services")}
    if name not in found:
        sys.exit(f"unknown service {name!r}; installed: {', '.join(sorted(found)) or 'none'}")
    return found[name].load()


log = logging.getLogger(__name__)


async def migrate(runtime: Runtime, max_backoff: float = 5.0) -> None:
    """Bring the schema to head, waiting for the database while it is unavailable (starting up,
    restarting, refusing connections): a process started during a database restart comes up
    when the database does, instead of exiting. Any other error ends the process."""
    backoff = 0.5
    try:
        while True:
            try:
                await upgrade(runtime.engine, runtime.migrations, runtime.service)
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning(
                    "database unavailable at start (%s); retrying in %.1fs",
                    type(exc).__name__,
                    backoff,
                )
                await runtime.engine.dispose()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, max_backoff)
    finally:
        await runtime.engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="civic-service")
    parser.add_argument("service")
    parser.add_argument("process", choices=["api", "worker", "migrate"])
    args = parser.parse_args(argv)
    spec = load_service(args.service)
    runtime = spec.runtime()
    configure_logging(f"{spec.name}-{args.process}", runtime.settings.log_level)
    if args.process != "migrate":
        configure_tracing(f"{spec.name}-{args.process}", TracingSettings())
    asyncio.run(migrate(runtime))
    if args.process == "api":
        uvicorn.run(
            spec.create_app(spec.runtime(runtime.settings)),
            host=runtime.settings.http_host,
            port=runtime.settings.http_port or spec.port,
            log_config=None,  # keep our JSON logging
            access_log=False,
        )
    elif args.process == "worker":
        worker = spec.create_worker(spec.runtime(runtime.settings))
        worker.main()


if __name__ == "__main__":
    main()
