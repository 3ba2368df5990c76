"""The published tariffs of shared/reference/tariffs.md as tariff documents, `NN-<slug>.json`.

`names()` lists them, `document(name)` returns the JSON, `load_example(name)` the validated `Tariff`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from parking.tariffs.document import Tariff
from parking.tariffs.schema import load_tariff

__all__ = ["DIRECTORY", "document", "load_example", "names"]

DIRECTORY = Path(__file__).parent


def names() -> list[str]:
    return sorted(p.stem for p in DIRECTORY.glob("*.json"))


def document(name: str) -> dict[str, Any]:
    return json.loads((DIRECTORY / f"{name}.json").read_text(encoding="utf-8"))


@cache
def load_example(name: str) -> Tariff:
    return load_tariff(document(name))
