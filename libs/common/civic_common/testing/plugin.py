"""pytest fixtures: real Postgres and Kafka, one database and one topic prefix per test run.

Registered as a pytest plugin by civic-common (entry point ``pytest11``), so every test in the
repo can use them. Roles are per run as well (``t<run>_<service>``): roles are cluster-wide in
Postgres, and a run must not touch the roles of a stack started with ``make up``.
"""

import asyncio
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient

from civic_common.auth.issuer import ensure_keys, mint
from civic_common.db.migrate import upgrade
from civic_common.events.contracts.base import SERVICES
from civic_common.kafka import ensure_topics
from civic_common.provision import all_topics, drop_database, provision_database, service_url
from civic_common.runtime import Runtime, ServiceSpec
from civic_common.settings import ServiceSettings
from civic_common.testing.infra import Infra, parse_env, test_infra


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_names() -> list[str]:
    return sorted(ep.name for ep in entry_points(group="civic.services"))


def service_spec(name: str) -> ServiceSpec:
    """Load one service only, so a test of one service does not depend on the others."""
    [entry] = entry_points(group="civic.services", name=name)
    return entry.load()


def _migrate(name: str, settings: ServiceSettings) -> None:
    """Migrate synchronously (in a thread with its own loop): fixtures' factories are sync."""

    async def run() -> None:
        runtime = service_spec(name).runtime(settings)
        try:
            await upgrade(runtime.engine, runtime.migrations, name)
        finally:
            await runtime.engine.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


@dataclass(frozen=True)
class IsolatedDatabase:
    admin_url: str
    name: str
    roles: dict[str, tuple[str, str]]  # service -> (role, password)

    def url(self, service: str) -> str:
        role, password = self.roles[service]
        return service_url(self.admin_url, self.name, role, password)


@pytest.fixture(scope="session")
def repo_root(pytestconfig: pytest.Config) -> Path:
    return pytestconfig.rootpath


@pytest.fixture(scope="session")
def infra(repo_root: Path) -> Iterator[Infra]:
    with test_infra(repo_root) as found:
        yield found


@contextlib.asynccontextmanager
async def isolated_environment(infra: Infra) -> AsyncIterator[tuple[IsolatedDatabase, str]]:
    """A database with per-run roles and a topic prefix of their own, removed afterwards."""
    run = secrets.token_hex(4)
    roles = {s: (f"t{run}_{s}", secrets.token_hex(16)) for s in SERVICES}
    db = IsolatedDatabase(infra.admin_url, f"civic_t{run}", roles)
    prefix = f"t{run}."
    topics = all_topics(prefix)
    await provision_database(db.admin_url, db.name, roles)
    await ensure_topics(infra.kafka_bootstrap, topics)
    try:
        yield db, prefix
    finally:
        await drop_database(db.admin_url, db.name, [role for role, _ in roles.values()])
        admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(list(topics))
        finally:
            await admin.close()


@pytest_asyncio.fixture(scope="session")
async def environment(infra: Infra) -> AsyncIterator[tuple[IsolatedDatabase, str]]:
    async with isolated_environment(infra) as env:
        yield env


@pytest.fixture(scope="session")
def civic_db(environment: tuple[IsolatedDatabase, str]) -> IsolatedDatabase:
    return environment[0]


@pytest.fixture(scope="session")
def topic_prefix(environment: tuple[IsolatedDatabase, str]) -> str:
    return environment[1]


@contextlib.asynccontextmanager
async def issuer_database(infra: Infra) -> AsyncIterator[str]:
    """A database of its own for the partner token issuer, its role provisioned as
    civic-provision does it; the issuer app migrates it on start."""
    run = secrets.token_hex(4)
    name, role, password = f"civic_t{run}_iss", f"t{run}_issuer", secrets.token_hex(16)
    await provision_database(infra.admin_url, name, {"issuer": (role, password)})
    try:
        yield service_url(infra.admin_url, name, role, password)
    finally:
        await drop_database(infra.admin_url, name, [role])


@pytest_asyncio.fixture(scope="session")
async def issuer_db(infra: Infra) -> AsyncIterator[str]:
    """The session's issuer database, the one the running system's issuer uses. Tests that
    register partner clients of their own beside the system use ``issuer_database`` instead:
    a client left here changes what an organisation's clients grant in the system's tests."""
    async with issuer_database(infra) as url:
        yield url


@pytest.fixture(scope="session")
def jwt_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("jwt")
    ensure_keys(directory)
    return directory


@pytest.fixture(scope="session")
def auth(jwt_keys: Path) -> Callable[..., dict[str, str]]:
    """``auth("counter")`` -> an Authorization header from the test issuer. Staff belong to
    an agency, AgII unless ``organisation=`` says otherwise (as with ``civic-token``); partner
    tokens carry only the claims given."""

    def header(role: str, subject: str | None = None, **claims: str | None) -> dict[str, str]:
        if role != "partner":
            claims.setdefault("organisation", "agii")
        token = mint(jwt_keys, [role], subject or f"{role}@test", **claims)
        return {"Authorization": f"Bearer {token}"}

    return header


