"""Vocabulary for tariff tests: local times, stays and fees under the example tariffs."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from parking.tariffs import QuoteContext, Stay, load_tariff, quote
from parking.tariffs.examples import document, load_example

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A Shanghai wall-clock time, e.g. at("2024-05-06T09:00") (a Monday)."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def fee(tariff, entry: str, exit: str, vehicle_class: str = "small", benefits=(), **context: Any) -> int:
    """The total in fen; `tariff` is an example name or a `Tariff`."""
    if isinstance(tariff, str):
        tariff = load_example(tariff)
    stay = Stay(at(entry), at(exit), vehicle_class, frozenset(benefits))
    return quote(tariff, stay, QuoteContext(**context)).total_fen


def variant(name: str, **changes: Any):
    """An example tariff with top-level fields replaced (another reading of an ambiguous rule)."""
    doc = copy.deepcopy(document(name))
    doc.update(changes)
    return load_tariff(doc)
