"""Daily reconciliation: a platform's bill of a day against the ledger's payments and refunds of that day,
each kind of difference found, a clean day said to be clean, a bill that cannot be had tried again."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parking import db as dbmod
from parking.models import BillReconciliation, PaymentStatus
from parking.payments.base import BillLine, ProviderError
from parking.services.reconciliation import reconcile_day, reconcile_due

from .ledger_book import Book, open_book

pytestmark = pytest.mark.database

UTC = timezone.utc
DAY = date(2026, 11, 25)  # Beijing time: 2026-11-24 16:00 UTC to 2026-11-25 16:00 UTC
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 11:00 in Beijing the next morning


class Bills:
    """A platform stand-in: its bill of each day is what the test gives it, or an error."""

    def __init__(self, method: str, bills: dict[date, Sequence[BillLine]] | None = None, error: ProviderError | None = None) -> None:
        self.method = method
        self.bills = bills or {}
        self.error = error
        self.asked: list[date] = []

    def bill(self, day: date) -> Sequence[BillLine]:
        self.asked.append(day)
        if self.error is not None:
            raise self.error
        return self.bills.get(day, ())


def paid(out_trade_no: str, fen: int, at: datetime, transaction_id: str = "") -> BillLine:
    return BillLine("payment", out_trade_no, transaction_id or "42" + out_trade_no, fen, at)


def refunded(out_trade_no: str, out_refund_no: str, fen: int, at: datetime) -> BillLine:
    return BillLine("refund", out_trade_no, "42" + out_trade_no, fen, at, out_refund_no=out_refund_no, refund_id="50" + out_refund_no)


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
    return bill_day(db)


def bill_day(db: Session) -> Book:
    """Payments and refunds of the 25th, and one of the evening before, to compare with ``BILL``."""
    b = open_book(db)
    at = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    ok = b.pay(b.lot_a, None, 1000, "wechat", at, uid_="P-OK", transaction_id="42P-OK")
    differs = b.pay(b.lot_a, None, 1500, "wechat", at, uid_="P-DIFFERS", transaction_id="42P-DIFFERS")
    b.pay(b.lot_a, None, 800, "wechat", at, uid_="P-NOT-BILLED", transaction_id="42P-NOT-BILLED")
    b.pay(b.lot_a, None, 700, "wechat", None, uid_="P-PENDING", status=PaymentStatus.PENDING)
    b.pay(b.lot_a, None, 300, "wechat", datetime(2026, 11, 24, 15, 59, tzinfo=UTC), uid_="P-EVE", transaction_id="42P-EVE")
    b.pay(b.lot_b, None, 900, "alipay", at, uid_="A-OTHER-METHOD", transaction_id="2026A")
    b.refund(ok, 200, datetime(2026, 11, 25, 5, 0, tzinfo=UTC), uid_="R-OK")
    b.refund(differs, 100, datetime(2026, 11, 25, 6, 0, tzinfo=UTC), uid_="R-NOT-BILLED")
    b.refund(differs, 300, datetime(2026, 11, 25, 7, 0, tzinfo=UTC), uid_="R-DIFFERS")
    db.commit()
    return b


BILL = [
    paid("P-OK", 1000, datetime(2026, 11, 25, 2, 0, tzinfo=UTC)),
    paid("P-DIFFERS", 1600, datetime(2026, 11, 25, 2, 0, tzinfo=UTC)),
    paid("UNKNOWN-1", 500, datetime(2026, 11, 25, 3, 0, tzinfo=UTC)),
    paid("P-PENDING", 700, datetime(2026, 11, 25, 4, 0, tzinfo=UTC)),
    paid("P-EVE", 300, datetime(2026, 11, 24, 16, 0, 1, tzinfo=UTC)),
    refunded("P-OK", "R-OK", 200, datetime(2026, 11, 25, 5, 0, tzinfo=UTC)),
    refunded("P-DIFFERS", "R-DIFFERS", 250, datetime(2026, 11, 25, 7, 0, tzinfo=UTC)),
    refunded("P-OK", "R-UNKNOWN", 50, datetime(2026, 11, 25, 8, 0, tzinfo=UTC)),
]


def test_every_kind_of_difference_is_listed(db: Session, book: Book) -> None:
    row = reconcile_day(db, Bills("wechat", {DAY: BILL}), DAY, now=NOW)
    assert (row.status.value, row.error) == ("differences", "")
    assert [(d["kind"], d["out_trade_no"], d["out_refund_no"], d["bill_fen"], d["ledger_fen"], d["ledger_status"]) for d in row.differences] == [
        ("not_in_ledger", "P-PENDING", "", 700, 700, "pending"),
        ("not_in_ledger", "UNKNOWN-1", "", 500, None, ""),
        ("not_in_bill", "P-NOT-BILLED", "", None, 800, ""),
        ("amount_differs", "P-DIFFERS", "", 1600, 1500, ""),
        ("other_day", "P-EVE", "", 300, 300, "paid"),
        ("refund_not_in_ledger", "P-OK", "R-UNKNOWN", 50, None, ""),
        ("refund_not_in_bill", "P-DIFFERS", "R-NOT-BILLED", None, 100, ""),
        ("refund_amount_differs", "P-DIFFERS", "R-DIFFERS", 250, 300, ""),
    ]
    assert (row.bill_payments, row.bill_payment_fen, row.bill_refunds, row.bill_refund_fen) == (5, 4100, 3, 500)
    assert (row.ledger_payments, row.ledger_payment_fen, row.ledger_refunds, row.ledger_refund_fen) == (3, 3300, 3, 600)
    assert row.differences[2]["transaction_id"] == "42P-NOT-BILLED"
    assert row.differences[2]["ledger_at"] == "2026-11-25T02:00:00+00:00"


def test_a_clean_day_says_so_and_comparing_again_replaces_the_row(db: Session, book: Book) -> None:
    bill = [paid("A-OTHER-METHOD", 900, datetime(2026, 11, 25, 2, 0, tzinfo=UTC), "2026A")]
    first = reconcile_day(db, Bills("alipay", {DAY: bill}), DAY, now=NOW)
    assert (first.status.value, first.differences, first.bill_payment_fen, first.ledger_payment_fen) == ("clean", [], 900, 900)
    again = reconcile_day(db, Bills("alipay", {DAY: []}), DAY, now=NOW + timedelta(hours=1))
    assert [(d["kind"], d["out_trade_no"]) for d in again.differences] == [("not_in_bill", "A-OTHER-METHOD")]
    assert db.scalar(select(func.count()).select_from(BillReconciliation)) == 1


def test_a_bill_that_cannot_be_had_is_stored_as_failed_with_the_reason(db: Session, book: Book) -> None:
    row = reconcile_day(db, Bills("wechat", error=ProviderError("the bill of 2026-11-25 is not ready yet", code="STATEMENT_CREATING")),
                        DAY, now=NOW)
    assert (row.status.value, row.error, row.differences) == ("failed", "the bill of 2026-11-25 is not ready yet", [])


def test_the_worker_compares_yesterday_once_the_bills_are_out_and_a_failed_day_an_hour_later(db: Session, book: Book) -> None:
    wechat = Bills("wechat", error=ProviderError("unreachable", retryable=True))
    alipay = Bills("alipay", {DAY: [paid("A-OTHER-METHOD", 900, datetime(2026, 11, 25, 2, 0, tzinfo=UTC), "2026A")]})
    providers = {"wechat": wechat, "alipay": alipay, "cash": Bills("cash")}
    assert reconcile_due(db, providers, datetime(2026, 11, 26, 1, 59, tzinfo=UTC)) == []  # 09:59 in Beijing
    done = reconcile_due(db, providers, datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    assert [(row.day, row.method.value, row.status.value) for row in done] == [(DAY, "alipay", "clean"), (DAY, "wechat", "failed")]
    assert reconcile_due(db, providers, datetime(2026, 11, 26, 2, 59, tzinfo=UTC)) == []
    wechat.error = None
    wechat.bills = {DAY: BILL}
    again = reconcile_due(db, providers, datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    assert [(row.method.value, row.status.value, len(row.differences)) for row in again] == [("wechat", "differences", 8)]
    assert (wechat.asked, alipay.asked, providers["cash"].asked) == ([DAY, DAY], [DAY], [])
