"""The ledger: orders, confirmed payments and cash, written to SQL first, then settled in the live store.

A payment is written here before anything else knows of it, with the quote it settles (every line kept).
Only then is it settled in Redis (``OccupancyStore.pay``, idempotent by the payment's uid), which lets the
exit open; ``settle_unsettled`` (run by ``reconcile`` and the worker) replays any paid payment that did
not reach Redis. No fen exists only in Redis.

- ``place_order`` quotes the stay and places an order with a provider (WeChat Pay, Alipay): the payer
  scans its QR or opens its page. A second call for the same stay and amount within the order's life
  returns the same order, so a driver who scans twice sees one QR.
- ``confirm`` books a provider's word that an order was paid, exactly once however often it is told:
  the row changes from pending to paid in one conditional UPDATE, so two callbacks racing each other
  book it once. An amount that differs from the order, an unknown order, and an order closed (only ever
  after the platform confirmed it could no longer be paid) are refused and audited; the ledger is
  left unchanged.
- ``check_order`` asks the provider when no notification came; ``expire_orders`` closes orders nobody paid.
- ``take_cash`` books cash handed over at a booth, in the attendant's open shift, with the change.
- Orders and cash include what the plate owes from earlier stays (欠费, read from the ledger): that part
  (``Payment.arrears_fen``) pays the arrears back when the payment is booked (``arrears_book``), the
  lanes learn it at once, and only the rest is settled on the stay in Redis.

Every amount is integer fen. Errors are ``LedgerError`` naming the field that was wrong.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..context import LotContext
from ..models import (
    AdjustmentKind, Arrears, ArrearsStatus, ParkingSession, Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus, Shift,
    ShiftStatus, StayTotals, stay_totals,
)
from ..occupancy import new_uid
from ..payments.base import Notification, OrderRequest, Provider, ProviderError
from ..plates import Plate, parse
from . import arrears_book, audit
from .fees import FeeEstimate, fee_if_leaving
from .lane_commands import release_after_payment
from .ports import LiveStore

log = logging.getLogger(__name__)

ORDER_MINUTES = 5  # an order's QR stays payable this long; the quote it carries is that old at most
CASH_MAX_FEN = 10_000_00  # no booth takes more than 10,000 yuan in one hand-over


class LedgerError(ValueError):
    """A payment that cannot be booked; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class Confirmation:
    outcome: str  # paid | duplicate | refused | pending | closed
    payment: Payment | None
    reason: str = ""
    settled: str = ""  # what the live store said: paid | duplicate | no_session | changed | unavailable


def mask(plate: str) -> str:
    """A plate as logs, audit rows and payers' bills show it (粤B***45)."""
    parsed = parse(plate)
    return parsed.masked if isinstance(parsed, Plate) else "***"


def order_description(lot: LotContext, plate: str) -> str:
    return f"停车费 {mask(plate)} {lot.name}".strip()


def due(store: LiveStore, lot: LotContext, plate: Plate, at: datetime, *, owed_fen: int | None = None) -> FeeEstimate:
    """What the stay of ``plate`` owes if it left at ``at`` (``fees.fee_if_leaving``), with the plate's
    arrears as the lanes know them, or ``owed_fen`` read from the ledger; ``plan.arrears_fen`` is that part."""
    return fee_if_leaving(store, lot, plate, at, arrears_fen=owed_fen)


def _quote_json(estimate: FeeEstimate) -> dict[str, Any] | None:
    return estimate.plan.quote.as_json() if estimate.plan.quote is not None else None


def journal(store: LiveStore, lot_id: int, kind: str, now: datetime, *, plate: str = "", **data: Any) -> None:
    """Append a money event to the lot's journal (the stream the worker persists). The ledger row is
    already in SQL: if Redis cannot be reached the event is logged and the booking stands."""
    try:
        store.journal(lot_id, kind, now, plate=plate, data=data)
    except Exception as exc:
        if not _is_unavailable(exc):
            raise
        log.warning("lot %s: %s not journaled, the live store is unreachable", lot_id, kind)


