"""Camera ingress of the VZ / Zhenshi push protocol: a plate result in, a gate and LED command out.

Each push is decoded by ``drivers.vz.push``, matched to its lane by the camera's ``serialno``, decided by
``parking.services.lane_reads`` and answered in the HTTP response: ``"info":"ok"`` opens the gate and
``serialData`` carries the OLM LED/voice frames the camera forwards to its RS485 port. Bad input never
half-makes a session: a body that does not decode gets 400 with the field named; an unknown camera gets
a closed gate and a logged reason.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime

import redis

from drivers import olm
from drivers.errors import DecodeError
from drivers.http_ingress import JSON_UTF8, PushReply, PushRequest
from drivers.vz import heartbeat as vz_heartbeat
from drivers.vz import push as vz

from ..decisions import LaneDecision
from ..occupancy import LotKeys, OccupancyStore, to_ms
from ..plates import color_from_vz
from ..services.lane_reads import PlateRead, handle_read
from .lanes import LaneDirectory
from .offline import OfflineLanes

log = logging.getLogger(__name__)

LED_COLORS = {True: (0, 255, 0, 0), False: (255, 0, 0, 0)}  # green when the gate opens, red when it holds
DEVICE_TTL_SECONDS = 24 * 3600
SEEN_WRITE_SECONDS = 5.0


def led_frames(decision: LaneDecision) -> list[bytes]:
    """OLM frames for a decision: one text window per line, then the voice."""
    color = LED_COLORS[decision.open_gate]
    frames = [olm.show_text(i, olm.gb2312_safe(text), color=color, seconds=10) for i, text in enumerate(decision.lines)]
    frames.append(olm.speak(olm.gb2312_safe(decision.voice), option=2))
    return frames


def _json(status: int, payload: dict[str, object]) -> PushReply:
    return PushReply(status, JSON_UTF8, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


class VzPushIngress:
    """The handlers to mount on a ``drivers.http_ingress.PushIngress``."""

    def __init__(self, store: OccupancyStore, lanes: LaneDirectory, clock: Callable[[], datetime],
                 offline: OfflineLanes | None = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.lanes = lanes
        self.clock = clock
        self.offline = offline
        self._monotonic = monotonic
        self._seen_at: dict[str, float] = {}

    def routes(self) -> dict[str, Callable[[PushRequest], PushReply]]:
        return {vz.PLATE_RESULT_PATH: self.plate_result, vz.HEARTBEAT_PATH: self.heartbeat}

    def plate_result(self, request: PushRequest) -> PushReply:
        now = self.clock()
        try:
            result = vz.decode_plate_result(request.body)
        except DecodeError as exc:
            log.warning("camera push from %s refused: %s", request.client_address[0], exc)
            return _json(400, {"error": str(exc)})
        lane = self.lanes.by_serial(result.serialno)
        if lane is None:
            log.warning("camera %s (%s) is not configured on any lane; gate kept closed", result.serialno, request.client_address[0])
            return PushReply(200, JSON_UTF8, vz.encode_response(vz.VzResponse(open_gate=False)))
        read = PlateRead(
            raw=result.license if result.has_plate else "",
            camera_serial=result.serialno,
            read_id=str(result.plateid) if result.plateid else "",
            color=color_from_vz(result.color_type),
            camera_time=result.timestamp,
            offline=result.is_offline,
            confidence=result.confidence,
        )
        try:
            decision = handle_read(self.store, lane, read, now)
            self._seen(lane.lot_id, result.serialno, request.client_address[0], now)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if self.offline is None:
                raise
            log.warning("lane %s decides offline: Redis unreachable (%s)", lane.code, exc)
            decision = self.offline.handle_read(lane, read, now)
        log.info("lane %s: %s %s -> %s", lane.code, read.raw or "(no plate)", "offline" if read.offline else "", decision.outcome)
        response = vz.VzResponse(
            open_gate=decision.open_gate,
            serial_data=led_frames(decision),
            continue_offline_plateid=result.plateid if result.is_offline else None,
        )
        return PushReply(200, JSON_UTF8, vz.encode_response(response))

    def heartbeat(self, request: PushRequest) -> PushReply:
        now = self.clock()
        try:
            beat = vz_heartbeat.decode_heartbeat(request.body, request.headers.get("Content-Type", ""))
        except DecodeError as exc:
            return _json(400, {"error": str(exc)})
        lane = self.lanes.by_serial(beat.serialno)
        if lane is not None:
            try:
                self._seen(lane.lot_id, beat.serialno, request.client_address[0], now)
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("heartbeat of %s not recorded: Redis unreachable (%s)", beat.serialno, exc)
        return PushReply(200, JSON_UTF8, b"{}")

    def _seen(self, lot_id: int, serial: str, address: str, now: datetime) -> None:
        """Record that a device was heard, at most every few seconds per device (off the hot path)."""
        tick = self._monotonic()
        if tick - self._seen_at.get(serial, float("-inf")) < SEEN_WRITE_SECONDS:
            return
        self._seen_at[serial] = tick
        key = LotKeys(lot_id).device(serial)
        with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping={"last_seen_ms": to_ms(now), "address": address})
            pipe.expire(key, DEVICE_TTL_SECONDS)
            pipe.execute()
