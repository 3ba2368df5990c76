"""Payment notification received → the held car's gate opens at its next read, through the real provider,
ledger, SQL and Redis.

A temporary demo instance (SQLite migrated to head, the demo village seeded, capacities published, a
bundled redis-server unless --redis-url names one) and a WeChat Pay v3 platform simulator on loopback
(`simulators.wechatpay`, its own keys; the merchant's configuration written by its `generate_merchant`).
For each of N cars: it enters the community's east lane, three hours pass on the injected clock, its exit
read is held for the 10-yuan fee, the ledger places a Native order with the simulator (HTTP), and the
simulator's payer pays it; the notification the platform posts (signed headers, AES-256-GCM resource) is
caught by a loopback receiver. None of that is timed.

Timed, car by car: `WeChatPayProvider.parse_notification` (signature checked with the platform
certificate, resource decrypted), `ledger.confirm_notification` (the conditional UPDATE in SQL, the audit
row, the settlement in Redis through `pay.lua`, the lane asked to open), then the car's next exit read
through `lane_reads.handle_read`, which now lets it out: "notification received → gate open".

Baseline, in the same run: the same exit read of cars whose fee was paid in cash ahead (booked untimed),
so the ratio is what receiving and booking a notification adds to an exit.

    python benchmarks/payments.py [--n 200] [--redis-url URL] [--json]
"""

from __future__ import annotations

import argparse
import http.server
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from parking import db as dbmod
from parking.config import Settings
from parking.models import Operator
from parking.payments.wechat import WeChatPayProvider, load_wechatpay_config
from parking.plates import parse
from parking.runtime import Runtime
from parking.seed import seed_demo
from parking.services import ledger, shifts
from parking.services.capacities import publish_capacities
from parking.services.lane_reads import PlateRead, handle_read
from parking.services.lot_facts import refresh
from parking.services.site import load_lanes, load_lots
from simulators.wechatpay import WeChatPaySimulator
from simulators.wechatpay_keys import generate_merchant

from _report import add_json_option, machine, machine_text, print_json, public_url

PASSWORD = "bench-password-1"
START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ROUND = 10  # cars of each kind in the lot at once


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Receiver:
    """A loopback endpoint that keeps each notification exactly as the platform posted it."""

    def __init__(self) -> None:
        self.caught: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.arrived:
                    outer.caught.append(({k: v for k, v in self.headers.items()}, body))
                    outer.arrived.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/pay/notify/wechat"

    def wait(self, count: int, timeout: float = 10.0) -> None:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.caught) >= count, timeout):
                raise SystemExit(f"only {len(self.caught)} of {count} notifications arrived")


