"""``parking demo``: the whole system on embedded defaults, with simulated cameras and traffic.

One process tree: the web console, the camera ingress of the agent, the worker, one simulated VZ camera
per lane pushing real VZ JSON over HTTP, and a traffic generator driving them. Everything stops cleanly
after ``--seconds`` or on Ctrl-C, and a summary is printed from the journal that reached SQL.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, select

from drivers.errors import DriverError
from simulators.camera import CameraSimulator

from . import db as dbmod
from .agent.process import Agent
from .config import Settings
from .models import Lot, LotEvent
from .runtime import Runtime
from .seed import DemoVillage, publish_capacities, seed_demo
from .worker import Worker

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password"
PROVINCE_WEIGHTS = {"粤": 70, "湘": 8, "桂": 6, "赣": 5, "川": 4, "鄂": 4, "闽": 3}
SERIAL_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def random_plate(rng: random.Random) -> tuple[str, int, int]:
    """A plate of a real shape with its VZ colour and type code: mostly blue, some new-energy, few yellow."""
    province = rng.choices(list(PROVINCE_WEIGHTS), weights=list(PROVINCE_WEIGHTS.values()))[0]
    letter = rng.choice("ABCDEFGHJKLMNPQRS")
    roll = rng.random()
    if roll < 0.2:
        return f"{province}{letter}{rng.choice('DF')}{rng.choice(SERIAL_CHARS)}{rng.randrange(10000):04d}", 5, 19
    if roll < 0.27:
        return f"{province}{letter}{''.join(rng.choice(SERIAL_CHARS) for _ in range(5))}", 2, 3
    return f"{province}{letter}{''.join(rng.choice(SERIAL_CHARS) for _ in range(5))}", 1, 1


@dataclass
class Traffic:
    """Arrivals and departures at the demo lanes, one push at a time through the simulated cameras."""

    village: DemoVillage
    agent_url: str
    rng: random.Random
    cameras: dict[str, CameraSimulator] = field(default_factory=dict)
    inside: dict[int, list[str]] = field(default_factory=dict)
    pushes: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for lane in self.village.lanes:
            self.cameras[lane.code] = CameraSimulator(lane.camera_serial, self.agent_url)

    def step(self) -> None:
        lot_id = self.rng.choice([self.village.community_lot_id, self.village.office_lot_id])
        lanes = [l for l in self.village.lanes if l.lot_id == lot_id]
        inside = self.inside.setdefault(lot_id, [])
        leaving = inside and self.rng.random() < min(0.8, len(inside) / 30)
        if leaving:
            lane = self.rng.choice([l for l in lanes if l.direction == "exit"])
            plate = inside.pop(self.rng.randrange(len(inside)))
            response = self.cameras[lane.code].push_plate(plate)
            self.pushes["exit_open" if response.open_gate else "exit_held"] += 1
            if not response.open_gate:
                inside.append(plate)
            return
        lane = self.rng.choice([l for l in lanes if l.direction == "entry"])
        plate, color, kind = random_plate(self.rng)
        response = self.cameras[lane.code].push_plate(plate, color, kind, with_image=self.rng.random() < 0.1)
        self.pushes["entry_open" if response.open_gate else "entry_held"] += 1
        if response.open_gate:
            inside.append(plate)

    def close(self) -> None:
        for camera in self.cameras.values():
            camera.close()


def summary(runtime: Runtime, since: datetime) -> list[dict[str, object]]:
    """Per lot: vehicles in, out, refused (from the journal in SQL since ``since``) and present (live)."""
    rows = []
    with runtime.sessions() as db:
        counts = dict(
            ((lot, kind), n)
            for lot, kind, n in db.execute(
                select(LotEvent.lot_id, LotEvent.kind, func.count()).where(LotEvent.at >= since).group_by(LotEvent.lot_id, LotEvent.kind)
            )
        )
        for lot in db.scalars(select(Lot).order_by(Lot.id)):
            zones = runtime.store.occupancy(lot.id)
            rows.append({
                "lot": lot.name,
                "in": counts.get((lot.id, "entered"), 0),
                "out": counts.get((lot.id, "exited"), 0),
                "refused": counts.get((lot.id, "entry_refused"), 0) + counts.get((lot.id, "read_rejected"), 0),
                "present": sum(present for present, _ in zones.values()),
                "capacity": sum(capacity for _, capacity in zones.values()),
            })
    return rows


def run_demo(settings: Settings, *, traffic: bool, seconds: float | None, interval: float, seed: int,
             echo: Callable[[str], None] = print) -> list[dict[str, object]]:
    started = datetime.now(timezone.utc)
    settings = settings.ensure_instance()
    dbmod.upgrade(settings.database_url)
    runtime = Runtime.open(settings)
    stop = threading.Event()
    web_server = None
    agent = worker = None
    generator = None
    try:
        with dbmod.transaction(runtime.sessions) as db:
            village = seed_demo(db, now=started, password=DEMO_PASSWORD)
        with runtime.sessions() as db:
            publish_capacities(db, runtime.store)
        worker = Worker(runtime).start()
        agent = Agent(runtime, *settings.agent_bind).start()
        web_server = _start_web(runtime)
        host, port = web_server.server_address[:2]
        echo(f"控制台 Console:        http://{host}:{port}/")
        echo(f"相机推送 Camera ingress: {agent.url}/devicemanagement/php/plateresult.php")
        echo(f"登录 Log in:           admin / {DEMO_PASSWORD}  (also manager, attendant)")
        echo(f"Redis:                {runtime.redis_url}")
        echo(f"Database:             {settings.database_url}")
        if traffic:
            generator = Traffic(village, agent.url, random.Random(seed))
        deadline = None if seconds is None else _monotonic() + seconds
        while not stop.is_set():
            if deadline is not None and _monotonic() >= deadline:
                break
            if generator is not None:
                try:
                    generator.step()
                except DriverError as exc:
                    log.warning("simulated camera push failed: %s", exc)
            wait = interval if deadline is None else max(0.0, min(interval, deadline - _monotonic()))
            stop.wait(wait)
    except KeyboardInterrupt:
        echo("stopping…")
    finally:
        if generator is not None:
            generator.close()
        if web_server is not None:
            web_server.shutdown()
        if agent is not None:
            agent.stop()
        if worker is not None:
            worker.stop()
    try:
        return summary(runtime, started)
    finally:
        runtime.close()


def _monotonic() -> float:
    return time.monotonic()


def _start_web(runtime: Runtime):  # type: ignore[no-untyped-def]
    from werkzeug.serving import make_server

    from web import create_app

    app = create_app(runtime.settings, runtime=runtime)
    server = make_server(*runtime.settings.web_bind, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server
