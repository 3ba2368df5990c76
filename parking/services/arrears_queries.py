"""Reading arrears (欠费): the list the console and the API show, by lot and plate, and how old what is
still owed is (ageing: 0–7, 8–30, 31–90 and more than 90 days).

Only reads; every change is ``parking.services.arrears``. The age of an arrears row is whole days since it
was recorded, in the lot's time zone's calendar (UTC stored, so a row recorded late in the evening is a
day old the next morning).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import Arrears, ArrearsPayment, ArrearsStatus, Payment

PLATE_MAX_CHARS = 16
# (name, first day, last day or None): days since the arrears were recorded.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (("0-7", 0, 7), ("8-30", 8, 30), ("31-90", 31, 90), (">90", 91, None))
STATUSES = tuple(s.value for s in ArrearsStatus)


@dataclass(frozen=True)
class AgeBand:
    name: str
    count: int
    owed_fen: int


def age_days(created_at: datetime, now: datetime, tz: ZoneInfo) -> int:
    return max(0, (now.astimezone(tz).date() - created_at.astimezone(tz).date()).days)


def age_band(created_at: datetime, now: datetime, tz: ZoneInfo) -> str:
    days = age_days(created_at, now, tz)
    return next(name for name, first, last in AGE_BANDS if days >= first and (last is None or days <= last))


def search(*, lot_ids: list[int] | None = None, lot_id: int | None = None, plate: str = "", status: str = "open",
           session_uid: str = "") -> Select[tuple[Arrears]]:
    """Arrears, oldest first; ``lot_ids`` the lots the caller sees (None: all), ``plate`` a fragment of it."""
    query = select(Arrears).order_by(Arrears.created_at, Arrears.id)
    if lot_ids is not None:
        query = query.where(Arrears.lot_id.in_(lot_ids))
    if lot_id is not None:
        query = query.where(Arrears.lot_id == lot_id)
    if plate.strip():
        query = query.where(Arrears.plate.contains(plate.strip().upper()[:PLATE_MAX_CHARS], autoescape=True))
    if status:
        query = query.where(Arrears.status == ArrearsStatus(status))
    if session_uid:
        query = query.where(Arrears.session_uid == session_uid)
    return query


def ageing(db: Session, now: datetime, tz: ZoneInfo, *, lot_ids: list[int] | None = None, lot_id: int | None = None,
           plate: str = "") -> list[AgeBand]:
    """What is still owed, in the age bands, over the open arrears the filters select."""
    totals = {name: [0, 0] for name, _, _ in AGE_BANDS}
    query = search(lot_ids=lot_ids, lot_id=lot_id, plate=plate).with_only_columns(Arrears.created_at, Arrears.amount_fen - Arrears.paid_fen)
    for created_at, owed in db.execute(query.order_by(None)):
        name = age_band(created_at, now, tz)
        totals[name][0] += 1
        totals[name][1] += int(owed)
    return [AgeBand(name, n, fen) for name, (n, fen) in totals.items()]


def owed_total(bands: list[AgeBand]) -> int:
    return sum(band.owed_fen for band in bands)


def paid_back_by(db: Session, arrears_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """arrears id -> the payments that paid it back: uid, method, amount booked to it, when."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in arrears_ids}
    if not arrears_ids:
        return found
    for arrears_id, uid, method, fen, at in db.execute(
        select(ArrearsPayment.arrears_id, Payment.uid, Payment.method, ArrearsPayment.amount_fen, ArrearsPayment.at)
        .join(Payment, Payment.id == ArrearsPayment.payment_id).where(ArrearsPayment.arrears_id.in_(arrears_ids))
        .order_by(ArrearsPayment.id)
    ):
        found[arrears_id].append({"payment_uid": uid, "method": method.value, "amount_fen": int(fen), "at": at})
    return found


