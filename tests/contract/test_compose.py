"""Contract: docker-compose.yml, .env.example, .dockerignore and the Dockerfile agree with the code.

There is no Docker engine where the suite runs, so these tests parse the files and compare them
with what the code declares: the services (``civic.services`` entry points, their ``ServiceSpec``
ports), the settings every process reads (``ServiceSettings``), the roles and variables of
``civic-provision`` and the console scripts of civic-common. Each check is a function over the
parsed compose file that fails with a message naming the container and the problem; the last
tests feed mutated copies to the checks to prove they can fail.
"""

import copy
import importlib
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings
from sqlalchemy.engine import make_url

from civic_common.db.engine import MAX_OVERFLOW, POOL_SIZE
from civic_common.events.contracts.base import SERVICES
from civic_common.provision import INFRASTRUCTURE
from civic_common.runtime import ServiceSpec
from civic_common.settings import ServiceSettings

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
COMMON_PYPROJECT = ROOT / "libs" / "common" / "pyproject.toml"

PROCESSES = ("api", "worker")
ENTRYPOINT = "civic-service"
# A depends_on condition that only waits for "started" lets a process race its infrastructure.
CONDITIONS = {"service_healthy", "service_completed_successfully"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL", re.IGNORECASE)
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}; "$$" is a literal "$".
INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)
ONLY_INTERPOLATION = re.compile(rf"^{INTERPOLATION.pattern}$")
URL_PASSWORD = re.compile(r"://(?P<user>[^:/@\s]+):(?P<password>(?:\$\{[^}]*\}|[^@\s$])+)@")
ENV_ENTRY = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$", re.DOTALL)
DUMMY_SECRET = "0123456789abcdef"

Compose = dict[str, Any]


# ---------------------------------------------------------------- loading


@cache
def specs() -> dict[str, ServiceSpec]:
    """Every installed service: ``civic-service`` finds them through the same entry points."""
    found = {ep.name: ep.load() for ep in entry_points(group="civic.services")}
    assert found, "no civic.services entry points: install libs/common and services/* first"
    return found


def load_compose() -> Compose:
    # safe_load resolves the anchors and "<<" merge keys the file uses.
    return yaml.safe_load(COMPOSE_FILE.read_text())