def _session_uid(store: LiveStore, lot_id: int, plate: str) -> str:
    session = store.facts.for_plate(lot_id, plate, with_session=True).session
    return str(session["uid"]) if session else ""


def place_order(db: Session, store: LiveStore, provider: Provider, lot: LotContext, plate: Plate, *, at: datetime,
                scene: str = "qr", via: str = "booth", lane_id: int | None = None, operator_id: int | None = None,
                shift_id: int | None = None, client_ip: str = "127.0.0.1", notify_url: str = "",
                minutes: int = ORDER_MINUTES) -> Payment:
    """An order for what the stay owes now, placed with ``provider``; raises LedgerError or ProviderError."""
    if scene not in {"qr", "phone"}:
        raise LedgerError("scene", f"{scene!r} is not qr or phone")
    estimate = due(store, lot, plate, at, owed_fen=arrears_book.owed_fen(db, plate.text))
    amount = estimate.due_fen
    if amount <= 0:
        raise LedgerError("amount", "nothing is due: the car may leave")
    session_uid = _session_uid(store, lot.id, plate.text)
    method = PaymentMethod(provider.method)
    existing = db.scalar(
        select(Payment).where(Payment.session_uid == session_uid, Payment.method == method, Payment.status == PaymentStatus.PENDING,
                              Payment.amount_fen == amount, Payment.scene == via, Payment.expires_at > at)
        .order_by(Payment.id.desc()).limit(1)
    )
    if existing is not None and (existing.qr_payload if scene == "qr" else existing.pay_url):
        return existing
    payment = Payment(
        uid=new_uid(), lot_id=lot.id, session_uid=session_uid, plate=plate.text, amount_fen=amount, method=method,
        status=PaymentStatus.PENDING, scene=via, operator_id=operator_id, shift_id=shift_id, lane_id=lane_id,
        quote=_quote_json(estimate), quote_at=at, created_at=at, expires_at=at + timedelta(minutes=minutes),
        arrears_fen=estimate.plan.arrears_fen,
    )
    db.add(payment)
    db.commit()
    try:
        order = provider.create_order(OrderRequest(
            out_trade_no=payment.uid, amount_fen=amount, description=order_description(lot, plate.text), scene=scene,  # type: ignore[arg-type]
            expires_at=payment.expires_at, client_ip=client_ip, notify_url=notify_url,
        ))
    except ProviderError as exc:
        payment.status, payment.closed_at, payment.reference = PaymentStatus.FAILED, at, exc.message[:100]
        audit.record(db, "payment.order_failed", operator_id=operator_id, target=payment.uid, at=at,
                     method=method.value, amount_fen=amount, error=exc.message)
        db.commit()
        raise
    payment.qr_payload, payment.pay_url, payment.provider_order_id = order.qr_payload, order.pay_url, order.provider_order_id
    db.commit()
    journal(store, lot.id, "order_placed", at, plate=plate.text, payment=payment.uid, method=method.value, amount_fen=amount,
            session=session_uid, lane=lane_id, via=via)
    return payment


