"""`parking reconcile-bills --day DATE [--method wechat|alipay] [--json]`: compare the payment platforms'
bills of a day with the ledger now (`parking.services.reconciliation.reconcile_day`), store the result
as the worker does, and print every difference, or that the day is clean.

The platforms are the ones configured (`PARKING_WECHATPAY_CONFIG`, `PARKING_ALIPAY_CONFIG`). The tests
hand in others with ``obj={"providers": {...}, "clock": callable}`` (click's context object). Exit
status 0 when every bill compared is clean, 1 when one could not be had or has differences.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import click

from parking.commands import migrated_settings, open_database
from parking.commands.reports import parse_day, yuan

__all__ = ["reconcile_bills"]



def _context(name: str) -> Any:
    obj = click.get_current_context().find_root().obj
    return obj.get(name) if isinstance(obj, dict) else None


@click.command("reconcile-bills")
@click.option("--day", "day_text", required=True, metavar="DATE", help="The day of the bills, YYYY-MM-DD (Beijing time).")
@click.option("--method", type=click.Choice(("wechat", "alipay")), help="Only this platform (default: every configured one).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per platform instead of text.")
def reconcile_bills(day_text: str, method: str | None, as_json: bool) -> None:
    """Compare the payment platforms' bills of a day with the ledger (对账) and list every difference."""
    from parking.config import ConfigError
    from parking.payments.registry import load_providers
    from parking.services.reconciliation import PLATFORMS, reconcile_day

    day = parse_day(day_text, "--day")
    settings = migrated_settings()
    providers: Mapping[str, Any] | None = _context("providers")
    if providers is None:
        try:
            providers = load_providers(settings)
        except ConfigError as exc:  # a merchant file that does not read, named
            raise click.ClickException(str(exc)) from None
    providers = {name: provider for name, provider in providers.items() if name in PLATFORMS}
    if method is not None:
        if method not in providers:
            raise click.ClickException(f"--method: {method} is not configured (set {'PARKING_WECHATPAY_CONFIG' if method == 'wechat' else 'PARKING_ALIPAY_CONFIG'})")
        providers = {method: providers[method]}
    if not providers:
        raise click.ClickException("no payment platform is configured: set PARKING_WECHATPAY_CONFIG or PARKING_ALIPAY_CONFIG")
    clock: Callable[[], datetime] | None = _context("clock")
    now = clock() if clock is not None else datetime.now(timezone.utc)
    engine, sessions = open_database(settings)
    clean = True
    try:
        with sessions() as db:
            for name in sorted(providers):
                row = reconcile_day(db, providers[name], day, now=now)
                clean = clean and row.status.value == "clean"
                _show(row, as_json)
    finally:
        engine.dispose()
    if not clean:
        raise click.exceptions.Exit(1)


def _show(row: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({
            "day": row.day.isoformat(), "method": row.method.value, "status": row.status.value, "error": row.error or None,
            "bill": {"payments": row.bill_payments, "payment_fen": row.bill_payment_fen, "refunds": row.bill_refunds,
                     "refund_fen": row.bill_refund_fen},
            "ledger": {"payments": row.ledger_payments, "payment_fen": row.ledger_payment_fen, "refunds": row.ledger_refunds,
                       "refund_fen": row.ledger_refund_fen},
            "differences": row.differences,
        }, ensure_ascii=False))
        return
    head = f"{row.day} {row.method.value}"
    if row.status.value == "failed":
        click.echo(f"{head}: the bill could not be had: {row.error}")
        return
    click.echo(f"{head}: bill {row.bill_payments} payments {yuan(row.bill_payment_fen)} yuan, {row.bill_refunds} refunds "
               f"{yuan(row.bill_refund_fen)} yuan; ledger {row.ledger_payments} payments {yuan(row.ledger_payment_fen)} yuan, "
               f"{row.ledger_refunds} refunds {yuan(row.ledger_refund_fen)} yuan")
    if not row.differences:
        click.echo(f"{head}: clean, no differences (对账无差异)")
        return
    click.echo(f"{head}: {len(row.differences)} differences")
    for d in row.differences:
        amounts = ", ".join(f"{side} {yuan(d[key])}" for side, key in (("bill", "bill_fen"), ("ledger", "ledger_fen")) if d[key] is not None)
        number = d["out_trade_no"] + (f" refund {d['out_refund_no']}" if d["out_refund_no"] else "")
        status = f" (ledger: {d['ledger_status']})" if d["ledger_status"] else ""
        click.echo(f"  {d['kind']}: {number}: {amounts}{status}")