def env_example() -> dict[str, str]:
    values = {}
    for number, raw in enumerate(ENV_EXAMPLE.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assert "=" in line, f".env.example line {number} is not NAME=value: {raw!r}"
        name, value = line.split("=", 1)
        values[name.strip()] = value.strip()
    return values


def containers(compose: Compose) -> dict[str, dict[str, Any]]:
    return compose.get("services") or {}


def environment(container: dict[str, Any]) -> dict[str, str]:
    env = container.get("environment") or {}
    if isinstance(env, list):  # the "- NAME=value" form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def depends_on(container: dict[str, Any]) -> dict[str, Any]:
    deps = container.get("depends_on") or {}
    return {name: None for name in deps} if isinstance(deps, list) else deps


def one_shot_jobs(compose: Compose) -> set[str]:
    """Containers others wait for to *complete*: jobs that run once and exit."""
    return {
        name
        for container in containers(compose).values()
        for name, dep in depends_on(container).items()
        if isinstance(dep, dict) and dep.get("condition") == "service_completed_successfully"
    }


def process_name(service: str, process: str) -> str:
    return f"{service}-{process}"


def process_containers(compose: Compose) -> dict[str, tuple[str, str]]:
    """Container name -> (service, process) for every process the code defines, if present."""
    return {
        process_name(service, process): (service, process)
        for service in specs()
        for process in PROCESSES
        if process_name(service, process) in containers(compose)
    }


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Resolve compose interpolation the way ``docker compose`` does (enough of it for here)."""

    def resolve(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        current = variables.get(name)
        if op in (":-", ":?") and not current:
            current = None
        if current is not None:
            return current
        if op and op.endswith("?"):
            raise AssertionError(f"${{{name}}} is required ({arg}) and not set")
        return arg if op else ""

    return INTERPOLATION.sub(resolve, value.replace("$$", "\0")).replace("\0", "$")


def example_variables() -> dict[str, str]:
    """What .env.example provides once filled in: a dummy for every secret, defaults else."""
    return {
        name: value or (DUMMY_SECRET if SECRET_NAME.search(name) else "")
        for name, value in env_example().items()
    }


def parse_ports(container: dict[str, Any]) -> list[tuple[int, int]]:
    """(published, target) pairs of both the short and the long port syntax."""
    pairs = []
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            pairs.append((int(port.get("published", port["target"])), int(port["target"])))
            continue
        parts = str(port).split("/")[0].split(":")
        target = int(parts[-1])
        published = int(parts[-2]) if len(parts) > 1 and parts[-2] else target
        pairs.append((published, target))
    return pairs


def is_secret_reference(value: str) -> bool:
    """A whole ${VAR}, ${VAR:?error} or ${VAR?error}: no literal, and no ${VAR:-default} either
    (a default password is a committed password)."""
    match = ONLY_INTERPOLATION.match(value)
    return bool(match) and match["op"] in (None, ":?", "?")


def fail_if(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- checks


def check_processes(compose: Compose) -> None:
    """Every service package has an api and a worker container, started the same way."""
    problems = []
    for service in specs():
        for process in PROCESSES:
            name = process_name(service, process)
            container = containers(compose).get(name)
            if container is None:
                problems.append(
                    f"{name}: missing; service {service!r} is installed (civic.services entry "
                    f"point) but docker-compose.yml has no container for its {process}"
                )
                continue
            if container.get("command") != [service, process]:
                problems.append(
                    f"{name}: command must be [{service}, {process}] (the image's entrypoint is "
                    f"`{ENTRYPOINT} <service> api|worker`), got {container.get('command')!r}"
                )
            if "entrypoint" in container:
                problems.append(f"{name}: must not override the image's {ENTRYPOINT} entrypoint")
            if container.get("restart") != "unless-stopped":
                problems.append(f"{name}: restart must be unless-stopped")
            if "build" not in container and "image" not in container:
                problems.append(f"{name}: neither image nor build: not the project image")
    fail_if(problems)


def check_api_ports(compose: Compose) -> None:
    """Each api listens on all interfaces and publishes its ServiceSpec port."""
    problems = []
    for name, (service, process) in process_containers(compose).items():
        if process != "api":
            continue
        container, port = containers(compose)[name], specs()[service].port
        env = environment(container)
        if env.get("CIVIC_HTTP_HOST") != "0.0.0.0":
            problems.append(f"{name}: CIVIC_HTTP_HOST must be 0.0.0.0 to be reachable")
        listening = int(env.get("CIVIC_HTTP_PORT") or port)
        if listening != port:
            problems.append(f"{name}: CIVIC_HTTP_PORT {listening} is not {service}'s port {port}")
        if (port, listening) not in parse_ports(container):
            problems.append(
                f"{name}: must publish {port}:{listening} ({service}'s ServiceSpec port), "
                f"publishes {container.get('ports')!r}"
            )
    fail_if(problems)


def check_healthchecks(compose: Compose) -> None:
    """Every long-running container has a health check; the processes' ones fit the process."""
    problems = []
    # One-shot jobs (provision, issuer-keys) are exempt: they exit when done, and whoever needs
    # them waits for service_completed_successfully, which a health check cannot express.
    exempt = one_shot_jobs(compose)
    for name, container in containers(compose).items():
        if name in exempt:
            if container.get("restart", "no") != "no":
                problems.append(f'{name}: a one-shot job must not restart (restart: "no")')
            continue
        check = container.get("healthcheck") or {}
        if (
            check.get("disable")
            and container.get("x-no-healthcheck")
            and name not in (process_containers(compose))
        ):
            continue  # a third-party image Docker cannot probe, watched another way (says how)
        if check.get("disable") or not check.get("test"):
            problems.append(f"{name}: no healthcheck (only one-shot jobs may go without)")
            continue
        test = check["test"]
        test = " ".join(map(str, test)) if isinstance(test, list) else str(test)
        process = process_containers(compose).get(name, (None, None))[1]
        if process == "api" and "/readyz" not in test:
            problems.append(f"{name}: the api health check must probe /readyz, got {test!r}")
        if process == "worker":
            heartbeat = environment(container).get("CIVIC_WORKER_HEARTBEAT_FILE")
            if not heartbeat:
                problems.append(f"{name}: CIVIC_WORKER_HEARTBEAT_FILE must be set")
            elif heartbeat not in test and "CIVIC_WORKER_HEARTBEAT_FILE" not in test:
                problems.append(f"{name}: health check does not look at the heartbeat {heartbeat}")
    fail_if(problems)


def check_depends_on(compose: Compose) -> None:
    """Every dependency waits on a condition; processes wait for jobs and infrastructure."""
    problems = []
    names = set(containers(compose))
    jobs = one_shot_jobs(compose)
    for name, container in containers(compose).items():
        if isinstance(container.get("depends_on"), list):
            problems.append(f"{name}: depends_on must be a mapping with a condition per entry")
        for dep, spec in depends_on(container).items():
            condition = spec.get("condition") if isinstance(spec, dict) else None
            if dep not in names:
                problems.append(f"{name}: depends on {dep!r}, which is not a container")
            if condition not in CONDITIONS:
                problems.append(
                    f"{name}: depends_on {dep} needs condition {' or '.join(sorted(CONDITIONS))}"
                    f", got {condition!r}"
                )
    for name in process_containers(compose):
        container = containers(compose)[name]
        deps = depends_on(container)
        env = environment(container)
        wanted = dict.fromkeys(jobs, "service_completed_successfully")
        # The hosts a process talks to must be healthy before it starts.
        raw_url = env.get("CIVIC_DATABASE_URL")
        db_host = make_url(interpolate(raw_url, example_variables())).host if raw_url else None
        kafka_hosts = {b.rsplit(":", 1)[0] for b in env.get("CIVIC_KAFKA_BOOTSTRAP", "").split(",")}
        for host in {db_host, *kafka_hosts} - {None, ""}:
            if host not in names:
                problems.append(f"{name}: connects to {host!r}, which is not a container")
            wanted[host] = "service_healthy"
        for dep, condition in wanted.items():
            got = deps.get(dep)
            if not isinstance(got, dict) or got.get("condition") != condition:
                problems.append(f"{name}: must depend on {dep} with condition {condition}")
    fail_if(problems)


def service_setting_names(service: str) -> set[str]:
    """The variables of a service's own settings (``<service>.settings``, prefix
    ``CIVIC_<SERVICE>_``), if it has any."""
    try:
        module = importlib.import_module(f"{service}.settings")
    except ModuleNotFoundError:
        return set()
    names = set()
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, BaseSettings)
            and value is not BaseSettings
        ):
            prefix = str(value.model_config.get("env_prefix", ""))
            if prefix == f"CIVIC_{service.upper()}_":
                names |= {f"{prefix}{field.upper()}" for field in value.model_fields}
    return names


