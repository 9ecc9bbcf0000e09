"""Contract: the Kubernetes manifests (deploy/k8s) are valid and agree with the code, offline.

Core kinds are validated against the Kubernetes OpenAPI schemas that ``kubernetes-validate``
ships (strict: an unknown field, e.g. a misspelt probe, fails). The operators' custom resources
(CloudNativePG's Cluster and ScheduledBackup, Strimzi's Kafka and KafkaNodePool) have no schema
there and are checked structurally. Then the manifests are compared with the code: every service
has an api and a worker Deployment started as ``civic-service <service> api|worker``, a
migration Job and probes on the health endpoints; every CIVIC_* variable is a setting; the
database and Kafka addresses are the operators' services; the connection budget (every replica,
a surge replica each during a rollout, the Jobs and a reserve) fits the cluster's
max_connections. The last tests feed broken copies to the checks to prove they can fail.
"""

import copy
import importlib
import re
from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic_settings import BaseSettings

from civic_common.auth.issuer_app import IssuerSettings
from civic_common.db.engine import MAX_OVERFLOW, POOL_SIZE
from civic_common.runtime import ServiceSpec
from civic_common.settings import ServiceSettings
from civic_common.tracing import TracingSettings

pytestmark = pytest.mark.contract

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
CUSTOM = {
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"),
    ("kafka.strimzi.io/v1beta2", "Kafka"),
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"),
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
}
SUPERUSER_RESERVED = 3  # PostgreSQL's superuser_reserved_connections
OPERATOR_ROOM = 10  # psql, a backup, a hand-run migration (docs/runbook.md)

Doc = dict[str, Any]
Manifests = dict[str, list[Doc]]  # file name -> its documents


def load() -> Manifests:
    return {
        path.name: [d for d in yaml.safe_load_all(path.read_text()) if d]
        for path in sorted(K8S.glob("*.yaml"))
    }


def every(manifests: Manifests, kind: str | None = None) -> list[Doc]:
    return [d for docs in manifests.values() for d in docs if kind is None or d["kind"] == kind]


def named(manifests: Manifests, kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in every(manifests, kind)}


@cache
def specs() -> dict[str, ServiceSpec]:
    return {ep.name: ep.load() for ep in entry_points(group="civic.services")}


@cache
def known_settings() -> dict[str, set[str]]:
    """Environment variable names each settings class reads, by its prefix."""

    def names(cls: type[BaseSettings]) -> set[str]:
        prefix = cls.model_config.get("env_prefix", "")
        return {f"{prefix}{field}".upper() for field in cls.model_fields}

    found = {"CIVIC_": names(ServiceSettings), "OTEL_": names(TracingSettings)}
    found["CIVIC_ISSUER_"] = names(IssuerSettings)
    for service in specs():
        module = importlib.import_module(f"{service}.settings")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseSettings)
                and value.__module__ == module.__name__
            ):
                found[value.model_config["env_prefix"]] = names(value)
    return found


def fail_if(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


def container(doc: Doc) -> Doc:
    [only] = doc["spec"]["template"]["spec"]["containers"]
    return only


def env_of(doc: Doc, config: dict[str, str]) -> dict[str, str]:
    """A container's environment: its ConfigMap (envFrom) and its own entries, $(VAR) resolved
    against what came before, as the kubelet does; secrets stand as <secret:name/key>."""
    c = container(doc)
    env: dict[str, str] = {}
    for source in c.get("envFrom") or []:
        env |= config if source.get("configMapRef", {}).get("name") == "civic-process" else {}
    for item in c.get("env") or []:
        if "value" in item:
            env[item["name"]] = re.sub(
                r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), str(item["value"])
            )
        else:
            ref = item["valueFrom"].get("secretKeyRef") or item["valueFrom"].get("configMapKeyRef")
            env[item["name"]] = f"<{ref['name']}/{ref['key']}>"
    return env


def config_data(manifests: Manifests) -> dict[str, str]:
    return named(manifests, "ConfigMap")["civic-process"]["data"]


# ---------------------------------------------------------------- checks


