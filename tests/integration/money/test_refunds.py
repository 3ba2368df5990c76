"""Refunds: a manager gives back part or all of a payment to its method; the stay keeps its identity, the
shift its cash, and every refusal leaves the ledger as it was, with an audit row."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parking.models import AuditEvent, ParkingSession, Payment, PaymentStatus, Refund, StayAdjustment
from parking.plates import parse
from parking.services import ledger, refunds, shifts

from .fake_platform import FakePlatform
from .test_arrears import PLATE, drain, forget_repeated_reads, leave_unpaid, lot_now, stay


def paid_order(runtime, site, village, platform):  # type: ignore[no-untyped-def]
    """A car parked 3 h and paid 10 yuan by an order; returns the payment's uid."""
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        order = ledger.place_order(db, runtime.store, platform, lot_now(site, village), parse(PLATE), at=site.clock())
        ledger.confirm(db, runtime.store, order.uid, method=platform.method, amount_fen=1000, transaction_id=platform.pay(order.uid),
                       paid_at=site.clock(), now=site.clock())
        return order.uid


def ledger_state(runtime):  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return (db.scalar(select(func.sum(Payment.refunded_fen))), db.scalar(select(func.count()).select_from(StayAdjustment)),
                [p.status.value for p in db.scalars(select(Payment))])


def refusals(runtime) -> int:  # type: ignore[no-untyped-def]
    return runtime.sessions().scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "refund.refused"))


def test_a_partial_refund_goes_back_to_the_payer_and_the_stay_keeps_its_identity(runtime, site, village, operators):
    platform = FakePlatform()
    uid = paid_order(runtime, site, village, platform)
    assert site.read("east-out", PLATE).outcome == "released"
    drain(runtime, village)
    with runtime.sessions() as db:
        row = refunds.refund(db, runtime.store, {"wechat": platform}, uid, amount_fen=300, reason="计费有误",
                             operator_id=operators["manager"], at=site.clock())
        assert (row.status.value, row.amount_fen, row.refund_id, row.shift_id) == ("refunded", 300, "5000000001", None)
        payment = db.scalar(select(Payment).where(Payment.uid == uid))
        assert (payment.refunded_fen, payment.status) == (300, PaymentStatus.PAID)
        session_uid = payment.session_uid
    assert platform.refunds[0].refund_fen == 300 and platform.refunds[0].total_fen == 1000
    assert stay(runtime, session_uid) == (1000, 700, 300, 0)
    assert platform.received_fen == 700


def test_a_full_refund_marks_the_payment_refunded(runtime, site, village, operators):
    platform = FakePlatform()
    uid = paid_order(runtime, site, village, platform)
    with runtime.sessions() as db:
        refunds.refund(db, runtime.store, {"wechat": platform}, uid, amount_fen=400, reason="重复支付", operator_id=operators["manager"], at=site.clock())
        refunds.refund(db, runtime.store, {"wechat": platform}, uid, amount_fen=600, reason="重复支付", operator_id=operators["manager"], at=site.clock())
        assert db.scalar(select(Payment.status).where(Payment.uid == uid)) == PaymentStatus.REFUNDED
        assert db.scalar(select(func.sum(Refund.amount_fen))) == 1000


@pytest.mark.parametrize(("amount", "reason", "message"), [
    (1001, "多收", "amount_fen: 10.01 yuan is more than the 10.00 yuan left to refund"),
    (0, "多收", "amount_fen: 0: expected a positive whole number of fen"),
    (-5, "多收", "amount_fen: -5: expected a positive whole number of fen"),
    (100, "  ", "reason: a reason is required"),
])
def test_a_refund_out_of_bounds_is_refused_and_audited_with_the_ledger_unchanged(runtime, site, village, operators, amount, reason, message):
    platform = FakePlatform()
    uid = paid_order(runtime, site, village, platform)
    before = ledger_state(runtime)
    with runtime.sessions() as db, pytest.raises(refunds.RefundError) as refused:
        refunds.refund(db, runtime.store, {"wechat": platform}, uid, amount_fen=amount, reason=reason, operator_id=operators["manager"], at=site.clock())
    assert str(refused.value) == message
    assert (ledger_state(runtime), refusals(runtime), platform.refunds) == (before, 1, [])


def test_an_unknown_payment_cannot_be_refunded(runtime, site, village, operators):
    with runtime.sessions() as db, pytest.raises(refunds.RefundError) as refused:
        refunds.refund(db, runtime.store, {}, "nope", amount_fen=100, reason="多收", operator_id=operators["manager"], at=site.clock())
    assert (refused.value.code, refused.value.field, refusals(runtime)) == ("not_found", "payment", 1)


