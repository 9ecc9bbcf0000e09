"""The discovery API's answers: the event types a partner can receive, with their JSON Schemas
(the committed ones, as in docs/asyncapi.yaml) and a made-up example, and the legal bases with
what each allows."""

import json
from functools import cache
from importlib import resources
from typing import Any

from civic_common.events.contracts import CONTRACTS
from trajecten.domain.delivery import example
from trajecten.domain.subscriptions import legal_bases


def _schema(event_type: str) -> dict[str, Any] | None:
    path = resources.files("civic_common").joinpath(f"events/schemas/{event_type}.json")
    if not path.is_file():
        return None
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


@cache
def event_types() -> list[dict[str, Any]]:
    """Every event type some legal basis lets partners receive, sorted, with the bases that do
    (a type without a committed schema is left out: it is nobody's promise)."""
    bases = legal_bases().bases.values()
    out = []
    for event_type in sorted({t for b in bases for t in b.event_types}):
        schema = _schema(event_type)
        if schema is None:
            continue
        out.append(
            {
                "type": event_type,
                "summary": getattr(CONTRACTS.get(event_type), "summary", ""),
                "legal_bases": sorted(b.code for b in bases if event_type in b.event_types),
                "schema": schema,
                "example": example(schema),
            }
        )
    return out


def event_type(name: str) -> dict[str, Any] | None:
    return next((t for t in event_types() if t["type"] == name), None)


def bases() -> dict[str, Any]:
    found = legal_bases()
    return {
        "version": found.version,
        "items": [
            {
                "code": b.code,
                "description": b.description,
                "event_types": sorted(b.event_types),
                "fields": sorted(b.fields),
                "valid_until": b.valid_until.isoformat() if b.valid_until else None,
            }
            for b in sorted(found.bases.values(), key=lambda b: b.code)
        ],
    }
