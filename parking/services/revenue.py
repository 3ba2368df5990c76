"""Revenue reports (营收报表): what the lots earned over a period of days, from the ledger, in fen.

For the days ``first`` to ``last`` (both included, each lot's days in its own time zone) and the lots
asked for, ``revenue_report`` gives these figures, in total and broken down by day, lot, lane,
attendant (the operator who took the money or granted the discount) and payment method:

- receivable (应收): the fees of the stays that ended in the period (closed stays, by their exit time
  and exit lane);
- received (实收): the payments paid in the period, by method (a payment refunded later was still
  received; the refund is counted when it is made);
- discounts (优惠减免): coupons, campaigns, free releases and arrears waived, by kind, when granted (the
  ledger also books a refund as a discount on its stay; here it is shown once, as the refund);
- arrears created (新增欠费) when a car left owing, and arrears paid back (追缴): the part of the
  payments received that paid arrears back (``Payment.arrears_fen``), part of received;
- refunds (退款) completed in the period, by the refunded payment's method;
- net (净收入) = received - refunds.

Receivable belongs to a stay, not to an operator or a method: the attendant and method breakdowns
leave it out (``None``). A row of no lane or no attendant (online payments have no attendant) is kept,
so every breakdown adds up to the totals. The console, the API and ``parking report revenue`` all show
this one report; ``as_json`` is its machine-readable form.

The database does the adding: one grouped query per kind of figure (stays, payments, discounts,
arrears, refunds), grouped by lot, local day, lane, operator and method or kind, over indexes on the
moments (``parking.models.money``); the rows are then rolled up here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..models import (
    AdjustmentKind, Arrears, Lane, Lot, Operator, ParkingSession, Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus,
    SessionStatus, StayAdjustment,
)
from .report_days import Segment, as_date, local_date, segments

MAX_DAYS = 731  # two years in one report at most
METHODS = tuple(m.value for m in PaymentMethod)
DISCOUNT_KINDS = tuple(k.value for k in AdjustmentKind if k != AdjustmentKind.REFUND)
RECEIVED = (PaymentStatus.PAID, PaymentStatus.REFUNDED)


class ReportError(ValueError):
    """A report that cannot be made as asked; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass
class Figures:
    receivable_fen: int = 0
    stays: int = 0
    received_by_method: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METHODS, 0))
    payments: int = 0
    discounts_by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DISCOUNT_KINDS, 0))
    arrears_created_fen: int = 0
    arrears_paid_fen: int = 0
    refund_fen: int = 0

    @property
    def received_fen(self) -> int:
        return sum(self.received_by_method.values())

    @property
    def discount_fen(self) -> int:
        return sum(self.discounts_by_kind.values())

    @property
    def net_fen(self) -> int:
        return self.received_fen - self.refund_fen

    def as_json(self, *, receivable: bool = True) -> dict[str, Any]:
        shown: dict[str, Any] = {"receivable_fen": self.receivable_fen, "stays": self.stays} if receivable else {}
        return shown | {
            "received_fen": self.received_fen, "payments": self.payments, "received_by_method": dict(self.received_by_method),
            "discount_fen": self.discount_fen, "discounts_by_kind": dict(self.discounts_by_kind),
            "arrears_created_fen": self.arrears_created_fen, "arrears_paid_fen": self.arrears_paid_fen,
            "refund_fen": self.refund_fen, "net_fen": self.net_fen,
        }


@dataclass(frozen=True)
class LotRef:
    id: int
    code: str
    name: str
    tz: str


@dataclass(frozen=True)
class LaneRef:
    id: int | None
    code: str
    name: str
    lot_id: int | None


@dataclass(frozen=True)
class OperatorRef:
    id: int | None
    username: str
    display_name: str