def percentiles(ns: list[int]) -> dict[str, float]:
    cuts = statistics.quantiles(ns, n=100, method="inclusive") if len(ns) > 1 else [ns[0]] * 99
    return {"p50_ms": round(cuts[49] / 1e6, 4), "p90_ms": round(cuts[89] / 1e6, 4), "p99_ms": round(cuts[98] / 1e6, 4),
            "max_ms": round(max(ns) / 1e6, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="cars paying by notification (and as many baseline cars), 2 to 5000")
    parser.add_argument("--redis-url", default=None, help="an empty Redis database to use instead of a bundled redis-server")
    add_json_option(parser)
    args = parser.parse_args()
    if not 2 <= args.n <= 5000:
        parser.error("--n must be 2 to 5000")
    with tempfile.TemporaryDirectory(prefix="parking-bench-") as folder:
        figures = run(Path(folder), args.n, args.redis_url)
    if args.json:
        facts = figures.pop("machine_facts")
        print_json("payments", {"n": args.n, "redis_url": public_url(args.redis_url)}, redis_version=facts["redis_version"],
                   baseline="exit", **figures)
        return
    table = Table(title=f"Payment notification → gate open at the next read ({args.n} cars)")
    for heading in ("", "calls", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(heading, justify="right" if heading else "left")
    for key, label in (("exit", "exit read of a car paid ahead (baseline)"), ("notification", "notification → gate open")):
        row = figures[key]
        table.add_row(label, str(row["calls"]), *(f"{row[k]:.3f}" for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")))
    console = Console()
    console.print(table)
    console.print(f"notification → open ÷ exit read: p50 {figures['ratio']['p50']:.2f}×, p99 {figures['ratio']['p99']:.2f}×; "
                  f"{machine_text(figures['machine_facts'])}")


def run(folder: Path, n: int, redis_url: str | None) -> dict:
    settings = Settings.from_env({"PARKING_INSTANCE_PATH": str(folder / "instance"), **({"PARKING_REDIS_URL": redis_url} if redis_url else {})}).ensure_instance()
    dbmod.upgrade(settings.database_url)
    runtime = Runtime.open(settings)
    clock = Clock(START)
    receiver = Receiver()
    simulator = WeChatPaySimulator(clock=clock)
    simulator.start()
    try:
        with dbmod.transaction(runtime.sessions) as db:
            village = seed_demo(db, now=START - timedelta(days=1), password=PASSWORD)
        with runtime.sessions() as db:
            publish_capacities(db, runtime.store)
            lots = load_lots(db, "Asia/Shanghai", START)
            lanes = {l.code: l for l in load_lanes(db, lots).values()}
            refresh(db, runtime.store, village.community_lot_id, lots[village.community_lot_id].policy, START)
            attendant = db.scalar(select(Operator.id).where(Operator.username == "attendant"))
            shift = shifts.open_shift(db, operator_id=attendant, lot_id=village.community_lot_id, at=START)
        provider = WeChatPayProvider(load_wechatpay_config(
            generate_merchant(folder / "wechat", notify_url=receiver.url, gateway=simulator.base_url)), clock=clock)
        lot = lots[village.community_lot_id]
        entry, exit_lane = lanes["east-in"], lanes["east-out"]
        reads = iter(range(1, 10**9))

        def read(lane, plate: str):  # type: ignore[no-untyped-def]
            return handle_read(runtime.store, lane, PlateRead(device=lane.camera_serial, license=plate, color="blue", confidence=96,
                                                             at=None, event_id=str(next(reads))), clock())

        timed: list[int] = []
        baseline: list[int] = []
        for first in range(0, n, ROUND):  # the community's temporary pool holds 25 cars: a round at a time
            size = min(ROUND, n - first)
            by_notification = [f"粤B{i:05d}" for i in range(first, first + size)]
            paid_ahead = [f"粤C{i:05d}" for i in range(first, first + size)]
            for plate in by_notification + paid_ahead:
                decision = read(entry, plate)
                assert decision.open_gate, decision
            clock.now += timedelta(hours=3)
            caught = len(receiver.caught)
            with runtime.sessions() as db:
                for plate in by_notification:
                    assert not read(exit_lane, plate).open_gate
                    order = ledger.place_order(db, runtime.store, provider, lot, parse(plate), at=clock(), lane_id=exit_lane.id)
                    simulator.pay(order.uid)
                receiver.wait(caught + size)
                drawer = db.merge(shift)
                for plate in paid_ahead:
                    ledger.take_cash(db, runtime.store, lot, parse(plate), given_fen=1000, shift=drawer, at=clock(), open_lane=False)
            with runtime.sessions() as db:
                for (headers, body), ahead in zip(receiver.caught[caught:], paid_ahead):
                    started = time.perf_counter_ns()
                    notification = provider.parse_notification(headers, body, clock())
                    confirmed = ledger.confirm_notification(db, runtime.store, provider, notification, clock())
                    decision = read(exit_lane, confirmed.payment.plate)
                    timed.append(time.perf_counter_ns() - started)
                    assert confirmed.outcome == "paid" and decision.open_gate, (confirmed, decision)
                    started = time.perf_counter_ns()
                    decision = read(exit_lane, ahead)
                    baseline.append(time.perf_counter_ns() - started)
                    assert decision.open_gate, decision
            clock.now += timedelta(minutes=10)
        redis_version = str(runtime.redis.info("server").get("redis_version"))
    finally:
        simulator.stop()
        receiver.server.shutdown()
        runtime.close()
    exit_row, note_row = {"calls": len(baseline), **percentiles(baseline)}, {"calls": len(timed), **percentiles(timed)}
    return {
        "exit": exit_row, "notification": note_row,
        "ratio": {"p50": round(note_row["p50_ms"] / exit_row["p50_ms"], 3), "p99": round(note_row["p99_ms"] / exit_row["p99_ms"], 3)},
        "machine_facts": machine(redis_version),
    }


if __name__ == "__main__":
    main()
