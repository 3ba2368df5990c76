"""Lane decisions per second through the whole decision path, against a trivial EVALSHA on the same server.

A steady stream of cars passes one entry and one exit lane of a lot with a temporary and a pass pool:
each read goes through `parking.services.lane_reads.handle_read` (plate parse, one read of the plate's
facts, the pure entry or exit decision with a tariff quote, one Lua script), and its latency is taken
from the call to the decision. Fifty cars are inside at any moment; one car in ten holds a monthly pass,
one temporary car in five has paid at the kiosk before it leaves (the payment is not timed), the rest
stay inside the tariff's free period. In the same run, `return 1` called by EVALSHA as often gives the
server's floor. Round trips are counted on the client's connection (one write of a command or a
pipeline, then its replies); commands are the replies read.

    python benchmarks/occupancy.py [--redis-url URL] [--n N] [--json]

Without --redis-url a bundled redis-server is started in a temporary folder. With one, the benchmark
uses only the keys of lot 990001 and deletes them before and after. With --json it prints one JSON
object instead of the table (keys in benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import redis
from redis.connection import AbstractConnection
from rich.console import Console
from rich.table import Table

from parking.embedded_redis import EmbeddedRedis
from parking.occupancy import LotKeys, OccupancyStore
from parking.passes import PassFact
from parking.policy import LotPolicy
from parking.services.lane_reads import PlateRead, handle_read
from parking.context import LaneRef, LotContext
from parking.tariffs.examples import load_example

from _report import add_json_option, print_json, public_url

LOT, ZONE, ENTRY_LANE, EXIT_LANE = 990_001, 990_011, 990_021, 990_022
CAPACITY, POOLS = 300, {"temporary": 200, "pass": 100}
INSIDE = 50  # cars parked at any moment
STEP = timedelta(seconds=30)  # between one read and the next: every stay lasts INSIDE * STEP = 25 minutes
TARIFF = "13-old-community-visitor"  # free for the first stretch, so most exits owe nothing
START = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)
AIM = {"round_trips": 2, "p99_ms": 5.0}  # a decision: at most 2 round trips, p99 under 5 ms
T = TypeVar("T")


class RoundTrips:
    """Counts writes (one per command or pipeline sent) and replies on every Redis connection."""

    def __init__(self) -> None:
        self.writes = 0
        self.replies = 0

    @contextmanager
    def installed(self) -> Iterator["RoundTrips"]:
        send, read = AbstractConnection.send_packed_command, AbstractConnection.read_response

        def counting_send(conn, command, check_health=True):  # type: ignore[no-untyped-def]
            self.writes += 1
            return send(conn, command, check_health)

        def counting_read(conn, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.replies += 1
            return read(conn, *args, **kwargs)

        AbstractConnection.send_packed_command, AbstractConnection.read_response = counting_send, counting_read
        try:
            yield self
        finally:
            AbstractConnection.send_packed_command, AbstractConnection.read_response = send, read


@dataclass
class Timings:
    """Latencies in nanoseconds and round trips of one kind of call."""

    latencies: list[int] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def time(self, counter: RoundTrips, call: Callable[[], T]) -> T:
        writes, replies = counter.writes, counter.replies
        started = time.perf_counter_ns()
        result = call()
        self.latencies.append(time.perf_counter_ns() - started)
        self.writes.append(counter.writes - writes)
        self.replies.append(counter.replies - replies)
        return result

    def merged(self, other: "Timings") -> "Timings":
        return Timings(self.latencies + other.latencies, self.writes + other.writes, self.replies + other.replies,
                       self.outcomes + other.outcomes)

    @property
    def rate(self) -> float:
        return len(self.latencies) / (sum(self.latencies) / 1e9)

    def percentile(self, p: int) -> float:
        """The p-th percentile latency in milliseconds."""
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] / 1e6

    def summary(self) -> dict:
        """The figures of the table's row (and p90 and max), for --json."""
        return {
            "calls": len(self.latencies), "per_s": round(self.rate, 1),
            **{f"p{p}_ms": round(self.percentile(p), 4) for p in (50, 90, 99)},
            "max_ms": round(max(self.latencies) / 1e6, 4),
            "round_trips": _spread_figures(self.writes), "commands": _spread_figures(self.replies),
        }


