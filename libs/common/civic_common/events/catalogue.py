"""Export the event contracts: JSON Schemas, the event catalogue and the AsyncAPI document.

    python -m civic_common.events.catalogue          # (re)write the committed files
    python -m civic_common.events.catalogue --check  # write nothing; exit 1 if anything is stale

Writes ``libs/common/civic_common/events/schemas/<event_type>.json``, ``docs/events.md`` and
``docs/asyncapi.yaml``. A committed schema is the published promise of its event type: this
command refuses to overwrite one with a breaking change (see ``compat``), and a schema without a
contract means an event type was deleted. Both are fixed by adding a ``.v2``, not by regenerating.
"""

import argparse
import asyncio
import importlib
import inspect
import json
import logging
import pkgutil
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml

from civic_common import consumer
from civic_common.events import contracts
from civic_common.events.compat import breaking_changes
from civic_common.events.contracts.base import (
    CONTRACTS,
    SERVICES,
    TOPICS,
    EventData,
    deadletter_topic,
)
from civic_common.events.envelope import Envelope
from civic_common.provision import all_topics

COMMAND = "python -m civic_common.events.catalogue"
SCHEMA_DIR = "libs/common/civic_common/events/schemas"
EVENTS_MD = "docs/events.md"
ASYNCAPI_YAML = "docs/asyncapi.yaml"
DEFAULT_ROOT = Path(__file__).resolve().parents[4]

Contracts = dict[str, type[EventData]]

HEADER_MEANING = {
    "ce_specversion": "CloudEvents version, always `1.0`",
    "ce_id": "Event id (UUID); consumers deduplicate on it in their inbox",
    "ce_source": "Publishing service, `/civic/<service>`",
    "ce_type": "Event type, e.g. `intake.person.registered.v1`; selects the contract",
    "ce_time": "When it happened, ISO 8601 with offset",
    "ce_subject": "What the event is about, when the publisher says so",
    "ce_partitionkey": "Aggregate id; also the Kafka record key, so one aggregate stays in order",
    "ce_sequence": "Version of the aggregate after this event",
    "ce_traceparent": "W3C trace context of the request that caused the event",
    "content-type": "Media type of the value, `application/json`",
}
DLQ_HEADER_MEANING = {
    "dlq_reason": "Why the event was parked: invalid envelope, invalid data, rejected, or failed",
    "dlq_topic": "Topic the record was read from (with its prefix)",
    "dlq_partition": "Partition it was read from",
    "dlq_offset": "Offset it was read at",
    "dlq_service": "Service whose consumer parked it",
}
PREFIX_NOTE = "Every process prefixes the address with `CIVIC_TOPIC_PREFIX` (empty in production)."


def load_contracts() -> Contracts:
    """Every event type, with all contract modules imported (even ones not re-exported)."""
    for module in pkgutil.iter_modules(contracts.__path__):
        importlib.import_module(f"{contracts.__name__}.{module.name}")
    return dict(sorted(CONTRACTS.items()))


def schema_path(event_type: str) -> str:
    return f"{SCHEMA_DIR}/{event_type}.json"


