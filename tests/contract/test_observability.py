"""Contract: the observability files of docker-compose.yml agree with the code and the compose file.

No Prometheus, Grafana or collector runs where the suite runs, so these tests parse
deploy/observability/* and compare them with what the code exports: every metric an alert rule
or a dashboard panel names is one the code defines (with the labels it has, or that the scrape
adds), every api and worker container is scraped on its metrics port, the collector receives on
the address the processes send to and exports to a container that exists, and Grafana's
provisioning points at the files compose mounts. The last tests feed broken copies to the checks
to prove they can fail.
"""

import copy
import importlib
import json
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
OBSERVABILITY = ROOT / "deploy" / "observability"
PACKAGES = ("civic_common", "intake", "trajecten", "tolken", "rapportage")
# Labels the scrape gives every series (prometheus.yml relabels "service" onto api and worker
# targets); a metric's own "job" label is renamed periodic_job there.
TARGET_LABELS = {"job", "instance", "service"}
BUILTIN_SERIES = {"up": set(), "scrape_duration_seconds": set()}
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "increase", "delta", "irate", "by", "without",
    "offset", "time", "histogram_quantile", "and", "or", "unless", "on", "ignoring", "bool",
    "group_left", "group_right", "abs", "topk", "bottomk", "le", "changes", "resets",
}  # fmt: skip
SELECTOR = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?")
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"')
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
DURATION = re.compile(r"\[[^\]]*\]")
STRINGS = re.compile(r'"[^"]*"')

Doc = dict[str, Any]


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str
    labels: frozenset[str]


@cache
def code_metrics() -> dict[str, Metric]:
    """Every series name the code exports, with its labels: each Prometheus metric object defined
    at module level in civic_common and the services (as /metrics would show it)."""
    found: dict[str, Metric] = {}
    for package in PACKAGES:
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in module.name or module.name.startswith("civic_common.testing"):
                continue
            for value in vars(importlib.import_module(module.name)).values():
                if not isinstance(value, MetricWrapperBase):
                    continue
                labels = set(value._labelnames)
                if "job" in labels:  # prometheus.yml renames it
                    labels = (labels - {"job"}) | {"periodic_job"}
                base = value._name
                names = {
                    "counter": [f"{base}_total"],
                    "gauge": [base],
                    "histogram": [f"{base}_bucket", f"{base}_sum", f"{base}_count"],
                    "summary": [base, f"{base}_sum", f"{base}_count"],
                }.get(value._type, [base])
                for name in names:
                    extra = {"le"} if name.endswith("_bucket") else set()
                    found[name] = Metric(name, value._type, frozenset(labels | extra))
    assert "civic_consumer_events_total" in found, "the consumer's metrics were not found"
    return found


def load_yaml(path: Path) -> Doc:
    return yaml.safe_load(path.read_text())


def load_compose() -> Doc:
    return load_yaml(COMPOSE_FILE)


