"""The ledger books money in SQL first, settles the stay in Redis once, and the exit then opens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from parking.models import AuditEvent, Payment, PaymentStatus
from parking.payments.base import (
    BillLine, Notification, OrderRequest, OrderStatus, ProviderOrder, RefundRequest, RefundResult, Reply,
)
from parking.plates import parse
from parking.services import ledger, shifts

PLATE = parse("粤B12345")


class Platform:
    """A provider whose platform is this object: orders are remembered, payment is by calling ``pay``."""

    method = "wechat"

    def __init__(self) -> None:
        self.orders: dict[str, OrderRequest] = {}
        self.paid: set[str] = set()

    def create_order(self, order: OrderRequest) -> ProviderOrder:
        self.orders[order.out_trade_no] = order
        return ProviderOrder(order.out_trade_no, qr_payload=f"weixin://wxpay/bizpayurl?pr={order.out_trade_no[:8]}")

    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        raise NotImplementedError

    def reply(self, accepted: bool, message: str = "") -> Reply:
        return Reply(200, b"")

    def query(self, out_trade_no: str) -> OrderStatus:
        order = self.orders[out_trade_no]
        if out_trade_no in self.paid:
            return OrderStatus(out_trade_no, "paid", order.amount_fen, "4200000001" + out_trade_no[:6])
        return OrderStatus(out_trade_no, "pending")

    def close(self, out_trade_no: str) -> None:
        self.orders.pop(out_trade_no)

    def refund(self, request: RefundRequest) -> RefundResult:
        return RefundResult(request.out_refund_no, "refunded")

    def bill(self, day: date) -> Sequence[BillLine]:
        return ()


def test_cash_at_the_booth_is_booked_in_the_shift_and_the_exit_opens(runtime, site, community, operators):
    site.read("east-in", "粤B12345")
    site.clock.advance(hours=3)
    assert site.read("east-out", "粤B12345").lines[-1] == "请缴费10元"
    with runtime.sessions() as db:
        shift = shifts.open_shift(db, operator_id=operators["attendant"], lot_id=community.id, at=site.clock())
        payment, change = ledger.take_cash(db, runtime.store, community, PLATE, given_fen=2000, shift=shift, at=site.clock())
        assert (payment.amount_fen, change, payment.method.value, payment.shift_id) == (1000, 1000, "cash", shift.id)
        assert [(line["amount_fen"], line["units"]) for line in payment.quote["lines"]] == [(1000, 1)]
    assert site.read("east-out", "粤B12345").outcome == "released"


def test_a_paid_order_is_counted_once_however_often_it_is_confirmed(runtime, site, community):
    platform = Platform()
    site.read("east-in", "粤B12345")
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        order = ledger.place_order(db, runtime.store, platform, community, PLATE, at=site.clock())
        again = ledger.place_order(db, runtime.store, platform, community, PLATE, at=site.clock())
        assert (again.uid, order.status, order.amount_fen) == (order.uid, PaymentStatus.PENDING, 1000)
        first = ledger.confirm(db, runtime.store, order.uid, method="wechat", amount_fen=1000, transaction_id="4200001",
                               paid_at=site.clock(), now=site.clock())
        second = ledger.confirm(db, runtime.store, order.uid, method="wechat", amount_fen=1000, transaction_id="4200001",
                                paid_at=site.clock(), now=site.clock())
        assert (first.outcome, first.settled, second.outcome) == ("paid", "paid", "duplicate")
    assert runtime.store.open_session(community.id, "粤B12345")["paid_fen"] == 1000
    assert site.read("east-out", "粤B12345").outcome == "released"


def test_an_amount_that_differs_from_the_order_is_refused_and_audited(runtime, site, community):
    platform = Platform()
    site.read("east-in", "粤B12345")
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        order = ledger.place_order(db, runtime.store, platform, community, PLATE, at=site.clock())
        result = ledger.confirm(db, runtime.store, order.uid, method="wechat", amount_fen=1, transaction_id="4200002",
                                paid_at=site.clock(), now=site.clock())
        assert (result.outcome, result.reason) == ("refused", "amount_mismatch")
        db.refresh(order)
        assert order.status == PaymentStatus.PENDING
        assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "payment.refused")) == 1
    assert runtime.store.open_session(community.id, "粤B12345").get("paid_fen", 0) == 0


def test_a_lost_notification_is_settled_by_the_order_query(runtime, site, community):
    platform = Platform()
    site.read("east-in", "粤B12345")
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        order = ledger.place_order(db, runtime.store, platform, community, PLATE, at=site.clock())
        platform.paid.add(order.uid)
        site.clock.advance(minutes=6)
        assert ledger.expire_orders(db, runtime.store, {"wechat": platform}, site.clock()) == {"paid": 1, "closed": 0, "unreachable": 0}
        assert db.scalar(select(Payment.status).where(Payment.uid == order.uid)) == PaymentStatus.PAID


def test_a_shift_closes_once_with_its_cash_difference_and_a_manager_confirms(runtime, site, community, operators):
    site.read("east-in", "粤B12345")
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        shift = shifts.open_shift(db, operator_id=operators["attendant"], lot_id=community.id, at=site.clock(), opening_float_fen=10000)
        ledger.take_cash(db, runtime.store, community, PLATE, given_fen=1000, shift=shift, at=site.clock())
        with pytest.raises(shifts.ShiftError, match="already have an open shift"):
            shifts.open_shift(db, operator_id=operators["attendant"], lot_id=community.id, at=site.clock())
        closed = shifts.close_shift(db, shift, counted_cash_fen=10500, at=site.clock(), operator_id=operators["attendant"])
        assert (closed.expected_cash_fen, closed.difference_fen, closed.report["received_fen"]) == (11000, -500, {"cash": 1000})
        with pytest.raises(shifts.ShiftError, match="already closed"):
            shifts.close_shift(db, shift, counted_cash_fen=11000, at=site.clock(), operator_id=operators["attendant"])
        with pytest.raises(shifts.ShiftError, match="other than its attendant"):
            shifts.confirm_shift(db, shift, manager_id=operators["attendant"], at=site.clock())
        assert shifts.confirm_shift(db, shift, manager_id=operators["manager"], at=site.clock()).status.value == "confirmed"


def test_cash_below_the_fee_is_refused(runtime, site, community, operators):
    site.read("east-in", "粤B12345")
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        shift = shifts.open_shift(db, operator_id=operators["attendant"], lot_id=community.id, at=site.clock())
        with pytest.raises(ledger.LedgerError, match="given_fen: 5.00 yuan given is less than the 10.00 yuan due"):
            ledger.take_cash(db, runtime.store, community, PLATE, given_fen=500, shift=shift, at=site.clock())
        assert db.scalar(select(func.count()).select_from(Payment)) == 0


def test_after_redis_lost_its_data_reconcile_restores_the_paid_stay_and_a_replay_counts_once(runtime, site, community, operators):
    from parking.occupancy.recorder import Recorder
    from parking.services.reconcile import reconcile

    site.read("east-in", "粤B12345")
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        shift = shifts.open_shift(db, operator_id=operators["attendant"], lot_id=community.id, at=site.clock())
        payment, _ = ledger.take_cash(db, runtime.store, community, PLATE, given_fen=1000, shift=shift, at=site.clock())
    Recorder(runtime.redis, runtime.sessions, [community.id]).drain()
    runtime.redis.flushdb()
    reconcile(runtime.sessions, runtime.store, site.clock())
    restored = runtime.store.open_session(community.id, "粤B12345")
    assert (restored["paid_fen"], restored["payments"]) == (1000, [payment.uid])
    with runtime.sessions() as db:
        again = db.scalar(select(Payment).where(Payment.uid == payment.uid))
        assert ledger.settle(db, runtime.store, again, site.clock()) == "duplicate"
    assert runtime.store.open_session(community.id, "粤B12345")["paid_fen"] == 1000
    assert site.read("east-out", "粤B12345").outcome == "released"


def test_a_payment_booked_while_redis_is_down_is_settled_by_reconcile(runtime, site, community, operators, monkeypatch):
    import redis as redis_lib

    from parking.services.reconcile import reconcile

    site.read("east-in", "粤B12345")
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        shift = shifts.open_shift(db, operator_id=operators["attendant"], lot_id=community.id, at=site.clock())

        def unreachable(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise redis_lib.ConnectionError("connection refused")

        monkeypatch.setattr(runtime.store, "pay", unreachable)
        payment, _ = ledger.take_cash(db, runtime.store, community, PLATE, given_fen=1000, shift=shift, at=site.clock())
        monkeypatch.undo()
        assert db.scalar(select(Payment.settled_at).where(Payment.uid == payment.uid)) is None
    corrections = reconcile(runtime.sessions, runtime.store, site.clock())
    assert [(c.kind, c.subject) for c in corrections if c.kind == "settled_payment"] == [("settled_payment", payment.uid)]
    assert runtime.store.open_session(community.id, "粤B12345")["paid_fen"] == 1000


def test_a_transaction_already_booked_to_another_order_is_refused(runtime, site, community):
    platform = Platform()
    site.read("east-in", "粤B12345")
    site.read("east-in", "粤B67890")
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        first = ledger.place_order(db, runtime.store, platform, community, PLATE, at=site.clock())
        second = ledger.place_order(db, runtime.store, platform, community, parse("粤B67890"), at=site.clock())
        assert ledger.confirm(db, runtime.store, first.uid, method="wechat", amount_fen=1000, transaction_id="4200009",
                              paid_at=site.clock(), now=site.clock()).outcome == "paid"
        again = ledger.confirm(db, runtime.store, second.uid, method="wechat", amount_fen=1000, transaction_id="4200009",
                               paid_at=site.clock(), now=site.clock())
        assert (again.outcome, again.reason) == ("refused", "transaction_of_another_order")
        assert db.scalar(select(Payment.status).where(Payment.uid == second.uid)) == PaymentStatus.PENDING


def test_a_closed_order_is_not_booked_by_a_notification_and_a_young_one_is_not_closed(runtime, site, community):
    platform = Platform()
    site.read("east-in", "粤B12345")
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        order = ledger.place_order(db, runtime.store, platform, community, PLATE, at=site.clock())
        platform.close(order.uid)
        platform.orders[order.uid] = None  # type: ignore[assignment]  (the platform no longer knows it)

        def unknown(out_trade_no: str) -> OrderStatus:
            return OrderStatus(out_trade_no, "closed")

        platform.query = unknown  # type: ignore[method-assign]
        assert ledger.check_order(db, runtime.store, platform, order.uid, site.clock()).outcome == "pending"
        site.clock.advance(minutes=6)
        assert ledger.check_order(db, runtime.store, platform, order.uid, site.clock()).outcome == "closed"
        told = ledger.confirm(db, runtime.store, order.uid, method="wechat", amount_fen=1000, transaction_id="4200077",
                              paid_at=site.clock(), now=site.clock())
        assert (told.outcome, told.reason) == ("refused", "order_closed")
        assert db.scalar(select(Payment.status).where(Payment.uid == order.uid)) == PaymentStatus.CLOSED
    assert runtime.store.open_session(community.id, "粤B12345").get("paid_fen", 0) == 0
