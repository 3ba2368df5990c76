"""A validator for the part of JSON Schema that `parking.tariffs.json_schema()` uses, for tests."""

from __future__ import annotations

import re
from typing import Any

_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def errors(schema: dict[str, Any], value: Any, root: dict[str, Any] | None = None, path: str = "$") -> list[str]:
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return errors(root["$defs"][name], value, root, path)
    if "anyOf" in schema:
        options = [errors(s, value, root, path) for s in schema["anyOf"]]
        return [] if any(not o for o in options) else [f"{path}: matches no alternative"]
    out: list[str] = []
    kind = schema.get("type")
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{path}: not an integer"]
    elif kind is not None and not isinstance(value, _TYPES[kind]):
        return [f"{path}: not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: not {schema['const']!r}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        out.append(f"{path}: does not match {schema['pattern']}")
    if "minimum" in schema and value < schema["minimum"]:
        out.append(f"{path}: below {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        out.append(f"{path}: above {schema['maximum']}")
    if "minItems" in schema and len(value) < schema["minItems"]:
        out.append(f"{path}: too few items")
    if kind == "array":
        for i, item in enumerate(value):
            out.extend(errors(schema["items"], item, root, f"{path}[{i}]"))
    if kind == "object":
        for name in schema.get("required", []):
            if name not in value:
                out.append(f"{path}.{name}: required")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                out.extend(errors(properties[key], item, root, f"{path}.{key}"))
            elif extra is False:
                out.append(f"{path}.{key}: not allowed")
            elif isinstance(extra, dict):
                if "propertyNames" in schema:
                    out.extend(errors(schema["propertyNames"], key, root, f"{path}.{key}(name)"))
                out.extend(errors(extra, item, root, f"{path}.{key}"))
    return out
