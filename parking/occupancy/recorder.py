"""Moves each lot's event stream into SQL, exactly once in effect.

The recorder reads with a consumer group, writes each event and its effect (a session opened or closed)
in one SQL transaction, and acknowledges the stream entry only after the commit. A crash between commit
and acknowledgement re-delivers the entry; the unique ``event_uid`` of ``lot_event`` turns the second
write into a no-op. On start it first drains its own pending entries, so nothing read before a crash is
left behind. An exit a lane decided offline with a fee left unpaid (``arrears_fen`` in the exit, see
``parking.agent.offline``) becomes arrears on the plate here, once per stay.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..models import Arrears, LotEvent, ParkingSession, Payment, PaymentMethod, SessionStatus, stay_totals, utcnow
from .events import lane_of
from .keys import RECORDER_GROUP, LotKeys
from .stay_discounts import book_exit_discounts
from .store import from_ms, new_uid

log = logging.getLogger(__name__)

OFFLINE_ARREARS_REASON = "脱机放行未缴费"  # the reason an offline exit's unpaid fee is owed


@dataclass
class RecorderStats:
    recorded: int = 0
    already_recorded: int = 0
    unapplied: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Recorder:
    def __init__(self, client: redis.Redis, sessions: sessionmaker[Session], lot_ids: Iterable[int], *, consumer: str | None = None) -> None:
        self.redis = client
        self.sessions = sessions
        self.lot_ids: list[int] = []
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.stats = RecorderStats()
        self._pending_drained = False
        self.follow(lot_ids)

    def follow(self, lot_ids: Iterable[int]) -> list[int]:
        """Also record the streams of these lots (a lot added while running); returns the new ones."""
        new = [lot_id for lot_id in lot_ids if lot_id not in self.lot_ids]
        for lot_id in new:
            try:
                self.redis.xgroup_create(LotKeys(lot_id).events, RECORDER_GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            self.lot_ids.append(lot_id)
        if new:
            self._pending_drained = False  # a new lot's stream may hold entries another member read
        return new

    def run_once(self, *, block_ms: int | None = None, count: int = 500) -> int:
        """Record what is waiting, this consumer's pending entries first; return how many were handled."""
        if not self._pending_drained:
            handled = self._read("0", count, None)
            if handled:
                return handled
            self._pending_drained = True
        return self._read(">", count, block_ms)

    def drain(self) -> int:
        """Record everything in the streams now, without blocking; return how many entries were handled."""
        total = 0
        while handled := self.run_once():
            total += handled
        return total

    def run_forever(self, should_stop: Callable[[], bool], block_ms: int = 1000) -> None:
        while not should_stop():
            try:
                self.run_once(block_ms=block_ms)
            except redis.ConnectionError as exc:
                log.warning("recorder lost Redis (%s); retrying in 1 s", exc)
                self._pending_drained = False
                time.sleep(1)

    def _read(self, from_id: str, count: int, block_ms: int | None) -> int:
        streams = {LotKeys(lot).events: from_id for lot in self.lot_ids}
        if not streams:
            return 0
        replies = self.redis.xreadgroup(RECORDER_GROUP, self.consumer, streams, count=count, block=block_ms)
        handled = 0
        for stream, entries in replies or []:
            stream = _text(stream)
            lot_id = int(stream.split("}")[0].split(":")[1])
            for entry_id, fields in entries:
                if fields:  # an entry trimmed away while pending has no fields and nothing to record
                    self._record(lot_id, _text(entry_id), {_text(k): _text(v) for k, v in fields.items()})
                self.redis.xack(stream, RECORDER_GROUP, entry_id)
                handled += 1
        return handled

    def _exists(self, event_uid: str) -> bool:
        with self.sessions() as db:
            return db.scalar(select(LotEvent.id).where(LotEvent.event_uid == event_uid)) is not None

    def _record_unapplied(self, lot_id: int, stream_id: str, fields: Mapping[str, str], data: dict[str, Any], error: str) -> None:
        with self.sessions.begin() as db:
            db.add(LotEvent(
                event_uid=fields["uid"], lot_id=lot_id, kind=fields["kind"], at=from_ms(fields["at"]),
                plate=fields.get("plate", ""), lane_id=lane_of(fields["kind"], data), stream_id=stream_id,
                payload={**data, "unapplied": error},
            ))

    # -- one event -----------------------------------------------------------------------------------
    def _record(self, lot_id: int, stream_id: str, fields: Mapping[str, str]) -> None:
        data: dict[str, Any] = json.loads(fields.get("data") or "{}")
        event = LotEvent(
            event_uid=fields["uid"],
            lot_id=lot_id,
            kind=fields["kind"],
            at=from_ms(fields["at"]),
            plate=fields.get("plate", ""),
            lane_id=lane_of(fields["kind"], data),
            stream_id=stream_id,
            payload=data,
        )
        try:
            with self.sessions.begin() as db:
                if db.scalar(select(LotEvent.id).where(LotEvent.event_uid == event.event_uid)) is not None:
                    self.stats.already_recorded += 1
                    return
                db.add(event)
                apply = _EFFECTS.get(event.kind)
                if apply is not None:
                    apply(db, lot_id, event, data)
        except IntegrityError as exc:
            if self._exists(event.event_uid):  # another recorder committed it between our check and insert
                self.stats.already_recorded += 1
                return
            # The effect cannot be applied (e.g. its lane or zone was deleted meanwhile). Keep the event in
            # the journal all the same, flagged, so nothing is lost and reconcile can report it.
            log.error("event %s (%s) of lot %s could not be applied: %s", event.event_uid, event.kind, lot_id, exc.orig)
            self._record_unapplied(lot_id, stream_id, fields, data, str(exc.orig))
            self.stats.unapplied += 1
            return
        self.stats.recorded += 1
        self.stats.by_kind[event.kind] = self.stats.by_kind.get(event.kind, 0) + 1


