"""Visitor registrations (访客登记): a visitor's plate, the household they visit and the time window, entered
by an attendant (or a manager) for a lot.

A registered visitor enters while the window lasts, as a temporary vehicle that a closed community lets
in (``parking.admission``). The window is at most ``MAX_VISIT_DAYS`` long and must not be over already;
a plate is read by ``parking.plates.parse``, an impossible one is an error naming ``plate``. Cancelling
a registration that has begun closes its window now; one that has not begun is deleted. Every change is
audited (``visitor.register``, ``visitor.cancel``), committed with its audit row, and published to the
lot's lanes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import Lot, Visitor
from ..occupancy import OccupancyStore
from . import audit
from .config_changes import ConfigChangeError, parse_plate
from .fact_changes import moment, publish, text, writing

HOST_MAX_CHARS = 100  # Visitor.host: the household visited and who registered the visit, e.g. "3栋502 王女士"
MAX_VISIT_DAYS = 30
SEARCH_MAX_CHARS = 64


def snapshot(v: Visitor) -> dict[str, Any]:
    return {"lot_id": v.lot_id, "plate": v.plate, "host": v.host, "valid_from": v.valid_from.isoformat(),
            "valid_until": v.valid_until.isoformat(), "created_by_id": v.created_by_id}


def get(db: Session, visitor_id: int) -> Visitor:
    visitor = db.get(Visitor, visitor_id)
    if visitor is None:
        raise ConfigChangeError("visitor_id", f"no visitor registration {visitor_id}", code="visitor_unknown", visitor_id=visitor_id)
    return visitor


def register(db: Session, store: OccupancyStore, *, lot_id: int, plate: str, host: str, valid_from: datetime | None,
             valid_until: datetime, operator_id: int | None, now: datetime) -> Visitor:
    """Register a visitor's car for ``[valid_from, valid_until)`` (from now when ``valid_from`` is None)."""
    if db.get(Lot, lot_id) is None:
        raise ConfigChangeError("lot_id", f"no lot {lot_id}", code="lot_unknown", lot_id=lot_id)
    plate = parse_plate(plate)
    host = text("host", host, HOST_MAX_CHARS, required=True)
    start = now if valid_from is None else moment("valid_from", valid_from)
    valid_until = moment("valid_until", valid_until)
    if valid_until <= start:
        raise ConfigChangeError("valid_until", f"{valid_until.isoformat()} is not after the start {start.isoformat()}", code="window_empty")
    if valid_until <= now:
        raise ConfigChangeError("valid_until", f"{valid_until.isoformat()} is already past", code="window_past")
    if valid_until - start > timedelta(days=MAX_VISIT_DAYS):
        raise ConfigChangeError("valid_until", f"a visit lasts at most {MAX_VISIT_DAYS} days; issue a pass for longer",
                                code="visit_too_long", max=MAX_VISIT_DAYS)
    visitor = Visitor(lot_id=lot_id, plate=plate, host=host, valid_from=start, valid_until=valid_until, created_by_id=operator_id, created_at=now)
    with writing(db):
        db.add(visitor)
        db.flush()
        audit.record(db, "visitor.register", operator_id=operator_id, target=f"visitor {visitor.id}", at=now, after=snapshot(visitor))
        db.commit()
    publish(db, store, [lot_id], now)
    return visitor


def cancel(db: Session, store: OccupancyStore, visitor_id: int, *, operator_id: int | None, now: datetime) -> None:
    """End a registration now: a window that has begun is closed, one that has not is deleted."""
    visitor = get(db, visitor_id)
    if visitor.valid_until <= now:
        raise ConfigChangeError("visitor_id", f"visitor registration {visitor_id} is already over", code="visitor_over", visitor_id=visitor_id)
    with writing(db):
        before = snapshot(visitor)
        if visitor.valid_from < now:
            visitor.valid_until = now
            after: dict[str, Any] | None = snapshot(visitor)
        else:
            db.delete(visitor)
            after = None
        audit.record(db, "visitor.cancel", operator_id=operator_id, target=f"visitor {visitor_id}", at=now, before=before, after=after)
        db.commit()
    publish(db, store, [visitor.lot_id], now)


def visitors(db: Session, *, now: datetime, lot_id: int | None = None, lot_ids: Sequence[int] | None = None, text_filter: str = "",
             include_past: bool = False) -> list[Visitor]:
    """Registrations by lot, soonest window first; without ``include_past`` only those not over yet."""
    query = select(Visitor).order_by(Visitor.valid_from, Visitor.id)
    if lot_id is not None:
        query = query.where(Visitor.lot_id == lot_id)
    if lot_ids is not None:
        query = query.where(Visitor.lot_id.in_(list(lot_ids)))
    fragment = text_filter.strip()[:SEARCH_MAX_CHARS]
    if fragment:
        query = query.where(or_(Visitor.plate.contains(fragment.upper().replace(" ", ""), autoescape=True),
                                Visitor.host.contains(fragment, autoescape=True)))
    if not include_past:
        query = query.where(Visitor.valid_until > now)
    return list(db.scalars(query))
