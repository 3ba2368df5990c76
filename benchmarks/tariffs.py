"""Quotes per second of the tariff engine against the minute-by-minute reference, in the same run.

Quotes 1-hour, 3-day and 30-day stays under the richest example tariff (Nantong: day and night
bands, an opening fee, a daily cap, vehicle-class factor and two competing benefits) with
`parking.tariffs.quote` and with `parking.tariffs.reference.reference_total`, checks that both give
the same total, and prints quotes per second for both and the ratio (the reference is the baseline).

    python benchmarks/tariffs.py [--seconds 1.0] [--json]

With --json it prints one JSON object instead of the table (keys in benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from parking.tariffs import QuoteContext, Stay, quote
from parking.tariffs.examples import load_example
from parking.tariffs.reference import reference_total

from _report import add_json_option, print_json

TARIFF = "08-nantong-class2"
ENTRY = datetime(2024, 9, 27, 9, 17, tzinfo=ZoneInfo("Asia/Shanghai"))
STAYS = {"1 hour": timedelta(hours=1), "3 days": timedelta(days=3), "30 days": timedelta(days=30)}


def rate(fn, seconds: float) -> tuple[float, int]:
    """Calls per second of `fn`, measured for at least `seconds` (and at least 3 calls)."""
    calls, started = 0, time.perf_counter()
    while True:
        result = fn()
        calls += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds and calls >= 3:
            return calls / elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time to measure each case")
    add_json_option(parser)
    args = parser.parse_args()
    tariff = load_example(TARIFF)
    context = QuoteContext()
    stays = []
    table = Table(title=f"Tariff quotes per second — {tariff.name.en} ({TARIFF})")
    for heading in ("stay", "total (fen)", "engine quotes/s", "reference quotes/s", "engine ÷ reference"):
        table.add_column(heading, justify="right")
    for label, length in STAYS.items():
        stay = Stay(ENTRY, ENTRY + length, "large", frozenset({"new_energy", "disabled_driver"}))
        engine_rate, engine_total = rate(lambda: quote(tariff, stay, context).total_fen, args.seconds)
        reference_rate, reference_result = rate(lambda: reference_total(tariff, stay, context), args.seconds)
        if engine_total != reference_result:
            raise SystemExit(f"{label}: engine {engine_total} fen != reference {reference_result} fen")
        table.add_row(label, str(engine_total), f"{engine_rate:,.0f}", f"{reference_rate:,.1f}", f"{engine_rate / reference_rate:,.0f}×")
        stays.append({"stay": label, "minutes": int(length.total_seconds()) // 60, "total_fen": engine_total,
                      "engine": {"per_s": round(engine_rate, 1)}, "reference": {"per_s": round(reference_rate, 2)},
                      "ratio": {"rate": round(engine_rate / reference_rate, 2)}})
    if args.json:
        print_json("tariffs", {"seconds": args.seconds}, tariff=TARIFF, tariff_name=tariff.name.en, baseline="reference",
                   stays=stays)
        return
    Console().print(table)


if __name__ == "__main__":
    main()