def check_settings_env(compose: Compose) -> None:
    """Processes set every required ServiceSettings field and no CIVIC_* name that is none."""
    fields = ServiceSettings.model_fields
    known = {f"CIVIC_{field.upper()}": field for field in fields}
    required = {f"CIVIC_{field.upper()}" for field, info in fields.items() if info.is_required()}
    problems = []
    for name in process_containers(compose):
        env = environment(containers(compose)[name])
        for var in sorted(required - set(env)):
            problems.append(f"{name}: {var} is required by ServiceSettings and not set")
        own = service_setting_names(process_containers(compose)[name][0])
        for var in sorted(v for v in env if v.startswith("CIVIC_") and v not in set(known) | own):
            problems.append(
                f"{name}: {var} is not a setting of ServiceSettings or its service (typo?); "
                "known: " + ", ".join(sorted(set(known) | own))
            )
        # The values, once .env is filled in, must also validate.
        try:
            resolved = {
                known[var]: interpolate(value, example_variables())
                for var, value in env.items()
                if var in known
            }
            ServiceSettings(_env_file=None, **resolved)
        except Exception as error:  # pydantic's ValidationError, or an unset ${VAR:?}
            problems.append(f"{name}: its CIVIC_* values do not validate: {error}")
    fail_if(problems)


