"""The compatibility checker flags every kind of breaking change and lets compatible ones pass.

Schemas come from real pydantic models (what the catalogue exports), plus a few hand-written
ones for keywords pydantic rarely emits. If one of these rows stopped being flagged, the contract
test guarding the committed event schemas could no longer fail.
"""

from typing import Any, Literal, Optional
from uuid import UUID

import pytest
from pydantic import BaseModel, ConfigDict, Field, create_model

from civic_common.events.compat import breaking_changes

pytestmark = pytest.mark.unit


def schema(**fields: Any) -> dict[str, Any]:
    """The JSON Schema of a model ``Event`` with these pydantic field definitions."""
    return create_model("Event", **fields).model_json_schema()


class AddressV1(BaseModel):
    street: str
    postcode: str = Field(pattern=r"^\d{4}$")
    box: str | None = None


class AddressV2Removed(BaseModel):  # street removed
    postcode: str = Field(pattern=r"^\d{4}$")
    box: str | None = None


class AddressV2Required(BaseModel):  # box made required
    street: str
    postcode: str = Field(pattern=r"^\d{4}$")
    box: str | None


class AddressRenamed(BaseModel):  # another $defs name, the same shape: compatible
    street: str
    postcode: str = Field(pattern=r"^\d{4}$", description="Belgian postcode")
    box: str | None = None
    country: str = "BE"


class NodeV1(BaseModel):
    label: str
    children: list["NodeV1"] = []


class NodeV2(BaseModel):
    children: list["NodeV2"] = []


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: str


BREAKING = {
    "property removed": (
        schema(a=(str, ...), b=(str, ...)),
        schema(a=(str, ...)),
        "b: property removed",
    ),
    "optional property removed": (
        schema(a=(str, ...), b=(str | None, None)),
        schema(a=(str, ...)),
        "b: property removed",
    ),
    "type changed": (schema(a=(str, ...)), schema(a=(int, ...)), "a: type changed"),
    "type widened": (schema(a=(int, ...)), schema(a=(int | str, ...)), "a: type changed"),
    "nullable made non-null": (
        schema(a=(str | None, None)),
        schema(a=(str, "x")),
        "a: no longer nullable",
    ),
    "non-null made nullable": (
        schema(a=(str, ...)),
        schema(a=(str | None, ...)),
        "a: now nullable",
    ),
    "enum value removed": (
        schema(a=(Literal["obligated", "entitled"], ...)),
        schema(a=(Literal["obligated"], ...)),
        "a: values removed: 'entitled'",
    ),
    "optional enum value removed": (
        schema(a=(Literal["obligated", "entitled"] | None, None)),
        schema(a=(Literal["obligated", "other"] | None, None)),
        "a: values removed: 'entitled'",
    ),
    "single literal changed": (
        schema(a=(Literal["x"], ...)),
        schema(a=(Literal["y"], ...)),
        "a: values removed: 'x'",
    ),
    "free value restricted to an enum": (
        schema(a=(str, ...)),
        schema(a=(Literal["x"], ...)),
        "a: now restricted to 'x'",
    ),
    "pattern changed": (
        schema(a=(str, Field(pattern=r"^\d{5}$"))),
        schema(a=(str, Field(pattern=r"^\d{4}$"))),
        "a: pattern changed",
    ),
    "pattern added": (schema(a=(str, ...)), schema(a=(str, Field(pattern=r"^\d+$"))), "a: pattern"),
    "format changed": (schema(a=(UUID, ...)), schema(a=(str, ...)), "a: format changed"),
    "length tightened": (
        schema(a=(str, Field(max_length=10))),
        schema(a=(str, Field(max_length=5))),
        "a: maxLength tightened from 10 to 5",
    ),
    "minimum added": (schema(a=(int, ...)), schema(a=(int, Field(ge=1))), "a: minimum tightened"),
    "array items changed": (
        schema(a=(list[str], [])),
        schema(a=(list[int], [])),
        "a[]: type changed",
    ),
    "map values changed": (
        schema(a=(dict[str, str], {})),
        schema(a=(dict[str, int], {})),
        "a.{*}: type changed",
    ),
    "new required property": (
        schema(a=(str, ...)),
        schema(a=(str, ...), b=(str, ...)),
        "b: new required property",
    ),
    "optional made required": (
        schema(a=(str, ...), b=(str, "x")),
        schema(a=(str, ...), b=(str, ...)),
        "b: optional property made required",
    ),
    "unknown properties forbidden": (
        schema(a=(str, ...)),
        Strict.model_json_schema(),
        "(root): additional properties no longer allowed",
    ),
    "$defs property removed": (
        schema(address=(AddressV1, ...)),
        schema(address=(AddressV2Removed, ...)),
        "address.street: property removed",
    ),
    "$defs optional made required behind a nullable ref": (
        schema(address=(AddressV1 | None, None)),
        schema(address=(AddressV2Required | None, None)),
        "address.box: optional property made required",
    ),
    "$defs inside a list": (
        schema(addresses=(list[AddressV1], [])),
        schema(addresses=(list[AddressV2Removed], [])),
        "addresses[].street: property removed",
    ),
    "recursive $defs property removed": (
        schema(root=(NodeV1, ...)),
        schema(root=(NodeV2, ...)),
        "root.label: property removed",
    ),
    "hand-written type list narrowed": (
        {"properties": {"a": {"type": ["string", "integer"]}}},
        {"properties": {"a": {"type": "string"}}},
        "a: type changed from integer|string to string",
    ),
}

