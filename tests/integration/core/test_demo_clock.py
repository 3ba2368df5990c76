"""The demo's clock: the wall clock's pace within a step, jumps forward only, and a run that starts after
everything the instance recorded, on a day after the last transaction a platform numbered."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from parking import db as dbmod
from parking.demo.clock import DemoClock, start_after
from parking.models import Lot, LotEvent, Payment, PaymentMethod, PaymentStatus
from parking.seed import seed_demo

from ...conftest import FIXED_NOW

UTC = timezone.utc

pytestmark = pytest.mark.database


def test_the_clock_keeps_the_wall_clocks_pace_and_jumps_only_forward():
    ticks = [100.0]
    clock = DemoClock(FIXED_NOW, monotonic=lambda: ticks[0])
    ticks[0] = 102.5
    assert clock() == datetime(2026, 11, 25, 9, 30, 2, 500000, tzinfo=UTC)
    assert clock.advance_to(datetime(2026, 11, 25, 10, 30, tzinfo=UTC)) == datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
    ticks[0] = 103.5
    assert clock() == datetime(2026, 11, 25, 10, 30, 1, tzinfo=UTC)
    assert clock.advance_to(FIXED_NOW) == datetime(2026, 11, 25, 10, 30, 1, tzinfo=UTC)
    assert clock.start == FIXED_NOW


def test_a_clock_needs_an_aware_start():
    with pytest.raises(ValueError, match="start: expected an aware datetime"):
        DemoClock(datetime(2026, 11, 25, 9, 30))


@pytest.fixture
def db(database_url: str):  # type: ignore[no-untyped-def]
    engine = dbmod.make_engine(database_url)
    factory = dbmod.make_session_factory(engine)
    with dbmod.transaction(factory) as session:
        seed_demo(session, now=FIXED_NOW, password_hash="not-a-real-hash")
    with factory() as session:
        yield session
    engine.dispose()



def test_a_new_instance_starts_at_the_wall_clock(db):
    assert start_after(db, FIXED_NOW) == FIXED_NOW


def test_a_run_starts_after_the_last_moment_an_earlier_fast_run_recorded(db):
    lot_id = db.scalar(select(Lot.id).order_by(Lot.id))
    db.add(LotEvent(event_uid="e1", lot_id=lot_id, kind="entered", at=datetime(2026, 11, 27, 3, 0, tzinfo=UTC), payload={}))
    db.commit()
    assert start_after(db, FIXED_NOW) == datetime(2026, 11, 27, 3, 1, tzinfo=UTC)
    assert start_after(db, datetime(2026, 11, 28, tzinfo=UTC)) == datetime(2026, 11, 28, tzinfo=UTC)


def pay(db, method: PaymentMethod, at: datetime, transaction_id: str | None) -> None:  # type: ignore[no-untyped-def]
    lot_id = db.scalar(select(Lot.id).order_by(Lot.id))
    db.add(Payment(uid=f"p{at:%H%M}{method.value}", lot_id=lot_id, plate="粤B12345", amount_fen=500, method=method,
                   status=PaymentStatus.PAID, transaction_id=transaction_id, created_at=at, paid_at=at))
    db.commit()


def test_a_run_after_phone_payments_starts_on_the_platforms_next_day(db):
    pay(db, PaymentMethod.WECHAT, datetime(2026, 11, 25, 15, 0, tzinfo=UTC), "4200000120261125000000000001")  # 23:00 in Shanghai
    assert start_after(db, FIXED_NOW) == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # 00:00 on the 26th in Shanghai


def test_cash_has_no_platform_number_to_repeat(db):
    pay(db, PaymentMethod.CASH, datetime(2026, 11, 25, 15, 0, tzinfo=UTC), None)
    assert start_after(db, FIXED_NOW) == datetime(2026, 11, 25, 15, 1, tzinfo=UTC)
