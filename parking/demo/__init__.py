"""``parking demo``: the whole system on embedded defaults, with simulated cameras and traffic.

One process tree: the web console, the camera ingress of the agent, the worker, one simulated VZ camera
per lane pushing real VZ JSON over HTTP, and a traffic generator driving them. Everything stops cleanly
after ``--seconds`` or on Ctrl-C, and a summary is printed from the journal that reached SQL.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drivers.errors import DriverError
from simulators.lanes import LaneTraffic, SimLane

from . import db as dbmod
from .agent.process import Agent
from .config import Settings
from .models import ListEntry, Lot, LotEvent, PassPlate
from .private import protect_instance, protect_sqlite
from .runtime import Runtime
from .seed import seed_demo
from .services.capacities import publish_capacities
from .agent.ingress import camera_urls
from .services.site import load_lanes, load_lots
from .worker import Worker

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password"
def street_lanes(db: Session, default_tz: str, now: datetime, agent_url: str = "", secret: bytes = b"") -> tuple[SimLane, ...]:
    """The lanes of the instance with a camera, leaving out the inner gates of lots-in-lots; with the
    agent's URL and the instance secret, each with its camera's own push URL (and key)."""
    lanes = load_lanes(db, load_lots(db, default_tz, now))
    return tuple(SimLane(l.code, l.lot_id, l.direction, l.camera_serial,
                         camera_urls(l, agent_url, secret).get("push_url", "") if agent_url else "")
                 for l in lanes.values() if l.parent_zone_id is None)


def known_plates(db: Session) -> tuple[str, ...]:
    """Plates of passes and lists, so that simulated traffic also shows those decisions."""
    plates = set(db.scalars(select(PassPlate.plate))) | set(db.scalars(select(ListEntry.plate)))
    return tuple(sorted(plates))


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
    protect_instance(settings.instance_path)
    protect_sqlite(settings.database_url)  # created 0600 before the migrations write it
    dbmod.upgrade(settings.database_url)
    runtime = Runtime.open(settings)  # owns the bundled redis-server, or attaches to the one running
    stop = threading.Event()
    web_server = None
    agent = worker = None
    generator = None
    try:
        with dbmod.transaction(runtime.sessions) as db:
            seed_demo(db, now=started, password=DEMO_PASSWORD)
        with runtime.sessions() as db:
            publish_capacities(db, runtime.store)
        worker = Worker(runtime).start()
        agent = Agent(runtime, *settings.agent_bind).start()
        web_server = _start_web(runtime)
        host, port = web_server.server_address[:2]
        echo(f"控制台 Console:        http://{host}:{port}/")
        echo(f"相机推送 Camera ingress: {agent.url}/devicemanagement/php/plateresult.php?key=… (each camera's URL: parking lanes --json)")
        echo(f"登录 Log in:           admin / {DEMO_PASSWORD}  (also manager, attendant)")
        echo(f"Redis:                {runtime.describe_redis()}")
        echo(f"Database:             {settings.database_url}")
        if traffic:
            with runtime.sessions() as db:
                generator = LaneTraffic(street_lanes(db, settings.timezone, started, agent.url, runtime.settings.secret_key.encode()),
                                        agent.url, seed, known_plates(db))
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
        runtime.close()  # stops the bundled redis-server only if this demo started it


def _monotonic() -> float:
    return time.monotonic()


def _start_web(runtime: Runtime):  # type: ignore[no-untyped-def]
    from werkzeug.serving import make_server

    from web import create_app

    app = create_app(runtime.settings, runtime=runtime)
    server = make_server(*runtime.settings.web_bind, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server
