""""Test this device": open a device from its URL, ask it something harmless, and say what was found.

- a VZ push camera (``vz-http``) pushes to the agent, so it is tested by when the agent last heard it
  (its heartbeat or a plate read, ``OccupancyStore.devices``);
- a VZ TCP camera (``vz-tcp``) is asked its serial number (``getsn``), which must be the device's;
- a Hikvision camera (``hik-http``) is asked ``GET /ISAPI/System/deviceInfo`` with its user and password
  (a second 401 means they are wrong), and when the agent last heard its alarms is reported too;
- a Modbus relay module (``modbus-rtu``/``modbus-tcp``) is asked its discrete inputs (the vehicle loop,
  the arm-up limit): nothing is switched;
- an OLM LED/voice board (``olm``/``olm+tcp``) is sent the time (``set_clock``), which it acknowledges.

Nothing opens a gate or changes what a board shows. Every test is bounded by ``timeout`` seconds; the
answer carries the latency (milliseconds) or the error, in English for the API and the log (the console
words the outcome in the page's language).
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from drivers.errors import DriverError
from drivers.hikvision_camera import digest_opener
from drivers.registry import Registry, parse_device_url
from drivers.transport import TcpClientTransport
from drivers.vz import tcp

from ..occupancy import OccupancyStore

DEFAULT_TIMEOUT = 3.0


@dataclass(frozen=True)
class DeviceTestResult:
    ok: bool
    outcome: str  # camera_heard | camera_not_heard | camera_answered | relay_answered | board_acknowledged | board_sent | failed
    detail: str  # what was found, or the error
    latency_ms: float | None = None
    last_heard: datetime | None = None  # push cameras: when the agent last heard it

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "outcome": self.outcome, "detail": self.detail, "latency_ms": self.latency_ms,
                "last_heard": self.last_heard.isoformat() if self.last_heard else None}


def probe_device(url: str, *, serial: str | None, lot_id: int, store: OccupancyStore | None, now: datetime, tz: str = "Asia/Shanghai",
                timeout: float = DEFAULT_TIMEOUT, monotonic: Callable[[], float] = time.monotonic) -> DeviceTestResult:
    """Test the device ``url`` names; never raises for what the device does, and returns within about ``timeout``."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:
        return DeviceTestResult(False, "failed", f"the URL does not parse: {exc}")
    probe = _PROBES.get(scheme)
    if probe is None:
        return DeviceTestResult(False, "failed", f"device URL scheme {scheme!r} cannot be tested")
    found: list[DeviceTestResult] = []

    def run() -> None:
        try:
            found.append(probe(url, serial, lot_id, store, now, tz, timeout, monotonic))
        except (DriverError, OSError, ValueError, TypeError) as exc:
            found.append(DeviceTestResult(False, "failed", str(exc) or type(exc).__name__))

    worker = threading.Thread(target=run, name="device-test", daemon=True)
    worker.start()
    worker.join(timeout + 1.0)  # every probe bounds itself by ``timeout``; this is the backstop
    if not found:
        return DeviceTestResult(False, "failed", f"no answer within {timeout:g} s")
    return found[0]


def _ms(start: float, monotonic: Callable[[], float]) -> float:
    return round((monotonic() - start) * 1000, 1)


def _heard(store: OccupancyStore | None, lot_id: int, serial: str | None, now: datetime) -> DeviceTestResult:
    if store is None or not serial:
        return DeviceTestResult(False, "camera_not_heard", "the camera has no serial number the agent could know it by")
    [health] = store.devices.health([(lot_id, serial)], now)
    if health.state == "unknown":
        return DeviceTestResult(False, "failed", "the live store cannot be read, so whether the agent heard the camera is unknown")
    if health.state == "online" and health.last_seen is not None:
        seconds = max(0, int((now - health.last_seen).total_seconds()))
        return DeviceTestResult(True, "camera_heard", f"camera {serial} heard by the agent {seconds} s ago", last_heard=health.last_seen)
    if health.last_seen is None:
        return DeviceTestResult(False, "camera_not_heard", f"camera {serial} has not been heard by the agent: check its push and "
                                "heartbeat URLs (parking lanes --json) and that the agent runs")
    return DeviceTestResult(False, "camera_not_heard", f"camera {serial} was last heard at {health.last_seen.isoformat()}",
                            last_heard=health.last_seen)


def _vz_http(url: str, serial: str | None, lot_id: int, store: OccupancyStore | None, now: datetime, tz: str, timeout: float,
             monotonic: Callable[[], float]) -> DeviceTestResult:
    u = parse_device_url(url)
    return _heard(store, lot_id, serial or u.options.get("serial"), now)


