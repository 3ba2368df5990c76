"""Revenue by day, kept (PostgreSQL): past days are summed once and read back with the same figures as
adding the ledger up; a change to a summed day is noted by the database and that day is added up again
until it is summed anew; a long past is summed a few days a round without starting over."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parking import db as dbmod
from parking.models import Lot, RevenueChange, RevenueDay, RevenueDaySummed
from parking.services import revenue_days
from parking.services.revenue import revenue_report

from .ledger_book import Book
from .test_revenue import two_days

pytestmark = pytest.mark.database
postgresql_only = pytest.mark.skipif(not os.environ.get("PARKING_TEST_DATABASE_URL"), reason="the daily sums are kept on PostgreSQL only")

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 11:00 in Shenzhen: the 25th is over
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
    b = two_days(db)
    for lot in db.scalars(select(Lot)):
        lot.created_at = datetime(2026, 11, 20, tzinfo=UTC)
    db.commit()
    return b


def added_up(db: Session, monkeypatch: pytest.MonkeyPatch, lot_ids: list[int] | None = None) -> dict:  # type: ignore[type-arg]
    with monkeypatch.context() as patch:
        patch.setattr(revenue_days, "summed_days", lambda *args: set())
        return revenue_report(db, FIRST, LAST, lot_ids=lot_ids).as_json()


@postgresql_only
def test_summed_days_are_read_with_the_figures_of_the_ledger(db: Session, book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    assert revenue_days.sum_days(db, NOW, max_days=None) == 2 * 7  # two lots, from the 19th (the day before they opened) to the 25th
    assert revenue_days.summed_days(db, [book.lot_a, book.lot_b], FIRST, LAST, "Asia/Shanghai") == {FIRST, LAST}
    assert db.scalar(select(func.count()).select_from(RevenueChange)) == 0
    assert revenue_report(db, FIRST, LAST).as_json() == added_up(db, monkeypatch)
    assert revenue_report(db, FIRST, LAST, lot_ids=[book.lot_b]).as_json() == added_up(db, monkeypatch, [book.lot_b])
    assert revenue_report(db, FIRST, LAST).totals.net_fen == 4500


@postgresql_only
def test_a_change_to_a_summed_day_is_added_up_until_it_is_summed_again(db: Session, book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    revenue_days.sum_days(db, NOW, max_days=None)
    book.pay(book.lot_b, None, 600, "cash", datetime(2026, 11, 24, 6, 0, tzinfo=UTC), lane="kj-out")  # booked late, on the 24th
    db.commit()
    assert db.scalars(select(RevenueChange.hour)).all() == [datetime(2026, 11, 24, 6, 0, tzinfo=UTC)]
    assert revenue_days.summed_days(db, [book.lot_a, book.lot_b], FIRST, LAST, "Asia/Shanghai") == {LAST}  # the 24th is added up
    assert revenue_report(db, FIRST, LAST).totals.received_fen == 5400
    assert revenue_days.sum_days(db, NOW) == 1  # the 24th of that lot (14:00 in Shenzhen)
    assert db.scalar(select(func.count()).select_from(RevenueChange)) == 0
    shown = revenue_report(db, FIRST, LAST).as_json()
    assert shown == added_up(db, monkeypatch) and shown["totals"]["received_fen"] == 5400


@postgresql_only
def test_a_long_past_is_summed_a_few_days_a_round(db: Session, book: Book) -> None:
    rounds = [revenue_days.sum_days(db, NOW, max_days=2) for _ in range(5)]
    assert rounds == [4, 4, 4, 2, 0]  # two days of both lots a round, the 19th to the 25th, then nothing left
    assert db.scalar(select(func.count()).select_from(RevenueChange)) == 0
    assert db.scalar(select(func.count()).select_from(RevenueDaySummed)) == 14
    assert db.scalar(select(func.sum(RevenueDay.amount_fen)).where(RevenueDay.source == "stays")) == 5900 + 700


def test_nothing_is_summed_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'parking.sqlite'}"
    dbmod.upgrade(url)
    engine = dbmod.make_engine(url)
    try:
        with dbmod.make_session_factory(engine)() as session:
            assert (revenue_days.sum_days(session, NOW), revenue_days.summed_days(session, [1], FIRST, LAST, "Asia/Shanghai")) == (0, set())
    finally:
        engine.dispose()