def check_databases(compose: Compose) -> None:
    """Each process uses its own service's role, with that service's password variable, on the
    database provision creates; provision gets a password for every service it creates."""
    problems = []
    provision = containers(compose).get("provision")
    if provision is None:
        fail_if(["provision: missing (it creates the database, the roles and the topics)"])
    provision_env = environment(provision)
    database = provision_env.get("CIVIC_DB_NAME", "civic")  # civic-provision's default
    for service in sorted(set(specs()) - set(SERVICES)):
        problems.append(
            f"{service}: installed, but civic_common SERVICES (the roles civic-provision "
            "creates) does not list it"
        )
    for service in sorted(set(specs()) | set(SERVICES) | set(INFRASTRUCTURE)):
        var = f"CIVIC_{service.upper()}_DB_PASSWORD"
        if not ONLY_INTERPOLATION.match(provision_env.get(var, "")) or (
            ONLY_INTERPOLATION.match(provision_env[var])["name"] != var
        ):
            problems.append(f"provision: {var} must be set to ${{{var}:?...}}")
    for name, (service, _) in process_containers(compose).items():
        raw = environment(containers(compose)[name]).get("CIVIC_DATABASE_URL", "")
        url = make_url(interpolate(raw, example_variables())) if raw else None
        if url is None:
            continue  # reported by check_settings_env
        if url.username != service:
            problems.append(
                f"{name}: CIVIC_DATABASE_URL uses role {url.username!r}, not {service!r} "
                "(each process must use its own service's role)"
            )
        if url.drivername != "postgresql+asyncpg":
            problems.append(f"{name}: CIVIC_DATABASE_URL driver must be postgresql+asyncpg")
        if url.database != database:
            problems.append(f"{name}: database {url.database!r}, provision creates {database!r}")
        password = URL_PASSWORD.search(raw)
        expected = f"CIVIC_{service.upper()}_DB_PASSWORD"
        found = ONLY_INTERPOLATION.match(password["password"]) if password else None
        if not found or found["name"] != expected:
            problems.append(f"{name}: the password in CIVIC_DATABASE_URL must be ${{{expected}}}")
    fail_if(problems)


