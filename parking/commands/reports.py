"""`parking report revenue --from DATE --to DATE [--lot CODE] [--json]`: the revenue report of
`parking.services.revenue` (the figures the console and `/api/v1/reports/revenue` show), as tables of
yuan or, with `--json`, the report's JSON with every amount in integer fen.

A date that does not read, a period that ends before it begins or is too long, and a lot code that names
no lot are one line each, naming the option.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import click

from parking.commands import migrated_settings, open_database

__all__ = ["parse_day", "report", "yuan"]

OPTION_OF_FIELD = {"from": "--from", "to": "--to", "lot": "--lot"}


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise click.ClickException(f"{option}: {text!r} is not a date (expected YYYY-MM-DD, e.g. 2026-11-01)") from None


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals and thousands separators (exactly, through Decimal)."""
    return f"{Decimal(fen) / 100:,.2f}"


@click.group("report")
def report() -> None:
    """Reports over the ledger. 报表。"""


@report.command("revenue")
@click.option("--from", "first_text", required=True, metavar="DATE", help="First day, YYYY-MM-DD (in each lot's time zone).")
@click.option("--to", "last_text", required=True, metavar="DATE", help="Last day, YYYY-MM-DD (included).")
@click.option("--lot", "lot_code", help="Only this lot (its code).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (amounts in fen) instead of tables.")
def revenue(first_text: str, last_text: str, lot_code: str | None, as_json: bool) -> None:
    """Revenue by day, lot, lane, attendant and method: receivable, received, discounts, arrears, refunds, net. 营收报表。"""
    from parking.services.revenue import ReportError, check_period, find_lot, revenue_report

    first, last = parse_day(first_text, "--from"), parse_day(last_text, "--to")
    try:
        check_period(first, last)
    except ReportError as exc:
        raise click.ClickException(f"{OPTION_OF_FIELD.get(exc.field, exc.field)}: {exc.message}") from None
    settings = migrated_settings()
    engine, sessions = open_database(settings)
    try:
        with sessions() as db:
            try:
                lot_ids = [find_lot(db, lot_code).id] if lot_code is not None else None
                found = revenue_report(db, first, last, lot_ids=lot_ids, default_tz=settings.timezone)
            except ReportError as exc:
                raise click.ClickException(f"{OPTION_OF_FIELD.get(exc.field, exc.field)}: {exc.message}") from None
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(found.as_json(), ensure_ascii=False))
        return
    _print(found)


DAY_COLUMNS = (("应收 receivable", "receivable_fen"), ("实收 received", "received_fen"), ("微信 WeChat", "wechat"),
               ("支付宝 Alipay", "alipay"), ("现金 cash", "cash"), ("其他 other", "other"), ("优惠 discounts", "discount_fen"),
               ("欠费 arrears", "arrears_created_fen"), ("追缴 paid back", "arrears_paid_fen"), ("退款 refunds", "refund_fen"),
               ("净收入 net", "net_fen"))


def _cells(figures: Any) -> list[str]:
    by_method = figures.received_by_method
    values = {"receivable_fen": figures.receivable_fen, "received_fen": figures.received_fen, "wechat": by_method["wechat"],
              "alipay": by_method["alipay"], "cash": by_method["cash"],
              "other": figures.received_fen - by_method["wechat"] - by_method["alipay"] - by_method["cash"],
              "discount_fen": figures.discount_fen, "arrears_created_fen": figures.arrears_created_fen,
              "arrears_paid_fen": figures.arrears_paid_fen, "refund_fen": figures.refund_fen, "net_fen": figures.net_fen}
    return [yuan(values[key]) for _, key in DAY_COLUMNS]


def _print(found: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().size.width, 180))  # wide enough for every column, also when piped
    lots = ", ".join(f"{lot.code} {lot.name}" for lot in found.lots) if len(found.lots) <= 3 else f"{len(found.lots)} lots"
    table = Table(title=f"营收报表 Revenue {found.first} – {found.last} ({lots}), 元 yuan")
    table.add_column("日期 day")
    for title, _ in DAY_COLUMNS:
        table.add_column(title, justify="right")
    for day, figures in sorted(found.days.items()):
        table.add_row(day.isoformat(), *_cells(figures))
    table.add_section()
    table.add_row("合计 total", *_cells(found.totals), style="bold")
    console.print(table)
    if len(found.lots) > 1:
        by_lot = Table(title="按停车场 By lot, 元 yuan")
        by_lot.add_column("停车场 lot")
        for title, _ in DAY_COLUMNS:
            by_lot.add_column(title, justify="right")
        names = {lot.id: f"{lot.code} {lot.name}" for lot in found.lots}
        for lot_id, figures in found.by_lot.items():
            by_lot.add_row(names[lot_id], *_cells(figures))
        console.print(by_lot)
    methods = Table(title="按支付方式 By method, 元 yuan")
    for title in ("方式 method", "笔数 payments", "实收 received", "其中追缴 arrears paid", "退款 refunds", "净收入 net"):
        methods.add_column(title, justify="left" if title.startswith("方式") else "right")
    for method, figures in found.method_rows():
        methods.add_row(method, str(figures.payments), yuan(figures.received_fen), yuan(figures.arrears_paid_fen),
                        yuan(figures.refund_fen), yuan(figures.net_fen))
    console.print(methods)
    console.print(f"停车次数 stays ended: {found.totals.stays:,}; 收款笔数 payments: {found.totals.payments:,}")