@dataclass
class RevenueReport:
    first: date
    last: date
    lots: list[LotRef]
    totals: Figures = field(default_factory=Figures)
    days: dict[date, Figures] = field(default_factory=dict)
    by_lot: dict[int, Figures] = field(default_factory=dict)
    by_lane: dict[int | None, Figures] = field(default_factory=dict)
    by_attendant: dict[int | None, Figures] = field(default_factory=dict)
    by_method: dict[str, Figures] = field(default_factory=dict)
    lanes: dict[int | None, LaneRef] = field(default_factory=dict)
    attendants: dict[int | None, OperatorRef] = field(default_factory=dict)

    def add(self, lot_id: int, day: date, lane_id: int | None, operator_id: int | None, method: str | None,
            apply: Any, *, receivable: bool = False) -> None:
        """Add one grouped row to every breakdown it belongs to (``apply`` changes one Figures)."""
        targets = [self.totals, self.days[day], self.by_lot[lot_id], self._of(self.by_lane, lane_id)]
        if not receivable:
            targets.append(self._of(self.by_attendant, operator_id))
            if method is not None:
                targets.append(self._of(self.by_method, method))
        for figures in targets:
            apply(figures)

    @staticmethod
    def _of(table: dict[Any, Figures], key: Any) -> Figures:
        if key not in table:
            table[key] = Figures()
        return table[key]

    def as_json(self) -> dict[str, Any]:
        lots = {lot.id: lot for lot in self.lots}
        return {
            "from": self.first.isoformat(), "to": self.last.isoformat(),
            "lots": [{"id": lot.id, "code": lot.code, "name": lot.name, "timezone": lot.tz} for lot in self.lots],
            "totals": self.totals.as_json(),
            "days": [{"day": day.isoformat(), **figures.as_json()} for day, figures in sorted(self.days.items())],
            "by_lot": [{"lot_id": lot_id, "code": lots[lot_id].code, "name": lots[lot_id].name, **figures.as_json()}
                       for lot_id, figures in self.by_lot.items()],
            "by_lane": [{"lane_id": key, "code": self.lanes[key].code, "name": self.lanes[key].name, "lot_id": self.lanes[key].lot_id,
                         **figures.as_json()} for key, figures in self.lane_rows()],
            "by_attendant": [{"operator_id": key, "username": self.attendants[key].username,
                              "display_name": self.attendants[key].display_name, **figures.as_json(receivable=False)}
                             for key, figures in self.attendant_rows()],
            "by_method": [{"method": method, "received_fen": figures.received_fen, "payments": figures.payments,
                           "arrears_paid_fen": figures.arrears_paid_fen, "refund_fen": figures.refund_fen, "net_fen": figures.net_fen}
                          for method, figures in self.method_rows()],
        }

    def lane_rows(self) -> list[tuple[int | None, Figures]]:
        return sorted(self.by_lane.items(), key=lambda item: (item[0] is None, item[0] or 0))

    def attendant_rows(self) -> list[tuple[int | None, Figures]]:
        return sorted(self.by_attendant.items(), key=lambda item: (item[0] is None, self.attendants[item[0]].username))

    def method_rows(self) -> list[tuple[str, Figures]]:
        return sorted(self.by_method.items(), key=lambda item: METHODS.index(item[0]))


def check_period(first: date, last: date) -> None:
    if last < first:
        raise ReportError("to", f"the period ends ({last.isoformat()}) before it begins ({first.isoformat()})")
    if (last - first).days + 1 > MAX_DAYS:
        raise ReportError("to", f"{(last - first).days + 1} days asked for; a report covers at most {MAX_DAYS} days")


def report_lots(db: Session, lot_ids: Collection[int] | None, default_tz: str) -> list[LotRef]:
    query = select(Lot).options(selectinload(Lot.site)).order_by(Lot.id)
    if lot_ids is not None:
        query = query.where(Lot.id.in_(sorted(lot_ids)))
    return [LotRef(lot.id, lot.code, lot.name, lot.timezone or lot.site.timezone or default_tz) for lot in db.scalars(query)]


def revenue_report(db: Session, first: date, last: date, *, lot_ids: Collection[int] | None = None,
                   default_tz: str = "Asia/Shanghai") -> RevenueReport:
    """The revenue of the lots ``lot_ids`` (every lot when None) on the days ``first`` to ``last``."""
    check_period(first, last)
    lots = report_lots(db, lot_ids, default_tz)
    report = RevenueReport(first, last, lots)
    report.days = {first + timedelta(days=n): Figures() for n in range((last - first).days + 1)}
    report.by_lot = {lot.id: Figures() for lot in lots}
    dialect = db.get_bind().dialect.name
    zones: dict[str, list[int]] = defaultdict(list)
    for lot in lots:
        zones[lot.tz].append(lot.id)
    for tz, ids in zones.items():  # the lots are always named: the indexes lead with the lot (``lot_id = ANY(...)``)
        for segment in segments(first, last, ZoneInfo(tz), dialect):
            _add_stays(db, report, segment, ids)
            _add_payments(db, report, segment, ids)
            _add_discounts(db, report, segment, ids)
            _add_arrears(db, report, segment, ids)
            _add_refunds(db, report, segment, ids)
    _name_rows(db, report)
    return report


def _where_lots(query: Any, column: Any, lot_ids: list[int]) -> Any:
    return query.where(column.in_(lot_ids))


def _rows(db: Session, query: Any) -> Iterable[Any]:
    return db.execute(query).all()


def _add_stays(db: Session, report: RevenueReport, segment: Segment, lot_ids: list[int]) -> None:
    s = ParkingSession
    day = local_date(s.exit_at, segment)
    query = (select(s.lot_id, day, s.exit_lane_id, func.sum(s.fee_fen), func.count())
             .where(s.status == SessionStatus.CLOSED, s.exit_at >= segment.start, s.exit_at < segment.end)
             .group_by(s.lot_id, day, s.exit_lane_id))
    for lot_id, local, lane_id, fee, count in _rows(db, _where_lots(query, s.lot_id, lot_ids)):
        def apply(f: Figures, fee: int = int(fee or 0), count: int = int(count)) -> None:
            f.receivable_fen += fee
            f.stays += count
        report.add(lot_id, as_date(local), lane_id, None, None, apply, receivable=True)