def fail_if(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


def check_expr(where: str, expr: str) -> list[str]:
    """The metric names and labels a PromQL expression uses exist in the code."""
    known = code_metrics()
    problems = []
    bare = DURATION.sub("", expr)
    series: list[tuple[str, set[str]]] = []
    for match in SELECTOR.finditer(STRINGS.sub('""', bare)):
        name, braces = match.group(1), match.group(2)
        if name in PROMQL_WORDS or name in TARGET_LABELS or name.isdigit():
            continue
        following = bare[match.end() :].lstrip()
        if following.startswith("(") and not braces:
            continue  # a function call
        if name in BUILTIN_SERIES:
            series.append((name, set()))
        elif name in known:
            series.append((name, set(known[name].labels)))
        else:
            # A label inside "by (...)": checked below, not a metric.
            grouped = {x.strip() for g in GROUPING.findall(bare) for x in g.split(",")}
            if name not in grouped:
                problems.append(f"{where}: {name} is no metric of the code")
            continue
        for label in MATCHER.findall(braces or ""):
            if label not in series[-1][1] | TARGET_LABELS:
                problems.append(f"{where}: {name} has no label {label!r}")
    available = set().union(*(labels for _, labels in series)) | TARGET_LABELS
    for group in GROUPING.findall(bare):
        for label in (x.strip() for x in group.split(",")):
            if label and label not in available:
                problems.append(f"{where}: grouping by {label!r}, which no series here has")
    if not series:
        problems.append(f"{where}: names no metric")
    return problems


# ---------------------------------------------------------------- checks


def compose_mounts(compose: Doc, service: str) -> dict[str, Path]:
    """Container path -> repository path of a service's bind mounts of repository files."""
    mounts = {}
    for volume in compose["services"][service].get("volumes") or []:
        source, target = str(volume).split(":")[:2]
        if source.startswith("./"):
            mounts[target] = ROOT / source[2:]
    return mounts


def check_alert_rules(rules: Doc) -> None:
    problems = []
    seen = set()
    for group in rules.get("groups") or []:
        for rule in group.get("rules") or []:
            name = rule.get("alert")
            if not name:
                problems.append(f"group {group.get('name')}: a rule without alert name")
                continue
            if name in seen:
                problems.append(f"{name}: defined twice")
            seen.add(name)
            if rule.get("labels", {}).get("severity") not in ("warning", "critical"):
                problems.append(f"{name}: severity must be warning or critical")
            if not rule.get("annotations", {}).get("summary"):
                problems.append(f"{name}: no summary annotation")
            if "for" in rule and not re.fullmatch(r"\d+[smh]", str(rule["for"])):
                problems.append(f"{name}: for must be a duration, got {rule['for']!r}")
            problems += check_expr(name, str(rule.get("expr", "")))
    fail_if(problems)


def check_alerts_cover(rules: Doc) -> None:
    """The alerts issue 16 asks for: each watches its metric."""
    exprs = " ".join(r["expr"] for g in rules["groups"] for r in g["rules"])
    wanted = {
        "outbox age": "civic_outbox_oldest_age_seconds",
        "consumer lag": "civic_consumer_lag",
        "dead letters": 'civic_consumer_events_total{outcome="deadlettered"}',
        "disabled subscriptions": 'civic_webhook_subscriptions{status="disabled"}',
        "failed periodic jobs": 'civic_periodic_job_runs_total{outcome="failed"}',
    }
    fail_if([f"no alert on {what} ({m})" for what, m in wanted.items() if m not in exprs])


def check_scrape_targets(prometheus: Doc, compose: Doc) -> None:
    """Every api container is scraped on its HTTP port and every worker on its metrics port,
    under the compose service name; nothing is scraped that compose does not run."""
    services = compose["services"]
    scraped: dict[str, int] = {}
    for job in prometheus.get("scrape_configs") or []:
        for sd in job.get("dns_sd_configs") or []:
            for name in sd.get("names") or []:
                scraped[name] = int(sd["port"])
        for static in job.get("static_configs") or []:
            for target in static.get("targets") or []:
                host, port = target.rsplit(":", 1)
                scraped[host] = int(port)
    problems = []
    for name, container in services.items():
        command = container.get("command") or []
        env = container.get("environment") or {}
        if command[-1:] == ["api"]:
            expected = int(env["CIVIC_HTTP_PORT"])
        elif command[-1:] == ["worker"]:
            expected = int(env.get("CIVIC_WORKER_METRICS_PORT") or 0)
            if not expected:
                problems.append(f"{name}: CIVIC_WORKER_METRICS_PORT unset: not scrapable")
                continue
        else:
            continue
        if name not in scraped:
            problems.append(f"{name}: not scraped by prometheus.yml")
        elif scraped[name] != expected:
            problems.append(f"{name}: scraped on port {scraped[name]}, serves on {expected}")
    for host in scraped:
        if host not in services and host != "localhost":
            problems.append(f"prometheus.yml scrapes {host}, which compose does not run")
    mounts = compose_mounts(compose, "prometheus")
    for rule_file in prometheus.get("rule_files") or []:
        if rule_file not in mounts or not mounts[rule_file].is_file():
            problems.append(f"rule file {rule_file} is not mounted from the repository")
    fail_if(problems)


def check_collector(collector: Doc, compose: Doc) -> None:
    """The collector receives OTLP/HTTP where the processes send, and every pipeline's parts
    are defined; it exports to a container compose runs."""
    problems = []
    services = compose["services"]
    http = collector["receivers"]["otlp"]["protocols"].get("http") or {}
    port = int(str(http.get("endpoint", "0.0.0.0:4318")).rsplit(":", 1)[1])
    for name, container in services.items():
        if (container.get("command") or [])[-1:] not in (["api"], ["worker"]):
            continue
        raw = str((container.get("environment") or {}).get("OTEL_EXPORTER_OTLP_ENDPOINT", ""))
        default = re.sub(r"^\$\{[A-Z_]+:-(.*)\}$", r"\1", raw)
        url = urlsplit(default)
        if not default:
            problems.append(f"{name}: OTEL_EXPORTER_OTLP_ENDPOINT unset: its spans go nowhere")
        elif url.hostname not in services or url.port != port:
            problems.append(f"{name}: sends spans to {default}, the collector listens on :{port}")
    for kind, pipeline in collector["service"]["pipelines"].items():
        for section in ("receivers", "processors", "exporters"):
            for part in pipeline.get(section) or []:
                if part not in (collector.get(section) or {}):
                    problems.append(f"pipeline {kind}: {section[:-1]} {part} is not defined")
    for name, exporter in (collector.get("exporters") or {}).items():
        host = urlsplit(f"//{exporter.get('endpoint', '')}").hostname
        if host not in services:
            problems.append(f"exporter {name} sends to {host}, which compose does not run")
    mounts = compose_mounts(compose, "otel-collector")
    if not any(p.name == "otel-collector.yaml" for p in mounts.values()):
        problems.append("otel-collector: deploy/observability/otel-collector.yaml not mounted")
    fail_if(problems)


def check_grafana(datasources: Doc, provider: Doc, dashboards: list[Doc], compose: Doc) -> None:
    problems = []
    services = compose["services"]
    uids = set()
    for source in datasources.get("datasources") or []:
        uids.add(source["uid"])
        if urlsplit(source["url"]).hostname not in services:
            problems.append(f"datasource {source['name']}: {source['url']} is not a container")
    mounts = compose_mounts(compose, "grafana")
    for entry in provider.get("providers") or []:
        path = entry["options"]["path"]
        if path not in mounts or not mounts[path].is_dir():
            problems.append(f"dashboards provider path {path} is not mounted from the repository")
    for dashboard in dashboards:
        title = dashboard.get("title", "?")
        if not dashboard.get("uid"):
            problems.append(f"dashboard {title}: no uid")
        for panel in dashboard.get("panels") or []:
            where = f"{title} / {panel.get('title')}"
            if {"h", "w", "x", "y"} - set(panel.get("gridPos") or {}):
                problems.append(f"{where}: gridPos incomplete")
            for target in panel.get("targets") or []:
                uid = (target.get("datasource") or panel.get("datasource") or {}).get("uid")
                if uid not in uids:
                    problems.append(f"{where}: data source {uid!r} is not provisioned")
                problems += check_expr(where, target.get("expr", ""))
            if not panel.get("targets"):
                problems.append(f"{where}: no query")
    fail_if(problems)


# ---------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def compose() -> Doc:
    return load_compose()


@pytest.fixture(scope="module")
def files() -> dict[str, Any]:
    grafana = OBSERVABILITY / "grafana"
    return {
        "rules": load_yaml(OBSERVABILITY / "alerts.yml"),
        "prometheus": load_yaml(OBSERVABILITY / "prometheus.yml"),
        "collector": load_yaml(OBSERVABILITY / "otel-collector.yaml"),
        "datasources": load_yaml(grafana / "provisioning" / "datasources" / "prometheus.yaml"),
        "provider": load_yaml(grafana / "provisioning" / "dashboards" / "civic.yaml"),
        "dashboards": [json.loads(p.read_text()) for p in (grafana / "dashboards").glob("*.json")],
    }


def test_alert_rules_name_metrics_the_code_exports(files: dict[str, Any]) -> None:
    check_alert_rules(files["rules"])


def test_the_alerts_cover_outbox_lag_dead_letters_subscriptions_and_jobs(
    files: dict[str, Any],
) -> None:
    check_alerts_cover(files["rules"])


def test_prometheus_scrapes_every_api_and_worker(files: dict[str, Any], compose: Doc) -> None:
    check_scrape_targets(files["prometheus"], compose)


def test_the_collector_receives_what_the_processes_send(
    files: dict[str, Any], compose: Doc
) -> None:
    check_collector(files["collector"], compose)


def test_grafana_is_provisioned_with_dashboards_on_real_metrics(
    files: dict[str, Any], compose: Doc
) -> None:
    assert files["dashboards"], "no dashboard in deploy/observability/grafana/dashboards"
    check_grafana(files["datasources"], files["provider"], files["dashboards"], compose)


# ---------------------------------------------------------------- the checks can fail


def _rule(files: dict[str, Any], expr: str) -> None:
    files["rules"]["groups"][0]["rules"][0]["expr"] = expr


@pytest.mark.parametrize(
    ("mutate", "check", "message"),
    [
        (
            lambda f, c: _rule(f, "max(civic_outbox_oldest_age) > 300"),
            lambda f, c: check_alert_rules(f["rules"]),
            "civic_outbox_oldest_age is no metric of the code",
        ),
        (
            lambda f, c: _rule(f, 'sum(civic_consumer_lag{partiton="1"}) > 1'),
            lambda f, c: check_alert_rules(f["rules"]),
            "civic_consumer_lag has no label 'partiton'",
        ),
        (
            lambda f, c: _rule(f, "sum by (tenant) (civic_consumer_lag) > 1"),
            lambda f, c: check_alert_rules(f["rules"]),
            "grouping by 'tenant'",
        ),
        (
            lambda f, c: f["rules"]["groups"][0]["rules"].pop(0),
            lambda f, c: check_alerts_cover(f["rules"]),
            "no alert on outbox age",
        ),
        (
            lambda f, c: f["prometheus"]["scrape_configs"][1]["dns_sd_configs"].pop(),
            lambda f, c: check_scrape_targets(f["prometheus"], c),
            "rapportage-worker: not scraped",
        ),
        (
            lambda f, c: f["prometheus"]["scrape_configs"][0]["dns_sd_configs"][0].update(
                port=8002
            ),
            lambda f, c: check_scrape_targets(f["prometheus"], c),
            "intake-api: scraped on port 8002, serves on 8001",
        ),
        (
            lambda f, c: c["services"].pop("tolken-worker"),
            lambda f, c: check_scrape_targets(f["prometheus"], c),
            "scrapes tolken-worker, which compose does not run",
        ),
        (
            lambda f, c: f["collector"]["receivers"]["otlp"]["protocols"]["http"].update(
                endpoint="0.0.0.0:4320"
            ),
            lambda f, c: check_collector(f["collector"], c),
            "the collector listens on :4320",
        ),
        (
            lambda f, c: f["collector"]["service"]["pipelines"]["traces"].update(
                exporters=["otlp/zipkin"]
            ),
            lambda f, c: check_collector(f["collector"], c),
            "exporter otlp/zipkin is not defined",
        ),
        (
            lambda f, c: f["dashboards"][0]["panels"][0]["targets"][0].update(
                expr="rate(http_requests[5m])"
            ),
            lambda f, c: check_grafana(f["datasources"], f["provider"], f["dashboards"], c),
            "http_requests is no metric of the code",
        ),
        (
            lambda f, c: f["datasources"]["datasources"][0].update(uid="other"),
            lambda f, c: check_grafana(f["datasources"], f["provider"], f["dashboards"], c),
            "data source 'civic-prometheus' is not provisioned",
        ),
    ],
)
def test_the_checks_reject_broken_files(
    files: dict[str, Any],
    compose: Doc,
    mutate: Callable[[dict[str, Any], Doc], object],
    check: Callable[[dict[str, Any], Doc], None],
    message: str,
) -> None:
    check(files, compose)  # the real files pass...
    broken_files, broken_compose = copy.deepcopy(files), copy.deepcopy(compose)
    mutate(broken_files, broken_compose)
    with pytest.raises(AssertionError, match=re.escape(message)):  # ...a broken copy does not
        check(broken_files, broken_compose)