def check_core_kinds(manifests: Manifests) -> None:
    version = kubernetes_validate.latest_version()
    problems = []
    for name, docs in manifests.items():
        for doc in docs:
            if (doc.get("apiVersion"), doc.get("kind")) in CUSTOM:
                continue
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = ".".join(map(str, exc.path))
                problems.append(
                    f"{name}: {doc['kind']} {doc['metadata']['name']}: {where}: {exc.message}"
                )
            except kubernetes_validate.SchemaNotFoundError:
                problems.append(f"{name}: {doc.get('apiVersion')} {doc.get('kind')}: no such kind")
    fail_if(problems)


def check_custom_resources(manifests: Manifests) -> None:
    """The operators' resources, structurally: what the platform relies on is set."""
    problems = []
    clusters = named(manifests, "Cluster")
    if set(clusters) != {"civic-postgres"}:
        problems.append(
            f"one CloudNativePG Cluster civic-postgres expected, got {sorted(clusters)}"
        )
    for name, cluster in clusters.items():
        spec = cluster["spec"]
        if int(spec.get("instances", 0)) < 3:
            problems.append(f"Cluster {name}: instances must be at least 3 (primary + 2 replicas)")
        if not spec.get("storage", {}).get("size"):
            problems.append(f"Cluster {name}: storage.size missing")
        if spec.get("bootstrap", {}).get("initdb", {}).get("database") != "civic":
            problems.append(f"Cluster {name}: bootstrap.initdb.database must be civic")
        if not str(
            spec.get("postgresql", {}).get("parameters", {}).get("max_connections", "")
        ).isdigit():
            problems.append(f"Cluster {name}: postgresql.parameters.max_connections missing")
        if not spec.get("backup", {}).get("barmanObjectStore", {}).get("wal"):
            problems.append(f"Cluster {name}: no WAL archiving (backup.barmanObjectStore.wal)")
    for name, backup in named(manifests, "ScheduledBackup").items():
        if backup["spec"].get("cluster", {}).get("name") not in clusters:
            problems.append(f"ScheduledBackup {name}: names no Cluster")
    kafkas = named(manifests, "Kafka")
    for name, kafka in kafkas.items():
        spec = kafka["spec"]["kafka"]
        config = spec.get("config") or {}
        if (config.get("default.replication.factor"), config.get("min.insync.replicas")) != (3, 2):
            problems.append(
                f"Kafka {name}: replication factor 3 and min.insync.replicas 2 expected"
            )
        if config.get("auto.create.topics.enable") is not False:
            problems.append(f"Kafka {name}: topics must not be auto-created")
        if config.get("log.retention.hours") != -1:
            problems.append(f"Kafka {name}: topics are kept forever (log.retention.hours -1)")
        if not any(
            listener.get("port") == 9092 and listener.get("type") == "internal"
            for listener in spec.get("listeners") or []
        ):
            problems.append(f"Kafka {name}: no internal listener on 9092")
        if kafka["metadata"].get("annotations", {}).get("strimzi.io/node-pools") != "enabled":
            problems.append(f"Kafka {name}: node pools not enabled")
    pools = named(manifests, "KafkaNodePool")
    for name, pool in pools.items():
        if pool["metadata"].get("labels", {}).get("strimzi.io/cluster") not in kafkas:
            problems.append(f"KafkaNodePool {name}: strimzi.io/cluster names no Kafka")
        if int(pool["spec"].get("replicas", 0)) < 3 or not set(pool["spec"].get("roles") or []) <= {
            "broker",
            "controller",
        }:
            problems.append(f"KafkaNodePool {name}: at least 3 replicas of broker/controller")
    if not pools:
        problems.append("no KafkaNodePool")
    fail_if(problems)


