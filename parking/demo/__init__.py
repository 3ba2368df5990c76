"""``parking demo``: the whole system on embedded defaults, with simulated cameras, traffic and payments.

One process tree: the web console, the camera ingress of the agent, the worker, one simulated VZ camera
per lane pushing real VZ JSON over HTTP, a traffic generator driving them, and the payment platforms
(WeChat Pay v3 and Alipay, simulated on loopback, ``demo.platforms``) the web takes money through. The
drivers who owe a fee pay ahead by phone, at the exit QR, or in cash at the attendant's booth, or leave
unpaid (``demo.drivers``). Everything runs on one clock, ``--speed`` times faster than the wall clock
between the traffic's steps (``demo.clock``). Everything stops cleanly after ``--seconds`` or on Ctrl-C,
and a summary is printed from what reached SQL: vehicles per lot from the journal, and money from the
ledger (``demo.money``).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drivers.errors import DriverError
from simulators.lanes import LaneTraffic, SimLane

from .. import db as dbmod
from ..agent.ingress import camera_urls
from ..agent.process import Agent
from ..config import Settings
from ..models import Lane, LaneDirection, ListEntry, Lot, LotEvent, PassPlate
from ..payments.registry import load_providers
from ..private import protect_instance, protect_sqlite
from ..runtime import Runtime
from ..seed import seed_demo
from ..services.capacities import publish_capacities
from ..services.pay_links import PayLinks
from ..services.site import load_lanes, load_lots
from ..worker import Worker
from .clock import DemoClock, start_after
from .drivers import PayingDrivers, PaymentShares
from .money import MoneySummary, money_summary
from .platforms import DemoPlatforms

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password"
DEFAULT_SPEED = 300.0  # an hour of parking passes in 12 seconds: stays cost something within the first minute

__all__ = ["DEFAULT_SPEED", "DEMO_PASSWORD", "DemoSummary", "PaymentShares", "known_plates", "run_demo", "street_lanes", "summary"]


@dataclass(frozen=True)
class DemoSummary:
    lots: list[dict[str, object]]  # per lot: in, out, refused, present, capacity
    money: MoneySummary
    started: datetime  # the demo clock's first moment: the figures are from then on
    ended: datetime


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
             speed: float = DEFAULT_SPEED, shares: PaymentShares = PaymentShares(),
             echo: Callable[[str], None] = print) -> DemoSummary:
    if not speed > 0:
        raise ValueError(f"speed {speed!r}: expected a number above 0")
    settings = settings.ensure_instance()
    protect_instance(settings.instance_path)
    protect_sqlite(settings.database_url)  # created 0600 before the migrations write it
    dbmod.upgrade(settings.database_url)
    runtime = Runtime.open(settings)  # owns the bundled redis-server, or attaches to the one running
    try:
        with runtime.sessions() as db:
            clock = DemoClock(start_after(db, datetime.now(timezone.utc)))
        shift_id = _run(runtime, settings, clock, traffic=traffic, seconds=seconds, interval=interval, seed=seed,
                        speed=speed, shares=shares, echo=echo)
        ended = clock()
        with runtime.sessions() as db:
            money = money_summary(db, clock.start, shift_id)
        return DemoSummary(summary(runtime, clock.start), money, clock.start, ended)
    finally:
        runtime.close()  # stops the bundled redis-server only if this demo started it


def _run(runtime: Runtime, settings: Settings, clock: DemoClock, *, traffic: bool, seconds: float | None, interval: float,
         seed: int, speed: float, shares: PaymentShares, echo: Callable[[str], None]) -> int | None:
    """Start everything, drive the traffic until the time is up or Ctrl-C, stop everything; returns the
    booth shift's id (None without traffic)."""
    stop = threading.Event()
    web_server = listener = None
    agent = worker = None
    generator = None
    drivers: PayingDrivers | None = None
    platforms = DemoPlatforms(settings.instance_path / "payments", clock)
    shift_id = None
    try:
        with dbmod.transaction(runtime.sessions) as db:
            seed_demo(db, now=clock.start, password=DEMO_PASSWORD)
        with runtime.sessions() as db:
            publish_capacities(db, runtime.store)
        listener = _listen(*settings.web_bind)  # bound first: the platforms are told where to notify
        web_url = _url(*listener.getsockname()[:2])
        public_url = (settings.public_url or web_url).rstrip("/")
        merchants = platforms.start(public_url)
        settings = replace(settings, public_url=public_url, wechatpay_config=merchants.wechatpay_config,
                           alipay_config=merchants.alipay_config)
        providers = load_providers(settings, clock=clock)
        worker = Worker(runtime, providers=providers, clock=clock).start()
        agent = Agent(runtime, *settings.agent_bind, clock=clock).start()
        web_server = _start_web(runtime, settings, listener, providers, clock)
        echo(f"控制台 Console:        {web_url}/")
        echo(f"相机推送 Camera ingress: {agent.url}/devicemanagement/php/plateresult.php?key=… (each camera's URL: parking lanes --json)")
        echo(f"登录 Log in:           admin / {DEMO_PASSWORD}  (also manager, attendant)")
        echo(f"Redis:                {runtime.describe_redis()}")
        echo(f"Database:             {settings.database_url}")
        echo(f"时钟 Clock:            {speed:g}× from {clock.start.astimezone(settings.tz):%Y-%m-%d %H:%M} ({settings.timezone})")
        for line in _payment_lines(runtime, settings, platforms, public_url):
            echo(line)
        if traffic:
            with runtime.sessions() as db:
                lanes = street_lanes(db, settings.timezone, clock(), agent.url, settings.secret_key.encode())
                plates = known_plates(db)
            drivers = PayingDrivers(runtime, agent.lanes.lots, providers, platforms, clock, public_url, shares=shares, seed=seed)
            shift = drivers.open_booth()
            shift_id = shift.id if shift is not None else None
            generator = LaneTraffic(lanes, agent.url, seed, plates, payer=drivers, clock=clock)
        deadline = None if seconds is None else _monotonic() + seconds
        step = 0
        while not stop.is_set():
            if deadline is not None and _monotonic() >= deadline:
                break
            step += 1
            clock.advance_to(clock.start + timedelta(seconds=step * interval * speed))
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
        if drivers is not None:
            _quietly(drivers.close_booth, "closing the booth's shift")
        if web_server is not None:
            web_server.shutdown()
            web_server.server_close()
        elif listener is not None:
            listener.close()
        if agent is not None:
            agent.stop()
        if worker is not None:
            worker.stop()
        platforms.stop()
    return shift_id