def confirm(db: Session, store: LiveStore, payment_uid: str, *, method: str, amount_fen: int, transaction_id: str,
            paid_at: datetime | None, now: datetime, payer: str = "", source: str = "notification") -> Confirmation:
    """Book that the provider was paid for order ``payment_uid``; counted once however often told."""
    payment = db.scalar(select(Payment).where(Payment.uid == payment_uid))
    if payment is None:
        return _refuse(db, None, "unknown_order", now, source=source, order=payment_uid[:40], amount_fen=amount_fen)
    if payment.method.value != method:
        return _refuse(db, payment, "wrong_method", now, source=source, told=method)
    if amount_fen != payment.amount_fen:
        return _refuse(db, payment, "amount_mismatch", now, source=source, told_fen=amount_fen, order_fen=payment.amount_fen)
    if payment.status in {PaymentStatus.PAID, PaymentStatus.REFUNDED}:
        if payment.transaction_id and transaction_id and payment.transaction_id != transaction_id:
            return _refuse(db, payment, "other_transaction", now, source=source, transaction_id=transaction_id[:64])
        return Confirmation("duplicate", payment, settled=_settle_if_needed(db, store, payment, now))
    if payment.status in {PaymentStatus.CLOSED, PaymentStatus.FAILED}:
        # Closed only once the platform said so (``expire_orders``), failed when it never took the order:
        # either way it cannot have been paid, and a notification that says otherwise is not believed.
        return _refuse(db, payment, "order_closed", now, source=source, status=payment.status.value,
                       transaction_id=transaction_id[:64])
    if transaction_id and db.scalar(select(Payment.uid).where(Payment.method == payment.method, Payment.transaction_id == transaction_id,
                                                             Payment.id != payment.id)) is not None:
        # One platform transaction pays one order: told again for another order, it is a forgery or a mix-up.
        return _refuse(db, payment, "transaction_of_another_order", now, source=source, transaction_id=transaction_id[:64])
    booked = db.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status == PaymentStatus.PENDING)
        .values(status=PaymentStatus.PAID, transaction_id=transaction_id or None, paid_at=paid_at or now, payer=payer[:64])
        .execution_options(synchronize_session=False)
    ).rowcount
    if not booked:  # another callback booked it between our read and our write
        db.rollback()
        db.refresh(payment)
        return Confirmation("duplicate", payment, settled=_settle_if_needed(db, store, payment, now))
    paid_back = arrears_book.book(db, payment, now)
    audit.record(db, "payment.paid", operator_id=None, target=payment.uid, at=now, method=method, amount_fen=amount_fen,
                 source=source, plate=mask(payment.plate), **({"arrears_fen": payment.arrears_fen} if payment.arrears_fen else {}))
    db.commit()
    db.refresh(payment)
    if payment.arrears_fen:
        arrears_book.publish(db, store, payment.plate, paid_back)
    return Confirmation("paid", payment, settled=settle(db, store, payment, now))


def refuse_callback(db: Session, method: str, reason: str, message: str, now: datetime) -> None:
    """Audit a notification that is not genuine (bad signature, stale, unreadable); the ledger is unchanged."""
    audit.record(db, "payment.callback_refused", operator_id=None, target=method, at=now, method=method, reason=reason,
                 message=message[:200])
    db.commit()


def confirm_notification(db: Session, store: LiveStore, provider: Provider, notification: Notification, now: datetime) -> Confirmation:
    if notification.state != "paid":
        return Confirmation(notification.state, db.scalar(select(Payment).where(Payment.uid == notification.out_trade_no)))
    return confirm(db, store, notification.out_trade_no, method=provider.method, amount_fen=notification.amount_fen,
                   transaction_id=notification.transaction_id, paid_at=notification.paid_at, now=now)


def check_order(db: Session, store: LiveStore, provider: Provider, payment_uid: str, now: datetime) -> Confirmation:
    """Ask the provider about an order that no notification settled yet."""
    status = provider.query(payment_uid)
    if status.state == "paid":
        return confirm(db, store, payment_uid, method=provider.method, amount_fen=status.amount_fen,
                       transaction_id=status.transaction_id, paid_at=status.paid_at, now=now, payer=status.payer, source="query")
    payment = db.scalar(select(Payment).where(Payment.uid == payment_uid))
    if payment is not None and status.state in {"closed", "failed"} and payment.status == PaymentStatus.PENDING:
        if payment.expires_at is not None and payment.expires_at > now:
            # Before its expiry an order the platform does not know yet (an Alipay phone order exists only
            # once the payer opens its page) can still be paid: it stays pending.
            return Confirmation("pending", payment)
        payment.status = PaymentStatus(status.state)
        payment.closed_at = now
        db.commit()
    return Confirmation(status.state, payment)


