"""The agent's side of console commands and device health.

``CommandListener`` subscribes to the command channels of the agent's lots and hands each command to the
lane's camera (for a push camera: queued for its next answer), acknowledges it and journals it with the
operator and reason (抬杆记录). ``report_health`` writes, for every camera, when it was last heard and
whether that is within 30 s, for the console.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import redis

from drivers.errors import EncodeError
from drivers.vz.push_camera import VzPushHub

from ..occupancy import LotKeys, OccupancyStore, to_ms
from ..services import lane_commands
from ..services.site import LaneRef
from .devices import LaneDevices

log = logging.getLogger(__name__)

ONLINE_SECONDS = 30.0
DEVICE_TTL_SECONDS = 24 * 3600


def execute(hub: VzPushHub, lanes: Iterable[LaneRef], command: lane_commands.LaneCommand, devices: LaneDevices | None = None) -> str:
    lane = next((l for l in lanes if l.id == command.lane_id and l.lot_id == command.lot_id), None)
    if lane is None:
        return "unknown_lane"
    camera = hub.cameras.get(lane.camera_serial)
    if camera is None:
        return "no_camera"
    if command.action == "open":
        # A relay on the gate contacts opens at once; the camera's own output goes with its next answer.
        if devices is None or devices.open_gate(lane.id) is None:
            camera.open()
        camera.show_text(0, "人工放行")
    elif command.action == "close":
        camera.close()
    else:
        camera.show_text(0, command.text)
        camera.speak(command.text)
    return "queued"


class CommandListener:
    def __init__(self, store: OccupancyStore, hub: VzPushHub, lanes: Callable[[], Iterable[LaneRef]],
                 lot_ids: Callable[[], Iterable[int]], clock: Callable[[], datetime], devices: LaneDevices | None = None) -> None:
        self.store = store
        self.hub = hub
        self.lanes = lanes
        self.lot_ids = lot_ids
        self.clock = clock
        self.devices = devices
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> "CommandListener":
        self._thread = threading.Thread(target=self._run, name="lane-commands", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=5)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                pubsub = self.store.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(*[lane_commands.channel(lot) for lot in self.lot_ids()])
                self._ready.set()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.2)
                    if message is None:
                        continue
                    try:
                        self.handle(lane_commands.LaneCommand.from_json(message["data"]))
                    except (ValueError, TypeError, KeyError) as exc:  # a malformed message never stops the listener
                        log.error("console command %r refused: %s", message.get("data"), exc)
                pubsub.close()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("console commands unavailable: Redis unreachable (%s); retrying", exc)
                self._ready.set()
                self._stop.wait(1.0)

    def handle(self, command: lane_commands.LaneCommand) -> str:
        now = self.clock()
        try:
            outcome = execute(self.hub, self.lanes(), command, self.devices)
        except EncodeError as exc:  # text the lane board cannot show (outside GB2312, too long)
            log.warning("lane %s: console text refused: %s", command.lane_id, exc)
            outcome = "bad_text"
        lane_commands.acknowledge(self.store.redis, command, outcome, now)
        self.store.journal(command.lot_id, "lane_command", now, data={
            "uid": command.uid, "lane": command.lane_id, "action": command.action, "text": command.text,
            "reason": command.reason, "operator": command.operator_id, "outcome": outcome,
        })
        log.info("lane %s: console command %s (%s) -> %s", command.lane_id, command.action, command.reason or command.text, outcome)
        return outcome


def report_health(store: OccupancyStore, hub: VzPushHub, lanes: Iterable[LaneRef], now: datetime,
                  monotonic: Callable[[], float] = time.monotonic) -> None:
    """Write each camera's last-heard time and online flag to its lot's device hash, in one round trip."""
    tick = monotonic()
    with store.redis.pipeline(transaction=False) as pipe:
        for lane in lanes:
            camera = hub.cameras.get(lane.camera_serial)
            heard = camera.last_heard if camera is not None else None
            key = LotKeys(lane.lot_id).device(lane.camera_serial)
            if heard is None:
                pipe.hset(key, mapping={"online": 0, "lane": lane.id})
            else:
                last_seen = now - timedelta(seconds=tick - heard)
                pipe.hset(key, mapping={"online": int(tick - heard <= ONLINE_SECONDS), "last_seen_ms": to_ms(last_seen), "lane": lane.id})
            pipe.expire(key, DEVICE_TTL_SECONDS)
        pipe.execute()
