"""Reconcile live state in Redis with the record in SQL.

SQL is the system of record. After the worker has drained every stream, each lot's open sessions in
SQL and in Redis should be the same, and the counts in Redis should equal what those sessions hold.
``reconcile`` compares them and repairs Redis (and, for a session only Redis knows, whose event was lost
before it reached SQL, writes it to SQL so the vehicle is not lost), returning every correction. After a
``FLUSHALL`` it rebuilds the live state completely: open sessions, counts per zone, pool and pass,
capacities and the plate facts the lanes read, and the merchant coupons bound to open stays in SQL
(``coupons.replay``).

Run it while the lanes of the lot are quiet (or accept that a read in the same instant may be
recounted on the next run): the repair of one lot is one MULTI/EXEC.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ..models import Lot, ParkingSession, Payment, PaymentStatus, SessionStatus
from ..occupancy import OccupancyStore
from ..policy import LotPolicy
from . import coupons, lot_facts
from . import ledger as ledger_mod
from .capacities import publish_capacities


@dataclass(frozen=True)
class Correction:
    lot_id: int
    kind: str  # restored_session | recorded_session | replaced_session | count | pass_count | restored_coupon | settled_payment
    subject: str
    was: Any
    now: Any

    def __str__(self) -> str:
        return f"lot {self.lot_id}: {self.kind} {self.subject}: {self.was!r} -> {self.now!r}"


def session_doc(row: ParkingSession, paid_at: datetime | None, payments: tuple[list[str], int] | None = None) -> dict[str, Any]:
    """The live-store form of an open session, as the admit script writes it. ``payments``: the uids of
    the stay's paid payments in the ledger and their total, so a payment replayed later counts once."""
    doc = {
        "uid": row.uid, "plate": row.plate, "zone": row.zone_id, "lane": row.entry_lane_id,
        "entry_at": row.entry_at.isoformat(), "read": row.entry_read, "color": row.plate_color,
        "class": row.vehicle_class, "pool": row.pool, "pass": row.pass_id, "paid_fen": row.paid_fen,
        "paid_at": paid_at.isoformat() if paid_at else None, "snapshot": row.entry_snapshot,
    }
    if payments is not None and payments[0]:
        doc["payments"], doc["paid_fen"] = payments[0], payments[1]
    return doc


def _ledger_payments(db: Session, lot_id: int) -> dict[str, tuple[list[str], int]]:
    """Per open stay of the lot, the uids of its paid payments (stay part) and what they came to."""
    paid: dict[str, tuple[list[str], int]] = {}
    rows = db.execute(
        select(Payment.session_uid, Payment.uid, Payment.amount_fen - Payment.refunded_fen)
        .join(ParkingSession, ParkingSession.uid == Payment.session_uid)
        .where(Payment.lot_id == lot_id, ParkingSession.status == SessionStatus.OPEN, Payment.purpose == "stay",
               Payment.status.in_([PaymentStatus.PAID, PaymentStatus.REFUNDED]))
        .order_by(Payment.id)
    )
    for session_uid, uid, amount in rows:
        uids, total = paid.get(session_uid, ([], 0))
        paid[session_uid] = ([*uids, uid], total + int(amount))
    return paid


def _counts(sessions: dict[str, dict[str, Any]]) -> tuple[Counter[str], Counter[str]]:
    occupancy: Counter[str] = Counter()
    passes: Counter[str] = Counter()
    for s in sessions.values():
        zone = str(s["zone"])
        occupancy[zone] += 1
        if s.get("pool"):
            occupancy[f"{zone}:{s['pool']}"] += 1
        if s.get("pass"):
            passes[str(s["pass"])] += 1
    return occupancy, passes