def check_no_literal_secrets(compose: Compose) -> None:
    """Passwords only as ${...}: in secret-named variables and in URLs."""
    problems = []

    def walk(where: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if SECRET_NAME.search(str(key)) and isinstance(value, str | int):
                    if not is_secret_reference(str(value)):
                        problems.append(f"{where}.{key}: literal secret; use ${{VAR:?...}}")
                walk(f"{where}.{key}", value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(f"{where}[{index}]", value)
        elif isinstance(node, str):
            for match in URL_PASSWORD.finditer(node):
                if not is_secret_reference(match["password"]):
                    problems.append(f"{where}: URL with a literal password; use ${{VAR:?...}}")
            entry = ENV_ENTRY.match(node)  # the "- NAME=value" form of environment
            if entry and SECRET_NAME.search(entry["key"]):
                if not is_secret_reference(entry["value"]):
                    problems.append(f"{where}: literal secret {entry['key']}; use ${{VAR:?...}}")

    walk("compose", compose)
    fail_if(problems)


def strings(node: Any) -> list[str]:
    """Every key and value of the parsed file (comments are gone, anchors are expanded)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in [*strings(k), *strings(v)]]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return [str(node)]


def check_env_example(compose: Compose, example: dict[str, str]) -> None:
    """.env.example lists exactly the variables compose interpolates, and holds no secret."""
    used = {
        m["name"]
        for text in strings(compose)
        for m in INTERPOLATION.finditer(text.replace("$$", ""))
    }
    problems = [
        f".env.example: {var} is used by docker-compose.yml, not listed"
        for var in sorted(used - set(example))
    ]
    problems += [
        f".env.example: {var} is not used by docker-compose.yml"
        for var in sorted(set(example) - used)
    ]
    problems += [
        f".env.example: {var} must be empty (it is a secret: generate it, don't commit it)"
        for var, value in sorted(example.items())
        if SECRET_NAME.search(var) and value
    ]
    fail_if(problems)


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        current = f"{current} {line}".strip()
        if current.endswith("\\"):
            current = current[:-1].rstrip()
            continue
        lines.append(current)
        current = ""
    split = [[*line.split(None, 1), ""] for line in lines]
    return [(parts[0].upper(), parts[1]) for parts in split]


def check_dockerfile(text: str, compose: Compose) -> None:
    """The image installs requirements before sources, runs as non-root, and its entrypoint is
    how compose starts processes; jobs override it only with installed commands."""
    steps = dockerfile_instructions(text)
    problems = []
    order = [instruction for instruction, _ in steps]
    args = {i: arguments for i, (_, arguments) in enumerate(steps)}

    def first(predicate: Callable[[str, str], bool]) -> int | None:
        return next((i for i, (ins, arg) in enumerate(steps) if predicate(ins, arg)), None)

    if not steps or steps[0] != ("FROM", "python:3.11-slim"):
        problems.append("Dockerfile: must start FROM python:3.11-slim")
    entrypoints = [a for ins, a in steps if ins == "ENTRYPOINT"]
    if not entrypoints or yaml.safe_load(entrypoints[-1]) != [ENTRYPOINT]:
        problems.append(f'Dockerfile: ENTRYPOINT must be ["{ENTRYPOINT}"], got {entrypoints!r}')
    requirements = first(lambda i, a: i == "RUN" and "-r requirements.txt" in a)
    copy_reqs = first(lambda i, a: i == "COPY" and a.split()[0] == "requirements.txt")
    copy_src = first(lambda i, a: i == "COPY" and a.split()[0] in ("libs/common", "libs", "."))
    local = first(lambda i, a: i == "RUN" and "pip install" in a and "libs/common" in a)
    if requirements is None or "--no-cache-dir" not in args[requirements]:
        problems.append("Dockerfile: needs RUN pip install --no-cache-dir -r requirements.txt")
    if None in (copy_reqs, copy_src, local, requirements) or not (
        copy_reqs < requirements < copy_src < local
    ):
        problems.append(
            "Dockerfile: COPY requirements.txt, pip install -r it, then COPY the sources and "
            "install them (requirements first, so source edits keep the dependency layer cached)"
        )
    if local is not None:
        if re.search(r"(^|\s)(-e|--editable)(\s|$)", args[local]):
            problems.append("Dockerfile: install the local packages non-editable")
        for service in specs():
            if f"services/{service}" not in args[local] and "services/*" not in args[local]:
                problems.append(f"Dockerfile: does not install services/{service}")
    users = [i for i, ins in enumerate(order) if ins == "USER"]
    if not users or steps[users[-1]][1].split(":")[0] in ("root", "0"):
        problems.append("Dockerfile: must switch to a non-root USER")
    elif local is not None and users[-1] < local:
        problems.append("Dockerfile: the last USER must come after the installation")
    for ins, arguments in steps:
        if ins in ("ENV", "ARG") and SECRET_NAME.search(arguments):
            problems.append(f"Dockerfile: {ins} {arguments!r} looks like a secret in the image")

    scripts = set(tomllib.loads(COMMON_PYPROJECT.read_text())["project"]["scripts"])
    if ENTRYPOINT not in scripts:
        problems.append(f"libs/common: no console script {ENTRYPOINT} (the image's entrypoint)")
    for name, container in containers(compose).items():
        if "build" not in container or "entrypoint" not in container:
            continue
        command = container["entrypoint"]
        program = command[0] if isinstance(command, list) else str(command).split()[0]
        if program not in scripts | {"python"}:
            problems.append(
                f"{name}: entrypoint {program!r} is neither python nor a console script of "
                f"civic-common ({', '.join(sorted(scripts))})"
            )
    fail_if(problems)


def check_jwks(compose: Compose) -> None:
    """A JWKS file path is on a volume every process mounts read-only."""
    problems = []
    for name in process_containers(compose):
        container = containers(compose)[name]
        jwks = interpolate(environment(container).get("CIVIC_JWT_JWKS", ""), {})
        if not jwks or jwks.startswith(("https://", "http://")):
            continue
        mounts = [str(v).split(":") for v in container.get("volumes") or []]
        if not any(
            len(m) == 3 and jwks.startswith(m[1].rstrip("/") + "/") and "ro" in m[2].split(",")
            for m in mounts
        ):
            problems.append(f"{name}: {jwks} is not on a volume mounted read-only")
    fail_if(problems)


# ---------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def compose() -> Compose:
    return load_compose()


def test_every_service_process_has_a_container(compose: Compose) -> None:
    check_processes(compose)


def test_no_unknown_process_containers(compose: Compose) -> None:
    """Project-image containers are the processes of installed services, one-shot jobs or the
    infrastructure processes civic-provision makes a role for (the token issuer)."""
    expected = set(process_containers(compose)) | one_shot_jobs(compose) | set(INFRASTRUCTURE)
    stray = sorted(
        name for name, c in containers(compose).items() if "build" in c and name not in expected
    )
    assert not stray, f"containers of no installed service (removed service?): {stray}"


def test_apis_publish_their_service_port(compose: Compose) -> None:
    check_api_ports(compose)


def test_every_long_running_container_has_a_healthcheck(compose: Compose) -> None:
    check_healthchecks(compose)


def test_every_dependency_has_a_condition(compose: Compose) -> None:
    check_depends_on(compose)


def test_process_environment_matches_service_settings(compose: Compose) -> None:
    check_settings_env(compose)


def test_each_process_uses_its_own_database_role(compose: Compose) -> None:
    check_databases(compose)


def test_no_literal_password(compose: Compose) -> None:
    check_no_literal_secrets(compose)


def test_env_example_lists_every_variable(compose: Compose) -> None:
    check_env_example(compose, env_example())


def test_secrets_stay_out_of_git_and_images() -> None:
    ignored = {line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()}
    assert ".env" in ignored, ".gitignore must list .env (compose reads the passwords from it)"
    excluded = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    missing = {".env", ".git", ".venv", ".state"} - excluded
    assert not missing, f".dockerignore must exclude {sorted(missing)}"


def test_dockerfile_matches_compose(compose: Compose) -> None:
    check_dockerfile(DOCKERFILE.read_text(), compose)


def test_processes_read_the_jwks_from_a_read_only_volume(compose: Compose) -> None:
    check_jwks(compose)


def test_issuer_signs_with_the_issuer_keys_on_its_own_role(compose: Compose) -> None:
    """The partner token issuer: its own role and password, the key pair volume read-write (it
    signs), started after provision and issuer-keys, health-checked on /healthz."""
    issuer = containers(compose)["issuer"]
    env = environment(issuer)
    assert issuer["entrypoint"] == ["civic-issuer"]
    url = make_url(interpolate(env["CIVIC_ISSUER_DATABASE_URL"], example_variables()))
    assert url.username == "issuer" and url.database == "civic"
    assert "${CIVIC_ISSUER_DB_PASSWORD:?" in env["CIVIC_ISSUER_DATABASE_URL"]
    assert f"issuer-keys:{env['CIVIC_ISSUER_KEYS_DIR']}" in issuer["volumes"], "keys not mounted rw"
    for job in ("provision", "issuer-keys"):
        assert depends_on(issuer)[job]["condition"] == "service_completed_successfully"
    assert "/healthz" in " ".join(issuer["healthcheck"]["test"])


def test_kafka_is_single_node_kraft_with_explicit_topics(compose: Compose) -> None:
    kafka = containers(compose)["kafka"]
    env = environment(kafka)
    assert kafka["image"] == "apache/kafka:4.1.1"
    assert env.get("KAFKA_PROCESS_ROLES") == "broker,controller"
    # Topics are created by civic-provision with their partition counts; the workers declare none.
    assert env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE") == "false"
    assert env.get("KAFKA_LOG_RETENTION_HOURS") == "-1", "topics are the system of record"
    factors = {k: v for k, v in env.items() if k.endswith(("REPLICATION_FACTOR", "MIN_ISR"))}
    assert factors and set(factors.values()) == {"1"}, f"one broker: factors must be 1: {factors}"
    assert any(v.startswith("kafka-data:") for v in kafka.get("volumes", [])), "no data volume"


def compose_cli() -> list[str] | None:
    """The compose v2 plugin, else the standalone v1 ``docker-compose`` (Debian's package)."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.mark.skipif(compose_cli() is None, reason="neither docker compose nor docker-compose")
def test_docker_compose_config_validates(tmp_path: Path) -> None:
    """``compose config`` validates and interpolates the file offline: no engine needed."""
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in example_variables().items()))
    # With the passwords unset, compose must refuse to render the file.
    empty = tmp_path / "empty.env"
    empty.write_text("")
    refused = subprocess.run(
        [*compose_cli(), "-f", str(COMPOSE_FILE), "--env-file", str(empty), "config"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert refused.returncode != 0, "compose accepted the file with no password set"
    assert "PASSWORD" in refused.stderr or "set it in .env" in refused.stderr, refused.stderr
    result = subprocess.run(
        [*compose_cli(), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert set(resolved["services"]) == set(containers(load_compose()))


# ---------------------------------------------------------------- the checks can fail


def _drop_healthcheck(c: Compose) -> None:
    del c["services"]["intake-api"]["healthcheck"]


def _unexplained_disabled_healthcheck(c: Compose) -> None:
    del c["services"]["otel-collector"]["x-no-healthcheck"]


def _disabled_process_healthcheck(c: Compose) -> None:
    c["services"]["intake-worker"]["healthcheck"] = {"disable": True}
    c["services"]["intake-worker"]["x-no-healthcheck"] = "trust me"


def _drop_worker(c: Compose) -> None:
    del c["services"]["tolken-worker"]


def _wrong_port(c: Compose) -> None:
    c["services"]["trajecten-api"]["ports"] = ["8001:8002"]


def _unconditional_dependency(c: Compose) -> None:
    c["services"]["rapportage-worker"]["depends_on"] = ["kafka", "postgres"]


def _typo_in_setting(c: Compose) -> None:
    env = c["services"]["intake-worker"]["environment"]
    env["CIVIC_KAFKA_BOOTSRAP"] = env.pop("CIVIC_KAFKA_BOOTSTRAP")


def _missing_required_setting(c: Compose) -> None:
    del c["services"]["tolken-api"]["environment"]["CIVIC_JWT_JWKS"]


def _borrowed_role(c: Compose) -> None:
    env = c["services"]["tolken-api"]["environment"]
    env["CIVIC_DATABASE_URL"] = env["CIVIC_DATABASE_URL"].replace("//tolken:", "//intake:")


def _literal_password(c: Compose) -> None:
    c["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] = "hunter2"


def _default_password(c: Compose) -> None:
    env = c["services"]["provision"]["environment"]
    env["CIVIC_TOLKEN_DB_PASSWORD"] = "${CIVIC_TOLKEN_DB_PASSWORD:-changeme}"


def _literal_url_password(c: Compose) -> None:
    env = c["services"]["intake-api"]["environment"]
    env["CIVIC_DATABASE_URL"] = "postgresql+asyncpg://intake:hunter2@postgres:5432/civic"


@pytest.mark.parametrize(
    ("mutate", "check", "message"),
    [
        (_drop_healthcheck, check_healthchecks, "intake-api: no healthcheck"),
        (_unexplained_disabled_healthcheck, check_healthchecks, "otel-collector: no healthcheck"),
        (_disabled_process_healthcheck, check_healthchecks, "intake-worker: no healthcheck"),
        (_drop_worker, check_processes, "tolken-worker: missing"),
        (_wrong_port, check_api_ports, "trajecten-api: must publish 8002:8002"),
        (_unconditional_dependency, check_depends_on, "rapportage-worker: depends_on must be"),
        (
            _typo_in_setting,
            check_settings_env,
            "CIVIC_KAFKA_BOOTSRAP is not a setting of ServiceSettings",
        ),
        (_missing_required_setting, check_settings_env, "CIVIC_JWT_JWKS is required"),
        (_borrowed_role, check_databases, "tolken-api: CIVIC_DATABASE_URL uses role 'intake'"),
        (_literal_password, check_no_literal_secrets, "POSTGRES_PASSWORD: literal secret"),
        (_default_password, check_no_literal_secrets, "CIVIC_TOLKEN_DB_PASSWORD: literal secret"),
        (_literal_url_password, check_no_literal_secrets, "URL with a literal password"),
        (_literal_url_password, check_databases, "must be ${CIVIC_INTAKE_DB_PASSWORD}"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_checks_reject_a_broken_compose_file(
    compose: Compose,
    mutate: Callable[[Compose], None],
    check: Callable[[Compose], None],
    message: str,
) -> None:
    check(compose)  # the real file passes...
    broken = copy.deepcopy(compose)
    mutate(broken)
    with pytest.raises(AssertionError, match=re.escape(message)):  # ...a broken copy does not
        check(broken)


def test_env_example_check_rejects_a_missing_variable_and_a_secret(compose: Compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["intake-api"]["environment"]["X"] = "${CIVIC_NEW_PASSWORD:?}"
    with pytest.raises(AssertionError, match="CIVIC_NEW_PASSWORD is used"):
        check_env_example(broken, env_example())
    leaked = env_example() | {"CIVIC_INTAKE_DB_PASSWORD": "hunter2"}
    with pytest.raises(AssertionError, match="CIVIC_INTAKE_DB_PASSWORD must be empty"):
        check_env_example(compose, leaked)


def test_dockerfile_check_rejects_editable_installs_and_root(compose: Compose) -> None:
    text = DOCKERFILE.read_text()
    with pytest.raises(AssertionError, match="non-editable"):
        check_dockerfile(
            text.replace("--no-deps ./libs/common", "--no-deps -e ./libs/common"), compose
        )
    with pytest.raises(AssertionError, match="non-root USER"):
        check_dockerfile(text.replace("USER civic", "USER root"), compose)
    with pytest.raises(AssertionError, match="ENTRYPOINT must be"):
        check_dockerfile(
            text.replace('ENTRYPOINT ["civic-service"]', 'ENTRYPOINT ["python"]'), compose
        )


# ---------------------------------------------------------------- connection budget

SUPERUSER_RESERVED = 3  # Postgres's default superuser_reserved_connections
OPERATOR_ROOM = 10  # psql sessions, a backup, a migration run by hand


def _connections(service: dict[str, Any]) -> int:
    """The most a container may hold: its pool and overflow, plus the relay's LISTEN."""
    env = service.get("environment") or {}
    if not any(key.endswith("DATABASE_URL") for key in env):
        return 0
    pool = int(env.get("CIVIC_DB_POOL_SIZE", POOL_SIZE))
    overflow = int(env.get("CIVIC_DB_MAX_OVERFLOW", MAX_OVERFLOW))
    listener = 1 if service.get("command", [None, None])[-1:] == ["worker"] else 0
    return pool + overflow + listener


def check_connection_budget(c: Compose) -> None:
    """Every long-running process at full pool, twice over (a second replica of each, as a
    rolling update or a scale-out brings), fits Postgres's max_connections with a reserve."""
    command = c["services"]["postgres"].get("command") or []
    limits = [arg.split("=", 1)[1] for arg in command if str(arg).startswith("max_connections=")]
    max_connections = int(limits[0]) if limits else 100
    long_running = {
        name: _connections(service)
        for name, service in c["services"].items()
        if service.get("restart") != "no"
    }
    needed = 2 * sum(long_running.values()) + SUPERUSER_RESERVED + OPERATOR_ROOM
    assert needed <= max_connections, (
        f"connection budget: {needed} needed ({long_running}, twice, plus reserve) but "
        f"max_connections={max_connections}"
    )


def test_the_connection_budget_fits_max_connections(compose: Compose) -> None:
    check_connection_budget(compose)


def test_the_budget_check_rejects_a_pool_too_large_for_postgres(compose: Compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["rapportage-api"]["environment"]["CIVIC_DB_POOL_SIZE"] = "40"
    with pytest.raises(AssertionError, match="connection budget"):
        check_connection_budget(broken)
    default = copy.deepcopy(compose)
    default["services"]["postgres"].pop("command")  # Postgres's own 100
    with pytest.raises(AssertionError, match="max_connections=100"):
        check_connection_budget(default)
