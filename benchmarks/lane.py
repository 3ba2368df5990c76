"""Plate push received → gate command written to the wire, through the real agent, core and Redis.

A full instance is set up the way `parking demo` does it (a temporary instance folder, SQLite migrated
to head, the demo village seeded, capacities published, a bundled redis-server) and a real
`parking.agent.process.Agent` serves the VZ push path on its `PushIngress`. Simulated cameras, one
keep-alive HTTP connection per lane, post real VZ plate-result JSON (`drivers.vz.push.encode_plate_result`
of `simulators.camera.CameraSimulator.make_result`) to the push URL the agent gives each camera (with
its key, `Agent.camera_urls`); the answer carries the gate command (`"info":"ok"`) and the LED/voice
frames, so the time from the request's first byte written to the answer's last byte read is an upper
bound of "push received → gate command on the wire". Bodies are encoded before the
timer starts and answers decoded (and checked: HTTP 200, LED frames present) after it stops.

Reads alternate between an entry and an exit of distinct plates (粤B + five characters) on the outer
lanes of both demo lots (east-in, north-in → east-out; gate-in → gate-out); the inner gate of the
community lot is for pass holders and is not driven. Four cars wait inside each lot, so every exit
finds its session. The agent's clock is injected and moves 2 s per read from 10:00 on the seeding day,
so stays last about half a minute and every exit falls inside both tariffs' free period: gates open.

Baseline, measured in the same run and interleaved read by read: right after each lane push the same
body is posted to `/bench/echo` (with the same key), a route added to the SAME `PushIngress` that
answers a fixed VZ "no" without touching Redis, on a connection of its own that is reused exactly as
the lane's is. The difference is what decoding, deciding (Redis round trips and Lua) and encoding the
answer cost. The time spent inside the agent's plate-result handler is shown too.

A lane sees one car at a time, so a connection is reused only after it has been idle for --idle-ms
(100 ms; the wait is not timed). The last row is echoes on one connection reused the moment the
previous answer is read: the server writes an answer's headers and body in two sends, so without
TCP_NODELAY on its sockets the body would wait for the client's delayed ACK (about 40 ms on Linux).
`drivers.http_ingress` sets TCP_NODELAY, and this row shows that it holds. No worker runs (in
production it is another process), and log records below WARNING are not emitted.

    python benchmarks/lane.py [--n 2000] [--warmup 200] [--idle-ms 100] [--burst 50] [--redis-url URL] [--json]

Without --redis-url a bundled redis-server is started in the temporary instance folder. With one,
its database must be empty (the demo lots get ids 1 and 2); the lots' keys are deleted at the end.
With --json it prints one JSON object instead of the table (keys in benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import http.client
import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import redis
from rich.console import Console
from rich.table import Table

from drivers.http_ingress import JSON_UTF8, PushReply, PushRequest
from drivers.vz import push as vz
from parking import db as dbmod
from parking.agent.process import Agent
from parking.config import Settings
from parking.occupancy import LotKeys
from parking.runtime import Runtime
from parking.seed import DemoLane, DemoVillage, seed_demo
from parking.services.capacities import publish_capacities
from simulators.camera import CameraSimulator

from _report import add_json_option, machine, machine_text, print_json, public_url

PASSWORD = "bench-password-1"
ECHO_PATH = "/bench/echo"
ECHO_BODY = vz.encode_response(vz.VzResponse(open_gate=False))
ENTRY_LANES = {"hx-community": ("east-in", "north-in"), "kj-office": ("gate-in",)}
EXIT_LANES = {"hx-community": "east-out", "kj-office": "gate-out"}
INSIDE = 4  # cars waiting inside each lot
STEP = timedelta(seconds=2)  # of the agent's clock per read
START_LOCAL = (10, 0)  # the agent's clock starts at this local time of the seeding day
SERIAL_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
AIM_P99_MS = 50.0


class SteppedClock:
    """The agent's clock: a fixed time that the driver moves forward between reads."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, step: timedelta) -> None:
        self.now += step


@dataclass
class Timings:
    """Latencies in nanoseconds of one kind of request."""

    latencies: list[int] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def merged(self, other: Timings) -> Timings:
        return Timings(self.latencies + other.latencies, self.outcomes + other.outcomes)

    def ms(self, p: int) -> float:
        """The p-th percentile in milliseconds (p=100: the maximum)."""
        if p == 100:
            return max(self.latencies) / 1e6
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] / 1e6

    def summary(self, echo: Timings) -> dict:
        """The figures of the table's row, for --json; the ratios are to the echo baseline `echo`."""
        return {
            "requests": len(self.latencies),
            **{f"p{p}_ms": round(self.ms(p), 4) for p in (50, 90, 99)},
            "max_ms": round(self.ms(100), 4),
            "ratio": {"p50": round(self.ms(50) / echo.ms(50), 3), "p99": round(self.ms(99) / echo.ms(99), 3)},
        }


