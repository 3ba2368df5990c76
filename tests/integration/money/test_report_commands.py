"""The money commands on a real database: ``parking report revenue`` (table and JSON, the figures of
``test_revenue``), ``parking reconcile-bills`` with platforms handed in, and ``parking generate`` at a tiny
size, after which every stay keeps the ledger identity. Wrong input is one line naming the option."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parking import db as dbmod
from parking.cli import main
from parking.models import BillReconciliation, Lot, ParkingSession, Payment, SessionStatus, Shift, stay_totals

from .ledger_book import Book
from .test_reconciliation import BILL, DAY, Bills, bill_day
from .test_revenue import two_days

pytestmark = pytest.mark.database


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


@pytest.fixture
def reconciliation_book(db: Session) -> Book:
    return bill_day(db)


def run(database_url: str, tmp_path: Path, *args: str, obj: dict | None = None) -> Result:
    env = {"PARKING_INSTANCE_PATH": str(tmp_path / "instance"), "PARKING_DATABASE_URL": database_url, "PARKING_TIMEZONE": "Asia/Shanghai"}
    return CliRunner().invoke(main, list(args), env=env, obj=obj, prog_name="parking")


def test_revenue_as_json_has_the_reports_figures_in_fen(database_url: str, tmp_path: Path, book) -> None:  # type: ignore[no-untyped-def]
    result = run(database_url, tmp_path, "report", "revenue", "--from", "2026-11-24", "--to", "2026-11-25", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["from"], shown["to"], [lot["code"] for lot in shown["lots"]]) == ("2026-11-24", "2026-11-25", ["hx", "kj"])
    assert {key: shown["totals"][key] for key in ("receivable_fen", "received_fen", "discount_fen", "arrears_created_fen",
                                                  "arrears_paid_fen", "refund_fen", "net_fen")} == {
        "receivable_fen": 5900, "received_fen": 4800, "discount_fen": 1100, "arrears_created_fen": 2000, "arrears_paid_fen": 2000,
        "refund_fen": 300, "net_fen": 4500}
    assert [(row["day"], row["net_fen"]) for row in shown["days"]] == [("2026-11-24", 2000), ("2026-11-25", 2500)]


def test_revenue_of_one_lot_as_tables_of_yuan(database_url: str, tmp_path: Path, book) -> None:  # type: ignore[no-untyped-def]
    result = run(database_url, tmp_path, "report", "revenue", "--from", "2026-11-24", "--to", "2026-11-25", "--lot", "kj")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "营收报表 Revenue 2026-11-24 – 2026-11-25 (kj 科技园), 元 yuan" in result.stdout
    day_25 = next(line for line in lines if "2026-11-25" in line and "│" in line)
    total = next(line for line in lines if "合计 total" in line)
    # receivable, received, WeChat, Alipay, cash, other, discounts, arrears, paid back, refunds, net
    expected = ["14.00", "8.00", "0.00", "8.00", "0.00", "0.00", "6.00", "0.00", "0.00", "3.00", "5.00"]
    assert [cell.strip() for cell in day_25.split("│")[2:-1]] == expected
    assert [cell.strip() for cell in total.split("│")[2:-1]] == expected
    assert "按停车场 By lot" not in result.stdout
    assert "停车次数 stays ended: 2; 收款笔数 payments: 1" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("--from", "2026-11-31", "--to", "2026-12-01"), "Error: --from: '2026-11-31' is not a date (expected YYYY-MM-DD, e.g. 2026-11-01)"),
    (("--from", "2026-11-24", "--to", "25.11.2026"), "Error: --to: '25.11.2026' is not a date (expected YYYY-MM-DD, e.g. 2026-11-01)"),
    (("--from", "2026-11-25", "--to", "2026-11-24"), "Error: --to: the period ends (2026-11-24) before it begins (2026-11-25)"),
    (("--from", "2026-11-24", "--to", "2026-11-25", "--lot", "nowhere"), "Error: --lot: no lot 'nowhere' (lots: hx, kj)"),
])
def test_wrong_input_is_one_line_naming_the_option(database_url: str, tmp_path: Path, book, args: tuple[str, ...],  # type: ignore[no-untyped-def]
                                                    message: str) -> None:
    result = run(database_url, tmp_path, "report", "revenue", *args)
    assert (result.exit_code, result.output) == (1, message + "\n")


def test_reconcile_bills_prints_every_difference_and_stores_the_day(database_url: str, tmp_path: Path, db: Session,  # type: ignore[no-untyped-def]
                                                                    reconciliation_book) -> None:
    providers = {"wechat": Bills("wechat", {DAY: BILL}), "alipay": Bills("alipay", {DAY: []}), "cash": Bills("cash")}
    clock = lambda: datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)  # noqa: E731
    result = run(database_url, tmp_path, "reconcile-bills", "--day", "2026-11-25", "--method", "wechat",
                 obj={"providers": providers, "clock": clock})
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "2026-11-25 wechat: bill 5 payments 41.00 yuan, 3 refunds 5.00 yuan; ledger 3 payments 33.00 yuan, 3 refunds 6.00 yuan",
        "2026-11-25 wechat: 8 differences",
        "  not_in_ledger: P-PENDING: bill 7.00, ledger 7.00 (ledger: pending)",
        "  not_in_ledger: UNKNOWN-1: bill 5.00",
        "  not_in_bill: P-NOT-BILLED: ledger 8.00",
        "  amount_differs: P-DIFFERS: bill 16.00, ledger 15.00",
        "  other_day: P-EVE: bill 3.00, ledger 3.00 (ledger: paid)",
        "  refund_not_in_ledger: P-OK refund R-UNKNOWN: bill 0.50",
        "  refund_not_in_bill: P-DIFFERS refund R-NOT-BILLED: ledger 1.00",
        "  refund_amount_differs: P-DIFFERS refund R-DIFFERS: bill 2.50, ledger 3.00",
    ]
    clean = run(database_url, tmp_path, "reconcile-bills", "--day", "2026-11-26", "--json", obj={"providers": providers, "clock": clock})
    assert clean.exit_code == 0, clean.output
    assert [(row["method"], row["status"], row["differences"]) for row in map(json.loads, clean.stdout.splitlines())] == [
        ("alipay", "clean", []), ("wechat", "clean", [])]
    assert db.scalar(select(func.count()).select_from(BillReconciliation)) == 3


def test_reconcile_bills_without_a_platform_or_with_a_bad_day_says_so(database_url: str, tmp_path: Path) -> None:
    nothing = run(database_url, tmp_path, "reconcile-bills", "--day", "2026-11-25")
    assert (nothing.exit_code, nothing.output) == (1, "Error: no payment platform is configured: set PARKING_WECHATPAY_CONFIG or "
                                                      "PARKING_ALIPAY_CONFIG\n")
    bad = run(database_url, tmp_path, "reconcile-bills", "--day", "yesterday")
    assert (bad.exit_code, bad.output) == (1, "Error: --day: 'yesterday' is not a date (expected YYYY-MM-DD, e.g. 2026-11-01)\n")


def test_generate_a_tiny_span_keeps_the_ledger_identity_for_every_stay(database_url: str, tmp_path: Path, db: Session) -> None:
    result = run(database_url, tmp_path, "generate", "--lots", "2", "--days", "3", "--seed", "7", "--last", "2026-11-24", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["lots"], shown["from"], shown["to"], shown["seed"]) == (2, "2026-11-22", "2026-11-24", 7)
    assert shown["rows"]["parking_session"] == db.scalar(select(func.count()).select_from(ParkingSession)) > 100
    assert shown["rows"]["payment"] == db.scalar(select(func.count()).select_from(Payment)) > 50
    assert sorted(db.scalars(select(Lot.code))) == ["gen-001", "gen-002"]
    closed = db.scalars(select(ParkingSession).where(ParkingSession.status == SessionStatus.CLOSED)).all()
    ledger = {row.uid: stay_totals(db, row.uid) for row in closed}
    assert [row.uid for row in closed if (ledger[row.uid].paid_fen, ledger[row.uid].discount_fen, ledger[row.uid].arrears_fen)
            != (row.paid_fen, row.discount_fen, row.arrears_fen)] == []
    assert [row.uid for row in closed if row.fee_fen != row.paid_fen + row.discount_fen + row.arrears_fen] == []
    assert sum(row.fee_fen for row in closed) > 0 and sum(row.discount_fen for row in closed) > 0
    assert db.scalar(select(func.count()).select_from(Shift).where(Shift.expected_cash_fen.is_(None), Shift.status != "open")) == 0
    again = run(database_url, tmp_path, "generate", "--lots", "2", "--days", "3")
    assert (again.exit_code, again.output) == (1, "Error: this database already has generated lots (sites gen-site-…): generate into an "
                                                  "empty database\n")


def test_generate_is_the_same_for_the_same_seed(database_url: str, tmp_path: Path, db: Session) -> None:
    from zoneinfo import ZoneInfo

    from parking.generator.plan import plan_day, plan_lots

    lots = plan_lots(2, 7, ZoneInfo("Asia/Shanghai"))
    end = datetime(2026, 11, 25, tzinfo=timezone.utc)
    first = [(s.uid, s.fee_fen, s.paid_fen) for s in plan_day(lots[0], date(2026, 11, 24), 7, end)]
    assert first == [(s.uid, s.fee_fen, s.paid_fen) for s in plan_day(lots[0], date(2026, 11, 24), 7, end)]
    assert first != [(s.uid, s.fee_fen, s.paid_fen) for s in plan_day(lots[0], date(2026, 11, 24), 8, end)]