def render_json(schema: dict[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """Every generated file (path relative to the repository root) with its content."""
    found = load_contracts()
    files = {schema_path(t): render_json(m.model_json_schema()) for t, m in found.items()}
    files[EVENTS_MD] = render_catalogue(found)
    files[ASYNCAPI_YAML] = render_asyncapi(found)
    return files


def committed_schemas(root: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((root / SCHEMA_DIR).glob("*.json"))
    }


def broken_promises(root: Path) -> list[str]:
    """Deleted event types and breaking changes of contracts against their committed schemas."""
    found, committed = load_contracts(), committed_schemas(root)
    reasons = [
        f"{schema_path(t)}: no contract defines {t}; event types are never deleted"
        for t in sorted(committed.keys() - found.keys())
    ]
    for event_type, model in found.items():
        if event_type in committed:
            changes = breaking_changes(committed[event_type], model.model_json_schema())
            reasons += [f"{event_type}: {change}" for change in changes]
    return reasons


def stale_files(root: Path, files: dict[str, str]) -> dict[str, str]:
    """The generated files whose committed copy is missing or differs, with which it is."""
    stale = {}
    for name, content in files.items():
        path = root / name
        if not path.exists():
            stale[name] = "missing"
        elif path.read_text(encoding="utf-8") != content:
            stale[name] = "out of date"
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="repository root")
    args = parser.parse_args(argv)
    files, broken = generate(), broken_promises(args.root)
    if args.check:
        stale = [f"{name}: {state}" for name, state in stale_files(args.root, files).items()]
        _report(stale, f"stale generated files (run `{COMMAND}`):")
        _report(broken, "breaking changes (add a new type version `.v2` beside the old one):")
        return 1 if stale or broken else 0
    if broken:
        _report(broken, "breaking changes; nothing written (add a `.v2` beside the old type):")
        return 1
    for name in stale_files(args.root, files):
        (args.root / name).parent.mkdir(parents=True, exist_ok=True)
        (args.root / name).write_text(files[name], encoding="utf-8")
        print(f"wrote {name}")
    return 0


def _report(lines: list[str], title: str) -> None:
    if lines:
        print(title, *(f"  {line}" for line in lines), sep="\n", file=sys.stderr)


# --- shared facts -----------------------------------------------------------------------------


def _publisher(name: str) -> str:
    """The service that publishes an event type or owns a topic: its first segment."""
    return name.split(".")[0]


def _by_topic(found: Contracts) -> dict[str, list[type[EventData]]]:
    return {topic: [m for m in found.values() if m.topic == topic] for topic in TOPICS}


def _key_field(models: list[type[EventData]]) -> str | None:
    """The aggregate id field that keys a topic, when its event types agree on one."""
    fields = {f"{m.event_type.split('.')[1]}_id" for m in models}
    if len(fields) == 1 and all(next(iter(fields)) in m.model_fields for m in models):
        return next(iter(fields))
    return None


def _envelope_headers() -> dict[str, bool]:
    """Each header an Envelope writes, and whether it is always present."""
    sample = dict(type="t", source="s", partitionkey="k", sequence=1, data={})
    always = Envelope(**sample).headers()
    every = Envelope(**sample, subject="s", traceparent="t").headers()
    return {name: name in always for name in every}


def _deadletter_headers() -> list[str]:
    """The dlq_* headers the inbox consumer adds, observed by dead-lettering a malformed record."""
    added: dict[str, str] = {}

    class CapturingUnitOfWork:
        async def __aenter__(self) -> "CapturingUnitOfWork":
            return self

        async def __aexit__(self, *exc: object) -> None:
            return None

        async def record_inbox(self, *args: object) -> bool:
            return True

        async def publish_raw(self, topic: str, key: str, headers: dict[str, str], *_: Any) -> None:
            added.update(headers)

        async def commit(self) -> None:
            return None

    inbox = consumer.InboxConsumer("catalogue", CapturingUnitOfWork, {})  # type: ignore[arg-type]
    record = consumer.Record("topic", 0, 0, None, b"", {})
    logger = logging.getLogger(consumer.__name__)
    was_disabled, logger.disabled = logger.disabled, True
    loop = asyncio.new_event_loop()  # not asyncio.run: leave the caller's current loop alone
    try:
        loop.run_until_complete(inbox.handle(record))
    finally:
        loop.close()
        logger.disabled = was_disabled
    return [name for name in added if name.startswith("dlq_")]


# --- docs/events.md ---------------------------------------------------------------------------


def consumer_matrix() -> dict[str, dict[str, str]]:
    """Event type -> {service: what its handler does}, from every installed service's spec
    (``civic.services`` entry points) and the first paragraph of each handler's docstring."""
    matrix: dict[str, dict[str, str]] = {}
    for entry in sorted(entry_points(group="civic.services"), key=lambda e: e.name):
        spec = entry.load()
        for handlers in spec.consumes().values():
            for model, handler in handlers.items():
                first = (inspect.getdoc(handler) or "").split("\n\n")[0]
                matrix.setdefault(model.event_type, {})[spec.name] = " ".join(first.split())
    return matrix


def render_catalogue(found: Contracts) -> str:
    by_topic = _by_topic(found)
    lines = [
        "# Event catalogue",
        "",
        f"> Generated by `{COMMAND}` from the contracts in",
        "> `libs/common/civic_common/events/contracts/`: do not edit by hand. The same command",
        "> writes `asyncapi.yaml` and the JSON Schemas; with `--check` it says whether they are",
        "> current and whether a contract broke its committed schema.",
        "",
        "Events are CloudEvents 1.0 in Kafka binary content mode: the attributes travel as `ce_*`",
        "headers, the value is the event's JSON data. Each event type has one contract (a pydantic",
        "model) and a committed JSON Schema in",
        f"`{SCHEMA_DIR}/`.",
        "A contract changes only compatibly (new optional fields, more enum values, better",
        "descriptions); anything else is a new type version (`.v2`) published beside the old one.",
        "Event types are never deleted. Readers ignore fields and event types they do not know.",
        "",
        "Topic names are logical: every process prefixes them with `CIVIC_TOPIC_PREFIX` (empty in",
        "production; test runs isolate themselves with it).",
        "",
        "An event type's first segment is the service that publishes it, on a topic of its own.",
        "Who consumes it, and what each consumer does with it, is in the consumer matrix below,",
        "generated from each service's `ServiceSpec.consumes` (the handlers and their docstrings).",
        "",
        "## Topics",
        "",
        "| topic | partitions | Kafka key | publisher | event types |",
        "|---|---|---|---|---|",
    ]
    for topic, models in by_topic.items():
        key = _key_field(models)
        types = ", ".join(f"[`{m.event_type}`](#{m.event_type.replace('.', '')})" for m in models)
        lines.append(
            f"| `{topic}` | {TOPICS[topic]} | {f'`{key}`' if key else 'aggregate id'} "
            f"| {_publisher(topic)} | {types or '—'} |"
        )
    lines += ["", "## Consumer matrix", ""]
    lines += [
        "Every event type with the services that consume it and what each does with it. A",
        "service that keeps data about a person handles every event about a person (registered,",
        "corrected, transferred, erased), if only to say why nothing changes: a contract test",
        "holds this (`tests/contract/test_consumer_matrix.py`). Event types no service consumes",
        "are for partners and other readers.",
        "",
        "| event type | consumer | what it does |",
        "|---|---|---|",
    ]
    matrix = consumer_matrix()
    for event_type in found:
        for service, does in sorted(matrix.get(event_type, {}).items()):
            lines.append(f"| `{event_type}` | {service} | {does or '—'} |")
    lines += ["", "## Envelope headers", "", "| header | always | meaning |", "|---|---|---|"]
    for name, always in _envelope_headers().items():
        lines.append(f"| `{name}` | {'yes' if always else 'no'} | {HEADER_MEANING.get(name, '')} |")
    lines += ["", "## Event types"]
    for event_type, model in found.items():
        lines += _event_section(event_type, model, _key_field(by_topic[model.topic]))
    lines += [
        "",
        "## Dead-letter topics",
        "",
        "A consumer that cannot validate or apply an event parks it on its service's dead-letter",
        "topic (through its outbox) with the reason, and moves on. The parked record keeps the",
        "original key, value and headers; these headers are added.",
        "",
        "| topic | partitions | written by |",
        "|---|---|---|",
    ]
    for service in SERVICES:
        topic = deadletter_topic(service)
        lines.append(f"| `{topic}` | {all_topics()[topic]} | {service}'s consumers |")
    lines += ["", "| header | meaning |", "|---|---|"]
    lines += [f"| `{h}` | {DLQ_HEADER_MEANING.get(h, '')} |" for h in _deadletter_headers()]
    return "\n".join(lines) + "\n"


def _event_section(event_type: str, model: type[EventData], key: str | None) -> list[str]:
    schema = model.model_json_schema()
    lines = [
        "",
        f"### `{event_type}`",
        "",
        model.summary,
        "",
        f"- topic: `{model.topic}`" + (f", keyed by `{key}`" if key else ""),
        f"- publisher: {_publisher(event_type)}",
        f"- contract: `{model.__module__}.{model.__qualname__}`",
        f"- schema: [`{event_type}.json`](../{schema_path(event_type)})",
        "",
    ]
    lines += _field_table(schema)
    for name, definition in schema.get("$defs", {}).items():
        lines += ["", f"`{name}`:", "", *_field_table(definition)]
    return lines


def _field_table(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", ()))
    rows = ["| field | type | required | description |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        description = " ".join(prop.get("description", "").split())
        cells = (f"`{name}`", _type_label(prop), "yes" if name in required else "no", description)
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return rows


def _type_label(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[-1]}`"
    if alternatives := schema.get("anyOf") or schema.get("oneOf"):
        return " | ".join(_type_label(alt) for alt in alternatives)
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return " | ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type_label(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {_type_label(schema['additionalProperties'])}"
    label = f"{kind} ({schema['format']})" if "format" in schema else kind
    if "pattern" in schema:
        label += f" matching `{schema['pattern']}`"
    bounds = [f"{k} {schema[k]}" for k in sorted(schema) if k.startswith(("min", "max"))]
    return ", ".join([label, *bounds])


# --- docs/asyncapi.yaml -----------------------------------------------------------------------


def render_asyncapi(found: Contracts) -> str:
    header = f"# Generated by `{COMMAND}` from the event contracts: do not edit by hand.\n"
    return header + yaml.safe_dump(
        asyncapi_document(found), sort_keys=False, allow_unicode=True, width=100
    )


def asyncapi_document(found: Contracts) -> dict[str, Any]:
    by_topic = _by_topic(found)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "CloudEventHeaders": _header_schema(_envelope_headers(), HEADER_MEANING),
        "DeadLetterHeaders": {
            **_header_schema(dict.fromkeys(_deadletter_headers(), True), DLQ_HEADER_MEANING),
            "additionalProperties": {"type": "string", "description": "the original headers"},
        },
    }
    for topic, partitions in all_topics().items():
        deadletter = topic not in TOPICS
        models = [] if deadletter else by_topic[topic]
        ids = ["deadletter"] if deadletter else [m.event_type for m in models]
        if deadletter:
            about = f"Events {_publisher(topic)}'s consumers parked, keyed as they arrived."
        else:
            about = f"Events of {_publisher(topic)}, keyed by {_key_field(models) or 'their id'}."
        channels[topic] = {
            "address": topic,
            "description": f"{about} Partitions: {partitions}. {PREFIX_NOTE}",
            "messages": {i: {"$ref": f"#/components/messages/{i}"} for i in ids},
            "bindings": {
                "kafka": {"topic": topic, "partitions": partitions, "bindingVersion": "0.5.0"}
            },
        }
        if ids:
            operations[f"{topic}.send"] = {
                "action": "send",
                "title": f"{_publisher(topic)} sends",
                "channel": {"$ref": f"#/channels/{topic}"},
                "messages": [{"$ref": f"#/channels/{topic}/messages/{i}"} for i in ids],
                "tags": [{"name": _publisher(topic)}],
            }
        for model in models:
            messages[model.event_type] = _message(model, _key_field(models))
            schemas |= _payload_schemas(model.event_type, model.model_json_schema())
    messages["deadletter"] = {
        "name": "deadletter",
        "title": "Dead letter",
        "summary": "An event a consumer could not validate or apply, with the reason.",
        "headers": {"$ref": "#/components/schemas/DeadLetterHeaders"},
        "payload": {"description": "The original record value, unchanged (may not be JSON)"},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Civic integration events",
            "version": "1.0.0",
            "description": (
                "Events between intake, trajecten, tolken and rapportage: CloudEvents 1.0 in "
                "Kafka binary content mode. Each message is one versioned event type; contracts "
                "change only compatibly, otherwise a new type version is added. Channel addresses "
                "are logical topic names: every process prefixes them with `CIVIC_TOPIC_PREFIX` "
                "(empty in production; test runs isolate themselves with it)."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "Embedded default; processes read CIVIC_KAFKA_BOOTSTRAP",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _message(model: type[EventData], key: str | None) -> dict[str, Any]:
    return {
        "name": model.event_type,
        "title": model.__name__,
        "summary": model.summary,
        "contentType": "application/json",
        "headers": {
            "allOf": [
                {"$ref": "#/components/schemas/CloudEventHeaders"},
                {"type": "object", "properties": {"ce_type": {"const": model.event_type}}},
            ]
        },
        "payload": {"$ref": f"#/components/schemas/{model.event_type}"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": key or "aggregate id"},
                "bindingVersion": "0.5.0",
            }
        },
    }


def _header_schema(headers: dict[str, bool], meaning: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [name for name, always in headers.items() if always],
        "properties": {
            name: {"type": "string", "description": meaning.get(name, "")} for name in headers
        },
    }


def _payload_schemas(event_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The payload schema and its $defs as components, refs rewritten to point at them."""
    defs = schema.pop("$defs", {})

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (
                    v.replace("#/$defs/", f"#/components/schemas/{event_type}.")
                    if k == "$ref"
                    else rewrite(v)
                )
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    hoisted = {f"{event_type}.{name}": rewrite(d) for name, d in defs.items()}
    return {event_type: rewrite(schema), **hoisted}


if __name__ == "__main__":
    raise SystemExit(main())
