"""A tariff version uploaded from the console or the API: seen before it is saved, then published.

``preview`` loads a document and says what it would publish: the text residents will read (明码标价, in
Chinese and English, generated from the document) and the fee of a few sample stays starting on the day
the version takes effect, in the lot's time zone, so an administrator sees what the rule charges before
any car pays it. ``publish`` stores it as the next version of its code (``parking.services.tariffs``),
audited, committed, with agents told. ``versions`` lists a lot's versions, future ones marked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import Lot, Tariff as TariffRow
from ..occupancy import OccupancyStore
from ..tariffs import QuoteContext, Stay, TariffError, describe, load_tariff, quote
from . import audit
from .site_admin import notify
from .tariffs import active_version, publish_tariff

# (label in Chinese, label in English, hour the stay starts, its length)
SAMPLE_STAYS: tuple[tuple[str, str, int, timedelta], ...] = (
    ("白天停 20 分钟", "20 minutes by day", 10, timedelta(minutes=20)),
    ("白天停 2 小时", "2 hours by day", 10, timedelta(hours=2)),
    ("白天停 5 小时", "5 hours by day", 9, timedelta(hours=5)),
    ("过夜 19:00–次日 08:00", "overnight 19:00 to 08:00", 19, timedelta(hours=13)),
    ("整 24 小时", "a full 24 hours", 8, timedelta(hours=24)),
)


@dataclass(frozen=True)
class SampleQuote:
    label_zh: str
    label_en: str
    entry: datetime
    exit: datetime
    total_fen: int
    needs_staff: bool


@dataclass(frozen=True)
class TariffPreview:
    code: str
    name: str
    valid_from: datetime
    text: dict[str, str]  # language tag -> published text
    samples: tuple[SampleQuote, ...]
    next_version: int


def lot_zone(db: Session, lot_id: int | None, default_tz: str) -> ZoneInfo:
    lot = db.get(Lot, lot_id) if lot_id is not None else None
    return ZoneInfo((lot.timezone or lot.site.timezone) if lot is not None else default_tz)


def preview(db: Session, document: Mapping[str, Any], *, lot_id: int | None, valid_from: datetime, now: datetime,
            default_tz: str) -> TariffPreview:
    """What publishing ``document`` would show and charge; ``TariffError`` naming the field when it could not be
    published (it does not load, the lot is unknown, ``valid_from`` is past)."""
    if lot_id is not None and db.get(Lot, lot_id) is None:
        raise TariffError("lot_id", f"no lot {lot_id}")
    if valid_from.tzinfo is None:
        raise TariffError("valid_from", "must be a date and time with a time zone")
    if valid_from < now:
        raise TariffError("valid_from", f"{valid_from.isoformat()} is before now ({now.isoformat()}); a new version cannot apply to the past")
    tariff = load_tariff(document)
    tz = lot_zone(db, lot_id, default_tz)
    day = valid_from.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    if day < valid_from.astimezone(tz):
        day += timedelta(days=1)  # the first whole day the version prices
    samples = []
    for zh, en, hour, length in SAMPLE_STAYS:
        entry = day.replace(hour=hour)
        result = quote(tariff, Stay(entry, entry + length), QuoteContext(tz=tz))
        samples.append(SampleQuote(zh, en, entry, entry + length, result.total_fen, result.needs_staff))
    latest = db.scalars(select(TariffRow.version).where(TariffRow.code == tariff.id).order_by(TariffRow.version.desc())).first()
    return TariffPreview(tariff.id, tariff.name.zh, valid_from, {"zh-CN": describe(tariff, "zh-CN"), "en": describe(tariff, "en")},
                         tuple(samples), (latest or 0) + 1)


def publish(db: Session, store: OccupancyStore, document: Mapping[str, Any], *, lot_id: int | None, valid_from: datetime, now: datetime,
            operator_id: int | None) -> TariffRow:
    """Store ``document`` as the next version of its code, audited and committed; ``TariffError`` (naming the
    field) and nothing written when it does not load, the lot is unknown or ``valid_from`` is past."""
    try:
        row = publish_tariff(db, lot_id=lot_id, document=document, valid_from=valid_from, now=now)
        audit.record(db, "tariff.published", operator_id=operator_id, target=f"tariff:{row.code}/v{row.version}", at=now,
                     before=None, after={"code": row.code, "version": row.version, "lot_id": lot_id, "valid_from": valid_from.isoformat(),
                                         "name": row.name})
        db.commit()
    except BaseException:
        db.rollback()
        raise
    notify(store)
    return row


@dataclass(frozen=True)
class Version:
    code: str
    version: int
    name: str
    lot_id: int | None
    valid_from: datetime
    state: str  # future | in_force | past


def versions(db: Session, lot_id: int, now: datetime) -> list[Version]:
    """Every version that may price the lot (its own and those of every lot), newest first, each marked
    future, in force (the one the lanes bill by now) or past."""
    current = active_version(db, lot_id, now)
    rows = db.scalars(select(TariffRow).where(or_(TariffRow.lot_id == lot_id, TariffRow.lot_id.is_(None)))
                      .order_by(TariffRow.valid_from.desc(), TariffRow.code, TariffRow.version.desc()))
    out = []
    for row in rows:
        state = "future" if row.valid_from > now else ("in_force" if current is not None and row.id == current.id else "past")
        out.append(Version(row.code, row.version, row.name, row.lot_id, row.valid_from, state))
    return out
