"""The revenue report adds a hand-made ledger up by day (in the lot's time zone), lot, lane, attendant and
method: receivable, received, discounts, arrears created and paid back, refunds and net."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone

import pytest
from sqlalchemy.orm import Session

from parking import db as dbmod
from parking.models import PaymentStatus, RefundStatus, SessionStatus
from parking.services.revenue import ReportError, revenue_report

from .ledger_book import Book, open_book

pytestmark = pytest.mark.database

UTC = timezone.utc
FIRST, LAST = date(2026, 11, 24), date(2026, 11, 25)


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    engine = dbmod.make_engine(database_url)
    try:
        with dbmod.make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@pytest.fixture
def book(db: Session) -> Book:
    return two_days(db)


def two_days(db: Session, b: Book | None = None) -> Book:
    """Two days of two lots (times in UTC; Shenzhen is UTC+8), in ``b`` or a book of its own."""
    b = b or open_book(db)
    s1 = b.stay(b.lot_a, datetime(2026, 11, 24, 2, 0, tzinfo=UTC), 1000, lane="hx-out1")  # 24th 10:00
    b.pay(b.lot_a, s1, 1000, "wechat", datetime(2026, 11, 24, 1, 59, tzinfo=UTC), lane="hx-out1", transaction_id="4200001")
    s2 = b.stay(b.lot_a, datetime(2026, 11, 24, 15, 30, tzinfo=UTC), 1500, lane="hx-out2")  # 24th 23:30
    b.discount(b.lot_a, s2, "coupon", 500, datetime(2026, 11, 24, 15, 30, tzinfo=UTC), lane="hx-out2")
    b.pay(b.lot_a, s2, 1000, "cash", datetime(2026, 11, 24, 15, 29, tzinfo=UTC), lane="hx-out2", operator=b.wang, shift=b.shift)
    s3 = b.stay(b.lot_a, datetime(2026, 11, 24, 16, 30, tzinfo=UTC), 2000, lane="hx-out1")  # 25th 00:30: left owing
    b.owe(b.lot_a, s3, 2000, datetime(2026, 11, 24, 16, 30, tzinfo=UTC), lane="hx-out1", paid=2000)
    b.pay(b.lot_a, None, 2000, "wechat", datetime(2026, 11, 25, 1, 0, tzinfo=UTC), purpose="arrears", arrears_fen=2000,
          transaction_id="4200002")  # paid back on the 25th, 09:00, by phone
    s4 = b.stay(b.lot_b, datetime(2026, 11, 25, 4, 0, tzinfo=UTC), 800, lane="kj-out")
    p4 = b.pay(b.lot_b, s4, 800, "alipay", datetime(2026, 11, 25, 3, 58, tzinfo=UTC), lane="kj-out", transaction_id="2026001")
    b.refund(p4, 300, datetime(2026, 11, 25, 10, 0, tzinfo=UTC), operator=b.li)
    s5 = b.stay(b.lot_b, datetime(2026, 11, 25, 0, 0, tzinfo=UTC), 600, lane="kj-out")
    b.discount(b.lot_b, s5, "free_release", 600, datetime(2026, 11, 25, 0, 0, tzinfo=UTC), lane="kj-out", operator=b.wang)
    # Outside the report: the day before (23:59 on the 23rd), an order never paid, a refund not done, a car still inside.
    s6 = b.stay(b.lot_a, datetime(2026, 11, 23, 15, 59, tzinfo=UTC), 700, lane="hx-out1")
    p6 = b.pay(b.lot_a, s6, 700, "wechat", datetime(2026, 11, 23, 15, 58, tzinfo=UTC), lane="hx-out1", transaction_id="4200003")
    b.refund(p6, 100, None, status=RefundStatus.PENDING, created_at=datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    b.pay(b.lot_a, None, 900, "wechat", None, status=PaymentStatus.PENDING)
    b.stay(b.lot_a, None, 0, status=SessionStatus.OPEN)
    db.commit()
    return b


def methods(**fen: int) -> dict[str, int]:
    return {"cash": 0, "wechat": 0, "alipay": 0, "coupon": 0, "prepaid": 0, "qr": 0, "waived": 0} | fen


def kinds(**fen: int) -> dict[str, int]:
    return {"coupon": 0, "campaign": 0, "free_release": 0, "waiver": 0} | fen


def test_the_totals_of_two_days(db: Session, book: Book) -> None:
    report = revenue_report(db, FIRST, LAST)
    assert report.totals.as_json() == {
        "receivable_fen": 5900, "stays": 5, "received_fen": 4800, "payments": 4,
        "received_by_method": methods(wechat=3000, cash=1000, alipay=800),
        "discount_fen": 1100, "discounts_by_kind": kinds(coupon=500, free_release=600),
        "arrears_created_fen": 2000, "arrears_paid_fen": 2000, "refund_fen": 300, "net_fen": 4500,
    }


def test_each_day_is_a_day_in_shenzhen(db: Session, book: Book) -> None:
    days = {row["day"]: row for row in revenue_report(db, FIRST, LAST).as_json()["days"]}
    assert list(days) == ["2026-11-24", "2026-11-25"]
    assert {key: days["2026-11-24"][key] for key in ("receivable_fen", "received_fen", "discount_fen", "arrears_created_fen", "net_fen")} \
        == {"receivable_fen": 2500, "received_fen": 2000, "discount_fen": 500, "arrears_created_fen": 0, "net_fen": 2000}
    assert {key: days["2026-11-25"][key] for key in ("receivable_fen", "received_fen", "discount_fen", "arrears_created_fen",
                                                     "arrears_paid_fen", "refund_fen", "net_fen")} \
        == {"receivable_fen": 3400, "received_fen": 2800, "discount_fen": 600, "arrears_created_fen": 2000, "arrears_paid_fen": 2000,
            "refund_fen": 300, "net_fen": 2500}


def test_by_lot_and_one_lot_alone(db: Session, book: Book) -> None:
    by_lot = {row["code"]: (row["receivable_fen"], row["received_fen"], row["discount_fen"], row["refund_fen"], row["net_fen"])
              for row in revenue_report(db, FIRST, LAST).as_json()["by_lot"]}
    assert by_lot == {"hx": (4500, 4000, 500, 0, 4000), "kj": (1400, 800, 600, 300, 500)}
    alone = revenue_report(db, FIRST, LAST, lot_ids=[book.lot_b])
    assert [lot.code for lot in alone.lots] == ["kj"]
    assert (alone.totals.receivable_fen, alone.totals.received_fen, alone.totals.refund_fen, alone.totals.net_fen) == (1400, 800, 300, 500)


def test_by_lane_attendant_and_method(db: Session, book: Book) -> None:
    shown = revenue_report(db, FIRST, LAST).as_json()
    assert [(row["code"], row["receivable_fen"], row["received_fen"], row["discount_fen"], row["arrears_created_fen"], row["refund_fen"])
            for row in shown["by_lane"]] == [
        ("out1", 3000, 1000, 0, 2000, 0), ("out2", 1500, 1000, 500, 0, 0), ("out", 1400, 800, 600, 0, 300), ("", 0, 2000, 0, 0, 0)]
    assert [(row["username"], row["received_by_method"]["cash"], row["received_fen"], row["discount_fen"], row["refund_fen"])
            for row in shown["by_attendant"]] == [("li", 0, 0, 0, 300), ("wang", 1000, 1000, 600, 0), ("", 0, 3800, 500, 0)]
    assert "receivable_fen" not in shown["by_attendant"][0]
    assert shown["by_method"] == [
        {"method": "cash", "received_fen": 1000, "payments": 1, "arrears_paid_fen": 0, "refund_fen": 0, "net_fen": 1000},
        {"method": "wechat", "received_fen": 3000, "payments": 2, "arrears_paid_fen": 2000, "refund_fen": 0, "net_fen": 3000},
        {"method": "alipay", "received_fen": 800, "payments": 1, "arrears_paid_fen": 0, "refund_fen": 300, "net_fen": 500},
    ]


def test_a_day_in_berlin_follows_daylight_saving(db: Session) -> None:
    b = open_book(db, timezone_b="Europe/Berlin")  # summer time began on 29 March 2026 at 01:00 UTC
    b.pay(b.lot_b, None, 100, "cash", datetime(2026, 3, 28, 23, 30, tzinfo=UTC))  # 00:30 CET on the 29th
    b.pay(b.lot_b, None, 200, "cash", datetime(2026, 3, 29, 21, 30, tzinfo=UTC))  # 23:30 CEST on the 29th
    b.pay(b.lot_b, None, 400, "cash", datetime(2026, 3, 29, 22, 30, tzinfo=UTC))  # 00:30 CEST on the 30th
    db.commit()
    days = revenue_report(db, date(2026, 3, 28), date(2026, 3, 30), lot_ids=[b.lot_b]).days
    assert {day.isoformat(): figures.received_fen for day, figures in days.items()} == {"2026-03-28": 0, "2026-03-29": 300, "2026-03-30": 400}


def test_a_period_that_ends_before_it_begins_or_is_too_long_is_refused(db: Session) -> None:
    with pytest.raises(ReportError, match="to: the period ends \\(2026-11-23\\) before it begins \\(2026-11-24\\)"):
        revenue_report(db, FIRST, date(2026, 11, 23))
    with pytest.raises(ReportError, match="to: 732 days asked for; a report covers at most 731 days"):
        revenue_report(db, date(2025, 1, 1), date(2027, 1, 2))
