"""Where the test suite finds Postgres and Kafka.

- ``CIVIC_TEST_ADMIN_DATABASE_URL`` and ``CIVIC_TEST_KAFKA_BOOTSTRAP`` set: reuse those.
- ``CIVIC_INFRA=containers``: testcontainers (needs a Docker engine).
- otherwise (``local``, the default): the repo's own ``deploy/local/infra.sh start``, which is
  idempotent, so a stack already started by ``make up`` is shared (runs are isolated anyway).
"""

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Infra:
    admin_url: str  # superuser URL of the maintenance database
    kafka_bootstrap: str
    kafka_libs: Path | None = None  # jar dir of the local broker, for tests that run their own


def parse_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def local_infra(repo_root: Path) -> Infra:
    script = repo_root / "deploy" / "local" / "infra.sh"
    subprocess.run([script, "start"], check=True)
    env = parse_env(
        subprocess.run([script, "env"], check=True, capture_output=True, text=True).stdout
    )
    state = Path(os.environ.get("CIVIC_STATE", repo_root / ".state"))
    return Infra(
        env["CIVIC_ADMIN_DATABASE_URL"], env["CIVIC_KAFKA_BOOTSTRAP"], state / "kafka" / "libs"
    )


@contextlib.contextmanager
def container_infra() -> Iterator[Infra]:  # pragma: no cover - needs a Docker engine
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    # cp-kafka 8.x is Apache Kafka 4.x; KRaft like the embedded default.
    with (
        PostgresContainer("postgres:15", driver=None) as pg,
        KafkaContainer("confluentinc/cp-kafka:8.0.0").with_kraft() as kafka,
    ):
        yield Infra(pg.get_connection_url(), kafka.get_bootstrap_server())


@contextlib.contextmanager
def test_infra(repo_root: Path) -> Iterator[Infra]:
    admin, bootstrap = (
        os.environ.get("CIVIC_TEST_ADMIN_DATABASE_URL"),
        os.environ.get("CIVIC_TEST_KAFKA_BOOTSTRAP"),
    )
    if admin and bootstrap:
        yield Infra(admin, bootstrap)
    elif os.environ.get("CIVIC_INFRA", "local") == "containers":
        with container_infra() as infra:
            yield infra
    else:
        yield local_infra(repo_root)