def expire_orders(db: Session, store: LiveStore, providers: dict[str, Provider], now: datetime) -> dict[str, int]:
    """Settle or close every pending order past its expiry: paid ones are booked (their notification was
    lost), unpaid ones are closed at the provider so they can no longer be paid."""
    counts = {"paid": 0, "closed": 0, "unreachable": 0}
    rows = db.scalars(select(Payment).where(Payment.status == PaymentStatus.PENDING, Payment.expires_at <= now).order_by(Payment.id)).all()
    for payment in rows:
        provider = providers.get(payment.method.value)
        if provider is None:
            continue
        try:
            result = check_order(db, store, provider, payment.uid, now)
            if result.outcome == "pending":
                provider.close(payment.uid)
                result = check_order(db, store, provider, payment.uid, now)
                if result.outcome == "pending":  # the platform closed it but still says pending: ours is closed
                    payment.status, payment.closed_at = PaymentStatus.CLOSED, now
                    db.commit()
                    result = Confirmation("closed", payment)
        except ProviderError as exc:
            log.warning("order %s: provider unreachable (%s); tried again later", payment.uid, exc.message)
            counts["unreachable"] += 1
            continue
        if result.outcome in counts:
            counts[result.outcome] += 1
        elif result.outcome == "duplicate":
            counts["paid"] += 1
    return counts


def _refuse(db: Session, payment: Payment | None, reason: str, now: datetime, **detail: Any) -> Confirmation:
    """Refuse a confirmation: an audit row (and a journal event, by the caller's store), the ledger unchanged."""
    log.warning("payment %s refused: %s %s", payment.uid if payment else detail.get("order"), reason, detail)
    audit.record(db, "payment.refused", operator_id=None, target=payment.uid if payment else str(detail.get("order", "")),
                 at=now, reason=reason, **detail)
    db.commit()
    return Confirmation("refused", payment, reason=reason)


def take_cash(db: Session, store: LiveStore, lot: LotContext, plate: Plate, *, given_fen: int, shift: Shift,
              at: datetime, lane_id: int | None = None, open_lane: bool = True) -> tuple[Payment, int]:
    """Book the cash an attendant took for what the stay owes now; returns the payment and the change.
    ``open_lane=False`` when the caller opens the gate itself (a hand release), so it opens once."""
    if not isinstance(given_fen, int) or isinstance(given_fen, bool):
        raise LedgerError("given_fen", "the cash given must be a whole number of fen")
    if shift.status != ShiftStatus.OPEN or shift.lot_id != lot.id:
        raise LedgerError("shift", "cash is taken only in an open shift of this lot (开班 first)")
    estimate = due(store, lot, plate, at, owed_fen=arrears_book.owed_fen(db, plate.text))
    amount = estimate.due_fen
    if amount <= 0:
        raise LedgerError("amount", "nothing is due: the car may leave")
    if given_fen < amount:
        raise LedgerError("given_fen", f"{given_fen / 100:.2f} yuan given is less than the {amount / 100:.2f} yuan due")
    if given_fen > CASH_MAX_FEN:
        raise LedgerError("given_fen", f"at most {CASH_MAX_FEN // 100} yuan can be handed over at once")
    payment = Payment(
        uid=new_uid(), lot_id=lot.id, session_uid=_session_uid(store, lot.id, plate.text), plate=plate.text, amount_fen=amount,
        method=PaymentMethod.CASH, status=PaymentStatus.PAID, scene="booth", operator_id=shift.operator_id, shift_id=shift.id,
        lane_id=lane_id, quote=_quote_json(estimate), quote_at=at, cash_given_fen=given_fen, created_at=at, paid_at=at,
        arrears_fen=estimate.plan.arrears_fen,
    )
    db.add(payment)
    db.flush()
    paid_back = arrears_book.book(db, payment, at)
    audit.record(db, "payment.cash", operator_id=shift.operator_id, target=payment.uid, at=at, amount_fen=amount,
                 given_fen=given_fen, change_fen=given_fen - amount, plate=mask(plate.text), shift=shift.uid,
                 **({"arrears_fen": payment.arrears_fen} if payment.arrears_fen else {}))
    db.commit()
    if payment.arrears_fen:
        arrears_book.publish(db, store, payment.plate, paid_back)
    settle(db, store, payment, at, open_lane=open_lane)
    return payment, given_fen - amount


