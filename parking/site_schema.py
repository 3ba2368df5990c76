"""The JSON Schema of the site file (``parking/site_schema.json``) and a validator for the part of JSON
Schema it uses: ``type``, ``properties``/``required``/``additionalProperties``, ``items``/``minItems``,
``enum``/``const``, ``pattern``/``minLength``/``maxLength``, ``minimum``/``maximum``, ``anyOf`` and local
``$ref``. The importer checks a document with it before reading anything else, so the schema shipped to
integrators is the rule the importer applies; meanings the schema cannot say (a zone named by a lane
exists, a device URL opens, a time zone is known) are checked by ``parking.services``.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["FORMAT", "VERSION", "SchemaError", "problems", "schema", "validate"]

FORMAT = "parking-site"
VERSION = 1

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,), "null": (type(None),), "number": (int, float),
    "integer": (int,),
}


# What a pattern of the schema means, said to a person instead of the pattern itself.
PATTERN_MEANINGS = {
    "Code": "may hold only letters, digits, '-', '_' and '.', starting with a letter or digit (at most 32)",
    "Name": "may not contain '<', '>' or control characters: HTML is not accepted",
    "Text": "may not contain '<', '>' or control characters: HTML is not accepted",
    "Moment": "is not a date and time with its UTC offset, such as 2026-11-25T08:00:00+08:00",
    "TimeOfDay": "is not a time of day such as 19:00",
    "TimeZone": "is not a time zone name such as Asia/Shanghai",
}


class SchemaError(ValueError):
    """The document breaks the schema at ``path`` (``sites[0].lots[1].zones[0].capacity``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(resources.files("parking").joinpath("site_schema.json").read_text(encoding="utf-8"))


def validate(document: Any) -> None:
    """Raise ``SchemaError`` for the first problem of ``document``, if any."""
    found = problems(document, limit=1)
    if found:
        raise found[0]


def problems(document: Any, *, limit: int = 100) -> list[SchemaError]:
    """Up to ``limit`` problems of ``document``, in document order."""
    out: list[SchemaError] = []
    _check(schema(), document, "", out, limit)
    return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is(kind: str, value: Any) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    if kind == "number" and isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, _TYPES[kind])


def _check(rule: dict[str, Any], value: Any, path: str, out: list[SchemaError], limit: int) -> None:
    if len(out) >= limit:
        return
    if "$ref" in rule:
        name = rule["$ref"].removeprefix("#/$defs/")
        found: list[SchemaError] = []
        _check(schema()["$defs"][name], value, path, found, limit - len(out))
        meaning = PATTERN_MEANINGS.get(name)
        out.extend(SchemaError(e.path, f"{_show(value)} {meaning}") if meaning and "does not match" in e.message else e for e in found)
        return
    if "anyOf" in rule:
        attempts = []
        for option in rule["anyOf"]:
            tried: list[SchemaError] = []
            _check(option, value, path, tried, 1)
            if not tried:
                return
            if option.get("type") != "null":  # "or null" is not worth saying: the other alternative's complaint is
                attempts.append(tried[0])
        out.append(attempts[0] if attempts else SchemaError(path, f"{_show(value)} matches no alternative"))
        return
    if "const" in rule and value != rule["const"]:
        out.append(SchemaError(path, f"must be {json.dumps(rule['const'], ensure_ascii=False)}, not {_show(value)}"))
        return
    if "enum" in rule and value not in rule["enum"]:
        out.append(SchemaError(path, f"{_show(value)} is not one of {', '.join(map(str, rule['enum']))}"))
        return
    kind = rule.get("type")
    if kind is not None and not _is(kind, value):
        out.append(SchemaError(path, f"must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}, not {_show(value)}"))
        return
    if isinstance(value, str):
        if "minLength" in rule and len(value) < rule["minLength"]:
            out.append(SchemaError(path, "is required" if not value else f"must be at least {rule['minLength']} characters"))
        elif "maxLength" in rule and len(value) > rule["maxLength"]:
            out.append(SchemaError(path, f"must be at most {rule['maxLength']} characters, not {len(value)}"))
        elif "pattern" in rule and not re.search(rule["pattern"], value):
            out.append(SchemaError(path, f"{_show(value)} does not match {rule['pattern']}"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in rule and value < rule["minimum"]:
            out.append(SchemaError(path, f"{value} is below the minimum {rule['minimum']}"))
        elif "maximum" in rule and value > rule["maximum"]:
            out.append(SchemaError(path, f"{value} is above the maximum {rule['maximum']}"))
    if isinstance(value, list):
        if "minItems" in rule and len(value) < rule["minItems"]:
            out.append(SchemaError(path, f"needs at least {rule['minItems']} item{'s' if rule['minItems'] > 1 else ''}"))
        for i, item in enumerate(value):
            _check(rule.get("items", {}), item, f"{path}[{i}]", out, limit)
    if isinstance(value, dict):
        properties = rule.get("properties", {})
        for key in rule.get("required", []):
            if key not in value:
                out.append(SchemaError(_join(path, key), "is required"))
        for key, item in value.items():
            if not isinstance(key, str):
                out.append(SchemaError(path, f"key {_show(key)} is not text"))
            elif key in properties:
                _check(properties[key], item, _join(path, key), out, limit)
            elif rule.get("additionalProperties", True) is False:
                known = ", ".join(sorted(properties))
                out.append(SchemaError(_join(path, key), f"is not a known field; known fields: {known}"))


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
