"""Each script in ``benchmarks/`` run with ``--json`` at its smallest size prints exactly one JSON object
with the keys ``benchmarks/README.md`` documents. The figures themselves are not judged."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

COMMON = {"benchmark", "measured_at", "parameters", "machine", "baseline"}
MACHINE = {"python", "implementation", "platform", "system", "machine", "cpu_count", "redis_version"}
PERCENTILES = {"p50_ms", "p90_ms", "p99_ms", "max_ms"}
SPREAD = {"mean", "min", "max"}


def run(script: str, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--json", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1, done.stdout
    report = json.loads(done.stdout)
    assert isinstance(report, dict)
    assert COMMON <= set(report)
    assert set(report["machine"]) == MACHINE
    assert report["benchmark"] == script.removesuffix(".py")
    return report


def positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def test_tariffs_json():
    report = run("tariffs.py", "--seconds", "0.01")
    assert set(report) == COMMON | {"tariff", "tariff_name", "stays"}
    assert report["parameters"] == {"seconds": 0.01}
    assert report["machine"]["redis_version"] is None
    assert report["baseline"] == "reference"
    assert [stay["stay"] for stay in report["stays"]] == ["1 hour", "3 days", "30 days"]
    for stay in report["stays"]:
        assert set(stay) == {"stay", "minutes", "total_fen", "engine", "reference", "ratio"}
        assert isinstance(stay["total_fen"], int)
        assert positive(stay["engine"]["per_s"]) and positive(stay["reference"]["per_s"])
        assert positive(stay["ratio"]["rate"])


@pytest.mark.slow
@pytest.mark.redis
def test_occupancy_json():
    report = run("occupancy.py", "--n", "2")
    assert set(report) == COMMON | {"cars", "inside", "evalsha", "entry", "exit", "both", "ratio", "aim"}
    assert report["parameters"] == {"n": 2, "redis_url": None}
    assert report["machine"]["redis_version"]
    assert report["baseline"] == "evalsha"
    for name in ("evalsha", "entry", "exit", "both"):
        row = report[name]
        assert set(row) - {"outcomes"} == {"calls", "per_s", "round_trips", "commands"} | PERCENTILES, name
        assert all(positive(row[key]) for key in ("per_s", *PERCENTILES)), name
        assert set(row["round_trips"]) == set(row["commands"]) == SPREAD
    assert (report["entry"]["calls"], report["exit"]["calls"], report["both"]["calls"], report["evalsha"]["calls"]) == (2, 2, 4, 4)
    assert sum(report["entry"]["outcomes"].values()) == sum(report["exit"]["outcomes"].values()) == 2
    assert set(report["ratio"]) == {"rate", "p50", "p99"} and all(positive(v) for v in report["ratio"].values())
    assert set(report["aim"]) == {"round_trips", "p99_ms"}


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.database
def test_lane_json():
    report = run("lane.py", "--n", "4", "--warmup", "0", "--idle-ms", "0", "--burst", "2")
    rows = {"echo", "entries", "exits", "all", "handler", "echo_reused_at_once"}
    assert set(report) == COMMON | rows | {"wall_s", "aim"}
    assert report["parameters"] == {"n": 4, "warmup": 0, "idle_ms": 0.0, "burst": 2, "seed": 2026, "redis_url": None}
    assert report["machine"]["redis_version"]
    assert report["baseline"] == "echo"
    for name in rows:
        row = report[name]
        assert set(row) - {"outcomes"} == {"requests", "ratio"} | PERCENTILES, name
        assert all(positive(row[key]) for key in PERCENTILES), name
        assert set(row["ratio"]) == {"p50", "p99"} and all(positive(v) for v in row["ratio"].values()), name
    assert [report[name]["requests"] for name in ("echo", "entries", "exits", "all", "echo_reused_at_once")] == [4, 2, 2, 4, 2]
    assert sum(report["entries"]["outcomes"].values()) == sum(report["exits"]["outcomes"].values()) == 2
    assert set(report["aim"]) == {"p99_ms", "met"} and isinstance(report["aim"]["met"], bool)


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.database
def test_payments_json():
    report = run("payments.py", "--n", "2")
    assert set(report) == COMMON | {"exit", "notification", "ratio"}
    assert report["parameters"] == {"n": 2, "redis_url": None}
    assert report["machine"]["redis_version"]
    assert report["baseline"] == "exit"
    for name in ("exit", "notification"):
        assert set(report[name]) == {"calls"} | PERCENTILES, name
        assert report[name]["calls"] == 2
        assert all(positive(report[name][key]) for key in PERCENTILES), name
    assert set(report["ratio"]) == {"p50", "p99"} and all(positive(v) for v in report["ratio"].values())



REPORTS = ["revenue: last day, every lot", "revenue: last 7 days, every lot", "revenue: last 30 days, every lot",
           "revenue: whole span, every lot", "revenue: last 30 days, one lot", "revenue: whole span, one lot",
           "comparison: whole span, every lot, added up from the ledger", "reconciliation: last day, wechat"]


@pytest.mark.database
def test_reports_json():
    report = run("reports.py", "--lots", "2", "--days", "3", "--repeat", "1")
    assert set(report) == COMMON | {"count_payments", "data", "reports", "aim"}
    assert report["parameters"] == {"lots": 2, "days": 3, "seed": 2026, "repeat": 1, "database_url": None}
    assert report["machine"]["redis_version"] is None
    assert report["baseline"] == "count_payments"
    assert set(report["count_payments"]) == {"rows", "best_ms", "median_ms"} and report["count_payments"]["rows"] > 0
    assert set(report["data"]) == {"generated", "generate_seconds", "summed_lot_days", "sum_seconds", "lots", "first", "last", "days",
                                   "stays", "payments"}
    assert (report["data"]["generated"], report["data"]["lots"], report["data"]["days"]) == (True, 2, 3)
    assert [row["report"] for row in report["reports"]] == REPORTS
    for row in report["reports"]:
        assert set(row) == {"report", "best_ms", "median_ms", "ratio", "statements", "plan", "under_aim", "counts_for_aim", "result"}, row["report"]
        assert positive(row["best_ms"]) and positive(row["ratio"]) and row["statements"] > 0, row["report"]
        assert row["plan"] and all(isinstance(scan, str) for scan in row["plan"]), row["report"]
    assert set(report["aim"]) == {"ms", "met"} and report["aim"]["ms"] == 1000.0