def _entered(db: Session, lot_id: int, event: LotEvent, data: dict[str, Any]) -> None:
    s = data["session"]
    db.add(
        ParkingSession(
            uid=s["uid"],
            lot_id=lot_id,
            zone_id=int(s["zone"]),
            plate=s["plate"],
            plate_color=s.get("color", "unknown"),
            vehicle_class=s.get("class") or "temporary",
            pool=s.get("pool") or None,
            pass_id=s.get("pass") or None,
            status=SessionStatus.OPEN,
            entry_lane_id=s.get("lane"),
            entry_at=_time(s["entry_at"]) or event.at,
            entry_read=s.get("read", ""),
            entry_snapshot=s.get("snapshot", ""),
        )
    )


def _exited(db: Session, lot_id: int, event: LotEvent, data: dict[str, Any]) -> None:
    s, x = data["session"], data["exit"]
    row = _session_row(db, lot_id, event, s)
    row.zone_id = int(s["zone"])
    row.status = SessionStatus.CLOSED
    row.exit_lane_id = x.get("lane")
    row.exit_at = _time(x.get("exit_at")) or event.at
    row.exit_read = x.get("read", "")
    row.exit_snapshot = x.get("snapshot", "")
    row.fee_fen = int(x.get("fee_fen", 0))
    row.paid_fen = int(s.get("paid_fen", x.get("paid_fen", 0)))
    book_exit_discounts(db, lot_id, row, x, row.exit_at)  # coupons and campaigns: StayAdjustment rows, once
    if x.get("reason") == "offline_arrears" and int(x.get("arrears_fen", 0)) > 0:
        _offline_arrears(db, lot_id, row, int(x["arrears_fen"]), x.get("lane"))
    db.flush()
    totals = stay_totals(db, row.uid)  # the ledger's word, where it has booked money for the stay
    if totals.paid_fen or totals.discount_fen or totals.arrears_fen:
        row.paid_fen, row.discount_fen, row.arrears_fen = totals.paid_fen, totals.discount_fen, totals.arrears_fen


def _offline_arrears(db: Session, lot_id: int, row: ParkingSession, amount_fen: int, lane_id: int | None) -> None:
    """The fee of a car the lane let out offline without paying, owed on its plate (once per stay)."""
    if db.scalar(select(Arrears.id).where(Arrears.session_uid == row.uid)) is not None:
        return
    db.add(Arrears(uid=new_uid(), lot_id=lot_id, plate=row.plate, session_uid=row.uid, amount_fen=amount_fen,
                   reason=OFFLINE_ARREARS_REASON, lane_id=lane_id, created_at=row.exit_at or utcnow()))


def _session_row(db: Session, lot_id: int, event: LotEvent, session: dict[str, Any]) -> ParkingSession:
    row = db.scalar(select(ParkingSession).where(ParkingSession.uid == session["uid"]))
    if row is None:  # its entry event never reached SQL: keep the stay from this event's copy
        _entered(db, lot_id, event, {"session": session})
        db.flush()
        row = db.scalar(select(ParkingSession).where(ParkingSession.uid == session["uid"]))
        assert row is not None
    return row


def _moved(db: Session, lot_id: int, event: LotEvent, data: dict[str, Any]) -> None:
    row = _session_row(db, lot_id, event, data["session"])
    s = data["session"]
    row.zone_id = int(s["zone"])
    row.vehicle_class = s.get("class") or row.vehicle_class
    row.pool = s.get("pool") or None
    row.pass_id = s.get("pass") or None


def _superseded(db: Session, lot_id: int, event: LotEvent, data: dict[str, Any]) -> None:
    row = _session_row(db, lot_id, event, data["session"])
    row.status = SessionStatus.VOIDED
    row.exit_at = event.at


def _paid(db: Session, lot_id: int, event: LotEvent, data: dict[str, Any]) -> None:
    payment, session = data["payment"], data["session"]
    row = _session_row(db, lot_id, event, session)
    if db.scalar(select(Payment.id).where(Payment.uid == payment["uid"])) is not None:
        return  # the ledger wrote it first (parking.services.ledger) and keeps the stay's totals
    row.paid_fen = int(session.get("paid_fen", 0))
    paid_at = _time(payment["paid_at"]) or event.at
    db.add(Payment(
        uid=payment["uid"], lot_id=lot_id, session_uid=session["uid"], plate=session["plate"],
        amount_fen=int(payment["amount_fen"]), method=PaymentMethod(payment["method"]),
        operator_id=payment.get("operator"), reference=payment.get("reference", ""),
        paid_at=paid_at, created_at=paid_at, settled_at=event.at,
    ))


def _snapshot(db: Session, lot_id: int, event: LotEvent, data: dict[str, Any]) -> None:
    """Link the stored snapshot to the stay whose entry or exit event it was taken for."""
    decided = db.scalar(select(LotEvent).where(LotEvent.event_uid == data.get("event")))
    if decided is None or decided.kind not in {"entered", "exited"}:
        return
    row = db.scalar(select(ParkingSession).where(ParkingSession.uid == decided.payload["session"]["uid"]))
    if row is None:
        return
    path = data.get("scene") or data.get("plate") or ""
    if decided.kind == "entered":
        row.entry_snapshot = path
    else:
        row.exit_snapshot = path


_EFFECTS: dict[str, Callable[[Session, int, LotEvent, dict[str, Any]], None]] = {
    "snapshot": _snapshot,
    "entered": _entered,
    "exited": _exited,
    "moved": _moved,
    "superseded": _superseded,
    "paid": _paid,
}
