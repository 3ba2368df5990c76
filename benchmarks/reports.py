"""How long each report takes on a year of generated traffic, with its query plans, against a baseline.

The database is a year of `parking generate` (fifty lots by default): generated here into a fresh
database, or reused when the database already holds a generated span (its lots and days are then the
ones found, whatever the options say). Without --database-url it is a temporary SQLite file.

Each report is run --repeat times (the best and the median are shown):

- the revenue report (`parking.services.revenue`) of the last day, the last 7 days, the last 30 days
  and the whole span, for every lot; of the last 30 days and the whole span for one lot; and, to compare
  (it does not count for the aim), of the whole span for every lot added up from the ledger alone
  (`kept=False`: as on SQLite, or before the past days are summed, `parking.services.revenue_days`);
- the reconciliation of the last day's WeChat Pay bill (`parking.services.reconciliation.reconcile_day`),
  with a bill made from the ledger itself, so every line is looked up and the day comes out clean.

Baseline, measured in the same run: `SELECT count(*) FROM payment` (how fast this database reads the
biggest table of money at all). Every SQL statement a report runs is explained (EXPLAIN on PostgreSQL,
EXPLAIN QUERY PLAN on SQLite) and summed up as the scans it does: `Index Only Scan ix_payment_received_lot_paid`,
`Seq Scan revenue_day_summed`... The aim is every report under one second.

    python benchmarks/reports.py [--database-url URL] [--lots 50] [--days 365] [--seed 2026] [--repeat 3] [--json]

Before the reports, the days not summed yet are summed (as the worker would); the time it took is shown.
With --json it prints one JSON object instead of the tables (keys in benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from parking import db as dbmod
from parking.generator import generate
from parking.generator.writer import SITE_PREFIX
from parking.models import Lot, Payment, PaymentMethod, PaymentStatus, Shift, Site
from parking.payments.base import BillLine
from parking.services.reconciliation import ledger_day, reconcile_day
from parking.services.revenue import revenue_report
from parking.services.revenue_days import sum_days

from _report import add_json_option, machine, machine_text, print_json, public_url

TZ = "Asia/Shanghai"
# The plans shown: scans of the ledger and of the kept sums (not the lookups of lot, lane and operator names).
LEDGER_TABLES = ("parking_session", "payment", "refund", "stay_adjustment", "arrears", "revenue_", "bill_reconciliation")
AIM_MS = 1000.0
# Shown to compare, not a report anyone asks for on PostgreSQL: the whole span added up from the ledger alone.
COMPARISON = "comparison: whole span, every lot, added up from the ledger"


class LedgerBill:
    """A WeChat Pay stand-in whose bill of a day is the ledger's own payments and refunds of that day."""

    method = "wechat"

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions

    def bill(self, day: date) -> list[BillLine]:
        with self.sessions() as db:
            payments, refunds = ledger_day(db, "wechat", day)
        at = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc)
        return ([BillLine("payment", p.uid, p.transaction_id, p.amount_fen, p.at or at) for p in payments]
                + [BillLine("refund", r.out_trade_no, r.transaction_id, r.amount_fen, r.at or at, out_refund_no=r.uid) for r in refunds])


