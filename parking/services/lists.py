"""Whitelist and blacklist entries (白名单, 黑名单), for one lot or for every lot (``lot_id`` None).

A whitelisted car enters and leaves free; a blacklisted one is refused at every entry its entry covers,
with the reason on the board (``parking.admission``). An entry has a reason, an optional expiry and the
operator who added it. Plates are read by ``parking.plates.parse``: an impossible plate is an error
naming ``plate``. A plate already on the same list for the same lots is refused rather than entered
twice. Every change is audited (``list.add``, ``list.update``, ``list.remove``) with before and after,
committed with its audit row, and published to the lanes of the lots it concerns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ..models import ListEntry, ListKind, Lot
from ..occupancy import OccupancyStore
from . import audit
from .config_changes import ConfigChangeError, parse_plate
from .fact_changes import moment, publish, text, writing

REASON_MAX_CHARS = 200  # ListEntry.reason
SEARCH_MAX_CHARS = 64


def snapshot(entry: ListEntry) -> dict[str, Any]:
    return {
        "lot_id": entry.lot_id, "plate": entry.plate, "kind": ListKind(entry.kind).value, "reason": entry.reason,
        "expires_at": entry.expires_at.isoformat() if entry.expires_at else None, "created_by_id": entry.created_by_id,
    }


def _kind(kind: str) -> ListKind:
    try:
        return ListKind(kind)
    except ValueError:
        raise ConfigChangeError("kind", f"{kind!r} is not one of {', '.join(k.value for k in ListKind)}", code="list_kind_invalid") from None


def _expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    if expires_at is None:
        return None
    expires_at = moment("expires_at", expires_at)
    if expires_at <= now:
        raise ConfigChangeError("expires_at", f"{expires_at.isoformat()} is not in the future", code="expiry_past")
    return expires_at


def _lots_of(db: Session, lot_id: int | None) -> list[int]:
    return [lot_id] if lot_id is not None else list(db.scalars(select(Lot.id)))


def get(db: Session, entry_id: int) -> ListEntry:
    entry = db.get(ListEntry, entry_id)
    if entry is None:
        raise ConfigChangeError("entry_id", f"no list entry {entry_id}", code="list_entry_unknown", entry_id=entry_id)
    return entry


def add(db: Session, store: OccupancyStore, *, lot_id: int | None, plate: str, kind: str, reason: str,
        expires_at: datetime | None = None, operator_id: int | None, now: datetime) -> ListEntry:
    """Put a plate on a lot's list, or on every lot's (``lot_id`` None)."""
    if lot_id is not None and db.get(Lot, lot_id) is None:
        raise ConfigChangeError("lot_id", f"no lot {lot_id}", code="lot_unknown", lot_id=lot_id)
    plate = parse_plate(plate)
    list_kind = _kind(kind)
    reason = text("reason", reason, REASON_MAX_CHARS, required=True)
    expires_at = _expiry(expires_at, now)
    scope = ListEntry.lot_id.is_(None) if lot_id is None else ListEntry.lot_id == lot_id
    already = db.scalar(select(ListEntry).where(scope, ListEntry.plate == plate, ListEntry.kind == list_kind,
                                                or_(ListEntry.expires_at.is_(None), ListEntry.expires_at > now)))
    if already is not None:
        raise ConfigChangeError("plate", f"{plate} is already on this {list_kind.value} (entry {already.id}: {already.reason})",
                                code="list_duplicate", plate=plate, entry_id=already.id, reason=already.reason)
    entry = ListEntry(lot_id=lot_id, plate=plate, kind=list_kind, reason=reason, expires_at=expires_at, created_by_id=operator_id, created_at=now)
    with writing(db):
        db.add(entry)
        db.flush()
        audit.record(db, "list.add", operator_id=operator_id, target=f"list {entry.id}", at=now, after=snapshot(entry))
        db.commit()
    publish(db, store, _lots_of(db, lot_id), now)
    return entry


_UNCHANGED: Any = object()


def update(db: Session, store: OccupancyStore, entry_id: int, *, operator_id: int | None, now: datetime,
           reason: str | None = None, expires_at: datetime | None = _UNCHANGED) -> ListEntry:
    """Change an entry's reason or expiry (``expires_at=None`` makes it last until removed)."""
    entry = get(db, entry_id)
    new_reason = entry.reason if reason is None else text("reason", reason, REASON_MAX_CHARS, required=True)
    new_expiry = entry.expires_at if expires_at is _UNCHANGED else _expiry(expires_at, now)
    with writing(db):
        before = snapshot(entry)
        entry.reason, entry.expires_at = new_reason, new_expiry
        after = snapshot(entry)
        if after != before:
            audit.record(db, "list.update", operator_id=operator_id, target=f"list {entry.id}", at=now, before=before, after=after)
        db.commit()
    publish(db, store, _lots_of(db, entry.lot_id), now)
    return entry


def remove(db: Session, store: OccupancyStore, entry_id: int, *, operator_id: int | None, now: datetime) -> None:
    entry = get(db, entry_id)
    lot_id = entry.lot_id
    with writing(db):
        before = snapshot(entry)
        db.delete(entry)
        audit.record(db, "list.remove", operator_id=operator_id, target=f"list {entry_id}", at=now, before=before)
        db.commit()
    publish(db, store, _lots_of(db, lot_id), now)


def entries(db: Session, *, now: datetime, lot_id: int | None = None, lot_ids: Sequence[int] | None = None, kind: str = "",
            text_filter: str = "", include_expired: bool = False, global_only: bool = False) -> list[ListEntry]:
    """Entries of a lot (with the global ones that apply to it), of ``lot_ids``, or all; newest first."""
    query = select(ListEntry).options(selectinload(ListEntry.lot)).order_by(ListEntry.id.desc())
    if global_only:
        query = query.where(ListEntry.lot_id.is_(None))
    elif lot_id is not None:
        query = query.where(or_(ListEntry.lot_id == lot_id, ListEntry.lot_id.is_(None)))
    elif lot_ids is not None:
        query = query.where(or_(ListEntry.lot_id.in_(list(lot_ids)), ListEntry.lot_id.is_(None)))
    if kind:
        query = query.where(ListEntry.kind == _kind(kind))
    fragment = text_filter.strip()[:SEARCH_MAX_CHARS]
    if fragment:
        query = query.where(or_(ListEntry.plate.contains(fragment.upper().replace(" ", ""), autoescape=True),
                                ListEntry.reason.contains(fragment, autoescape=True)))
    if not include_expired:
        query = query.where(or_(ListEntry.expires_at.is_(None), ListEntry.expires_at > now))
    return list(db.scalars(query))
