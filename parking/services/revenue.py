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

The database does the adding: one grouped query per kind of figure (``parking.services.revenue_rows``),
over indexes that lead with the lot and the moment; on PostgreSQL the days already summed and unchanged
since are read from ``parking.services.revenue_days`` instead (a year of fifty lots is millions of rows
to add up, and a few thousand to read). Either way the rows are folded into the report here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import AdjustmentKind, Lane, Lot, Operator, PaymentMethod
from . import revenue_days
from .report_days import segments
from .revenue_rows import Grouped, grouped_rows

MAX_DAYS = 731  # two years in one report at most
METHODS = tuple(m.value for m in PaymentMethod)
DISCOUNT_KINDS = tuple(k.value for k in AdjustmentKind if k != AdjustmentKind.REFUND)


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

    def add(self, row: Grouped) -> None:
        """Add one grouped row of the ledger to every breakdown it belongs to."""
        targets = [self.totals, self.days[row.day], self.by_lot[row.lot_id], self._of(self.by_lane, row.lane_id)]
        if row.source != "stays":  # receivable belongs to a stay, not to an operator or a method
            targets.append(self._of(self.by_attendant, row.operator_id))
            if row.source in ("payments", "refunds"):
                targets.append(self._of(self.by_method, row.code))
        for figures in targets:
            apply(figures, row)

    def add_to(self, part: str, key: Any, row: Grouped) -> None:
        """Add a row already summed over one breakdown: ``part`` is ``day`` (the totals, the day and the
        method), ``lot``, ``lane`` or ``operator``, ``key`` its day, lot, lane or operator."""
        if part == "day":
            targets = [self.totals, self.days[key]]
            if row.source in ("payments", "refunds"):
                targets.append(self._of(self.by_method, row.code))
        elif part == "lot":
            targets = [self.by_lot[key]]
        elif part == "lane":
            targets = [self._of(self.by_lane, key)]
        elif row.source != "stays":
            targets = [self._of(self.by_attendant, key)]
        else:
            targets = []
        for figures in targets:
            apply(figures, row)

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
                   default_tz: str = "Asia/Shanghai", kept: bool = True) -> RevenueReport:
    """The revenue of the lots ``lot_ids`` (every lot when None) on the days ``first`` to ``last``;
    ``kept=False`` adds every day up from the ledger, even those kept summed (to compare)."""
    check_period(first, last)
    lots = report_lots(db, lot_ids, default_tz)
    report = RevenueReport(first, last, lots)
    report.days = {first + timedelta(days=n): Figures() for n in range((last - first).days + 1)}
    report.by_lot = {lot.id: Figures() for lot in lots}
    dialect = db.get_bind().dialect.name
    zones: dict[str, list[int]] = defaultdict(list)
    for lot in lots:
        zones[lot.tz].append(lot.id)
    for tz, ids in zones.items():
        summed = revenue_days.summed_days(db, ids, first, last, tz) if kept else set()
        for start, end in runs(first, last, exclude=summed):
            for segment in segments(start, end, ZoneInfo(tz), dialect):
                for row in grouped_rows(db, segment, ids):
                    report.add(row)
        for start, end in runs(first, last, include=summed):
            revenue_days.add_summed(db, report, ids, start, end)
    _name_rows(db, report)
    return report


def runs(first: date, last: date, *, exclude: Collection[date] = (), include: Collection[date] | None = None) -> list[tuple[date, date]]:
    """The days ``first`` to ``last`` (those in ``include``, or not in ``exclude``) as runs of consecutive days."""
    found: list[tuple[date, date]] = []
    day = first
    while day <= last:
        chosen = day in include if include is not None else day not in exclude
        if chosen:
            if found and found[-1][1] == day - timedelta(days=1):
                found[-1] = (found[-1][0], day)
            else:
                found.append((day, day))
        day += timedelta(days=1)
    return found


def apply(figures: Figures, row: Grouped) -> None:
    """Add one grouped row to ``figures``, by its source."""
    if row.source == "stays":
        figures.receivable_fen += row.amount_fen
        figures.stays += row.count
    elif row.source == "payments":
        figures.received_by_method[row.code] += row.amount_fen
        figures.payments += row.count
        figures.arrears_paid_fen += row.part_fen
    elif row.source == "discounts":
        figures.discounts_by_kind[row.code] += row.amount_fen
    elif row.source == "arrears":
        figures.arrears_created_fen += row.amount_fen
    elif row.source == "refunds":
        figures.refund_fen += row.amount_fen


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
