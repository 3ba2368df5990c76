"""What the benchmark scripts share: `--json`, the facts of the machine a run was made on, and the one
JSON object a script prints with `--json`, so that runs can be compared without parsing tables.

    parser = argparse.ArgumentParser(...)
    add_json_option(parser)
    ...
    if args.json:
        print_json("tariffs", {"seconds": args.seconds}, stays=[...])

Every object has `benchmark` (the script's name), `measured_at` (UTC, ISO 8601), `parameters` (the
options of the run), `machine` (see `machine`) and the script's own figures (`benchmarks/README.md`).
Latencies are milliseconds (keys ending in `_ms`), rates are per second (`per_s`), money is fen.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["add_json_option", "machine", "machine_text", "print_json", "public_url"]


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with every figure (and the machine) instead of tables")


def machine(redis_version: str | None = None) -> dict[str, Any]:
    """The machine and software a run was made on. `redis_version` is None for a run without Redis."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "system": platform.system(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "redis_version": redis_version,
    }


def machine_text(facts: dict[str, Any]) -> str:
    """`facts` of `machine()` as the scripts print them under a table."""
    return f"Python {facts['python']} on {facts['system']} {facts['machine']}, {facts['cpu_count']} CPUs"


def public_url(url: str | None) -> str | None:
    """`url` with its password, if any, replaced by `***` (a JSON report may be kept and shared)."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port is not None else "")
    return urlunsplit(parts._replace(netloc=netloc))


def print_json(benchmark: str, parameters: dict[str, Any], *, redis_version: str | None = None,
               **figures: Any) -> None:
    """Print the one JSON object of a run, on one line of stdout."""
    report = {
        "benchmark": benchmark,
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "parameters": parameters,
        "machine": machine(redis_version),
        **figures,
    }
    sys.stdout.write(json.dumps(report, allow_nan=False) + "\n")
    sys.stdout.flush()