class Connection:
    """One keep-alive HTTP/1.1 connection, posting pre-encoded bodies and timing the round trip.

    A request waits (untimed) until the connection has been idle for `idle` seconds, as a lane camera
    that sees one car at a time would; `idle=0` reuses it at once.
    """

    def __init__(self, url: str, idle: float) -> None:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=10)
        self.idle = idle
        self.done = float("-inf")

    def post(self, path: str, body: bytes) -> tuple[int, int, bytes]:
        """(nanoseconds from the request's first byte written to the answer's last byte read, status, answer)."""
        headers = {"Content-Type": "application/json"}
        wait = self.done + self.idle - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        started = time.perf_counter_ns()
        self.conn.request("POST", path, body=body, headers=headers)
        reply = self.conn.getresponse()
        answer = reply.read()
        elapsed = time.perf_counter_ns() - started
        self.done = time.perf_counter()
        return elapsed, reply.status, answer

    def close(self) -> None:
        self.conn.close()


class Driver:
    """Entries and exits of distinct plates over the demo lanes, each followed by one baseline echo."""

    def __init__(self, village: DemoVillage, lot_codes: dict[int, str], url: str, clock: SteppedClock, seed: int,
                 idle: float, queries: dict[str, str]) -> None:
        self.clock = clock
        self.rng = random.Random(seed)
        self.used: set[str] = set()
        by_code = {lane.code: lane for lane in village.lanes}
        self.lots = sorted(lot_codes)
        self.entry_lanes = {lot: [by_code[c] for c in ENTRY_LANES[lot_codes[lot]]] for lot in self.lots}
        self.exit_lane = {lot: by_code[EXIT_LANES[lot_codes[lot]]] for lot in self.lots}
        lanes = [lane for lot in self.lots for lane in (*self.entry_lanes[lot], self.exit_lane[lot])]
        self.cameras = {lane.code: CameraSimulator(lane.camera_serial, url, clock=clock) for lane in lanes}
        self.connections = {lane.code: Connection(url, idle) for lane in lanes}
        self.echoes = {lane.code: Connection(url, idle) for lane in lanes}  # the same reuse pattern as the lane's
        self.queries = queries  # each camera's push query (its key), on the lane's pushes and its echoes alike
        self.inside: dict[int, list[str]] = {lot: [] for lot in self.lots}
        self.pairs = 0

    def plate(self) -> str:
        while True:
            plate = "粤B" + "".join(self.rng.choice(SERIAL_CHARS) for _ in range(5))
            if plate not in self.used:
                self.used.add(plate)
                return plate

    def read(self, lane: DemoLane, plate: str, timings: Timings | None, echo: Timings | None) -> vz.VzResponse:
        self.clock.advance(STEP)
        body = vz.encode_plate_result(self.cameras[lane.code].make_result(plate))
        query = self.queries[lane.code]
        elapsed, status, answer = self.connections[lane.code].post(vz.PLATE_RESULT_PATH + query, body)
        if status != 200:
            raise SystemExit(f"lane {lane.code}: {plate} answered HTTP {status}: {answer[:200]!r}")
        response = vz.decode_response(answer)
        if not response.serial_data:
            raise SystemExit(f"lane {lane.code}: {plate} answered without LED frames: {answer[:200]!r}")
        echo_elapsed, echo_status, echo_answer = self.echoes[lane.code].post(ECHO_PATH + query, body)
        if echo_status != 200 or echo_answer != ECHO_BODY:
            raise SystemExit(f"{ECHO_PATH} answered HTTP {echo_status}: {echo_answer[:200]!r}")
        if timings is not None and echo is not None:
            timings.latencies.append(elapsed)
            timings.outcomes["gate opened" if response.open_gate else "gate held"] += 1
            echo.latencies.append(echo_elapsed)
        return response

    def enter(self, lot: int, timings: Timings | None = None, echo: Timings | None = None) -> None:
        lanes = self.entry_lanes[lot]
        lane = lanes[self.pairs % len(lanes)]
        plate = self.plate()
        if self.read(lane, plate, timings, echo).open_gate:
            self.inside[lot].append(plate)

    def leave(self, lot: int, timings: Timings | None = None, echo: Timings | None = None) -> None:
        if not self.inside[lot]:
            raise SystemExit(f"lot {lot}: no car inside to leave; entries were refused (see the log above)")
        plate = self.inside[lot].pop(0)
        if not self.read(self.exit_lane[lot], plate, timings, echo).open_gate:
            self.inside[lot].append(plate)  # held: it tries again later

    def fill(self) -> None:
        for lot in self.lots:
            for _ in range(INSIDE):
                self.enter(lot)
            if len(self.inside[lot]) < INSIDE:
                raise SystemExit(f"lot {lot}: {INSIDE - len(self.inside[lot])} of {INSIDE} entries were refused")

    def run(self, reads: int, entries: Timings | None = None, exits: Timings | None = None,
            echo: Timings | None = None) -> None:
        """`reads` reads, alternating an entry and an exit (of the oldest car) at one lot, then the other."""
        for n in range(reads):
            lot = self.lots[self.pairs % len(self.lots)]
            if n % 2 == 0:
                self.enter(lot, entries, echo)
            else:
                self.leave(lot, exits, echo)
                self.pairs += 1

    def close(self) -> None:
        for conn in (*self.connections.values(), *self.echoes.values()):
            conn.close()


