"""A small ledger written by hand, straight into SQL, for the report and reconciliation tests: two lots of
one site in Shenzhen, their lanes, an attendant and a manager, and helpers that add one stay, payment,
discount, arrears row or refund each, with every amount and moment given by the test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import count

from sqlalchemy.orm import Session

from parking.models import (
    AdjustmentKind, Arrears, ArrearsStatus, Lane, LaneDirection, Lot, Operator, ParkingSession, Payment, PaymentMethod,
    PaymentStatus, Refund, RefundStatus, Role, SessionStatus, Shift, ShiftStatus, Site, StayAdjustment, Zone,
)

_numbers = count(1)
EARLIER = datetime(2026, 11, 1, tzinfo=timezone.utc)  # when the stays entered, the orders were placed


def uid(prefix: str) -> str:
    return f"{prefix}{next(_numbers):06d}"


@dataclass
class Book:
    db: Session
    lot_a: int
    lot_b: int
    zone_a: int
    zone_b: int
    lanes: dict[str, int]
    wang: int  # attendant
    li: int  # manager
    shift: int

    def stay(self, lot: int, exit_at: datetime | None, fee: int, *, lane: str | None = None, uid_: str | None = None,
             status: SessionStatus = SessionStatus.CLOSED) -> str:
        session_uid = uid_ or uid("s")
        zone = self.zone_a if lot == self.lot_a else self.zone_b
        self.db.add(ParkingSession(uid=session_uid, lot_id=lot, zone_id=zone, plate="粤B12345", status=status,
                                   entry_at=EARLIER,
                                   exit_at=exit_at, exit_lane_id=self.lanes[lane] if lane else None, fee_fen=fee))
        self.db.flush()
        return session_uid

    def pay(self, lot: int, session_uid: str | None, amount: int, method: str, paid_at: datetime | None, *, lane: str | None = None,
            operator: int | None = None, shift: int | None = None, purpose: str = "stay", arrears_fen: int = 0,
            status: PaymentStatus = PaymentStatus.PAID, uid_: str | None = None, transaction_id: str | None = None) -> Payment:
        payment = Payment(uid=uid_ or uid("p"), lot_id=lot, session_uid=session_uid, plate="粤B12345", amount_fen=amount,
                          method=PaymentMethod(method), status=status, purpose=purpose, lane_id=self.lanes[lane] if lane else None,
                          operator_id=operator, shift_id=shift, arrears_fen=arrears_fen, transaction_id=transaction_id,
                          created_at=paid_at or EARLIER, paid_at=paid_at)
        self.db.add(payment)
        self.db.flush()
        return payment

    def discount(self, lot: int, session_uid: str, kind: str, amount: int, at: datetime, *, lane: str | None = None,
                 operator: int | None = None) -> None:
        self.db.add(StayAdjustment(uid=uid("a"), lot_id=lot, session_uid=session_uid, kind=AdjustmentKind(kind), amount_fen=amount,
                                   lane_id=self.lanes[lane] if lane else None, operator_id=operator, at=at))
        self.db.flush()

    def owe(self, lot: int, session_uid: str, amount: int, at: datetime, *, lane: str | None = None, paid: int = 0) -> None:
        self.db.add(Arrears(uid=uid("d"), lot_id=lot, plate="粤B12345", session_uid=session_uid, amount_fen=amount, paid_fen=paid,
                            status=ArrearsStatus.SETTLED if paid == amount else ArrearsStatus.OPEN,
                            lane_id=self.lanes[lane] if lane else None, created_at=at))
        self.db.flush()

    def refund(self, payment: Payment, amount: int, at: datetime | None, *, operator: int | None = None,
               status: RefundStatus = RefundStatus.REFUNDED, uid_: str | None = None, created_at: datetime | None = None) -> None:
        self.db.add(Refund(uid=uid_ or uid("r"), payment_id=payment.id, lot_id=payment.lot_id, session_uid=payment.session_uid,
                           amount_fen=amount, reason="车主申诉", status=status, operator_id=operator,
                           created_at=created_at or at or EARLIER, refunded_at=at))
        payment.refunded_fen += amount
        if status == RefundStatus.REFUNDED and payment.session_uid:
            self.discount(payment.lot_id, payment.session_uid, "refund", amount, at or payment.paid_at)  # type: ignore[arg-type]
        self.db.flush()


def open_book(db: Session, *, timezone_b: str | None = None) -> Book:
    """Lot ``hx`` (lanes hx-out1, hx-out2) and lot ``kj`` (lane kj-out, in ``timezone_b`` if given)."""
    site = Site(code="village", name="示范村", timezone="Asia/Shanghai")
    lot_a = Lot(site=site, code="hx", name="和谐里")
    lot_b = Lot(site=site, code="kj", name="科技园", timezone=timezone_b)
    zone_a = Zone(lot=lot_a, code="main", name="地面", capacity=50)
    zone_b = Zone(lot=lot_b, code="main", name="地面", capacity=30)
    lanes = {"hx-out1": Lane(lot=lot_a, zone=zone_a, code="out1", name="东门出口", direction=LaneDirection.EXIT),
             "hx-out2": Lane(lot=lot_a, zone=zone_a, code="out2", name="北门出口", direction=LaneDirection.EXIT),
             "kj-out": Lane(lot=lot_b, zone=zone_b, code="out", name="大门出口", direction=LaneDirection.EXIT)}
    wang = Operator(username="wang", display_name="王师傅", role=Role.ATTENDANT, password_hash="-")
    li = Operator(username="li", display_name="李经理", role=Role.MANAGER, password_hash="-")
    db.add_all([site, lot_a, lot_b, zone_a, zone_b, *lanes.values(), wang, li])
    db.flush()
    shift = Shift(uid=uid("f"), lot_id=lot_a.id, operator_id=wang.id, status=ShiftStatus.CLOSED,
                  opened_at=EARLIER)
    db.add(shift)
    db.flush()
    return Book(db, lot_a.id, lot_b.id, zone_a.id, zone_b.id, {code: lane.id for code, lane in lanes.items()}, wang.id, li.id, shift.id)
