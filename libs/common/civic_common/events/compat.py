"""Is a new JSON Schema of an event contract backward compatible with the published one?

An event type is a published promise: events already on a topic must still validate against
the current model, and readers built against the old schema must still understand new events.
So, between the committed schema (``old``) and the model's current one (``new``):

breaking
    a property removed; a property's JSON type changed (including nullable <-> non-null);
    enum/``Literal`` values removed, or an enum imposed on a free value; a pattern or format
    added, removed or changed; a bound (length, range, items) tightened; a new required
    property; an optional property made required. The same applies inside ``$defs`` types
    (``$ref`` is resolved) and array items.
compatible
    new optional properties, widened enums, relaxed bounds, titles, descriptions and defaults.

A breaking change is a new type version (``.v2``) beside the old one, never an edit.
"""

from typing import Any

Schema = dict[str, Any]

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_EXACT = ("pattern", "format", "multipleOf")
_REF_NAME = "$$resolved"  # marks a schema resolved from $defs (not a JSON Schema keyword)


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Human-readable reasons why ``new`` breaks the promise of ``old``; empty if compatible."""
    return _Diff(old.get("$defs", {}), new.get("$defs", {})).compare(old, new, "")


class _Diff:
    def __init__(self, old_defs: Schema, new_defs: Schema) -> None:
        self.old_defs = old_defs
        self.new_defs = new_defs
        self.active: set[tuple[str | None, str | None]] = set()

    def compare(self, old: Schema, new: Schema, path: str) -> list[str]:
        old_variants = _variants(old, self.old_defs)
        new_variants = _variants(new, self.new_defs)
        old_types = {_type_of(v) for v in old_variants}
        new_types = {_type_of(v) for v in new_variants}
        if old_types != new_types:
            where = path or "(root)"
            if old_types - {"null"} == new_types:
                return [f"{where}: no longer nullable"]
            if new_types - {"null"} == old_types:
                return [f"{where}: now nullable, which readers of the old schema do not expect"]
            return [f"{where}: type changed from {_label(old_types)} to {_label(new_types)}"]
        reasons: list[str] = []
        for old_variant in old_variants:
            candidates = [
                self._compare_variant(old_variant, new_variant, path)
                for new_variant in new_variants
                if _type_of(new_variant) == _type_of(old_variant)
            ]
            reasons += min(candidates, key=len)
        return reasons

    def _compare_variant(self, old: Schema, new: Schema, path: str) -> list[str]:
        refs = (old.get(_REF_NAME), new.get(_REF_NAME))
        if refs in self.active:  # a recursive $defs type, already being compared further up
            return []
        if refs != (None, None):
            self.active.add(refs)
        try:
            return self._compare_same_type(old, new, path)
        finally:
            self.active.discard(refs)

    def _compare_same_type(self, old: Schema, new: Schema, path: str) -> list[str]:
        where = path or "(root)"
        reasons = []
        old_values, new_values = _allowed_values(old), _allowed_values(new)
        if new_values is not None:
            if old_values is None:
                reasons.append(f"{where}: now restricted to {_values(new_values)}")
            elif removed := [v for v in old_values if v not in new_values]:
                reasons.append(f"{where}: values removed: {_values(removed)}")
        for keyword in _EXACT:
            if old.get(keyword) != new.get(keyword):
                reasons.append(
                    f"{where}: {keyword} changed from {old.get(keyword)!r} to {new.get(keyword)!r}"
                )
        for keyword in _LOWER_BOUNDS + _UPPER_BOUNDS:
            if _tightened(keyword, old.get(keyword), new.get(keyword)):
                reasons.append(
                    f"{where}: {keyword} tightened from {old.get(keyword)!r} to "
                    f"{new.get(keyword)!r}"
                )
        if "items" in old or "items" in new:
            reasons += self.compare(old.get("items", {}), new.get("items", {}), f"{path}[]")
        if _type_of(old) == "object":
            reasons += self._compare_objects(old, new, path)
        return reasons

    def _compare_objects(self, old: Schema, new: Schema, path: str) -> list[str]:
        prefix = f"{path}." if path else ""
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        reasons = []
        for name, old_prop in old_props.items():
            if name not in new_props:
                reasons.append(f"{prefix}{name}: property removed")
                continue
            if name in new_required and name not in old_required:
                reasons.append(f"{prefix}{name}: optional property made required")
            reasons += self.compare(old_prop, new_props[name], prefix + name)
        for name in sorted(new_required - old_props.keys()):
            reasons.append(f"{prefix}{name}: new required property")
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            reasons += self.compare(old_extra, new_extra, f"{prefix}{{*}}")
        elif old_extra is not False and new_extra is False:
            reasons.append(f"{path or '(root)'}: additional properties no longer allowed")
        return reasons


def _variants(schema: Schema, defs: Schema) -> list[Schema]:
    """The alternatives a value may take: anyOf/oneOf flattened, $refs resolved."""
    schema = _resolve(schema, defs)
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if alternatives:
        return [variant for alt in alternatives for variant in _variants(alt, defs)]
    if isinstance(schema.get("type"), list):
        return [{**schema, "type": t} for t in schema["type"]]
    return [schema]


def _resolve(schema: Schema, defs: Schema) -> Schema:
    while "$ref" in schema or len(schema.get("allOf", ())) == 1:
        rest = {k: v for k, v in schema.items() if k not in ("$ref", "allOf")}
        if "$ref" in schema:
            name = schema["$ref"].removeprefix("#/$defs/")
            target = {**defs[name], _REF_NAME: name}
        else:
            target = schema["allOf"][0]
        schema = {**target, **rest}
    return schema


def _type_of(schema: Schema) -> str:
    if "type" in schema:
        return schema["type"]
    values = _allowed_values(schema)
    if values:
        return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
            type(values[0]), "null" if values[0] is None else "any"
        )
    return "object" if "properties" in schema else "any"


def _allowed_values(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    return schema.get("enum")


def _tightened(keyword: str, old: float | None, new: float | None) -> bool:
    if new is None:
        return False
    if old is None:
        return True
    return new > old if keyword in _LOWER_BOUNDS else new < old


def _label(types: set[str]) -> str:
    return "|".join(sorted(types))


def _values(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)