def _payment_lines(runtime: Runtime, settings: Settings, platforms: DemoPlatforms, public_url: str) -> list[str]:
    """How to pay as a driver would: each exit's QR page, and the platforms' payer endpoints."""
    links = PayLinks(settings.secret_key)
    wechat, alipay = platforms.control_url("wechat"), platforms.control_url("alipay")
    lines = [
        f"微信支付 WeChat Pay:    {wechat}  (simulated platform; merchant {settings.wechatpay_config})",
        f"支付宝 Alipay:          {alipay}/gateway.do  (simulated gateway; merchant {settings.alipay_config})",
        "出口码 Exit QR pages (scan to pay at a held exit 出口扫码缴费):",
    ]
    with runtime.sessions() as db:
        for lane, lot_name in db.execute(select(Lane, Lot.name).join(Lot, Lot.id == Lane.lot_id)
                                         .where(Lane.direction == LaneDirection.EXIT, Lane.enabled.is_(True)).order_by(Lane.lot_id, Lane.id)):
            lines.append(f"  {lot_name} {lane.name} ({lane.code}): {public_url}{links.exit_path(lane.code, lane.id)}")
    lines += [
        f"场内预付 Pay ahead:      {public_url}/pay/find  (plate and entry time 车牌号和入场时间)",
        "付款 Pay an order as the payer (out_trade_no = the order number 订单号):",
        f"  curl -X POST {wechat}/_sim/pay -d '{{\"out_trade_no\": \"…\"}}'   # 微信支付 WeChat Pay",
        f"  curl -X POST {alipay}/_sim/pay -d '{{\"out_trade_no\": \"…\"}}'   # 支付宝 Alipay",
        f"订单与通知 Orders and notifications: curl {wechat}/_sim/orders · curl {alipay}/_sim/orders · …/_sim/notifications",
    ]
    return lines


def _monotonic() -> float:
    return time.monotonic()


def _quietly(action: Callable[[], Any], what: str) -> None:
    try:
        action()
    except Exception:  # noqa: BLE001  (the rest of the demo still stops and prints its summary)
        log.exception("%s failed", what)


def _listen(host: str, port: int) -> socket.socket:
    from werkzeug.serving import get_sockaddr, select_address_family

    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(get_sockaddr(host, port, family))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


def _url(host: str, port: int) -> str:
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '', '::') else host}:{port}"


def _start_web(runtime: Runtime, settings: Settings, listener: socket.socket, providers: dict[str, Any],  # type: ignore[no-untyped-def]
               clock: DemoClock):
    from werkzeug.serving import make_server

    from web import create_app

    app = create_app(settings, runtime=runtime, payments=providers)
    app.config["PARKING_CLOCK"] = clock  # the console, the phone pages and the notifications live on the demo's time
    host, port = listener.getsockname()[:2]
    server = make_server(host, port, app, threaded=True, fd=listener.fileno())
    listener.close()  # the server holds its own copy of the socket
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server
