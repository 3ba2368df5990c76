"""Open a device from its URL.

Grammar (``[...]`` optional; every query option is listed, anything else is refused)::

    vz-http://HOST:PORT?serial=SN[&gate_io=N&pulse_ms=500&board=0&key=K&allow=ADDR,NET]
                                                                    camera pushes to us on HOST:PORT
    vz-tcp://HOST[:8131][?gate_io=0&pulse_ms=500&images=1]          we connect to the camera
    modbus-rtu://SERIAL_PATH?[baudrate=9600&unit=1&coil=0&close_coil=1&stop_coil=2&loop_input=0
                              &arm_input=1&pulse_ms=500&timeout=0.5]
    modbus-tcp://HOST[:502]?[unit=1&coil=0&... as above]
    olm://SERIAL_PATH[?baudrate=9600&address=0&ack_timeout=0.5&retries=2&ack=1]
    olm+tcp://HOST:PORT[?address=0&ack_timeout=0.5&retries=2&ack=1]  board behind an RS485-TCP converter
    hik-http://USER:PASSWORD@CAMERA_HOST[:80]?listen=HOST:PORT&id=MAC[&by=mac&channel=1&path=/ISAPI/anpr
              &scheme=http&timeout=2&allow=ADDR,NET]                           Hikvision ANPR: pushes to HOST:PORT, gate by ISAPI

``SERIAL_PATH`` is an absolute device path (``modbus-rtu:///dev/ttyUSB0``: three slashes) or, after
``serial=``, any pyserial URL (``olm://?serial=loop://``, ``olm://?serial=socket://10.0.0.9:4001``).
``coil`` is the relay wired to the gate's OPEN contact; ``close_coil`` / ``stop_coil`` may be ``none``.
``vz-http``: ``allow`` lists the source addresses or networks the camera may push from (loopback when
absent), ``key`` the secret its push URLs carry as ``?key=K`` (the agent derives one per camera when
absent). ``vz-http`` cameras on the same HOST:PORT share one :class:`drivers.vz.push_camera.VzPushHub`, found
in ``Registry.hubs``; the caller starts it (``hub.start()``) once every camera is registered.

``hik-http``: the camera pushes ANPR alarms to ``listen`` (its "HTTP listening" host, port and ``path``)
and takes gate commands on ``CAMERA_HOST`` with HTTP Digest as ``USER``/``PASSWORD`` (percent-encoded).
``by`` says which field of the alarm names the camera: ``mac`` (``macAddress``, the default; ``id`` is
required), ``ip`` (``ipAddress``; ``id`` defaults to CAMERA_HOST) or ``channel`` (``channelID``; ``id``
defaults to ``channel``). ``channel`` is the ISAPI channel of the barrier gate; the camera's port defaults
to 80, or 443 with ``scheme=https``. Cameras on one listen
address share a :class:`drivers.hikvision_camera.HikvisionPushHub` in ``Registry.hubs`` under
``("hik-http", HOST, PORT)``; its ``routes()`` can join a VZ hub's on one ingress, the paths differ.
Alarms are served only from ``allow`` (addresses or networks), by default CAMERA_HOST when it is an IP
address. Errors about a ``hik-http`` URL never quote its password.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from drivers.errors import UnsupportedURLError

SERIAL_OPTIONS = {"baudrate", "serial"}
MODBUS_OPTIONS = {"unit", "coil", "close_coil", "stop_coil", "loop_input", "arm_input", "pulse_ms", "timeout"}
OLM_OPTIONS = {"address", "ack_timeout", "retries", "ack"}
HIK_OPTIONS = {"listen", "id", "by", "channel", "path", "scheme", "timeout", "allow"}
HIK_EXAMPLE = "hik-http://admin:PASSWORD@192.168.1.64?listen=0.0.0.0:8091&id=44:19:b6:00:00:01"


@dataclass(frozen=True)
class DeviceURL:
    scheme: str
    host: str = ""
    port: int | None = None
    path: str = ""
    options: dict[str, str] = field(default_factory=dict)

    def get_int(self, key: str, default: int) -> int:
        return int(self._get(key, str(default)))

    def get_float(self, key: str, default: float) -> float:
        return float(self._get(key, str(default)))

    def get_optional_int(self, key: str, default: int | None) -> int | None:
        value = self.options.get(key)
        if value is None:
            return default
        return None if value.lower() == "none" else self.get_int(key, 0)

    def _get(self, key: str, default: str) -> str:
        value = self.options.get(key, default)
        try:
            float(value)
        except ValueError:
            raise UnsupportedURLError(f"{self.scheme} URL option {key}={value!r}: expected a number") from None
        return value

    @property
    def serial_url(self) -> str:
        url = self.options.get("serial") or self.path
        if not url:
            raise UnsupportedURLError(f"{self.scheme} URL needs a serial device path (e.g. {self.scheme}:///dev/"
                                      f"ttyUSB0) or serial=<pyserial URL>")
        return url


def parse_device_url(url: str, allowed: set[str] | None = None) -> DeviceURL:
    parts = urlsplit(url)
    if not parts.scheme:
        raise UnsupportedURLError(f"device URL {url!r} has no scheme; expected one of {', '.join(sorted(OPENERS))}")
    try:
        port = parts.port
    except ValueError:
        raise UnsupportedURLError(f"device URL {url!r}: the port is not a number 0..65535") from None
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    if allowed is not None:
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise UnsupportedURLError(f"{parts.scheme} URL option {unknown[0]!r} is not known; "
                                      f"allowed: {', '.join(sorted(allowed))}")
    return DeviceURL(parts.scheme.lower(), parts.hostname or "", port, unquote(parts.path), options)


def _require_host(u: DeviceURL, example: str) -> None:
    if not u.host:
        raise UnsupportedURLError(f"{u.scheme} URL needs a host, e.g. {example}")


class Registry:
    """Opens devices by URL; keeps the shared push hubs (VZ and Hikvision)."""

    def __init__(self) -> None:
        self.hubs: dict[tuple[Any, ...], Any] = {}  # (HOST, PORT) for vz-http, ("hik-http", HOST, PORT)

    def open(self, url: str, **kwargs: Any) -> Any:
        scheme = urlsplit(url).scheme.lower()
        opener = OPENERS.get(scheme)
        if opener is None:
            raise UnsupportedURLError(f"device URL scheme {scheme!r} is not supported; "
                                      f"expected one of {', '.join(sorted(OPENERS))}")
        return opener(self, url, kwargs)


def _vz_http(reg: Registry, url: str, kw: dict[str, Any]) -> Any:
    from drivers.vz.push_camera import VzPushHub
    from drivers.sources import parse_allow
    u = parse_device_url(url, {"serial", "gate_io", "pulse_ms", "board", "key", "allow"})
    _require_host(u, "vz-http://0.0.0.0:8090?serial=SN123")
    if not u.options.get("serial"):
        raise UnsupportedURLError("vz-http URL needs serial=<camera serial number>")
    try:
        parse_allow(u.options.get("allow", ""))
    except ValueError as exc:
        raise UnsupportedURLError(f"vz-http URL: {exc}") from None
    where = (u.host, u.port or 8090)
    hub = reg.hubs.get(where) or reg.hubs.setdefault(where, VzPushHub(*where))
    kw.setdefault("key", u.options.get("key", ""))
    kw.setdefault("allow", u.options.get("allow", ""))
    return hub.camera(u.options["serial"], gate_io=u.get_optional_int("gate_io", None),
                      pulse_ms=u.get_int("pulse_ms", 500), board_address=u.get_int("board", 0), **kw)


def _vz_tcp(reg: Registry, url: str, kw: dict[str, Any]) -> Any:
    from drivers.vz.tcp_camera import VzTcpCamera
    u = parse_device_url(url, {"gate_io", "pulse_ms", "images"})
    _require_host(u, "vz-tcp://10.0.0.5:8131")
    return VzTcpCamera(u.host, u.port or 8131, gate_io=u.get_int("gate_io", 0), pulse_ms=u.get_int("pulse_ms", 500),
                       subscribe_images=bool(u.get_int("images", 1)), **kw)


def _modbus_kwargs(u: DeviceURL) -> dict[str, Any]:
    return dict(unit=u.get_int("unit", 1), open_coil=u.get_int("coil", 0),
                close_coil=u.get_optional_int("close_coil", 1), stop_coil=u.get_optional_int("stop_coil", 2),
                loop_input=u.get_int("loop_input", 0), arm_up_input=u.get_optional_int("arm_input", 1),
                pulse_seconds=u.get_int("pulse_ms", 500) / 1000)


def _modbus_rtu(reg: Registry, url: str, kw: dict[str, Any]) -> Any:
    from drivers.modbus_gate import ModbusRelayGate
    u = parse_device_url(url, MODBUS_OPTIONS | SERIAL_OPTIONS)
    return ModbusRelayGate.rtu(u.serial_url, baudrate=u.get_int("baudrate", 9600),
                               timeout=u.get_float("timeout", 0.5), **_modbus_kwargs(u), **kw)


def _modbus_tcp(reg: Registry, url: str, kw: dict[str, Any]) -> Any:
    from drivers.modbus_gate import ModbusRelayGate
    u = parse_device_url(url, MODBUS_OPTIONS)
    _require_host(u, "modbus-tcp://10.0.0.7:502?unit=1&coil=0")
    return ModbusRelayGate.tcp(u.host, u.port or 502, timeout=u.get_float("timeout", 1.0), **_modbus_kwargs(u), **kw)


def _olm_kwargs(u: DeviceURL) -> dict[str, Any]:
    return dict(address=u.get_int("address", 0), ack_timeout=u.get_float("ack_timeout", 0.5),
                retries=u.get_int("retries", 2), require_ack=bool(u.get_int("ack", 1)))


def _olm(reg: Registry, url: str, kw: dict[str, Any]) -> Any:
    from drivers.olm_board import OlmBoard
    from drivers.transport import SerialTransport
    u = parse_device_url(url, OLM_OPTIONS | SERIAL_OPTIONS)
    return OlmBoard(SerialTransport(u.serial_url, baudrate=u.get_int("baudrate", 9600)), **_olm_kwargs(u), **kw)


def _olm_tcp(reg: Registry, url: str, kw: dict[str, Any]) -> Any:
    from drivers.olm_board import OlmBoard
    from drivers.transport import TcpClientTransport
    u = parse_device_url(url, OLM_OPTIONS)
    _require_host(u, "olm+tcp://10.0.0.8:4001")
    if u.port is None:
        raise UnsupportedURLError("olm+tcp URL needs a port, e.g. olm+tcp://10.0.0.8:4001")
    return OlmBoard(TcpClientTransport(u.host, u.port), **_olm_kwargs(u), **kw)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}"))


def _listen_address(u: DeviceURL) -> tuple[str, int]:
    listen = u.options.get("listen", "")
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or int(port) > 65535:
        raise UnsupportedURLError(f"hik-http URL option listen={listen!r}: expected HOST:PORT where the camera "
                                  f"pushes, e.g. listen=0.0.0.0:8091")
    return host, int(port)


def _hik_http(reg: Registry, url: str, kw: dict[str, Any]) -> Any:
    from drivers.hikvision_camera import ANPR_PATH, IDENTIFY_BY, HikvisionPushHub, is_mac, normalize_id
    parts = urlsplit(url)
    u = parse_device_url(_redact(url), HIK_OPTIONS)
    _require_host(u, HIK_EXAMPLE)
    if not parts.username:
        raise UnsupportedURLError(f"hik-http URL needs the camera's user and password, e.g. {HIK_EXAMPLE}")
    listen = _listen_address(u)
    by = u.options.get("by", "mac")
    if by not in IDENTIFY_BY:
        raise UnsupportedURLError(f"hik-http URL option by={by!r}: expected one of {', '.join(IDENTIFY_BY)}")
    scheme = u.options.get("scheme", "http")
    if scheme not in ("http", "https"):
        raise UnsupportedURLError(f"hik-http URL option scheme={scheme!r}: expected http or https")
    path = u.options.get("path", ANPR_PATH)
    if not path.startswith("/"):
        raise UnsupportedURLError(f"hik-http URL option path={path!r}: expected an absolute path like {ANPR_PATH}")
    channel = u.get_int("channel", 1)
    if channel < 1:
        raise UnsupportedURLError(f"hik-http URL option channel={channel}: channels count from 1")
    ident = normalize_id(u.options.get("id") or {"ip": u.host, "channel": str(channel)}.get(by, ""), by)
    if not ident:
        raise UnsupportedURLError("hik-http URL needs id=<the camera's MAC address> (or by=ip / by=channel)")
    if by == "mac" and not is_mac(ident):
        raise UnsupportedURLError(f"hik-http URL option id={ident!r}: expected a MAC address such as "
                                  f"44:19:b6:00:00:01 (or by=ip / by=channel)")
    key = ("hik-http", *listen)
    hub = reg.hubs.get(key)
    if hub is None:
        hub = reg.hubs[key] = HikvisionPushHub(*listen, path=path, identify_by=by)
    elif (hub.path, hub.identify_by) != (path, by):
        raise UnsupportedURLError(f"hik-http URL: the hub on {listen[0]}:{listen[1]} already takes path={hub.path} "
                                  f"by={hub.identify_by}; cameras on one listen address must agree")
    port = u.port or (443 if scheme == "https" else 80)
    cam = hub.cameras.get(ident)
    if cam is not None:
        if (cam.host, cam.port, cam.channel, cam.scheme) != (u.host, port, channel, scheme):
            raise UnsupportedURLError(f"hik-http URL: id={ident} is already {cam.base_url} channel {cam.channel}")
        return cam
    from drivers.sources import parse_allow
    try:
        parse_allow(u.options.get("allow", ""))
    except ValueError as exc:
        raise UnsupportedURLError(f"hik-http URL: {exc}") from None
    kw.setdefault("allow", u.options.get("allow", ""))
    return hub.camera(ident, u.host, port=port, username=unquote(parts.username),
                      password=unquote(parts.password or ""), channel=channel, scheme=scheme,
                      timeout=u.get_float("timeout", 2.0), **kw)


OPENERS: dict[str, Callable[[Registry, str, dict[str, Any]], Any]] = {
    "vz-http": _vz_http, "vz-tcp": _vz_tcp, "modbus-rtu": _modbus_rtu, "modbus-tcp": _modbus_tcp,
    "olm": _olm, "olm+tcp": _olm_tcp, "hik-http": _hik_http,
}


def open_device(url: str, registry: Registry | None = None, **kwargs: Any) -> Any:
    """Open the device ``url`` names (see the module docstring for the grammar)."""
    return (registry or Registry()).open(url, **kwargs)