def lanes(tariff_name: str) -> tuple[LaneRef, LaneRef]:
    lot = LotContext(id=LOT, name="benchmark lot", tz=ZoneInfo("Asia/Shanghai"), policy=LotPolicy(),
                     tariff=load_example(tariff_name), parents={ZONE: None})
    entry = LaneRef(ENTRY_LANE, "bench-in", "入口", LOT, ZONE, "entry", "BENCH-IN", lot)
    exit_ = LaneRef(EXIT_LANE, "bench-out", "出口", LOT, ZONE, "exit", "BENCH-OUT", lot)
    return entry, exit_


def prepare(client: redis.Redis, store: OccupancyStore, *fleets: list[str]) -> None:
    """Capacities of the zone and its pools, and a monthly pass for the first plate of every ten."""
    clear(client)
    store.set_capacities(LOT, {ZONE: CAPACITY}, {(ZONE, pool): spaces for pool, spaces in POOLS.items()}, now=START)
    holders = [plate for fleet in fleets for plate in fleet[::10]]
    client.hset(LotKeys(LOT).passes, mapping={
        plate: json.dumps([PassFact(id=n, kind="monthly", holder=plate, spaces=1, valid_from=START - timedelta(days=10),
                                    valid_until=START + timedelta(days=20)).to_json()])
        for n, plate in enumerate(holders, start=1)
    })