COMPATIBLE = {
    "identical": (schema(a=(str, ...)), schema(a=(str, ...))),
    "new optional property": (schema(a=(str, ...)), schema(a=(str, ...), b=(str | None, None))),
    "new property with a default": (schema(a=(str, ...)), schema(a=(str, ...), b=(list[str], []))),
    "enum widened": (
        schema(a=(Literal["obligated"], ...)),
        schema(a=(Literal["obligated", "entitled"], ...)),
    ),
    "enum lifted": (schema(a=(Literal["x", "y"], ...)), schema(a=(str, ...))),
    "description and title changed": (
        schema(a=(str, Field(description="old"))),
        schema(a=(str, Field(description="new", title="A"))),
    ),
    "default changed": (schema(a=(str, "x")), schema(a=(str, "y"))),
    "required made optional with a value": (schema(a=(str, ...)), schema(a=(str, "x"))),
    "length relaxed": (schema(a=(str, Field(max_length=5))), schema(a=(str, Field(max_length=10)))),
    "$defs renamed, same shape, new optional field": (
        schema(address=(AddressV1, ...)),
        schema(address=(AddressRenamed, ...)),
    ),
    "recursive $defs unchanged": (schema(root=(NodeV1, ...)), schema(root=(NodeV1, ...))),
    "Optional spelled differently": (
        schema(a=(Optional[str], None)),  # noqa: UP045 - the point is the other spelling
        schema(a=(str | None, None)),
    ),
}


@pytest.mark.parametrize(("old", "new", "expected"), BREAKING.values(), ids=BREAKING.keys())
def test_flags_breaking_change(old, new, expected):
    reasons = breaking_changes(old, new)
    assert any(expected in reason for reason in reasons), reasons


@pytest.mark.parametrize(("old", "new"), COMPATIBLE.values(), ids=COMPATIBLE.keys())
def test_accepts_compatible_change(old, new):
    assert breaking_changes(old, new) == []


def test_reports_every_breaking_change_not_only_the_first():
    old = schema(a=(str, ...), b=(Literal["x", "y"], ...), c=(str, "x"))
    new = schema(b=(Literal["x"], ...), c=(str, ...), d=(int, ...))
    assert sorted(breaking_changes(old, new)) == [
        "a: property removed",
        "b: values removed: 'y'",
        "c: optional property made required",
        "d: new required property",
    ]