def reused_at_once(url: str, query: str, body: bytes, requests: int) -> Timings:
    """The echo on one connection reused as soon as its answer is read: what the server does to a
    client that sends again within a few milliseconds (an offline replay, a burst of pushes)."""
    conn, timings = Connection(url, idle=0.0), Timings()
    try:
        for _ in range(requests):
            elapsed, status, answer = conn.post(ECHO_PATH + query, body)
            if status != 200 or answer != ECHO_BODY:
                raise SystemExit(f"{ECHO_PATH} answered HTTP {status}: {answer[:200]!r}")
            timings.latencies.append(elapsed)
    finally:
        conn.close()
    return timings


def timed_handler(handler, timings: Timings):  # type: ignore[no-untyped-def]
    """The agent's own handler, with the time spent inside it recorded (decode, decide, encode)."""

    def timed(request: PushRequest) -> PushReply:
        started = time.perf_counter_ns()
        try:
            return handler(request)
        finally:
            timings.latencies.append(time.perf_counter_ns() - started)

    return timed


def push_query(agent: Agent, lane: DemoLane) -> str:
    """The query of the push URL to enter on the lane's camera (``?key=…``), as the agent gives it."""
    push_url = agent.camera_urls(lane.camera_serial).get("push_url", "")
    query = urlsplit(push_url).query
    return f"?{query}" if query else ""


def echo_handler(request: PushRequest) -> PushReply:
    return PushReply(200, JSON_UTF8, ECHO_BODY)


def lot_codes(runtime: Runtime, village: DemoVillage) -> dict[int, str]:
    from parking.models import Lot

    with runtime.sessions() as db:
        return {lot_id: db.get(Lot, lot_id).code for lot_id in (village.community_lot_id, village.office_lot_id)}