def settle(db: Session, store: LiveStore, payment: Payment, now: datetime, *, open_lane: bool = True) -> str:
    """Tell the live store of a paid payment so the exit may open; idempotent by the payment's uid."""
    if payment.status != PaymentStatus.PAID or payment.purpose != "stay":
        return ""
    if payment.amount_fen - payment.arrears_fen <= 0:
        return _settle_arrears_only(db, store, payment, now, open_lane=open_lane)
    try:
        result = store.pay(payment.lot_id, payment.plate, payment.amount_fen - payment.arrears_fen, payment.paid_at or now,
                           method=payment.method.value, operator_id=payment.operator_id, payment_uid=payment.uid,
                           session_uid=payment.session_uid or "")
    except Exception as exc:  # Redis unreachable: reconcile replays it (settle_unsettled)
        if not _is_unavailable(exc):
            raise
        log.warning("payment %s booked; the live store is unreachable, it will be settled later", payment.uid)
        return "unavailable"
    outcome = result.outcome  # "duplicate": the store already counted this payment uid
    if outcome in {"paid", "duplicate", "no_session", "changed"}:
        # no_session / changed: the car left before the money arrived; the stay's totals take it from SQL.
        payment.settled_at = now
    db.commit()
    if outcome in {"no_session", "changed"}:
        journal(store, payment.lot_id, "paid_after_exit", now, plate=payment.plate, payment=payment.uid,
                amount_fen=payment.amount_fen, method=payment.method.value, session=payment.session_uid)
    if outcome == "paid" and open_lane:
        # A car waiting at an exit for this payment: its lane decides again and opens (lane_commands).
        release_after_payment(store, payment.lot_id, payment.plate, payment.session_uid or "", now=now,  # type: ignore[arg-type]
                              payment_uid=payment.uid)
    if payment.session_uid:
        book_totals(db, payment.session_uid)
        db.commit()
    return outcome


def _settle_arrears_only(db: Session, store: LiveStore, payment: Payment, now: datetime, *, open_lane: bool) -> str:
    """A payment at an exit of arrears only (this stay owed nothing): the stay has nothing to settle; a car
    held for the arrears is asked about again, and now goes."""
    payment.settled_at = now
    db.commit()
    if open_lane:
        release_after_payment(store, payment.lot_id, payment.plate, payment.session_uid or "", now=now,  # type: ignore[arg-type]
                              payment_uid=payment.uid)
    return "paid"


def _settle_if_needed(db: Session, store: LiveStore, payment: Payment, now: datetime) -> str:
    return settle(db, store, payment, now) if payment.settled_at is None else "duplicate"


def _is_unavailable(exc: Exception) -> bool:
    from ..runtime import REDIS_UNAVAILABLE

    return isinstance(exc, REDIS_UNAVAILABLE)


def settle_unsettled(db: Session, store: LiveStore, now: datetime, *, lot_id: int | None = None) -> list[str]:
    """Replay into the live store every paid payment it has not acknowledged; returns their uids."""
    query = select(Payment).where(Payment.status == PaymentStatus.PAID, Payment.settled_at.is_(None), Payment.purpose == "stay")
    if lot_id is not None:
        query = query.where(Payment.lot_id == lot_id)
    settled = []
    for payment in db.scalars(query.order_by(Payment.id)).all():
        if settle(db, store, payment, now) not in {"", "unavailable"}:
            settled.append(payment.uid)
    return settled


def book_totals(db: Session, session_uid: str) -> StayTotals | None:
    """Copy the ledger's totals onto the stay's row (if the worker has recorded it yet)."""
    row = db.scalar(select(ParkingSession).where(ParkingSession.uid == session_uid))
    totals = stay_totals(db, session_uid)
    if row is None:
        return None
    row.paid_fen, row.discount_fen, row.arrears_fen = totals.paid_fen, totals.discount_fen, totals.arrears_fen
    return totals


__all__ = [
    "CASH_MAX_FEN", "Confirmation", "LedgerError", "ORDER_MINUTES", "StayTotals", "book_totals", "check_order", "confirm",
    "confirm_notification", "refuse_callback", "due", "expire_orders", "place_order", "settle", "settle_unsettled", "stay_totals", "take_cash",
    # re-exported for the services that build on the ledger
    "AdjustmentKind", "Arrears", "ArrearsStatus", "Refund", "RefundStatus",
]
