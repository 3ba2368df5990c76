"""What a ``parking demo`` run took, read from the ledger in SQL: revenue per method, arrears, free
releases, orders never paid, and the booth shift's report (the cash it expected against the cash counted).

Every figure is a query over the ledger's rows since the run started; nothing is counted on the side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AdjustmentKind, Arrears, Payment, PaymentMethod, PaymentStatus, Shift, StayAdjustment
from ..tariffs.stay import fen_to_yuan

REVENUE_METHODS = (PaymentMethod.CASH, PaymentMethod.WECHAT, PaymentMethod.ALIPAY)
METHOD_NAMES = {"cash": "现金 Cash", "wechat": "微信支付 WeChat Pay", "alipay": "支付宝 Alipay",
                "coupon": "商户券 Coupons", "prepaid": "预付 Prepaid", "qr": "扫码 QR", "waived": "减免 Waived"}


@dataclass(frozen=True)
class Tally:
    count: int
    fen: int


@dataclass(frozen=True)
class ShiftFigures:
    uid: str
    status: str
    opening_float_fen: int
    cash_fen: int  # cash taken in the shift
    expected_cash_fen: int  # in the drawer by the report: float + cash taken - cash refunded
    counted_cash_fen: int | None
    difference_fen: int | None


@dataclass(frozen=True)
class MoneySummary:
    revenue: dict[str, Tally]  # by method: cash, wechat and alipay always, others when there were some
    arrears: Tally  # stays left unpaid (欠费)
    free_releases: Tally  # let out free by an attendant (免费放行), what they would have owed
    unpaid_orders: int  # orders placed and never paid (pending, closed or failed)
    shift: ShiftFigures | None

    @property
    def revenue_fen(self) -> int:
        return sum(t.fen for t in self.revenue.values())


def money_summary(db: Session, since: datetime, shift_id: int | None = None) -> MoneySummary:
    revenue = {method.value: Tally(0, 0) for method in REVENUE_METHODS}
    for method, n, fen in db.execute(
        select(Payment.method, func.count(), func.coalesce(func.sum(Payment.amount_fen - Payment.refunded_fen), 0))
        .where(Payment.status.in_([PaymentStatus.PAID, PaymentStatus.REFUNDED]), Payment.paid_at >= since)
        .group_by(Payment.method)
    ):
        revenue[method.value] = Tally(int(n), int(fen))
    arrears = Tally(*map(int, db.execute(
        select(func.count(), func.coalesce(func.sum(Arrears.amount_fen), 0)).where(Arrears.created_at >= since)).one()))
    free = Tally(*map(int, db.execute(
        select(func.count(), func.coalesce(func.sum(StayAdjustment.amount_fen), 0))
        .where(StayAdjustment.kind == AdjustmentKind.FREE_RELEASE, StayAdjustment.at >= since)).one()))
    unpaid_orders = int(db.scalar(select(func.count()).select_from(Payment).where(
        Payment.status.in_([PaymentStatus.PENDING, PaymentStatus.CLOSED, PaymentStatus.FAILED]), Payment.created_at >= since)) or 0)
    shift = db.get(Shift, shift_id) if shift_id is not None else None
    return MoneySummary(revenue, arrears, free, unpaid_orders, _figures(shift) if shift is not None else None)


def _figures(shift: Shift) -> ShiftFigures:
    report = shift.report or {}
    return ShiftFigures(
        uid=shift.uid, status=shift.status.value, opening_float_fen=shift.opening_float_fen,
        cash_fen=int(report.get("received_fen", {}).get("cash", 0)),
        expected_cash_fen=int(shift.expected_cash_fen if shift.expected_cash_fen is not None else report.get("expected_cash_fen", 0)),
        counted_cash_fen=shift.counted_cash_fen, difference_fen=shift.difference_fen,
    )


def money_rows(summary: MoneySummary) -> list[tuple[str, str, str]]:
    """(item, count, yuan) rows for the demo's printed summary."""
    rows = [(f"收入 Revenue · {METHOD_NAMES.get(method, method)}", str(t.count), fen_to_yuan(t.fen))
            for method, t in summary.revenue.items()]
    rows.append(("收入合计 Revenue total", str(sum(t.count for t in summary.revenue.values())), fen_to_yuan(summary.revenue_fen)))
    rows.append(("欠费 Arrears (left unpaid)", str(summary.arrears.count), fen_to_yuan(summary.arrears.fen)))
    rows.append(("免费放行 Free releases", str(summary.free_releases.count), fen_to_yuan(summary.free_releases.fen)))
    rows.append(("未支付订单 Orders never paid", str(summary.unpaid_orders), "-"))
    return rows


def shift_lines(shift: ShiftFigures | None) -> list[str]:
    if shift is None:
        return ["班次 Shift: none (no attendant at a booth in this run)"]
    counted = fen_to_yuan(shift.counted_cash_fen) if shift.counted_cash_fen is not None else "-"
    difference = fen_to_yuan(shift.difference_fen) if shift.difference_fen is not None else "-"
    return [
        f"班次 Shift {shift.uid[:8]} ({shift.status}): 备用金 float {fen_to_yuan(shift.opening_float_fen)} + "
        f"现金收入 cash taken {fen_to_yuan(shift.cash_fen)}",
        f"  应有现金 expected {fen_to_yuan(shift.expected_cash_fen)} · 实点现金 counted {counted} · 差额 difference {difference}",
    ]