def check_processes(manifests: Manifests) -> None:
    """Every service: api and worker Deployments as civic-service runs them, probes on the
    health checks, the api's port its ServiceSpec port behind a Service, a migration Job."""
    problems = []
    deployments, services, jobs = (named(manifests, k) for k in ("Deployment", "Service", "Job"))
    for service, spec in specs().items():
        for kind in ("api", "worker"):
            name = f"{service}-{kind}"
            doc = deployments.get(name)
            if doc is None:
                problems.append(f"{name}: no Deployment")
                continue
            c = container(doc)
            if c.get("args") != [service, kind] or "command" in c:
                problems.append(
                    f"{name}: must run the image's civic-service with args [{service}, {kind}]"
                )
            if int(doc["spec"].get("replicas", 1)) < 2:
                problems.append(f"{name}: fewer than 2 replicas")
            if kind == "api":
                ports = [p["containerPort"] for p in c.get("ports") or []]
                if ports != [spec.port]:
                    problems.append(f"{name}: container port {ports}, the service's is {spec.port}")
                if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
                    problems.append(f"{name}: readiness must probe /readyz")
                if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
                    problems.append(f"{name}: liveness must probe /healthz")
                svc = services.get(name)
                if svc is None or [p["port"] for p in svc["spec"]["ports"]] != [spec.port]:
                    problems.append(f"{name}: no Service on port {spec.port}")
            else:
                probe = " ".join(c.get("livenessProbe", {}).get("exec", {}).get("command") or [])
                if "CIVIC_WORKER_HEARTBEAT_FILE" not in probe:
                    problems.append(f"{name}: liveness must look at the heartbeat file")
        job = jobs.get(f"{service}-migrate")
        if job is None or container(job).get("args") != [service, "migrate"]:
            problems.append(f"{service}-migrate: no Job running [{service}, migrate]")
    if "provision" not in jobs:
        problems.append("no provision Job")
    fail_if(problems)


def check_environment(manifests: Manifests) -> None:
    """Every CIVIC_*/OTEL_* variable a container gets is a setting something reads; every
    database URL is the service's own role at the CloudNativePG primary; every Kafka address
    is Strimzi's bootstrap service."""
    problems = []
    known = known_settings()
    config = config_data(manifests)
    [cluster] = named(manifests, "Cluster") or [None]
    [kafka] = named(manifests, "Kafka") or [None]
    for doc in every(manifests, "Deployment") + every(manifests, "Job"):
        name = doc["metadata"]["name"]
        env = env_of(doc, config)
        for var in env:
            if not var.startswith(("CIVIC_", "OTEL_")):
                continue
            prefix = max((p for p in known if var.startswith(p)), key=len, default=None)
            if prefix is None or var not in known[prefix] | known["CIVIC_"] | known["OTEL_"]:
                if not (name == "provision" and var.startswith("CIVIC_")):  # provision's own
                    problems.append(f"{name}: {var} is not a setting")
        for var, value in env.items():
            if var.endswith("DATABASE_URL") and name != "provision":
                role = name.rsplit("-", 1)[0]
                if f"://{role}:" not in value or f"@{cluster}-rw:5432/civic" not in value:
                    problems.append(f"{name}: {var} must be role {role} at {cluster}-rw/civic")
            if var == "CIVIC_KAFKA_BOOTSTRAP" and value != f"{kafka}-kafka-bootstrap:9092":
                problems.append(
                    f"{name}: Kafka at {value}, Strimzi's is {kafka}-kafka-bootstrap:9092"
                )
    fail_if(problems)


def check_budget(manifests: Manifests) -> None:
    """Every replica at full pool, one surge replica per Deployment during a rollout, the Jobs
    and the reserve fit the cluster's max_connections."""
    config = config_data(manifests)
    [cluster] = every(manifests, "Cluster")
    limit = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    needed, parts = SUPERUSER_RESERVED + OPERATOR_ROOM, []
    for doc in every(manifests, "Deployment") + every(manifests, "Job"):
        env = env_of(doc, config)
        if not any(v.endswith("DATABASE_URL") for v in env):
            continue
        per_pod = int(env.get("CIVIC_DB_POOL_SIZE", POOL_SIZE)) + int(
            env.get("CIVIC_DB_MAX_OVERFLOW", MAX_OVERFLOW)
        )
        per_pod += 1 if container(doc).get("args", [None])[-1] == "worker" else 0
        pods = 1
        if doc["kind"] == "Deployment":
            surge = doc["spec"].get("strategy", {}).get("rollingUpdate", {}).get("maxSurge", 1)
            pods = int(doc["spec"].get("replicas", 1)) + int(surge)
        needed += pods * per_pod
        parts.append(f"{doc['metadata']['name']} {pods}x{per_pod}")
    assert needed <= limit, (
        f"connection budget: {needed} needed ({', '.join(parts)}) but max_connections={limit}"
    )


