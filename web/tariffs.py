"""The published tariff of a lot (明码标价): the name of each tariff in force and, when the tariff rules
module offers ``load_tariff`` and ``describe(tariff, lang)``, the text it generates from the rule itself.

``parking.tariffs`` is imported on use and is optional: without it, or when it cannot describe a
document, the page shows the tariff's name alone rather than text written by hand that could drift
from the rule.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from parking.models import Tariff

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishedTariff:
    name: str
    text: str


def _rules() -> tuple[Callable[[Any], Any], Callable[..., Any]] | None:
    """``(load_tariff, describe)`` from ``parking.tariffs``, or None while that module lacks them."""
    try:
        module = importlib.import_module("parking.tariffs")
        load, describe_rule = module.load_tariff, module.describe
    except (ImportError, AttributeError):
        return None
    return load, describe_rule


def _as_text(described: Any) -> str:
    if isinstance(described, str):
        return described.strip()
    if isinstance(described, Iterable):
        return "\n".join(str(line) for line in described).strip()
    return str(described).strip()


def describe(tariff: Tariff, language: str) -> PublishedTariff:
    rules = _rules()
    text = ""
    if rules is not None:
        load, describe_rule = rules
        try:
            text = _as_text(describe_rule(load(tariff.document), language))
        except Exception:  # a tariff the rules module rejects must not take the resident page down
            log.exception("tariff %s v%s could not be described", tariff.code, tariff.version)
    return PublishedTariff(name=tariff.name, text=text)


def in_force(db: Session, lot_id: int, now: datetime) -> list[Tariff]:
    """The newest version, valid at ``now``, of each tariff of the lot (or of every lot)."""
    rows = db.scalars(
        select(Tariff)
        .where(or_(Tariff.lot_id == lot_id, Tariff.lot_id.is_(None)), Tariff.valid_from <= now)
        .order_by(Tariff.code, Tariff.version.desc())
    )
    newest: dict[str, Tariff] = {}
    for tariff in rows:
        newest.setdefault(tariff.code, tariff)
    return list(newest.values())


def published(db: Session, lot_id: int, now: datetime, language: str) -> list[PublishedTariff]:
    """The tariffs in force, described in ``language`` ("zh_CN" or "en", as ``web.i18n`` names them)."""
    tag = language.replace("_", "-")  # the tariff text speaks BCP 47: "zh-CN"
    return [describe(t, tag) for t in in_force(db, lot_id, now)]