def clear(client: redis.Redis) -> None:
    keys = list(client.scan_iter(match=f"{LotKeys(LOT).tag}:*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start:start + 500])


def drive(store: OccupancyStore, counter: RoundTrips, plates: list[str], prefix: str, first: datetime) -> tuple[Timings, Timings]:
    """Every plate enters once and leaves INSIDE reads later; returns (entry, exit) timings."""
    entry_lane, exit_lane = lanes(TARIFF)
    entries, exits = Timings(), Timings()
    for step in range(len(plates) + INSIDE):
        now = first + step * STEP
        if step < len(plates):
            read = PlateRead(entry_lane.camera_serial, plates[step], "unknown", 96, None, f"{prefix}{step}")
            decision = entries.time(counter, lambda: handle_read(store, entry_lane, read, now))
            entries.outcomes[f"{decision.outcome} {decision.detail.get('class')}"] += 1
        if step >= INSIDE:
            n = step - INSIDE
            if n % 5 == 1:  # a temporary car (pass holders are n % 10 == 0) that paid at the kiosk a minute ago
                store.pay(LOT, plates[n], 500, now - timedelta(minutes=1), method="qr")
            read = PlateRead(exit_lane.camera_serial, plates[n], "unknown", 96, None, f"{prefix}{step}")
            decision = exits.time(counter, lambda: handle_read(store, exit_lane, read, now))
            exits.outcomes[f"{decision.outcome} {decision.detail.get('reason')}"] += 1
    return entries, exits


def baseline(client: redis.Redis, counter: RoundTrips, calls: int) -> Timings:
    trivial = client.register_script("return 1")
    trivial()  # loads it, so every timed call is an EVALSHA that hits
    timings = Timings()
    for _ in range(calls):
        timings.time(counter, trivial)
    timings.outcomes["1"] = calls
    return timings


def run(url: str, n: int, *, as_json: bool = False, given_url: str | None = None) -> None:
    client = redis.Redis.from_url(url)
    store = OccupancyStore(client, dedupe_seconds=10)
    warm = [f"粤C{i:05d}" for i in range(min(n, 500))]
    plates = [f"粤B{i:05d}" for i in range(n)]
    counter = RoundTrips()
    try:
        with counter.installed():
            prepare(client, store, warm, plates)
            drive(store, counter, warm, "warm-", START - timedelta(days=1))  # scripts loaded, tariff and parser warm
            base = baseline(client, counter, 2 * n)
            entries, exits = drive(store, counter, plates, "read-", START)
            both = entries.merged(exits)
            server = client.info("server")
    finally:
        clear(client)
        client.close()
    if as_json:
        print_json("occupancy", {"n": n, "redis_url": public_url(given_url)}, redis_version=server["redis_version"],
                   cars=n, inside=INSIDE, baseline="evalsha", evalsha=base.summary(),
                   entry={**entries.summary(), "outcomes": dict(sorted(entries.outcomes.items()))},
                   exit={**exits.summary(), "outcomes": dict(sorted(exits.outcomes.items()))},
                   both=both.summary(), ratio=_ratio(both, base), aim=AIM)
        return
    report(url, n, server, base, entries, exits, both)


def _ratio(both: Timings, base: Timings) -> dict:
    """Admit + release ÷ the EVALSHA baseline."""
    return {"rate": round(both.rate / base.rate, 4), "p50": round(both.percentile(50) / base.percentile(50), 3),
            "p99": round(both.percentile(99) / base.percentile(99), 3)}


def report(url: str, n: int, server: dict, base: Timings, entries: Timings, exits: Timings, both: Timings) -> None:
    table = Table(title=f"Lane decisions vs a trivial EVALSHA (redis {server['redis_version']})", caption=url)
    for heading in ("", "calls", "per s", "p50 ms", "p99 ms", "round trips", "commands"):
        table.add_column(heading, justify="right")
    rows = (("EVALSHA return 1", base), ("entry decision", entries), ("exit decision", exits), ("admit + release", both))
    for label, t in rows:
        table.add_row(label, f"{len(t.latencies):,}", f"{t.rate:,.0f}", f"{t.percentile(50):.3f}", f"{t.percentile(99):.3f}",
                      _spread(t.writes), _spread(t.replies))
    console = Console()
    console.print(table)
    console.print(f"{n:,} cars, {INSIDE} inside at a time; round trips and commands are per call")
    for label, t in rows[1:3]:
        console.print(f"{label} outcomes: " + ", ".join(f"{k} × {v}" for k, v in sorted(t.outcomes.items())))
    console.print(
        f"admit + release ÷ EVALSHA: rate {both.rate / base.rate:.3f}, p50 {both.percentile(50) / base.percentile(50):.1f}×, "
        f"p99 {both.percentile(99) / base.percentile(99):.1f}×  "
        f"(aim: at most {AIM['round_trips']} round trips and p99 under {AIM['p99_ms']:.0f} ms a decision)"
    )


def _spread(values: list[int]) -> str:
    low, high, mean = min(values), max(values), statistics.fmean(values)
    return f"{mean:.2f}" if low == high else f"{mean:.2f} ({low}–{high})"


def _spread_figures(values: list[int]) -> dict:
    return {"mean": round(statistics.fmean(values), 4), "min": min(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", help="a Redis server to use instead of a bundled one (only lot 990001's keys are touched)")
    parser.add_argument("--n", type=int, default=5000,
                        help="cars, each read once at the entry and once at the exit (2 to 100000)")
    add_json_option(parser)
    args = parser.parse_args()
    if not 2 <= args.n <= 100_000:
        parser.error(f"--n {args.n}: expected 2 to 100000 cars (plates are numbered with five digits; "
                     "a percentile needs two reads)")
    if args.redis_url:
        run(args.redis_url, args.n, as_json=args.json, given_url=args.redis_url)
        return
    with tempfile.TemporaryDirectory(prefix="parking-bench-") as folder, EmbeddedRedis(Path(folder), persistent=False) as server:
        run(server.url, args.n, as_json=args.json)


if __name__ == "__main__":
    main()