def _vz_tcp(url: str, serial: str | None, lot_id: int, store: OccupancyStore | None, now: datetime, tz: str, timeout: float,
            monotonic: Callable[[], float]) -> DeviceTestResult:
    u = parse_device_url(url, {"gate_io", "pulse_ms", "images"})
    transport = TcpClientTransport(u.host, u.port or tcp.DEFAULT_PORT, connect_timeout=timeout)
    start = monotonic()
    try:
        transport.open()
        transport.write(tcp.encode_json(tcp.cmd_getsn()))
        decoder = tcp.PacketDecoder()
        deadline = start + timeout
        while (left := deadline - monotonic()) > 0:
            for packet in decoder.feed(transport.read(65536, timeout=left)):
                if packet.type == tcp.TYPE_JSON and packet.json().get("cmd") == "getsn":
                    latency = _ms(start, monotonic)
                    found = str(packet.json().get("value", ""))
                    if serial and found != serial:
                        return DeviceTestResult(False, "failed", f"the camera answered with serial {found}, not {serial}: "
                                                "is the URL that of another camera?", latency)
                    return DeviceTestResult(True, "camera_answered", f"camera {found} answered getsn", latency)
        return DeviceTestResult(False, "failed", f"the camera at {u.host} did not answer getsn within {timeout:g} s")
    finally:
        transport.close()


def _hik_http(url: str, serial: str | None, lot_id: int, store: OccupancyStore | None, now: datetime, tz: str, timeout: float,
              monotonic: Callable[[], float]) -> DeviceTestResult:
    parts = urlsplit(url)
    u = parse_device_url(url, None)
    scheme = u.options.get("scheme", "http")
    host = f"[{u.host}]" if ":" in u.host else u.host
    base = f"{scheme}://{host}:{u.port or (443 if scheme == 'https' else 80)}"
    opener = digest_opener(base, unquote(parts.username or ""), unquote(parts.password or ""))
    start = monotonic()
    try:
        with opener.open(urllib.request.Request(base + "/ISAPI/System/deviceInfo"), timeout=timeout) as reply:
            status = reply.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except urllib.error.URLError as exc:
        return DeviceTestResult(False, "failed", f"{base}: {exc.reason}")
    except TimeoutError:
        return DeviceTestResult(False, "failed", f"{base}: no answer within {timeout:g} s")
    latency = _ms(start, monotonic)
    if status == 401:
        return DeviceTestResult(False, "failed", f"{base} refused the user and password in the URL (HTTP 401)", latency)
    heard = _heard(store, lot_id, serial, now)
    words = "; its alarms: " + heard.detail if heard.outcome != "failed" else ""
    return DeviceTestResult(True, "camera_answered", f"{base} answered HTTP {status}{words}", latency, heard.last_heard)


def _modbus(url: str, serial: str | None, lot_id: int, store: OccupancyStore | None, now: datetime, tz: str, timeout: float,
            monotonic: Callable[[], float]) -> DeviceTestResult:
    gate = Registry().open(url)  # its URL's ``timeout`` (0.5 s over RTU, 1 s over TCP by default) bounds each request
    start = monotonic()
    try:
        loop = gate.loop_occupied()
        arm = gate.arm_up()
    finally:
        gate.shutdown()
    latency = _ms(start, monotonic)
    arm_text = "unknown" if arm is None else ("up" if arm else "down")
    return DeviceTestResult(True, "relay_answered", f"relay unit {gate.unit} answered: vehicle loop "
                            f"{'occupied' if loop else 'free'}, arm {arm_text}", latency)


def _olm(url: str, serial: str | None, lot_id: int, store: OccupancyStore | None, now: datetime, tz: str, timeout: float,
         monotonic: Callable[[], float]) -> DeviceTestResult:
    board = Registry().open(url)
    transport = board.transport
    if isinstance(transport, TcpClientTransport):
        transport.connect_timeout = min(transport.connect_timeout, timeout)
    board.ack_timeout = min(board.ack_timeout, timeout)
    board.retries = 0
    start = monotonic()
    try:
        board.set_clock(now.astimezone(ZoneInfo(tz)).replace(tzinfo=None))
    finally:
        transport.close()
    latency = _ms(start, monotonic)
    if not board.require_ack:
        return DeviceTestResult(True, "board_sent", "the time was sent; this board is reached one way (ack=0), so it cannot answer", latency)
    return DeviceTestResult(True, "board_acknowledged", f"board {board.address} acknowledged the time", latency)


_PROBES: dict[str, Callable[..., DeviceTestResult]] = {
    "vz-http": _vz_http, "vz-tcp": _vz_tcp, "hik-http": _hik_http, "modbus-rtu": _modbus, "modbus-tcp": _modbus,
    "olm": _olm, "olm+tcp": _olm,
}
