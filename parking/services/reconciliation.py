"""Daily reconciliation (对账): a payment platform's bill of one day against the ledger's payments and
refunds of that day for the same method, every difference listed, the result kept per day and method.

``reconcile_day`` downloads the bill (``Provider.bill(day)``, the day in the platforms' time zone,
Asia/Shanghai) and compares it line by line with the ledger, by our order number (``out_trade_no`` is
the payment's uid) and refund number (``out_refund_no`` is the refund's uid). The differences:

==========================  ==================================================================================
``not_in_ledger``           the bill has a payment the ledger has not booked as paid (unknown, or still
                            pending or closed in the ledger: money arrived that nobody booked)
``not_in_bill``             the ledger booked a payment as paid that day; the bill does not have it
``amount_differs``          both have the payment, with different amounts
``other_day``               both have the payment, the ledger on another day (paid around midnight)
``refund_not_in_ledger``    the bill has a refund the ledger has not booked as refunded
``refund_not_in_bill``      the ledger booked a refund that day; the bill does not have it
``refund_amount_differs``   both have the refund, with different amounts
``refund_other_day``        both have the refund, the ledger on another day
==========================  ==================================================================================

A day with none is clean, and says so. A bill that cannot be had (the platform unreachable, the bill
not ready, a file that does not read) is stored as ``failed`` with the platform's message, and tried
again: ``reconcile_due`` (run by the worker) compares yesterday once the bills are out (10:00 Beijing
time) and a failed day again an hour later; ``parking reconcile-bills --day`` compares any day on
demand. Comparing a day again replaces its row. The comparison itself (``compare``) is pure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import BillReconciliation, Payment, PaymentMethod, PaymentStatus, ReconciliationStatus, Refund, RefundStatus
from ..payments.base import BillLine, Provider, ProviderError
from .report_days import period_bounds

log = logging.getLogger(__name__)

BILL_TZ = ZoneInfo("Asia/Shanghai")  # the platforms cut their bills at Beijing midnight
BILLS_READY = time(10, 0)  # WeChat Pay publishes yesterday's bill after 9:00, Alipay earlier
RETRY_AFTER = timedelta(hours=1)
ERROR_MAX_CHARS = 500
PLATFORMS = ("wechat", "alipay")  # the methods with a daily bill
KINDS = ("not_in_ledger", "not_in_bill", "amount_differs", "other_day",
         "refund_not_in_ledger", "refund_not_in_bill", "refund_amount_differs", "refund_other_day")


@dataclass(frozen=True)
class LedgerLine:
    """A payment or refund as the ledger has it: ``uid`` is the order (or refund) number."""

    uid: str
    amount_fen: int
    at: datetime | None
    status: str
    lot_id: int | None = None
    out_trade_no: str = ""  # of a refund: its payment's uid
    transaction_id: str = ""


@dataclass(frozen=True)
class Difference:
    kind: str
    out_trade_no: str
    bill_fen: int | None = None
    ledger_fen: int | None = None
    out_refund_no: str = ""
    transaction_id: str = ""
    bill_at: str = ""  # ISO 8601, UTC
    ledger_at: str = ""
    ledger_status: str = ""  # the ledger's status of a line it has but did not count that day
    lot_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Comparison:
    bill_payments: int = 0
    bill_payment_fen: int = 0
    bill_refunds: int = 0
    bill_refund_fen: int = 0
    ledger_payments: int = 0
    ledger_payment_fen: int = 0
    ledger_refunds: int = 0
    ledger_refund_fen: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def compare(bill: Sequence[BillLine], day_payments: Iterable[LedgerLine], day_refunds: Iterable[LedgerLine],
            known_payments: Mapping[str, LedgerLine], known_refunds: Mapping[str, LedgerLine]) -> Comparison:
    """The differences between a day's ``bill`` and the ledger's paid payments and completed refunds of
    that day; ``known_*`` are the ledger's lines, of any day or status, that the bill names."""
    payments = {line.uid: line for line in day_payments}
    refunds = {line.uid: line for line in day_refunds}
    result = Comparison(ledger_payments=len(payments), ledger_payment_fen=sum(p.amount_fen for p in payments.values()),
                        ledger_refunds=len(refunds), ledger_refund_fen=sum(r.amount_fen for r in refunds.values()))
    seen_payments: set[str] = set()
    seen_refunds: set[str] = set()
    found = result.differences
    for line in bill:
        refund = line.kind == "refund"
        prefix = "refund_" if refund else ""
        key = line.out_refund_no if refund else line.out_trade_no
        if refund:
            result.bill_refunds += 1
            result.bill_refund_fen += line.amount_fen
            ours, other, seen = refunds.get(key), known_refunds.get(key), seen_refunds
        else:
            result.bill_payments += 1
            result.bill_payment_fen += line.amount_fen
            ours, other, seen = payments.get(key), known_payments.get(key), seen_payments
        shown = {"out_trade_no": line.out_trade_no, "out_refund_no": line.out_refund_no, "transaction_id": line.transaction_id,
                 "bill_fen": line.amount_fen, "bill_at": _iso(line.at)}
        if ours is not None:
            seen.add(key)
            if ours.amount_fen != line.amount_fen:
                found.append(Difference(prefix + "amount_differs", ledger_fen=ours.amount_fen, ledger_at=_iso(ours.at),
                                        lot_id=ours.lot_id, **shown))
            continue
        counted = other is not None and other.status in ({RefundStatus.REFUNDED.value} if refund else
                                                         {PaymentStatus.PAID.value, PaymentStatus.REFUNDED.value})
        if counted:
            assert other is not None
            found.append(Difference(prefix + "other_day", ledger_fen=other.amount_fen, ledger_at=_iso(other.at), lot_id=other.lot_id,
                                    ledger_status=other.status, **shown))
        else:
            found.append(Difference(prefix + "not_in_ledger", ledger_fen=other.amount_fen if other else None,
                                    ledger_status=other.status if other else "", lot_id=other.lot_id if other else None, **shown))
    for uid, ours in payments.items():
        if uid not in seen_payments:
            found.append(Difference("not_in_bill", uid, ledger_fen=ours.amount_fen, transaction_id=ours.transaction_id,
                                    ledger_at=_iso(ours.at), lot_id=ours.lot_id))
    for uid, ours in refunds.items():
        if uid not in seen_refunds:
            found.append(Difference("refund_not_in_bill", ours.out_trade_no, ledger_fen=ours.amount_fen, out_refund_no=uid,
                                    transaction_id=ours.transaction_id, ledger_at=_iso(ours.at), lot_id=ours.lot_id))
    found.sort(key=lambda d: (KINDS.index(d.kind), d.out_trade_no, d.out_refund_no))
    return result