def clear_lots(client: redis.Redis, lot_ids: list[int]) -> None:
    for lot_id in lot_ids:
        keys = list(client.scan_iter(match=f"{LotKeys(lot_id).tag}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start:start + 500])


def run(folder: Path, redis_url: str | None, n: int, warmup: int, seed: int, idle: float, burst: int,
        as_json: bool = False) -> None:
    if redis_url:
        client = redis.Redis.from_url(redis_url)
        try:
            if client.dbsize():
                raise SystemExit(f"{redis_url}: the database holds {client.dbsize()} keys; the benchmark needs an empty one")
        finally:
            client.close()
    settings = Settings(instance_path=folder, database_url=f"sqlite:///{folder / 'parking.sqlite'}",
                        redis_url=redis_url, agent_bind=("127.0.0.1", 0)).ensure_instance()
    dbmod.upgrade(settings.database_url)
    runtime = Runtime.open(settings)
    agent = driver = None
    lot_ids: list[int] = []
    try:
        seeded = datetime.now(UTC)
        with dbmod.transaction(runtime.sessions) as db:
            village = seed_demo(db, now=seeded, password=PASSWORD)
        with runtime.sessions() as db:
            publish_capacities(db, runtime.store)
        codes = lot_codes(runtime, village)
        lot_ids = sorted(codes)
        local = seeded.astimezone(ZoneInfo(settings.timezone))
        clock = SteppedClock(local.replace(hour=START_LOCAL[0], minute=START_LOCAL[1], second=0, microsecond=0))
        agent = Agent(runtime, "127.0.0.1", 0, clock=clock)
        handler_times = Timings()
        agent.ingress.routes[vz.PLATE_RESULT_PATH] = timed_handler(agent.ingress.routes[vz.PLATE_RESULT_PATH], handler_times)
        agent.ingress.routes[ECHO_PATH] = echo_handler
        agent.start()
        queries = {lane.code: push_query(agent, lane) for lane in village.lanes}
        driver = Driver(village, codes, agent.url, clock, seed, idle, queries)
        driver.fill()
        driver.run(warmup)
        handler_times.latencies.clear()
        entries, exits, echo = Timings(), Timings(), Timings()
        began = time.perf_counter()
        driver.run(n, entries, exits, echo)
        wall = time.perf_counter() - began
        sample = vz.encode_plate_result(driver.cameras["east-in"].make_result("粤B00000"))
        burst_echo = reused_at_once(agent.url, queries["east-in"], sample, burst) if burst else None
        redis_version = runtime.redis.info("server")["redis_version"]
        url = runtime.redis_url
    finally:
        if driver is not None:
            driver.close()
        if agent is not None:
            agent.stop()
        if redis_url and lot_ids:
            clear_lots(runtime.redis, lot_ids)
        runtime.close()
    if as_json:
        both = entries.merged(exits)
        print_json("lane", {"n": n, "warmup": warmup, "idle_ms": idle * 1000, "burst": burst, "seed": seed,
                            "redis_url": public_url(redis_url)},
                   redis_version=redis_version, wall_s=round(wall, 3), baseline="echo", echo=echo.summary(echo),
                   entries={**entries.summary(echo), "outcomes": dict(sorted(entries.outcomes.items()))},
                   exits={**exits.summary(echo), "outcomes": dict(sorted(exits.outcomes.items()))},
                   all=both.summary(echo), handler=handler_times.summary(echo),
                   echo_reused_at_once=burst_echo.summary(echo) if burst_echo is not None else None,
                   aim={"p99_ms": AIM_P99_MS, "met": both.ms(99) < AIM_P99_MS})
        return
    report(n, warmup, idle, wall, url, redis_version, echo, entries, exits, handler_times, burst_echo)


def report(n: int, warmup: int, idle: float, wall: float, url: str, redis_version: str, echo: Timings,
           entries: Timings, exits: Timings, handler: Timings, burst_echo: Timings | None) -> None:
    both = entries.merged(exits)
    table = Table(title="Plate push → gate command on the wire, vs the bare HTTP round trip of the same server",
                  caption=f"redis {redis_version} at {url}")
    table.add_column("")
    for heading in ("requests", "p50 ms", "p90 ms", "p99 ms", "max ms", "p50 ÷ echo", "p99 ÷ echo"):
        table.add_column(heading, justify="right")
    base50, base99 = echo.ms(50), echo.ms(99)
    rows = [("echo (baseline)", echo), ("lane: entries", entries), ("lane: exits", exits),
            ("lane: all", both), ("  inside the handler", handler)]
    if burst_echo is not None:
        rows.append(("echo, reused at once", burst_echo))
    for label, t in rows:
        table.add_row(label, f"{len(t.latencies):,}", *(f"{t.ms(p):.3f}" for p in (50, 90, 99, 100)),
                      f"{t.ms(50) / base50:.1f}×", f"{t.ms(99) / base99:.1f}×")
    console = Console(width=max(100, Console().width))
    console.print(table)
    console.print(f"{n:,} reads after {warmup:,} warm-up reads, each followed by one echo, in {wall:.1f} s; "
                  f"every connection idle at least {idle * 1000:.0f} ms before it is reused; "
                  f"{machine_text(machine(redis_version))}")
    for label, t in (("entries", entries), ("exits", exits)):
        console.print(f"{label}: " + ", ".join(f"{k} × {v}" for k, v in sorted(t.outcomes.items())))
    p99 = both.ms(99)
    console.print(f"lane push p99 {p99:.3f} ms, aim under {AIM_P99_MS:.0f} ms: {'met' if p99 < AIM_P99_MS else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="timed plate reads, entries and exits alternating")
    parser.add_argument("--warmup", type=int, default=200, help="untimed reads first")
    parser.add_argument("--redis-url", help="a Redis server with an empty database, instead of a bundled one")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the plate generator")
    parser.add_argument("--idle-ms", type=float, default=100.0,
                        help="least time a connection stays idle before its next request (a lane sees one car at a time)")
    parser.add_argument("--burst", type=int, default=50,
                        help="echoes on one connection reused at once, shown last (0: skip)")
    add_json_option(parser)
    args = parser.parse_args()
    if not 4 <= args.n <= 200_000:
        parser.error(f"--n {args.n}: expected 4 to 200000 reads (a percentile needs two entries and two exits)")
    if not 0 <= args.warmup <= 100_000:
        parser.error(f"--warmup {args.warmup}: expected 0 to 100000 reads")
    if not 0 <= args.idle_ms <= 10_000:
        parser.error(f"--idle-ms {args.idle_ms}: expected 0 to 10000")
    if not (args.burst == 0 or 2 <= args.burst <= 10_000):
        parser.error(f"--burst {args.burst}: expected 0, or 2 to 10000")
    with tempfile.TemporaryDirectory(prefix="parking-bench-lane-") as folder:
        run(Path(folder), args.redis_url, args.n, args.warmup, args.seed, args.idle_ms / 1000, args.burst, args.json)


if __name__ == "__main__":
    main()
