"""Hikvision ANPR cameras as devices: one push hub per listening port, one object per camera.

    camera A ─POST /ISAPI/anpr (multipart: anpr.xml + JPEGs)─┐               ┌─► HikvisionCamera(A).on_read(PlateRead)
    camera B ─POST /ISAPI/anpr───────────────────────────────►├─ PushIngress ─┤
                                                              └─ HikvisionPushHub (identify, dedupe) ─► camera B
    HikvisionCamera(A).open() ──PUT /ISAPI/Parking/channels/1/barrierGate (HTTP Digest)──► camera A

Unlike a VZ camera, a Hikvision camera is commanded on its own HTTP server, so the push answer carries
nothing: the hub answers 200 with an empty body at once, whatever ``on_read`` decides, and the gate is
driven by ``open()`` / ``close()`` on :class:`HikvisionCamera`.

Identifying the camera. An ANPR alarm carries ``macAddress``, ``ipAddress`` and ``channelID``. The hub
matches one of them, chosen by ``identify_by``:

- ``"mac"`` (default): the MAC address is burnt in, unique, and survives DHCP and re-addressing; it is
  compared case-insensitively, whatever the separators (:func:`normalize_id`).
- ``"ip"``: the camera's own configured address, for sites that keep a fixed address plan.
- ``"channel"``: only when one device (an NVR or a multi-channel ANPR unit) pushes for every lane.

Repeats. A camera that gets no answer sends the same alarm again with ``activePostCount`` raised. An
alarm is identified by (camera, plate, ``dateTime``) and passed to ``on_read`` once; an alarm without a
``dateTime`` counts as a repeat when ``activePostCount`` > 1 and the plate is the last one that camera
passed on. If ``on_read`` raises, the alarm is not marked seen and the answer is 500, so the camera's
next attempt is passed on again.

Sources. An alarm is served only from the camera's allowed source addresses (``allow``; by default the
camera's own address when its host is an IP address): one from elsewhere is answered 403, counted in the
camera's ``refused`` and never passed on, whatever MAC or IP it claims.

Other events. Alarms of another ``eventType`` posted to the same URL (for instance the ``videoloss``
alert some firmware sends as a heartbeat) are answered 200 and only refresh ``last_heard``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import OrderedDict
from http.client import HTTPException
from collections.abc import Iterable
from typing import Callable

from drivers import multipart
from drivers.errors import (
    DecodeError,
    DeviceRejectedError,
    DeviceTimeoutError,
    TransportError,
)
from drivers.hikvision import (
    BARRIER_GATE_PATH,
    HikAnprEvent,
    barrier_gate_body,
    decode_anpr,
    plate_read,
)
from drivers.http_ingress import JSON_UTF8, PushIngress, PushReply, PushRequest
from drivers.interfaces import PushingDevice, ReadHandler
from drivers.sources import Network, allows, default_allow, parse_allow

log = logging.getLogger(__name__)

ANPR_PATH = "/ISAPI/anpr"
IDENTIFY_BY = ("mac", "ip", "channel")
UNKNOWN_CAMERAS = 256  # distinct unknown identifiers remembered (the oldest forgotten first)
_BODY_IN_ERRORS = 300  # characters of a camera's error body quoted in an exception


def normalize_id(value: str | int, identify_by: str = "mac") -> str:
    """The form identifiers are compared in: MACs as ``44:19:b6:00:00:01`` (from any case, with ``:``,
    ``-``, ``.`` or no separators), the rest trimmed."""
    text = str(value).strip()
    if identify_by == "mac":
        digits = re.sub(r"[:.\-]", "", text).lower()
        if len(digits) == 12 and all(c in "0123456789abcdef" for c in digits):
            return ":".join(digits[i:i + 2] for i in range(0, 12, 2))
        return text.lower()
    return text


def is_mac(text: str) -> bool:
    return re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", normalize_id(text, "mac")) is not None


def event_identifier(event: HikAnprEvent, identify_by: str) -> str:
    if identify_by == "mac":
        return normalize_id(event.mac_address, "mac")
    if identify_by == "ip":
        return normalize_id(event.ip_address, "ip")
    return str(event.channel)


class _DigestOnce(urllib.request.HTTPDigestAuthHandler):
    """Answers a Digest challenge once per request.

    urllib's handler retries a refused answer up to six times with fresh nonces; a camera counts each as
    a failed login and locks the account or our address after a few. A second 401 to a request that
    already carried credentials is the camera's verdict (unless it says the nonce was ``stale``).
    """

    def http_error_401(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        challenge = headers.get("WWW-Authenticate", "") or ""
        if req.get_header("Authorization") and not re.search(r'stale\s*=\s*"?true', challenge, re.I):
            return None  # the default handler raises HTTPError with the camera's own body
        return super().http_error_401(req, fp, code, msg, headers)


def digest_opener(base_url: str, username: str, password: str,
                  *extra_handlers: urllib.request.BaseHandler) -> urllib.request.OpenerDirector:
    """An opener that answers HTTP Digest challenges from ``base_url`` with these credentials.

    ``extra_handlers`` may add e.g. ``urllib.request.HTTPSHandler(context=...)`` for a camera with a
    self-signed certificate. Proxy variables of the environment are ignored: cameras are on the site's LAN.
    """
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, base_url, username, password)
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _DigestOnce(passwords), *extra_handlers)


class HikvisionCamera(PushingDevice):
    """Plate reader (through a :class:`HikvisionPushHub`) and gate (ISAPI ``barrierGate``, HTTP Digest).

    ``timeout`` applies to each socket operation (connect, send, wait for the answer) of a command.
    ``opener`` replaces the Digest opener built from the credentials (see :func:`digest_opener`).
    """

    def __init__(self, host: str, *, port: int = 80, username: str, password: str, channel: int = 1,
                 scheme: str = "http", timeout: float = 2.0, opener: urllib.request.OpenerDirector | None = None,
                 device_id: str = "", on_read: ReadHandler | None = None, allow: str | Iterable[str] = "",
                 clock: Callable[[], float] = time.monotonic) -> None:
        if scheme not in ("http", "https"):
            raise ValueError(f"scheme {scheme!r}: expected 'http' or 'https'")
        self.host, self.port, self.channel, self.scheme = host, port, channel, scheme
        # Pushes are served only from these sources: the camera's own address unless told otherwise.
        self.allow: tuple[Network, ...] = parse_allow(allow) if allow else default_allow(host)
        self.refused: dict[str, int] = {}
        self.username = username
        self.timeout = timeout
        self.device_id = device_id
        self.on_read = on_read
        self.clock = clock
        self.last_heard: float | None = None
        self.last_error: str | None = None
        netloc = f"[{host}]" if ":" in host else host
        self.base_url = f"{scheme}://{netloc}:{port}"
        self.name = f"Hikvision {netloc}:{port} channel {channel}"
        self._opener = opener or digest_opener(self.base_url, username, password)
        self._lock = threading.Lock()  # one command at a time: the Digest handler keeps per-request state

    def __repr__(self) -> str:
        return f"<HikvisionCamera {self.base_url} channel={self.channel} id={self.device_id!r}>"

    # ------------------------------------------------------------------------------------- gate

    def open(self) -> None:
        self.barrier("open")

    def close(self) -> None:
        self.barrier("close")

    def barrier(self, mode: str) -> None:
        """``PUT .../barrierGate`` with ``ctrlMode`` ``mode`` (open, close, lock, unlock)."""
        body = barrier_gate_body(mode)
        path = BARRIER_GATE_PATH.format(channel=self.channel)
        try:
            status, answer = self._put(path, body)
        except Exception as exc:
            self.last_error = str(exc)
            raise
        status_code, status_text = _response_status(answer)
        if status != 200 or status_code not in (None, "1"):
            reason = f" ({status_text})" if status_text else ""
            self.last_error = (f"{self.name}: barrier gate {mode} refused with HTTP {status}{reason}: "
                               f"{_quote(answer)}")
            raise DeviceRejectedError(self.last_error)
        self.last_error = None

    def _put(self, path: str, body: bytes) -> tuple[int, bytes]:
        req = urllib.request.Request(self.base_url + path, data=body, method="PUT",
                                     headers={"Content-Type": "application/xml; charset=UTF-8"})
        what = f"{self.name}: PUT {path}"
        with self._lock:
            try:
                with self._opener.open(req, timeout=self.timeout) as reply:
                    answer = reply.read()
                    status = reply.status
            except urllib.error.HTTPError as exc:
                try:
                    answer = exc.read() if exc.fp is not None else b""
                except (OSError, HTTPException):
                    answer = b""
                self.last_heard = self.clock()
                return exc.code, answer
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, TimeoutError):
                    raise DeviceTimeoutError(f"{what}: no connection within {self.timeout} s") from exc
                raise TransportError(f"{what}: {exc.reason}") from exc
            except TimeoutError as exc:
                raise DeviceTimeoutError(f"{what}: no answer within {self.timeout} s") from exc
            except (OSError, HTTPException) as exc:
                raise TransportError(f"{what}: {type(exc).__name__}: {exc}") from exc
        self.last_heard = self.clock()
        return status, answer


def _response_status(body: bytes) -> tuple[str | None, str]:
    """(``statusCode``, ``statusString``/``subStatusCode``) of an ISAPI ``ResponseStatus`` or ``userCheck``."""
    if not body or b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        return None, ""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None, ""
    fields = {el.tag.split("}", 1)[-1]: (el.text or "").strip() for el in root.iter() if isinstance(el.tag, str)}
    text = " / ".join(v for v in (fields.get("statusString"), fields.get("subStatusCode")) if v)
    return fields.get("statusCode") or None, text


def _quote(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    return repr(text[:_BODY_IN_ERRORS] + ("…" if len(text) > _BODY_IN_ERRORS else ""))


class HikvisionPushHub:
    """Routes ANPR pushes on one port to the camera objects registered by identifier."""

    def __init__(self, host: str = "0.0.0.0", port: int = 8091, *, path: str = ANPR_PATH,
                 identify_by: str = "mac", dedupe_window: int = 1024,
                 max_body_bytes: int = 8 * 1024 * 1024) -> None:
        if identify_by not in IDENTIFY_BY:
            raise ValueError(f"identify_by {identify_by!r}: expected one of {', '.join(IDENTIFY_BY)}")
        if not path.startswith("/"):
            raise ValueError(f"path {path!r}: expected an absolute path such as {ANPR_PATH}")
        self.host, self.port, self.path = host, port, path
        self.identify_by = identify_by
        self.max_body_bytes = max_body_bytes
        self.cameras: dict[str, HikvisionCamera] = {}
        self.unknown: dict[str, int] = {}   # identifier → pushes from cameras not registered
        self.repeats = 0                    # alarms sent again and not passed on
        self.other_events: dict[str, int] = {}  # eventType → count, for non-ANPR alarms
        self._seen: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._last_plate: dict[str, str] = {}
        self._window = dedupe_window
        self._lock = threading.Lock()
        self.ingress: PushIngress | None = None

    def camera(self, device_id: str | int, host: str | None = None, **kwargs: object) -> HikvisionCamera:
        """The camera pushing with this identifier; created on first call (``host`` and credentials then
        required, see :class:`HikvisionCamera`), returned as is afterwards."""
        key = normalize_id(device_id, self.identify_by)
        if not key:
            raise ValueError(f"camera identifier is empty; expected its {self.identify_by}")
        cam = self.cameras.get(key)
        if cam is None:
            if host is None:
                raise ValueError(f"camera {key!r} is not registered yet; pass host= and the credentials")
            cam = self.cameras[key] = HikvisionCamera(host, device_id=key, **kwargs)  # type: ignore[arg-type]
        return cam

    def routes(self) -> dict[str, Callable[[PushRequest], PushReply]]:
        return {self.path: self.handle_anpr}

    def start(self) -> PushIngress:
        self.ingress = PushIngress(self.host, self.port, self.routes(), max_body_bytes=self.max_body_bytes).start()
        return self.ingress

    def shutdown(self) -> None:
        if self.ingress is not None:
            self.ingress.shutdown()

    # ------------------------------------------------------------------------------------- pushes

    def handle_anpr(self, req: PushRequest) -> PushReply:
        content_type = req.headers.get("Content-Type", "") or ""
        try:
            event = decode_anpr(req.body, content_type)
        except DecodeError as exc:
            other = _other_event(req.body, content_type, _FIELD_OF[self.identify_by])
            if other is not None:
                return self._other(*other, req.client_address[0])
            log.warning("Hikvision push from %s rejected: %s", req.client_address[0], exc)
            return _error(400, str(exc))
        ident = event_identifier(event, self.identify_by)
        cam = self.cameras.get(ident)
        if cam is None:
            with self._lock:
                self.unknown[ident] = self.unknown.pop(ident, 0) + 1
                while len(self.unknown) > UNKNOWN_CAMERAS:
                    del self.unknown[next(iter(self.unknown))]
            return _OK
        if not allows(cam.allow, req.client_address[0]):
            with self._lock:
                cam.refused["source"] = cam.refused.get("source", 0) + 1
            log.warning("Hikvision push for camera %s from %s refused: source address not allowed", ident, req.client_address[0])
            return _error(403, "source address not allowed")
        cam.last_heard = cam.clock()
        key = (ident, event.license, event.date_time.isoformat() if event.date_time else "")
        with self._lock:
            if event.date_time is not None:
                repeat = key in self._seen
            else:
                repeat = event.active_post_count > 1 and self._last_plate.get(ident) == event.license
            if repeat:
                self.repeats += 1
                return _OK
            self._remember(key, ident, event.license)
        try:
            if cam.on_read is not None:
                cam.on_read(plate_read(event, ident))
        except Exception:
            with self._lock:  # not seen: the camera's next attempt is passed on again
                self._seen.pop(key, None)
                if self._last_plate.get(ident) == event.license:
                    del self._last_plate[ident]
            raise
        return _OK

    def _remember(self, key: tuple[str, str, str], ident: str, plate: str) -> None:
        self._seen[key] = None
        self._last_plate[ident] = plate
        while len(self._seen) > self._window:
            self._seen.popitem(last=False)

    def _other(self, event_type: str, ident: str, source: str) -> PushReply:
        with self._lock:
            event_type = event_type[:64]
            if event_type in self.other_events or len(self.other_events) < UNKNOWN_CAMERAS:
                self.other_events[event_type] = self.other_events.get(event_type, 0) + 1
        cam = self.cameras.get(normalize_id(ident, self.identify_by)) if ident else None
        if cam is not None and allows(cam.allow, source):  # only the camera itself keeps it online
            cam.last_heard = cam.clock()
        return _OK


_OK = PushReply(200, "text/plain; charset=utf-8", b"")
_FIELD_OF = {"mac": "macAddress", "ip": "ipAddress", "channel": "channelID"}


def _other_event(body: bytes, content_type: str, id_field: str) -> tuple[str, str] | None:
    """(eventType, the ``id_field`` text) of a well-formed alarm of another type than ANPR, else None."""
    xml = body
    if content_type.lower().startswith("multipart/"):
        try:
            parts = multipart.parse(body, content_type)
        except DecodeError:
            return None
        part = next((p for p in parts if p.name.lower().endswith(".xml") or "xml" in p.content_type.lower()), None)
        if part is None:
            return None
        xml = part.body
    if b"<!DOCTYPE" in xml.upper() or b"<!ENTITY" in xml.upper():
        return None
    try:
        root = ET.fromstring(bytes(xml))
    except ET.ParseError:
        return None
    fields = {el.tag.split("}", 1)[-1]: (el.text or "").strip() for el in root if isinstance(el.tag, str)}
    event_type = fields.get("eventType", "")
    if root.tag.split("}", 1)[-1] != "EventNotificationAlert" or not event_type or event_type.upper() == "ANPR":
        return None
    return event_type, fields.get(id_field, "")


def _error(status: int, message: str) -> PushReply:
    import json
    return PushReply(status, JSON_UTF8, json.dumps({"error": message}, ensure_ascii=False).encode("utf-8"))