def _payment_line(p: Payment) -> LedgerLine:
    return LedgerLine(p.uid, p.amount_fen, p.paid_at, p.status.value, p.lot_id, p.uid, p.transaction_id or "")


def _refund_line(r: Refund, payment_uid: str, transaction_id: str | None) -> LedgerLine:
    return LedgerLine(r.uid, r.amount_fen, r.refunded_at or r.created_at, r.status.value, r.lot_id, payment_uid, transaction_id or "")


def ledger_day(db: Session, method: str, day: date) -> tuple[list[LedgerLine], list[LedgerLine]]:
    """The payments paid and the refunds completed on ``day`` (Beijing time) by ``method``."""
    start, end = period_bounds(day, day, BILL_TZ)
    payments = db.scalars(select(Payment).where(
        Payment.method == PaymentMethod(method), Payment.status.in_([PaymentStatus.PAID, PaymentStatus.REFUNDED]),
        Payment.paid_at >= start, Payment.paid_at < end).order_by(Payment.id))
    refunds = db.execute(
        select(Refund, Payment.uid, Payment.transaction_id).join(Payment, Payment.id == Refund.payment_id).where(
            Payment.method == PaymentMethod(method), Refund.status == RefundStatus.REFUNDED,
            func.coalesce(Refund.refunded_at, Refund.created_at) >= start, func.coalesce(Refund.refunded_at, Refund.created_at) < end)
        .order_by(Refund.id))
    return [_payment_line(p) for p in payments], [_refund_line(r, uid, tid) for r, uid, tid in refunds]