def _add_payments(db: Session, report: RevenueReport, segment: Segment, lot_ids: list[int]) -> None:
    p = Payment
    day = local_date(p.paid_at, segment)
    query = (select(p.lot_id, day, p.lane_id, p.operator_id, p.method, func.sum(p.amount_fen), func.sum(p.arrears_fen), func.count())
             .where(p.status.in_(RECEIVED), p.paid_at >= segment.start, p.paid_at < segment.end)
             .group_by(p.lot_id, day, p.lane_id, p.operator_id, p.method))
    for lot_id, local, lane_id, operator_id, method, amount, arrears, count in _rows(db, _where_lots(query, p.lot_id, lot_ids)):
        def apply(f: Figures, method: str = method.value, amount: int = int(amount or 0), arrears: int = int(arrears or 0),
                  count: int = int(count)) -> None:
            f.received_by_method[method] += amount
            f.payments += count
            f.arrears_paid_fen += arrears
        report.add(lot_id, as_date(local), lane_id, operator_id, method.value, apply)


def _add_discounts(db: Session, report: RevenueReport, segment: Segment, lot_ids: list[int]) -> None:
    a = StayAdjustment
    day = local_date(a.at, segment)
    query = (select(a.lot_id, day, a.lane_id, a.operator_id, a.kind, func.sum(a.amount_fen))
             .where(a.kind != AdjustmentKind.REFUND, a.at >= segment.start, a.at < segment.end)
             .group_by(a.lot_id, day, a.lane_id, a.operator_id, a.kind))
    for lot_id, local, lane_id, operator_id, kind, amount in _rows(db, _where_lots(query, a.lot_id, lot_ids)):
        def apply(f: Figures, kind: str = kind.value, amount: int = int(amount or 0)) -> None:
            f.discounts_by_kind[kind] += amount
        report.add(lot_id, as_date(local), lane_id, operator_id, None, apply)


def _add_arrears(db: Session, report: RevenueReport, segment: Segment, lot_ids: list[int]) -> None:
    a = Arrears
    day = local_date(a.created_at, segment)
    query = (select(a.lot_id, day, a.lane_id, a.operator_id, func.sum(a.amount_fen))
             .where(a.created_at >= segment.start, a.created_at < segment.end)
             .group_by(a.lot_id, day, a.lane_id, a.operator_id))
    for lot_id, local, lane_id, operator_id, amount in _rows(db, _where_lots(query, a.lot_id, lot_ids)):
        def apply(f: Figures, amount: int = int(amount or 0)) -> None:
            f.arrears_created_fen += amount
        report.add(lot_id, as_date(local), lane_id, operator_id, None, apply)


def _add_refunds(db: Session, report: RevenueReport, segment: Segment, lot_ids: list[int]) -> None:
    r = Refund
    day = local_date(r.refunded_at, segment)
    query = (select(r.lot_id, day, Payment.lane_id, r.operator_id, Payment.method, func.sum(r.amount_fen))
             .join(Payment, Payment.id == r.payment_id)
             .where(r.status == RefundStatus.REFUNDED, r.refunded_at >= segment.start, r.refunded_at < segment.end)
             .group_by(r.lot_id, day, Payment.lane_id, r.operator_id, Payment.method))
    for lot_id, local, lane_id, operator_id, method, amount in _rows(db, _where_lots(query, r.lot_id, lot_ids)):
        def apply(f: Figures, amount: int = int(amount or 0)) -> None:
            f.refund_fen += amount
        report.add(lot_id, as_date(local), lane_id, operator_id, method.value, apply)


def _name_rows(db: Session, report: RevenueReport) -> None:
    lane_ids = sorted(key for key in report.by_lane if key is not None)
    report.lanes = {None: LaneRef(None, "", "", None)}
    for lane in db.scalars(select(Lane).where(Lane.id.in_(lane_ids))) if lane_ids else ():
        report.lanes[lane.id] = LaneRef(lane.id, lane.code, lane.name, lane.lot_id)
    for key in lane_ids:  # a lane deleted since: its money is still shown, by its id
        report.lanes.setdefault(key, LaneRef(key, f"#{key}", "", None))
    operator_ids = sorted(key for key in report.by_attendant if key is not None)
    report.attendants = {None: OperatorRef(None, "", "")}
    for operator in db.scalars(select(Operator).where(Operator.id.in_(operator_ids))) if operator_ids else ():
        report.attendants[operator.id] = OperatorRef(operator.id, operator.username, operator.display_name)
    for key in operator_ids:
        report.attendants.setdefault(key, OperatorRef(key, f"#{key}", ""))


def find_lot(db: Session, code: str) -> Lot:
    """The lot of ``code``; ReportError naming the known codes otherwise."""
    lot = db.scalar(select(Lot).where(Lot.code == code))
    if lot is None:
        known = ", ".join(db.scalars(select(Lot.code).order_by(Lot.code)).all()[:20]) or "none"
        raise ReportError("lot", f"no lot {code!r} (lots: {known})")
    return lot