def test_a_payment_not_paid_cannot_be_refunded(runtime, site, village, operators):
    platform = FakePlatform()
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        order = ledger.place_order(db, runtime.store, platform, lot_now(site, village), parse(PLATE), at=site.clock())
        with pytest.raises(refunds.RefundError, match="payment: the payment is pending, not paid"):
            refunds.refund(db, runtime.store, {"wechat": platform}, order.uid, amount_fen=100, reason="多收",
                           operator_id=operators["manager"], at=site.clock())


def test_only_a_manager_refunds(runtime, site, village, operators):
    platform = FakePlatform()
    uid = paid_order(runtime, site, village, platform)
    with runtime.sessions() as db, pytest.raises(refunds.RefundError) as refused:
        refunds.refund(db, runtime.store, {"wechat": platform}, uid, amount_fen=100, reason="多收", operator_id=operators["attendant"], at=site.clock())
    assert (refused.value.code, ledger_state(runtime)[0]) == ("forbidden", 0)


def test_a_provider_error_fails_the_refund_and_changes_nothing_else(runtime, site, village, operators):
    platform = FakePlatform()
    uid = paid_order(runtime, site, village, platform)
    before = ledger_state(runtime)
    platform.refund_answer = "error"
    with runtime.sessions() as db:
        with pytest.raises(refunds.RefundError, match="provider: the platform is unreachable"):
            refunds.refund(db, runtime.store, {"wechat": platform}, uid, amount_fen=500, reason="多收", operator_id=operators["manager"], at=site.clock())
        assert [r.status.value for r in db.scalars(select(Refund))] == ["failed"]
    assert ledger_state(runtime) == before


def test_a_pending_refund_is_kept_and_taken_out_if_the_provider_later_fails_it(runtime, site, village, operators):
    platform = FakePlatform()
    uid = paid_order(runtime, site, village, platform)
    before = ledger_state(runtime)
    platform.refund_answer = "pending"
    with runtime.sessions() as db:
        row = refunds.refund(db, runtime.store, {"wechat": platform}, uid, amount_fen=500, reason="多收", operator_id=operators["manager"], at=site.clock())
        assert (row.status.value, ledger_state(runtime)[0]) == ("pending", 500)
        assert refunds.settle_refund(db, row.uid, state="failed", at=site.clock()).status.value == "failed"
    assert ledger_state(runtime) == before


def test_cash_is_refunded_only_in_the_managers_open_shift_at_that_lot(runtime, site, village, operators):
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        booth = shifts.open_shift(db, operator_id=operators["attendant"], lot_id=village.community_lot_id, at=site.clock())
        payment, _ = ledger.take_cash(db, runtime.store, lot_now(site, village), parse(PLATE), given_fen=1000, shift=booth, at=site.clock())
        with pytest.raises(refunds.RefundError) as refused:
            refunds.refund(db, runtime.store, {}, payment.uid, amount_fen=1000, reason="多收", operator_id=operators["manager"], at=site.clock())
        assert (refused.value.code, str(refused.value)) == ("no_shift", "shift: cash is handed back at the booth: open a shift at this payment's lot first")
        shift = shifts.open_shift(db, operator_id=operators["manager"], lot_id=village.community_lot_id, at=site.clock(), opening_float_fen=5000)
        row = refunds.refund(db, runtime.store, {}, payment.uid, amount_fen=1000, reason="多收", operator_id=operators["manager"], at=site.clock())
        assert (row.status.value, row.shift_id) == ("refunded", shift.id)
        report = shifts.shift_report(db, shift, until=site.clock())
        assert (report["refunds_fen"], report["expected_cash_fen"]) == ({"cash": 1000}, 4000)


def test_refunding_an_exit_payment_that_also_paid_arrears_takes_from_the_stay_first_then_the_arrears(runtime, site, village, operators):
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    old = leave_unpaid(runtime, site, village, operators)
    site.clock.advance(days=1)
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    platform = FakePlatform()
    with runtime.sessions() as db:
        order = ledger.place_order(db, runtime.store, platform, lot_now(site, village), parse(PLATE), at=site.clock())
        ledger.confirm(db, runtime.store, order.uid, method="wechat", amount_fen=2000, transaction_id=platform.pay(order.uid),
                       paid_at=site.clock(), now=site.clock())
    forget_repeated_reads(runtime)
    assert site.read("east-out", PLATE).outcome == "released"
    drain(runtime, village)
    with runtime.sessions() as db:
        refunds.refund(db, runtime.store, {"wechat": platform}, order.uid, amount_fen=1500, reason="误收", operator_id=operators["manager"], at=site.clock())
        new = db.scalar(select(ParkingSession.uid).where(ParkingSession.uid != old))
    assert stay(runtime, new) == (1000, 0, 1000, 0)
    assert stay(runtime, old) == (1000, 500, 500, 0)
