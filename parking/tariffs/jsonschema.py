"""JSON Schema (draft 2020-12) generated from marshmallow schemas, such as those of a tariff document.

Covers the field types the tariff schemas use (strings with choices or patterns, integers with
ranges, booleans, lists, dicts and nested schemas); nested schemas become `$defs`. A custom field
describes itself with a `json_schema()` method (see `parking.tariffs.schema.CapAmount`). This module
knows nothing of tariffs: `parking.tariffs.schema` imports it, never the other way round.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

__all__ = ["schema_of"]


def schema_of(schema: Schema, *, title: str, id_: str) -> dict[str, Any]:
    """The JSON Schema of `schema`'s documents, with `title` and `$id` `id_`."""
    defs: dict[str, Any] = {}
    root = _object(schema, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": id_,
        "title": title,
        **root,
        "$defs": defs,
    }


def _object(schema: Schema, defs: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in schema.fields.items():
        key = field.data_key or name
        properties[key] = _field(field, defs)
        if field.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _ref(nested: Schema, defs: dict[str, Any]) -> dict[str, Any]:
    name = type(nested).__name__.removesuffix("Schema")
    if name not in defs:
        defs[name] = {}
        defs[name] = _object(nested, defs)
    return {"$ref": f"#/$defs/{name}"}


def _validators(field: fields.Field) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in field.validators:
        if isinstance(v, validate.OneOf):
            out["enum"] = list(v.choices)
        elif isinstance(v, validate.Equal):
            out["const"] = v.comparable
        elif isinstance(v, validate.Regexp):
            out["pattern"] = v.regex.pattern
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out["minimum"] = v.min
            if v.max is not None:
                out["maximum"] = v.max
        elif isinstance(v, validate.Length):
            if v.min is not None:
                out["minItems" if isinstance(field, fields.List) else "minLength"] = v.min
    return out


def _field(field: fields.Field, defs: dict[str, Any]) -> dict[str, Any]:
    own = getattr(field, "json_schema", None)
    if callable(own):
        out = own()
    elif isinstance(field, fields.Nested):
        out = _ref(field.schema, defs)
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": _field(field.inner, defs)}
    elif isinstance(field, fields.Dict):
        out = {"type": "object", "additionalProperties": _field(field.value_field, defs)}
        if field.key_field is not None:
            out["propertyNames"] = _field(field.key_field, defs)
    elif isinstance(field, fields.Boolean):
        out = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        out = {"type": "integer"}
    elif isinstance(field, fields.String):
        out = {"type": "string"}
    else:  # pragma: no cover - a new field type must be added here
        raise TypeError(f"no JSON Schema for {type(field).__name__}")
    out.update(_validators(field))
    if field.allow_none and not field.required and "$ref" not in out:
        out = {"anyOf": [out, {"type": "null"}]}
    return out