def _known(db: Session, method: str, bill: Sequence[BillLine]) -> tuple[dict[str, LedgerLine], dict[str, LedgerLine]]:
    order_numbers = sorted({line.out_trade_no for line in bill if line.kind == "payment"})
    refund_numbers = sorted({line.out_refund_no for line in bill if line.kind == "refund"})
    payments: dict[str, LedgerLine] = {}
    for chunk in _chunks(order_numbers):
        for p in db.scalars(select(Payment).where(Payment.uid.in_(chunk))):  # by the unique uid; another method's is not ours
            if p.method.value == method:
                payments[p.uid] = _payment_line(p)
    refunds: dict[str, LedgerLine] = {}
    for chunk in _chunks(refund_numbers):
        for r, uid, tid in db.execute(select(Refund, Payment.uid, Payment.transaction_id).join(Payment, Payment.id == Refund.payment_id)
                                      .where(Refund.uid.in_(chunk))):
            refunds[r.uid] = _refund_line(r, uid, tid)
    return payments, refunds


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def reconcile_day(db: Session, provider: Provider, day: date, *, now: datetime) -> BillReconciliation:
    """Compare ``provider``'s bill of ``day`` with the ledger and store the result (replacing any earlier one)."""
    method = str(provider.method)
    try:
        bill = list(provider.bill(day))
    except ProviderError as exc:
        log.warning("the %s bill of %s could not be had: %s", method, day, exc.message)
        return _store(db, day, method, now, Comparison(), error=exc.message or exc.code or "the platform refused")
    day_payments, day_refunds = ledger_day(db, method, day)
    known_payments, known_refunds = _known(db, method, bill)
    result = compare(bill, day_payments, day_refunds, known_payments, known_refunds)
    log.info("the %s bill of %s: %d payments, %d refunds, %d differences", method, day, result.bill_payments,
             result.bill_refunds, len(result.differences))
    return _store(db, day, method, now, result)


def _store(db: Session, day: date, method: str, now: datetime, result: Comparison, *, error: str = "") -> BillReconciliation:
    status = ReconciliationStatus.FAILED if error else ReconciliationStatus.CLEAN if result.clean else ReconciliationStatus.DIFFERENCES
    values = {
        "status": status, "error": error[:ERROR_MAX_CHARS], "checked_at": now,
        "differences": [d.as_json() for d in result.differences],
        **{name: getattr(result, name) for name in ("bill_payments", "bill_payment_fen", "bill_refunds", "bill_refund_fen",
                                                    "ledger_payments", "ledger_payment_fen", "ledger_refunds", "ledger_refund_fen")},
    }
    for _attempt in range(2):
        row = stored(db, day, method)
        if row is None:
            row = BillReconciliation(day=day, method=PaymentMethod(method), **values)
            db.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        try:
            db.commit()
            return row
        except IntegrityError:  # another process stored the day at the same moment: replace theirs
            db.rollback()
    raise RuntimeError(f"the {method} reconciliation of {day} could not be stored")


def stored(db: Session, day: date, method: str) -> BillReconciliation | None:
    return db.scalar(select(BillReconciliation).where(BillReconciliation.day == day, BillReconciliation.method == PaymentMethod(method)))


def reconcile_due(db: Session, providers: Mapping[str, Provider], now: datetime) -> list[BillReconciliation]:
    """Compare yesterday's bills (Beijing time) not compared yet, once they are out; a failed day again
    after ``RETRY_AFTER``. What the worker runs."""
    local = now.astimezone(BILL_TZ)
    if local.time() < BILLS_READY:
        return []
    yesterday = local.date() - timedelta(days=1)
    done = []
    for method, provider in sorted(providers.items()):
        if method not in PLATFORMS:
            continue
        row = stored(db, yesterday, method)
        if row is None or (row.status == ReconciliationStatus.FAILED and now - row.checked_at >= RETRY_AFTER):
            done.append(reconcile_day(db, provider, yesterday, now=now))
    return done


def recent(db: Session, *, first: date, last: date, methods: Sequence[str] | None = None) -> list[BillReconciliation]:
    """The stored reconciliations of the days ``first`` to ``last``, newest day first."""
    query = select(BillReconciliation).where(BillReconciliation.day >= first, BillReconciliation.day <= last)
    if methods:
        query = query.where(BillReconciliation.method.in_([PaymentMethod(m) for m in methods]))
    return list(db.scalars(query.order_by(BillReconciliation.day.desc(), BillReconciliation.method)))