def check_kustomization(manifests: Manifests) -> None:
    [kustomization] = every(manifests, "Kustomization")
    listed = set(kustomization["resources"])
    files = set(manifests) - {"kustomization.yaml"}
    fail_if(
        [f"kustomization.yaml does not list {f}" for f in sorted(files - listed)]
        + [f"kustomization.yaml lists missing {f}" for f in sorted(listed - files)]
    )


CHECKS = [
    check_core_kinds,
    check_custom_resources,
    check_processes,
    check_environment,
    check_budget,
    check_kustomization,
]


@pytest.fixture(scope="module")
def manifests() -> Manifests:
    return load()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_manifests_pass(manifests: Manifests, check: Callable[[Manifests], None]) -> None:
    check(manifests)


# ---------------------------------------------------------------- the checks can fail


def _deployment(m: Manifests, name: str) -> Doc:
    return next(d for d in every(m, "Deployment") if d["metadata"]["name"] == name)


def _misspelt_probe(m: Manifests) -> None:
    c = container(_deployment(m, "intake-api"))
    c["readinesProbe"] = c.pop("readinessProbe")


def _wrong_port(m: Manifests) -> None:
    container(_deployment(m, "tolken-api"))["ports"][0]["containerPort"] = 8001


def _worker_gone(m: Manifests) -> None:
    m["rapportage.yaml"] = [
        d for d in m["rapportage.yaml"] if d["metadata"]["name"] != "rapportage-worker"
    ]


def _typo_setting(m: Manifests) -> None:
    container(_deployment(m, "trajecten-worker"))["env"].append(
        {"name": "CIVIC_WORKER_METRIC_PORT", "value": "9100"}
    )


def _borrowed_role(m: Manifests) -> None:
    for item in container(_deployment(m, "tolken-api"))["env"]:
        if item["name"] == "CIVIC_DATABASE_URL":
            item["value"] = item["value"].replace("//tolken:", "//intake:")


def _more_replicas(m: Manifests) -> None:
    for d in every(m, "Deployment"):
        d["spec"]["replicas"] = 4


def _one_broker(m: Manifests) -> None:
    every(m, "Kafka")[0]["spec"]["kafka"]["config"]["min.insync.replicas"] = 1


def _no_wal(m: Manifests) -> None:
    del every(m, "Cluster")[0]["spec"]["backup"]


@pytest.mark.parametrize(
    ("mutate", "check", "message"),
    [
        (_misspelt_probe, check_core_kinds, "readinesProbe"),
        (_wrong_port, check_processes, "tolken-api: container port [8001], the service's is 8003"),
        (_worker_gone, check_processes, "rapportage-worker: no Deployment"),
        (
            _typo_setting,
            check_environment,
            "trajecten-worker: CIVIC_WORKER_METRIC_PORT is not a setting",
        ),
        (_borrowed_role, check_environment, "tolken-api: CIVIC_DATABASE_URL must be role tolken"),
        (_more_replicas, check_budget, "connection budget"),
        (_one_broker, check_custom_resources, "replication factor 3 and min.insync.replicas 2"),
        (_no_wal, check_custom_resources, "no WAL archiving"),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_the_checks_reject_broken_manifests(
    manifests: Manifests,
    mutate: Callable[[Manifests], None],
    check: Callable[[Manifests], None],
    message: str,
) -> None:
    check(manifests)  # the real manifests pass...
    broken = copy.deepcopy(manifests)
    mutate(broken)
    with pytest.raises(AssertionError, match=re.escape(message)):  # ...a broken copy does not
        check(broken)
