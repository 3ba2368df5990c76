"""Arrears (欠费): a car that left unpaid owes on its plate; the next entry shows or refuses it, the next
exit asks for it with the new fee, and it can be paid back without a stay or written off."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from drivers.interfaces import PlateRead
from parking.models import Arrears, ArrearsStatus, AuditEvent, Lot, ParkingSession, Payment, StayAdjustment
from parking.plates import parse
from parking.services import arrears, ledger, shifts

from .fake_platform import FakePlatform

PLATE = "粤B12345"


def lane(site, code):  # type: ignore[no-untyped-def]
    return next(l for l in site.agent.lanes.all().values() if l.code == code)


def drain(runtime, village) -> None:  # type: ignore[no-untyped-def]
    runtime.store.recorder(runtime.sessions, [village.community_lot_id, village.office_lot_id], consumer="test").drain()


def lot_now(site, village):  # type: ignore[no-untyped-def]
    return site.agent.lanes.lots()[village.community_lot_id]


def set_policy(runtime, site, village, **settings) -> None:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        lot = db.get(Lot, village.community_lot_id)
        lot.settings = {**lot.settings, **settings}
        db.commit()
    site.refresh()


def leave_unpaid(runtime, site, village, operators, plate=PLATE) -> str:  # type: ignore[no-untyped-def]
    """What the hand release "left unpaid" does: the stay's own due becomes arrears, then the stay ends."""
    lot, at = lot_now(site, village), site.clock()
    session_uid = runtime.store.open_session(lot.id, plate)["uid"]
    with runtime.sessions() as db:
        plan = ledger.due(runtime.store, lot, parse(plate), at).plan
        arrears.record_arrears(db, runtime.store, lot_id=lot.id, plate=plate, session_uid=session_uid, amount_fen=plan.stay_due_fen,
                               reason="未缴费离场", lane_id=lane(site, "east-out").id, operator_id=operators["attendant"], shift_id=None, at=at)
    runtime.store.release(lot.id, plate, at, lane_id=lane(site, "east-out").id, session_uid=session_uid,
                          exit={"fee_fen": plan.fee_fen, "reason": "hand_unpaid"})
    drain(runtime, village)
    forget_repeated_reads(runtime)
    return session_uid


def forget_repeated_reads(runtime) -> None:  # type: ignore[no-untyped-def]
    """The lanes ignore the same plate at the same lane for a few (real) seconds; the tests' clock jumps days."""
    for key in runtime.redis.scan_iter(match="*:dedupe:*"):
        runtime.redis.delete(key)


def stay(runtime, uid):  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        row = db.scalar(select(ParkingSession).where(ParkingSession.uid == uid))
        return row.fee_fen, row.paid_fen, row.discount_fen, row.arrears_fen


def owes_ten_yuan(runtime, site, village, operators) -> str:  # type: ignore[no-untyped-def]
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    assert site.read("east-out", PLATE).lines[-1] == "请缴费10元"
    return leave_unpaid(runtime, site, village, operators)


def test_a_car_that_left_unpaid_owes_on_its_plate_and_its_stay_keeps_the_identity(runtime, site, village, operators):
    uid = owes_ten_yuan(runtime, site, village, operators)
    assert stay(runtime, uid) == (1000, 0, 0, 1000)
    with runtime.sessions() as db:
        row = db.scalar(select(Arrears))
        assert (row.plate, row.amount_fen, row.status, row.reason) == (PLATE, 1000, ArrearsStatus.OPEN, "未缴费离场")
        assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "arrears.record")) == 1
    # Every lot knows it, the other one too.
    assert runtime.store.facts.for_plate(village.office_lot_id, PLATE).arrears_fen == 1000


def test_the_next_entry_shows_what_is_owed_and_admits_by_default(runtime, site, village, operators):
    owes_ten_yuan(runtime, site, village, operators)
    site.clock.advance(days=1)
    decision = site.read("east-in", PLATE)
    assert (decision.open_gate, decision.lines) == (True, (PLATE, "临时车", "欠费10元", "欢迎光临"))


def test_a_lot_refusing_cars_that_owe_keeps_the_gate_closed(runtime, site, village, operators):
    owes_ten_yuan(runtime, site, village, operators)
    set_policy(runtime, site, village, arrears_entry="refuse")
    site.clock.advance(days=1)
    decision = site.read("east-in", PLATE)
    assert (decision.open_gate, decision.outcome, decision.lines) == (False, "arrears", (PLATE, "欠费10元 请缴费后入场"))
    assert runtime.store.open_session(village.community_lot_id, PLATE) is None


def test_a_whitelisted_car_is_never_asked_for_arrears(runtime, site, village, operators):
    with runtime.sessions() as db:
        arrears.record_arrears(db, runtime.store, lot_id=village.community_lot_id, plate="粤B12000", session_uid=None, amount_fen=500,
                               reason="", lane_id=None, operator_id=None, shift_id=None, at=site.clock())
    assert site.read("east-in", "粤B12000").lines == ("粤B12000", "免费车辆", "欢迎光临")