def isolated_settings(
    infra: Infra, db: IsolatedDatabase, prefix: str, jwt_keys: Path, service: str
) -> ServiceSettings:
    """Settings of one service on an isolated environment, with rebalances taking seconds."""
    return ServiceSettings(
        database_url=db.url(service),
        kafka_bootstrap=infra.kafka_bootstrap,
        topic_prefix=prefix,
        jwt_jwks=str(jwt_keys / "jwks.json"),
        broker_session_timeout=6.0,
        broker_rebalance_timeout=6.0,
        broker_heartbeat_interval=1.0,
    )


@pytest.fixture(scope="session")
def settings_for(
    infra: Infra, civic_db: IsolatedDatabase, topic_prefix: str, jwt_keys: Path
) -> Callable[[str], ServiceSettings]:
    return lambda service: isolated_settings(infra, civic_db, topic_prefix, jwt_keys, service)


@pytest.fixture(scope="session")
def migrate(settings_for: Callable[[str], ServiceSettings]) -> Callable[[str], None]:
    """``migrate("intake")``: that service's schema at head in this run's database, once."""
    done: set[str] = set()

    def run(name: str) -> None:
        if name not in done:
            _migrate(name, settings_for(name))
            done.add(name)

    return run


@pytest.fixture(scope="session")
def migrated(migrate: Callable[[str], None]) -> None:
    """Every service's schema at head in this run's database."""
    for name in service_names():
        migrate(name)


@pytest_asyncio.fixture
async def runtime_for(
    migrate: Callable[[str], None], settings_for: Callable[[str], ServiceSettings]
) -> AsyncIterator[Callable[[str], Runtime]]:
    """``runtime_for("intake")`` -> a Runtime of that service on its migrated test schema."""
    made: list[Runtime] = []

    def make(service: str) -> Runtime:
        migrate(service)
        made.append(service_spec(service).runtime(settings_for(service)))
        return made[-1]

    yield make
    for runtime in made:
        await runtime.engine.dispose()


class PrivateKafka:
    """A broker of a test's own, which the test may stop and start again (fault tests)."""

    def __init__(self, repo_root: Path, state: Path, kafka_libs: Path) -> None:
        self.port, self._controller = free_port(), free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._state = state
        self._script = repo_root / "deploy" / "local" / "infra.sh"
        self._env = os.environ | {
            "CIVIC_STATE": str(state),
            "CIVIC_KAFKA_PORT": str(self.port),
            "CIVIC_KAFKA_CONTROLLER_PORT": str(self._controller),
            "CIVIC_KAFKA_LIBS": str(kafka_libs),
        }

    def start(self) -> None:
        subprocess.run([self._script, "start-kafka"], env=self._env, check=True)

    def stop(self) -> None:
        subprocess.run([self._script, "stop-kafka"], env=self._env, check=True)

    @property
    def pid(self) -> int:
        """The broker's process (to freeze it with SIGSTOP)."""
        return int((self._state / "kafka" / "kafka.pid").read_text())


@pytest.fixture
def private_kafka(infra: Infra, repo_root: Path, tmp_path: Path) -> Iterator[PrivateKafka]:
    if infra.kafka_libs is None:
        pytest.skip("a private broker needs the local Kafka jars (CIVIC_INFRA=local)")
    broker = PrivateKafka(repo_root, tmp_path / "kafka-state", infra.kafka_libs)
    broker.start()
    yield broker
    broker.stop()


class PrivatePostgres:
    """A PostgreSQL cluster of a test's own, which the test may crash and restart."""

    def __init__(self, repo_root: Path, state: Path) -> None:
        self.port = free_port()
        self._script = repo_root / "deploy" / "local" / "infra.sh"
        self._env = os.environ | {"CIVIC_STATE": str(state), "CIVIC_PG_PORT": str(self.port)}

    def _run(self, command: str) -> str:
        done = subprocess.run(
            [self._script, command], env=self._env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"infra.sh {command} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self) -> None:
        self._run("start-postgres")

    def stop(self) -> None:
        self._run("stop-postgres")

    def crash(self) -> None:
        """``pg_ctl restart -m immediate``: every connection cut, crash recovery, back."""
        self._run("crash-postgres")

    @property
    def admin_url(self) -> str:
        return parse_env(self._run("env"))["CIVIC_ADMIN_DATABASE_URL"]


@pytest.fixture
def private_postgres(repo_root: Path) -> Iterator[PrivatePostgres]:
    # Not under pytest's tmp_path: a pytest session starting meanwhile makes its folders
    # private again (0700), and the postgres user would lose its way to the data directory.
    state = Path(tempfile.mkdtemp(prefix="civic-private-pg-"))
    cluster = PrivatePostgres(repo_root, state)
    try:
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(RuntimeError):
            cluster.stop()
        shutil.rmtree(state, ignore_errors=True)
