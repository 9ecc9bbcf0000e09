"""Contract: the event contracts keep the promises committed in their JSON Schemas.

A committed schema (``libs/common/civic_common/events/schemas/<event_type>.json``) is what
consumers, partners and events already on a topic rely on. A contract may change only
compatibly; a breaking change, or deleting an event type, is a new type version (``.v2``)
beside the old one. The generated catalogue (``docs/events.md``, ``docs/asyncapi.yaml``) must be
current. The last tests run the generator on a scratch copy to prove ``--check`` can fail.
"""

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from civic_common.events import catalogue
from civic_common.events.compat import breaking_changes
from civic_common.events.contracts.base import SERVICES, EventData
from civic_common.events.envelope import Envelope

pytestmark = pytest.mark.contract

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = catalogue.load_contracts()
COMMITTED = catalogue.committed_schemas(ROOT)
REGENERATE = f"`.venv/bin/{catalogue.COMMAND}` and commit what it writes"
EVENT_TYPE = re.compile(
    rf"^(?P<service>{'|'.join(SERVICES)})\.(?P<aggregate>[a-z]+(?:-[a-z]+)*)"
    r"\.(?P<verb>[a-z]+(?:-[a-z]+)*)\.v[1-9]\d*$"
)


@pytest.mark.parametrize("event_type", CONTRACTS)
def test_contract_keeps_the_promise_of_its_committed_schema(event_type):
    assert event_type in COMMITTED, (
        f"{catalogue.schema_path(event_type)} is missing: run {REGENERATE}"
    )
    reasons = breaking_changes(COMMITTED[event_type], CONTRACTS[event_type].model_json_schema())
    assert not reasons, (
        f"{event_type} changed incompatibly:\n  " + "\n  ".join(reasons) + "\nLeave it as it "
        "was and add a new type version (.v2) beside it; do not regenerate its schema."
    )


def test_no_event_type_was_deleted():
    deleted = sorted(COMMITTED.keys() - CONTRACTS.keys())
    assert not deleted, (
        f"schemas without a contract: {deleted}. Event types are never deleted: restore the "
        "contract (consumers and stored events still use it) and add a .v2 beside it."
    )


def test_generated_catalogue_and_schemas_are_current():
    stale = catalogue.stale_files(ROOT, catalogue.generate())
    assert not stale, f"stale: {stale}; run {REGENERATE}"


@pytest.mark.parametrize("event_type", CONTRACTS)
def test_event_type_is_named_and_placed_by_its_publisher(event_type):
    model = CONTRACTS[event_type]
    match = EVENT_TYPE.match(model.event_type)
    assert match, f"{event_type} is not <service>.<aggregate>.<verb>.v<n>"
    assert model.topic.split(".")[0] == match["service"], (
        f"{event_type} is published by {match['service']} but travels on {model.topic}"
    )
    assert model.summary.strip(), f"{event_type} needs a summary for the catalogue"


@pytest.mark.parametrize("event_type", CONTRACTS)
def test_minimal_event_round_trips_through_the_envelope(event_type):
    model: type[EventData] = CONTRACTS[event_type]
    schema = model.model_json_schema()
    event = model.model_validate(_minimal_instance(schema, schema.get("$defs", {})))
    sent = Envelope(
        type=model.event_type,
        source=f"/civic/{event_type.split('.')[0]}",
        partitionkey=str(uuid.uuid4()),
        sequence=1,
        data=event.model_dump(mode="json"),
    )
    received = Envelope.from_record(
        {name: value.encode() for name, value in sent.headers().items()}, sent.value()
    )

    assert received.type == event_type
    assert model.model_validate(received.data) == event
    published = COMMITTED.get(event_type, schema)
    assert set(received.data) <= set(published["properties"]), "sends fields not in its schema"
    assert set(published.get("required", ())) <= set(received.data)
    unknown = {**received.data, "field_of_a_later_version": 1}
    assert model.model_validate(unknown) == event, "readers must ignore fields they do not know"


def test_check_fails_on_a_breaking_change_and_write_refuses_it(tmp_path, capsys):
    event_type = next(iter(CONTRACTS))
    assert catalogue.main(["--root", str(tmp_path)]) == 0
    assert catalogue.main(["--check", "--root", str(tmp_path)]) == 0
    committed = tmp_path / catalogue.schema_path(event_type)
    promise = json.loads(committed.read_text())
    promise["properties"]["promised_field"] = {"type": "string"}
    promise["required"] = [*promise.get("required", ()), "promised_field"]
    committed.write_text(json.dumps(promise))
    capsys.readouterr()

    assert catalogue.main(["--check", "--root", str(tmp_path)]) == 1
    assert f"{event_type}: promised_field: property removed" in capsys.readouterr().err
    assert catalogue.main(["--root", str(tmp_path)]) == 1
    assert committed.read_text() == json.dumps(promise), "a broken promise must not be rewritten"


def test_check_fails_on_stale_docs_and_deleted_event_types(tmp_path, capsys):
    assert catalogue.main(["--root", str(tmp_path)]) == 0
    (tmp_path / catalogue.EVENTS_MD).write_text("# hand-edited\n")
    (tmp_path / catalogue.schema_path("intake.person.forgotten.v1")).write_text("{}")
    capsys.readouterr()

    assert catalogue.main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{catalogue.EVENTS_MD}: out of date" in err
    assert "no contract defines intake.person.forgotten.v1" in err


# Values for the patterns contracts use beyond plain digit runs (KBO number, agency code,
# school year).
PATTERN_EXAMPLES = {
    r"^[01]\d{9}$": "0123456789",
    r"^[a-z0-9][a-z0-9-]{0,62}$": "in-gent",
    r"^\d{4}(-\d{4})?$": "2025-2026",
}


def _minimal_instance(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The smallest value a schema accepts; skips the test where that is not obvious."""
    if "$ref" in schema:
        return _minimal_instance(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if alternatives := schema.get("anyOf") or schema.get("oneOf"):
        return _minimal_instance(alternatives[0], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", ())
        return {
            name: _minimal_instance(prop, defs)
            for name, prop in schema.get("properties", {}).items()
            if name in required
        }
    if kind == "array":
        return [_minimal_instance(schema.get("items", {}), defs)] * schema.get("minItems", 0)
    if kind == "string":
        if "pattern" in schema:
            if schema["pattern"] in PATTERN_EXAMPLES:
                return PATTERN_EXAMPLES[schema["pattern"]]
            digits = re.fullmatch(r"\^\\d\{(\d+)\}\$", schema["pattern"])
            if not digits:
                pytest.skip(f"no obvious example for pattern {schema['pattern']}")
            return "1" * int(digits[1])
        examples = {
            "uuid": str(uuid.uuid4()),
            "date-time": "2024-05-02T09:30:00+02:00",
            "date": "2024-05-02",
            "time": "09:30:00",
            "duration": "PT1H",
        }
        return examples.get(schema.get("format"), "x" * schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    return {"boolean": False, "null": None}.get(kind, {})