def test_the_exit_asks_the_fee_with_the_arrears_and_one_cash_payment_settles_both(runtime, site, village, operators):
    old = owes_ten_yuan(runtime, site, village, operators)
    site.clock.advance(days=1)
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    assert site.read("east-out", PLATE).lines[-1] == "请缴费20元(含欠费10元)"
    with runtime.sessions() as db:
        shift = shifts.open_shift(db, operator_id=operators["attendant"], lot_id=village.community_lot_id, at=site.clock())
        payment, change = ledger.take_cash(db, runtime.store, lot_now(site, village), parse(PLATE), given_fen=2000, shift=shift, at=site.clock())
        assert (payment.amount_fen, payment.arrears_fen, change) == (2000, 1000, 0)
        row = db.scalar(select(Arrears))
        assert (row.paid_fen, row.status, row.settled_at) == (1000, ArrearsStatus.SETTLED, site.clock())
        assert shifts.shift_report(db, shift, until=site.clock())["received_fen"] == {"cash": 2000}
    assert runtime.store.open_session(village.community_lot_id, PLATE)["paid_fen"] == 1000  # only the stay's part
    decision = site.read("east-out", PLATE)
    assert decision.outcome == "released"
    drain(runtime, village)
    assert stay(runtime, old) == (1000, 1000, 0, 0)
    new = runtime.sessions().scalar(select(ParkingSession.uid).where(ParkingSession.uid != old))
    assert stay(runtime, new) == (1000, 1000, 0, 0)
    assert runtime.store.facts.for_plate(village.community_lot_id, PLATE).arrears_fen == 0


def test_an_order_at_the_exit_includes_the_arrears_and_books_them_once_however_often_confirmed(runtime, site, village, operators):
    old = owes_ten_yuan(runtime, site, village, operators)
    site.clock.advance(days=1)
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    platform = FakePlatform()
    with runtime.sessions() as db:
        order = ledger.place_order(db, runtime.store, platform, lot_now(site, village), parse(PLATE), at=site.clock())
        assert (order.amount_fen, order.arrears_fen) == (2000, 1000)
        txn = platform.pay(order.uid)
        outcomes = [ledger.confirm(db, runtime.store, order.uid, method="wechat", amount_fen=2000, transaction_id=txn,
                                   paid_at=site.clock(), now=site.clock()).outcome for _ in range(3)]
        assert outcomes == ["paid", "duplicate", "duplicate"]
        assert db.scalar(select(Arrears.paid_fen)) == 1000
    assert runtime.store.open_session(village.community_lot_id, PLATE)["paid_fen"] == 1000
    assert site.read("east-out", PLATE).outcome == "released"
    drain(runtime, village)
    assert stay(runtime, old) == (1000, 1000, 0, 0)


def test_arrears_are_paid_back_in_cash_at_the_booth_without_a_stay(runtime, site, village, operators):
    old = owes_ten_yuan(runtime, site, village, operators)
    with runtime.sessions() as db:
        shift = shifts.open_shift(db, operator_id=operators["attendant"], lot_id=village.community_lot_id, at=site.clock())
        with pytest.raises(arrears.ArrearsError, match="given_fen: 5.00 yuan given is less than the 10.00 yuan owed"):
            arrears.pay_arrears_cash(db, runtime.store, plate=PLATE, given_fen=500, shift=shift, at=site.clock())
        payment, change = arrears.pay_arrears_cash(db, runtime.store, plate=PLATE, given_fen=5000, shift=shift, at=site.clock())
        assert (payment.purpose, payment.amount_fen, payment.arrears_fen, payment.session_uid, change) == ("arrears", 1000, 1000, None, 4000)
        assert shifts.shift_report(db, shift, until=site.clock())["expected_cash_fen"] == 1000
        with pytest.raises(arrears.ArrearsError, match="plate: 粤B12345 owes nothing"):
            arrears.pay_arrears_cash(db, runtime.store, plate=PLATE, given_fen=1000, shift=shift, at=site.clock())
    assert stay(runtime, old) == (1000, 1000, 0, 0)
    site.clock.advance(days=1)
    assert site.read("east-in", PLATE).lines == (PLATE, "临时车", "欢迎光临")