def reconcile_lot(db: Session, store: OccupancyStore, lot_id: int, *, apply: bool = True) -> list[Correction]:
    corrections: list[Correction] = []
    rows = {r.plate: r for r in db.scalars(select(ParkingSession).where(ParkingSession.lot_id == lot_id, ParkingSession.status == SessionStatus.OPEN))}
    paid_at = dict(db.execute(
        select(Payment.session_uid, func.max(Payment.paid_at)).where(Payment.lot_id == lot_id).group_by(Payment.session_uid)
    ).all())
    ledger = _ledger_payments(db, lot_id)
    live = store.open_sessions(lot_id)
    wanted: dict[str, dict[str, Any]] = {}
    for plate, row in rows.items():
        doc = session_doc(row, paid_at.get(row.uid), ledger.get(row.uid))
        current = live.get(plate)
        if current is None:
            corrections.append(Correction(lot_id, "restored_session", plate, None, row.uid))
            wanted[plate] = doc
        elif current.get("uid") != row.uid or int(current.get("zone", -1)) != row.zone_id:
            corrections.append(Correction(lot_id, "replaced_session", plate, f"{current.get('uid')}@{current.get('zone')}", f"{row.uid}@{row.zone_id}"))
            wanted[plate] = doc
        else:
            wanted[plate] = current
    for plate, current in live.items():
        if plate not in rows:
            # Only Redis knows this stay: its entry event never reached SQL. Keep the vehicle: record it.
            corrections.append(Correction(lot_id, "recorded_session", plate, None, current.get("uid")))
            wanted[plate] = current
            if apply:
                db.add(_row_from_live(lot_id, current))
    present, capacity, pass_counts = store.counts(lot_id)
    occupancy, passes = _counts(wanted)
    for field in sorted(set(present) | set(occupancy) | {k for k in capacity if not k.endswith(":pools")}):
        if present.get(field, 0) != occupancy.get(field, 0):
            corrections.append(Correction(lot_id, "count", f"zone {field}", present.get(field, 0), occupancy.get(field, 0)))
    for field in sorted(set(pass_counts) | set(passes)):
        if pass_counts.get(field, 0) != passes.get(field, 0):
            corrections.append(Correction(lot_id, "pass_count", f"pass {field}", pass_counts.get(field, 0), passes.get(field, 0)))
    if apply and corrections:
        store.rewrite(lot_id, wanted, {**{k: 0 for k in capacity if not k.endswith(":pools")}, **occupancy}, passes)
    return corrections


def _row_from_live(lot_id: int, s: dict[str, Any]) -> ParkingSession:
    return ParkingSession(
        uid=s["uid"], lot_id=lot_id, zone_id=int(s["zone"]), plate=s["plate"], plate_color=s.get("color") or "unknown",
        vehicle_class=s.get("class") or "temporary", pool=s.get("pool") or None, pass_id=s.get("pass") or None,
        status=SessionStatus.OPEN, entry_lane_id=s.get("lane"), entry_at=datetime.fromisoformat(s["entry_at"]),
        entry_read=s.get("read", ""), paid_fen=int(s.get("paid_fen") or 0),
    )


def reconcile(sessions: sessionmaker[Session], store: OccupancyStore, now: datetime, *, apply: bool = True) -> list[Correction]:
    """Reconcile every lot; capacities and plate facts are republished from SQL as well."""
    with sessions() as db:
        lots = [(lot.id, dict(lot.settings or {})) for lot in db.scalars(select(Lot).order_by(Lot.id))]
        if apply:
            publish_capacities(db, store)
    corrections: list[Correction] = []
    for lot_id, settings in lots:
        with sessions.begin() as db:
            corrections.extend(reconcile_lot(db, store, lot_id, apply=apply))
        if apply:
            with sessions() as db:
                lot_facts.refresh(db, store, lot_id, LotPolicy.from_settings(settings), now)
                corrections.extend(Correction(lot_id, "restored_coupon", plate, None, code) for plate, code in coupons.replay(db, store, lot_id, now))
                # Paid payments the live store never heard of (it was down, or lost its data): settled now.
                corrections.extend(Correction(lot_id, "settled_payment", uid, None, "settled")
                                   for uid in ledger_mod.settle_unsettled(db, store, now, lot_id=lot_id))
    return corrections