class Statements:
    """The SQL statements an engine runs while recording, with their parameters."""

    def __init__(self, engine: Engine) -> None:
        self.recording = False
        self.seen: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._heard)

    def _heard(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if self.recording and not executemany and statement.lstrip().upper().startswith("SELECT"):
            self.seen.append((statement, parameters))


def plan_summary(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    """Each statement's scans, as '<node> <index or table>', in the order the plans name them (no repeats)."""
    found: list[str] = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            if engine.dialect.name == "postgresql":
                plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
                scans = _pg_scans(plan[0]["Plan"])
            else:
                scans = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            for scan in scans:
                scan = scan.split(" (")[0]  # SQLite's conditions are left out
                if scan not in found and any(table in scan for table in LEDGER_TABLES):
                    found.append(scan)
    return found


def _pg_scans(node: dict[str, Any]) -> list[str]:
    scans = []
    if "Scan" in node["Node Type"]:
        scans.append(f"{node['Node Type']} {node.get('Index Name') or node.get('Relation Name') or ''}".strip())
    if "Grouping Sets" in node:
        scans.append("Grouping Sets")
    for child in node.get("Plans", []):
        scans.extend(_pg_scans(child))
    return scans


def timed(run: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def span_of(db: Session) -> tuple[list[int], date, date] | None:
    """The generated lots and the first and last day generated (from the attendants' shifts), if any."""
    lots = list(db.scalars(select(Lot.id).join(Site).where(Site.code.startswith(SITE_PREFIX)).order_by(Lot.id)))
    if not lots:
        return None
    first, last = db.execute(select(func.min(Shift.opened_at), func.max(Shift.opened_at)).where(Shift.lot_id.in_(lots))).one()
    zone = ZoneInfo(TZ)
    return lots, first.astimezone(zone).date() + timedelta(days=1), last.astimezone(zone).date()


def prepare(url: str, lots: int, days: int, seed: int) -> dict[str, Any]:
    engine = dbmod.make_engine(url)
    try:
        if "alembic_version" not in inspect(engine).get_table_names():
            dbmod.upgrade(url)
        dbmod.require_head(url)
        with Session(engine) as db:
            found = span_of(db)
        data: dict[str, Any] = {"generated": found is None, "generate_seconds": None}
        if found is None:
            yesterday = datetime.now(timezone.utc).astimezone(ZoneInfo(TZ)).date() - timedelta(days=1)
            result = generate(engine, lots=lots, days=days, seed=seed, last=yesterday, tz=TZ)
            data["generate_seconds"] = round(result.seconds, 2)
        start = time.perf_counter()
        with Session(engine) as db:
            data["summed_lot_days"] = sum_days(db, datetime.now(timezone.utc), default_tz=TZ, max_days=None)
        data["sum_seconds"] = round(time.perf_counter() - start, 2)
        with Session(engine) as db:
            lot_ids, first, last = span_of(db)  # type: ignore[misc]
            data |= {"lots": len(lot_ids), "first": first.isoformat(), "last": last.isoformat(), "days": (last - first).days + 1,
                     "stays": db.execute(text("SELECT count(*) FROM parking_session")).scalar(),
                     "payments": db.execute(text("SELECT count(*) FROM payment")).scalar()}
        return data
    finally:
        engine.dispose()


def run_reports(url: str, repeat: int, first: date, last: date) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    engine = dbmod.make_engine(url)
    sessions = dbmod.make_session_factory(engine)
    recorder = Statements(engine)
    try:
        with sessions() as db:
            one_lot = db.scalar(select(Lot.id).join(Site).where(Site.code.startswith(SITE_PREFIX)).order_by(Lot.id))
        month = max(first, last - timedelta(days=29))
        reports: list[tuple[str, Callable[[Session], Any]]] = [
            ("revenue: last day, every lot", lambda db: revenue_report(db, last, last, default_tz=TZ)),
            ("revenue: last 7 days, every lot", lambda db: revenue_report(db, max(first, last - timedelta(days=6)), last, default_tz=TZ)),
            ("revenue: last 30 days, every lot", lambda db: revenue_report(db, month, last, default_tz=TZ)),
            ("revenue: whole span, every lot", lambda db: revenue_report(db, first, last, default_tz=TZ)),
            ("revenue: last 30 days, one lot", lambda db: revenue_report(db, month, last, lot_ids=[one_lot], default_tz=TZ)),
            ("revenue: whole span, one lot", lambda db: revenue_report(db, first, last, lot_ids=[one_lot], default_tz=TZ)),
            (COMPARISON, lambda db: revenue_report(db, first, last, default_tz=TZ, kept=False)),
            ("reconciliation: last day, wechat", lambda db: reconcile_day(db, LedgerBill(sessions), last, now=datetime.now(timezone.utc))),
        ]
        baseline_times, count = timed(lambda: _count(sessions), repeat)
        baseline = {"rows": count, "best_ms": round(min(baseline_times), 3), "median_ms": round(statistics.median(baseline_times), 3)}
        shown = []
        for name, report in reports:
            def once(report: Callable[[Session], Any] = report) -> Any:
                with sessions() as db:
                    return report(db)
            times, result = timed(once, repeat)
            recorder.seen.clear()
            recorder.recording = True
            once()
            recorder.recording = False
            best = min(times)
            shown.append({"report": name, "best_ms": round(best, 3), "median_ms": round(statistics.median(times), 3),
                          "ratio": round(best / max(baseline["best_ms"], 1e-6), 2), "statements": len(recorder.seen),
                          "plan": plan_summary(engine, recorder.seen), "under_aim": best < AIM_MS, "counts_for_aim": name != COMPARISON,
                          "result": _result(result)})
        return baseline, shown
    finally:
        engine.dispose()


def _count(sessions: Callable[[], Session]) -> int:
    with sessions() as db:
        return int(db.execute(select(func.count()).select_from(Payment)).scalar() or 0)


def _result(result: Any) -> str:
    if hasattr(result, "totals"):
        return f"net {result.totals.net_fen} fen over {len(result.days)} days"
    return f"{result.status.value}, {result.ledger_payments} payments"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a database to generate into, or holding a generated span (default: temporary SQLite)")
    parser.add_argument("--lots", type=int, default=50, help="lots to generate (1-999)")
    parser.add_argument("--days", type=int, default=365, help="days to generate (1-3660)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each report (1-100)")
    add_json_option(parser)
    args = parser.parse_args()
    if not 1 <= args.repeat <= 100:
        parser.error("--repeat: from 1 to 100")
    with tempfile.TemporaryDirectory(prefix="parking-reports-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'reports.sqlite'}"
        data = prepare(url, args.lots, args.days, args.seed)
        baseline, reports = run_reports(url, args.repeat, date.fromisoformat(data["first"]), date.fromisoformat(data["last"]))
    parameters = {"lots": args.lots, "days": args.days, "seed": args.seed, "repeat": args.repeat, "database_url": public_url(args.database_url)}
    aim = {"ms": AIM_MS, "met": all(r["under_aim"] for r in reports if r["counts_for_aim"])}
    if args.json:
        print_json("reports", parameters, baseline="count_payments", count_payments=baseline, data=data, reports=reports, aim=aim)
        return
    console = Console(width=max(Console().size.width, 160))
    how = "generated in {:.1f} s".format(data["generate_seconds"]) if data["generated"] else "reused"
    console.print(f"{data['lots']} lots, {data['first']} – {data['last']} ({data['days']} days): {data['stays']:,} stays, "
                  f"{data['payments']:,} payments ({how}); {data['summed_lot_days']:,} lot-days summed in {data['sum_seconds']} s; "
                  f"{urlkind(url)}")
    table = Table(title=f"Reports, best of {args.repeat} (baseline: SELECT count(*) FROM payment, {baseline['best_ms']:.1f} ms)")
    for column in ("report", "best ms", "median ms", "× baseline", "statements", "query plans", "< 1 s"):
        table.add_column(column, justify="left" if column in ("report", "query plans") else "right")
    for r in reports:
        table.add_row(r["report"], f"{r['best_ms']:.1f}", f"{r['median_ms']:.1f}", f"{r['ratio']:.2f}", str(r["statements"]),
                      "\n".join(r["plan"]), ("yes" if r["under_aim"] else "NO") if r["counts_for_aim"] else "-")
    console.print(table)
    console.print(f"aim: every report under {AIM_MS:.0f} ms: {'met' if aim['met'] else 'NOT met'}")
    console.print(machine_text(machine()))


def urlkind(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


if __name__ == "__main__":
    main()