def test_arrears_are_paid_back_by_a_phone_order(runtime, site, village, operators):
    old = owes_ten_yuan(runtime, site, village, operators)
    platform = FakePlatform("alipay")
    with runtime.sessions() as db:
        order = arrears.place_arrears_order(db, runtime.store, platform, plate=PLATE, lot_id=village.community_lot_id, at=site.clock())
        again = arrears.place_arrears_order(db, runtime.store, platform, plate=PLATE, lot_id=village.community_lot_id, at=site.clock())
        assert (again.uid, order.purpose, order.amount_fen, order.pay_url) == (order.uid, "arrears", 1000, f"https://pay.example/{order.uid}")
        assert platform.orders[order.uid].description == "补缴欠费 粤B***45 和谐里小区"
        txn = platform.pay(order.uid)
        for _ in range(2):
            ledger.confirm(db, runtime.store, order.uid, method="alipay", amount_fen=1000, transaction_id=txn, paid_at=site.clock(),
                           now=site.clock())
        assert db.scalar(select(Arrears.status)) == ArrearsStatus.SETTLED
    assert stay(runtime, old) == (1000, 1000, 0, 0)
    assert runtime.store.facts.for_plate(village.community_lot_id, PLATE).arrears_fen == 0


def test_a_manager_writes_arrears_off_with_a_reason(runtime, site, village, operators):
    old = owes_ten_yuan(runtime, site, village, operators)
    with runtime.sessions() as db:
        uid = db.scalar(select(Arrears.uid))
        with pytest.raises(arrears.ArrearsError, match="only a manager"):
            arrears.waive_arrears(db, runtime.store, uid, reason="熟人", operator_id=operators["attendant"], at=site.clock())
        with pytest.raises(arrears.ArrearsError, match="reason: a reason is required"):
            arrears.waive_arrears(db, runtime.store, uid, reason=" ", operator_id=operators["manager"], at=site.clock())
        row = arrears.waive_arrears(db, runtime.store, uid, reason="设备故障误收", operator_id=operators["manager"], at=site.clock())
        assert row.status == ArrearsStatus.WAIVED
        assert db.scalar(select(StayAdjustment.kind)).value == "waiver"
    assert stay(runtime, old) == (1000, 0, 1000, 0)
    assert runtime.store.facts.for_plate(village.community_lot_id, PLATE).arrears_fen == 0


def test_a_car_let_out_offline_with_a_fee_due_owes_it_once_uploaded(runtime, site, village, operators):
    set_policy(runtime, site, village, offline_exit="open")
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    exit_lane = lane(site, "east-out")
    read = PlateRead(device=exit_lane.camera_serial, license=PLATE, color="unknown", confidence=96, at=None, event_id="off-1")
    decision = site.agent.offline.handle_read(exit_lane, read, site.clock())  # Redis unreachable: the lane decides alone
    assert (decision.open_gate, decision.detail["arrears"]) == (True, True)
    assert site.agent.offline.upload(runtime.store, site.agent.lanes.lots()) == 1
    drain(runtime, village)
    with runtime.sessions() as db:
        row = db.scalar(select(Arrears))
        assert (row.amount_fen, row.reason, row.lane_id) == (1000, "脱机放行未缴费", exit_lane.id)
        uid = row.session_uid
    assert stay(runtime, uid) == (1000, 0, 0, 1000)
    drain(runtime, village)  # recorded once, however often the recorder runs
    assert runtime.sessions().scalar(select(func.count()).select_from(Arrears)) == 1
    site.refresh()
    site.clock.advance(days=1)
    assert site.read("east-in", PLATE).lines == (PLATE, "临时车", "欠费10元", "欢迎光临")


def test_the_offline_lane_copy_refuses_a_car_that_owes_as_the_lot_says(runtime, site, village, operators):
    owes_ten_yuan(runtime, site, village, operators)
    set_policy(runtime, site, village, arrears_entry="refuse")  # the refresh also copies the facts for offline use
    entry = lane(site, "east-in")
    read = PlateRead(device=entry.camera_serial, license=PLATE, color="unknown", confidence=96, at=None, event_id="off-2")
    decision = site.agent.offline.handle_read(entry, read, site.clock())
    assert (decision.open_gate, decision.lines) == (False, (PLATE, "欠费10元 请缴费后入场"))


def test_arrears_money_is_never_taken_twice_when_paid_both_ways(runtime, site, village, operators):
    """An order that included arrears is paid after the arrears were paid in cash: the stay takes the money."""
    owes_ten_yuan(runtime, site, village, operators)
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    platform = FakePlatform()
    with runtime.sessions() as db:
        order = ledger.place_order(db, runtime.store, platform, lot_now(site, village), parse(PLATE), at=site.clock())
        shift = shifts.open_shift(db, operator_id=operators["attendant"], lot_id=village.community_lot_id, at=site.clock())
        arrears.pay_arrears_cash(db, runtime.store, plate=PLATE, given_fen=1000, shift=shift, at=site.clock())
        ledger.confirm(db, runtime.store, order.uid, method="wechat", amount_fen=2000, transaction_id=platform.pay(order.uid),
                       paid_at=site.clock(), now=site.clock())
        db.refresh(order)
        assert (order.arrears_fen, db.scalar(select(Arrears.paid_fen))) == (0, 1000)
        assert db.scalar(select(func.sum(Payment.amount_fen))) == 3000
    assert runtime.store.open_session(village.community_lot_id, PLATE)["paid_fen"] == 2000
