"""Property of the ledger, on real Redis and SQL: whatever cars, quotes, payments (cash, and orders confirmed
once or again), refunds, arrears, back-payments and waivers happen, every ended stay keeps
fee == paid + discounts + arrears, the payments less the refunds are exactly the money that came in, and
every fen of it is on a stay or, paid towards arrears that were settled another way, on no stay."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from parking.models import (
    AdjustmentKind, Arrears, ArrearsStatus, ParkingSession, Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus, SessionStatus,
    StayAdjustment, stay_totals,
)
from parking.plates import parse
from parking.services import arrears, ledger, refunds, shifts

from .fake_platform import FakePlatform
from .test_arrears import drain, forget_repeated_reads, leave_unpaid, lot_now

PLATES = ("粤B10001", "粤B10002", "粤B10003")
CARS = len(PLATES)
CAR = st.integers(0, CARS - 1)
OPS = st.one_of(  # paying at the exit is drawn more often than writing arrears off
    st.tuples(st.just("enter"), CAR),
    st.tuples(st.just("wait"), st.sampled_from([10, 70, 150, 400])),
    st.tuples(st.just("exit"), CAR),
    st.tuples(st.just("cash"), CAR),
    st.tuples(st.just("order"), CAR, st.sampled_from(["wechat", "alipay"])),
    st.tuples(st.just("confirm"), st.integers(0, 5), st.integers(1, 3)),
    st.tuples(st.just("confirm"), st.integers(0, 5), st.integers(1, 3)),
    st.tuples(st.just("unpaid"), CAR),
    st.tuples(st.just("unpaid"), CAR),
    st.tuples(st.just("refund"), st.integers(0, 5), st.sampled_from([1, 3, 10])),
    st.tuples(st.just("arrears_cash"), CAR),
    st.tuples(st.just("arrears_order"), CAR, st.integers(1, 2)),
    st.tuples(st.just("waive"), CAR),
)


@dataclass
class Order:
    uid: str
    plate: str
    stay: str  # "" for arrears only
    amount_fen: int
    version: int  # the plate's money version when it was placed


@dataclass
class World:
    runtime: object
    site: object
    village: object
    operators: dict[str, int]
    platforms: dict[str, FakePlatform] = field(default_factory=lambda: {"wechat": FakePlatform("wechat"), "alipay": FakePlatform("alipay")})
    cash_in: int = 0
    orders: list[Order] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    ended_paid: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        with self.runtime.sessions() as db:
            lot_id = self.village.community_lot_id
            self.booth = shifts.open_shift(db, operator_id=self.operators["attendant"], lot_id=lot_id, at=self.site.clock()).id
            self.desk = shifts.open_shift(db, operator_id=self.operators["manager"], lot_id=lot_id, at=self.site.clock(),
                                          opening_float_fen=100_000).id

    def run(self, ops) -> None:  # type: ignore[no-untyped-def]
        plates = PLATES  # the same cars in every example: what they owe carries over
        for plate in plates:  # every example starts with cars that owe something
            self.enter(plate)
        self.wait(150)
        for name, *args in ops:
            forget_repeated_reads(self.runtime)
            if name not in {"wait", "confirm", "refund"}:
                args[0] = plates[args[0]]
            getattr(self, name)(*args)
        drain(self.runtime, self.village)

    # -- what happens -----------------------------------------------------------------------------
    def bump(self, plate: str) -> None:
        self.versions[plate] = self.versions.get(plate, 0) + 1

    def inside(self, plate: str) -> dict | None:
        return self.runtime.store.open_session(self.village.community_lot_id, plate)

    def due(self, plate: str) -> int:
        with self.runtime.sessions() as db:
            return ledger.due(self.runtime.store, lot_now(self.site, self.village), parse(plate), self.site.clock(),
                              owed_fen=arrears.arrears_book.owed_fen(db, plate)).due_fen

    def enter(self, plate: str) -> None:
        self.site.read("east-in", plate)

    def wait(self, minutes: int) -> None:
        self.site.clock.advance(minutes=minutes)

    def exit(self, plate: str) -> None:
        session = self.inside(plate)
        if session is not None and self.site.read("east-out", plate).outcome == "released":
            self.ended_paid.add(session["uid"])
            self.bump(plate)

    def cash(self, plate: str) -> None:
        if self.inside(plate) is None or self.due(plate) <= 0:
            return
        with self.runtime.sessions() as db:
            shift = db.get(shifts.Shift, self.booth)
            payment, change = ledger.take_cash(db, self.runtime.store, lot_now(self.site, self.village), parse(plate),
                                               given_fen=self.due(plate) + 50, shift=shift, at=self.site.clock())
            self.cash_in += payment.amount_fen
        self.bump(plate)

    def order(self, plate: str, method: str) -> None:
        session = self.inside(plate)
        if session is None or self.due(plate) <= 0:
            return
        with self.runtime.sessions() as db:
            placed = ledger.place_order(db, self.runtime.store, self.platforms[method], lot_now(self.site, self.village), parse(plate),
                                        at=self.site.clock())
            self.orders.append(Order(placed.uid, plate, session["uid"], placed.amount_fen, self.versions.get(plate, 0)))

    def confirm(self, k: int, times: int) -> None:
        if not self.orders:
            return
        order = self.orders[k % len(self.orders)]
        with self.runtime.sessions() as db:
            payment = db.scalar(select(Payment).where(Payment.uid == order.uid))
            fresh = order.version == self.versions.get(order.plate, 0) and order.stay not in self.ended_paid
            if payment.status == PaymentStatus.PENDING and not fresh:
                return  # paid another way meanwhile: nobody pays this order any more
            platform = self.platforms[payment.method.value]
            txn = platform.pay(order.uid)
            for _ in range(times):
                ledger.confirm(db, self.runtime.store, order.uid, method=payment.method.value, amount_fen=order.amount_fen,
                               transaction_id=txn, paid_at=self.site.clock(), now=self.site.clock())
        self.bump(order.plate)

    def unpaid(self, plate: str) -> None:
        if self.inside(plate) is None:
            return
        if self.due(plate) <= 0:
            self.exit(plate)
            return
        with self.runtime.sessions() as db:
            owed_before = arrears.arrears_book.owed_fen(db, plate)
        if ledger.due(self.runtime.store, lot_now(self.site, self.village), parse(plate), self.site.clock(), owed_fen=owed_before).plan.stay_due_fen <= 0:
            return  # owes only earlier arrears: the test's hand release lets nobody out for those
        leave_unpaid(self.runtime, self.site, self.village, self.operators, plate)

    def refund(self, k: int, tenths: int) -> None:
        with self.runtime.sessions() as db:
            paid = db.scalars(select(Payment).where(Payment.status == PaymentStatus.PAID).order_by(Payment.id)).all()
            if not paid:
                return
            payment = paid[k % len(paid)]
            amount = max(1, (payment.amount_fen - payment.refunded_fen) * tenths // 10)
            row = refunds.refund(db, self.runtime.store, self.platforms, payment.uid, amount_fen=amount, reason="核对退款",
                                 operator_id=self.operators["manager"], at=self.site.clock())
            if payment.method == PaymentMethod.CASH:
                self.cash_in -= row.amount_fen

    def arrears_cash(self, plate: str) -> None:
        with self.runtime.sessions() as db:
            owed = arrears.arrears_book.owed_fen(db, plate)
            if owed <= 0:
                return
            payment, _ = arrears.pay_arrears_cash(db, self.runtime.store, plate=plate, given_fen=owed, shift=db.get(shifts.Shift, self.booth),
                                                  at=self.site.clock())
            self.cash_in += payment.amount_fen
        self.bump(plate)

    def arrears_order(self, plate: str, times: int) -> None:
        with self.runtime.sessions() as db:
            if arrears.arrears_book.owed_fen(db, plate) <= 0:
                return
            placed = arrears.place_arrears_order(db, self.runtime.store, self.platforms["alipay"], plate=plate,
                                                 lot_id=self.village.community_lot_id, at=self.site.clock())
            self.orders.append(Order(placed.uid, plate, "", placed.amount_fen, self.versions.get(plate, 0)))
        self.confirm(len(self.orders) - 1, times)

    def waive(self, plate: str) -> None:
        with self.runtime.sessions() as db:
            rows = arrears.arrears_book.open_rows(db, plate)
            if rows:
                arrears.waive_arrears(db, self.runtime.store, rows[0].uid, reason="经理核销", operator_id=self.operators["manager"],
                                      at=self.site.clock())
                self.bump(plate)

    # -- what must hold -----------------------------------------------------------------------------
    def check(self) -> None:
        with self.runtime.sessions() as db:
            for row in db.scalars(select(ParkingSession).where(ParkingSession.status == SessionStatus.CLOSED)):
                totals = stay_totals(db, row.uid)
                assert (row.paid_fen, row.discount_fen, row.arrears_fen) == (totals.paid_fen, totals.discount_fen, totals.arrears_fen)
                assert row.fee_fen == totals.paid_fen + totals.discount_fen + totals.arrears_fen, row.uid
            paid = db.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
                Payment.status.in_([PaymentStatus.PAID, PaymentStatus.REFUNDED])))
            refunded = db.scalar(select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(Refund.status != RefundStatus.FAILED))
            money_in = self.cash_in + sum(p.received_fen for p in self.platforms.values())
            assert paid - refunded == money_in
            stays = set(db.scalars(select(ParkingSession.uid))) | {uid for uid in db.scalars(select(Payment.session_uid)) if uid}
            on_stays = sum(stay_totals(db, uid).paid_fen for uid in stays)
            no_stay = db.scalar(select(func.coalesce(func.sum(Payment.amount_fen - Payment.arrears_fen), 0)).where(
                Payment.session_uid.is_(None), Payment.status.in_([PaymentStatus.PAID, PaymentStatus.REFUNDED])))
            no_stay -= db.scalar(select(func.coalesce(func.sum(StayAdjustment.amount_fen), 0)).where(
                StayAdjustment.session_uid.is_(None), StayAdjustment.kind == AdjustmentKind.REFUND))
            assert on_stays + no_stay == paid - refunded
            for row in db.scalars(select(Arrears)):
                assert 0 <= row.paid_fen <= row.amount_fen
                assert (row.status == ArrearsStatus.SETTLED) == (row.paid_fen == row.amount_fen)


def test_no_fen_is_created_or_lost(runtime, site, village, operators):
    world = World(runtime, site, village, operators)

    @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(OPS, min_size=6, max_size=20))
    def happen(ops):  # type: ignore[no-untyped-def]
        world.run(ops)
        world.check()

    happen()
