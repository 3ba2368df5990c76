"""A simulated Hikvision ANPR camera: pushes ISAPI ANPR alarms and serves the barrier gate.

    simulator ──POST push_url, multipart anpr.xml + licensePlatePicture.jpg + detectionPicture.jpg──► hub
    driver ──PUT /ISAPI/Parking/channels/<n>/barrierGate──► simulator: 401 Digest challenge
    driver ──same PUT, Authorization: Digest ... response=MD5(...)──► simulator: 200 ResponseStatus, recorded

The push side uses :func:`drivers.hikvision.encode_anpr` with Pillow snapshots of the plate. The gate side
is a small ``http.server`` speaking HTTP Digest as RFC 7616 describes it for MD5 with ``qop="auth"``:

    HA1 = MD5(username:realm:password)      HA2 = MD5(method:uri)
    response = MD5(HA1:nonce:nc:cnonce:qop:HA2)

Each nonce is issued by the simulator, and its ``nc`` must grow from one use to the next. A request
without valid credentials gets 401 with a fresh challenge and a ``userCheck`` body, as the camera answers.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import re
import secrets
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import urlsplit
from urllib.request import parse_http_list, parse_keqv_list

from drivers.errors import TransportError
from drivers.hikvision import GATE_MODES, HikAnprEvent, encode_anpr

CHINA = timezone(timedelta(hours=8))
COLOR_TYPES = {"blue": 1, "yellow": 2, "white": 3, "black": 4, "green": 5}  # plateColor → snapshot colours
_GATE_PATH = re.compile(r"^/ISAPI/Parking/channels/(\d+)/barrierGate$")
_NONCES_KEPT = 256


def china_now() -> datetime:
    now = datetime.now(CHINA)  # the camera's local time, to the millisecond as the firmware sends it
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class GateCommand:
    channel: int
    mode: str
    username: str


class HikvisionCameraSimulator:
    """Camera ``mac`` pushing to ``push_url`` and, after :meth:`serve`, obeying ISAPI gate commands."""

    def __init__(self, push_url: str = "", *, mac: str = "44:19:b6:00:00:01", ip: str = "192.168.1.64",
                 channel: int = 1, username: str = "admin", password: str = "hik12345",
                 realm: str = "IP Camera(C1234)", channels: tuple[int, ...] = (1,),
                 clock: Callable[[], datetime] = china_now, timeout: float = 5.0) -> None:
        self.push_url = push_url
        self.mac, self.ip, self.channel = mac, ip, channel
        self.username, self.password, self.realm = username, password, realm
        self.channels = set(channels)
        self.clock = clock
        self.timeout = timeout
        self.gate_commands: list[GateCommand] = []
        self.auth_failures = 0   # requests that carried credentials which did not verify
        self.challenges = 0      # 401 answers sent
        self._nonces: OrderedDict[str, int] = OrderedDict()  # nonce → last nc used
        self._opaque = secrets.token_hex(8)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------------------------- pushes

    @property
    def modes(self) -> list[str]:
        return [c.mode for c in self.gate_commands]

    def make_event(self, license: str, *, plate_color: str = "blue", confidence: int = 98,
                   direction: str = "forward", vehicle_type: str = "vehicle", with_images: bool = True,
                   at: datetime | None = None) -> HikAnprEvent:
        plate = scene = None
        if with_images:
            from simulators.snapshot import snapshot_jpegs
            scene, plate = snapshot_jpegs(license, COLOR_TYPES.get(plate_color, 0))
        return HikAnprEvent(license=license, confidence=confidence, direction=direction, plate_color=plate_color,
                            vehicle_type=vehicle_type, active_post_count=1, channel=self.channel,
                            ip_address=self.ip, mac_address=self.mac, date_time=at or self.clock(),
                            plate_picture=plate, detection_picture=scene)

    def push_plate(self, license: str, **kwargs: object) -> HikAnprEvent:
        """Push one recognition; return the event sent. A non-200 answer raises TransportError."""
        event = self.make_event(license, **kwargs)  # type: ignore[arg-type]
        status, answer = self.push_event(event)
        if status != 200:
            raise TransportError(f"ANPR push to {self.push_url} answered HTTP {status}: {answer[:200]!r}")
        return event

    def repost(self, event: HikAnprEvent) -> tuple[HikAnprEvent, int]:
        """Send ``event`` again as the firmware does when an answer is lost: ``activePostCount`` + 1."""
        again = replace(event, active_post_count=event.active_post_count + 1)
        return again, self.push_event(again)[0]

    def push_event(self, event: HikAnprEvent) -> tuple[int, bytes]:
        return self.post(*encode_anpr(event))

    def post(self, body: bytes, content_type: str) -> tuple[int, bytes]:
        """POST any body to the push URL; (status, answer body)."""
        parts = urlsplit(self.push_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"push_url {self.push_url!r}: expected http://host:port/path")
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=self.timeout)
        try:
            conn.request("POST", parts.path or "/", body=body, headers={"Content-Type": content_type})
            reply = conn.getresponse()
            return reply.status, reply.read()
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"ANPR push to {self.push_url} failed: {exc}") from exc
        finally:
            conn.close()

    # ------------------------------------------------------------------------------- ISAPI server

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Start the camera's HTTP server; return its (host, port)."""
        sim = self

        class Handler(_IsapiHandler):
            simulator = sim

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="hikvision-sim", daemon=True)
        self._thread.start()
        return self.address

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("the ISAPI server is not started; call serve()")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def shutdown(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def challenge(self) -> str:
        nonce = secrets.token_hex(16)
        with self._lock:
            self._nonces[nonce] = 0
            while len(self._nonces) > _NONCES_KEPT:
                self._nonces.popitem(last=False)
            self.challenges += 1
        return (f'Digest qop="auth", realm="{self.realm}", nonce="{nonce}", opaque="{self._opaque}", '
                f'algorithm=MD5, stale="FALSE"')

    def verify(self, method: str, target: str, authorization: str) -> str | None:
        """The user name if ``authorization`` is a valid Digest answer for this request, else None."""
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "digest":
            return None
        p = parse_keqv_list([item for item in parse_http_list(rest) if "=" in item])
        required = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(k not in p for k in required) or p["qop"] != "auth" or p.get("algorithm", "MD5").upper() != "MD5":
            return None
        if p["realm"] != self.realm or p["uri"] != target or p.get("opaque", self._opaque) != self._opaque:
            return None
        try:
            nc = int(p["nc"], 16)
        except ValueError:
            return None
        with self._lock:
            last = self._nonces.get(p["nonce"])
            if last is None or nc <= last:
                return None  # not ours, or replayed
            self._nonces[p["nonce"]] = nc
        ha1 = md5_hex(f"{self.username}:{self.realm}:{self.password}")
        ha2 = md5_hex(f"{method}:{p['uri']}")
        expected = md5_hex(f"{ha1}:{p['nonce']}:{p['nc']}:{p['cnonce']}:{p['qop']}:{ha2}")
        if p["username"] != self.username or not hmac.compare_digest(expected, p["response"].lower()):
            return None
        return p["username"]


def _response_status(url: str, code: int, text: str, sub: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ResponseStatus version="2.0" '
            f'xmlns="http://www.hikvision.com/ver20/XMLSchema"><requestURL>{url}</requestURL>'
            f"<statusCode>{code}</statusCode><statusString>{text}</statusString>"
            f"<subStatusCode>{sub}</subStatusCode></ResponseStatus>").encode("utf-8")


_UNAUTHORIZED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<userCheck><statusValue>401</statusValue>'
                 b"<statusString>Unauthorized</statusString></userCheck>")


class _IsapiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "App-webs/"
    simulator: HikvisionCameraSimulator

    def do_PUT(self) -> None:
        sim = self.simulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        authorization = self.headers.get("Authorization")
        user = sim.verify("PUT", self.path, authorization) if authorization else None
        if user is None:
            if authorization:
                with sim._lock:
                    sim.auth_failures += 1
            self._send(401, _UNAUTHORIZED, {"WWW-Authenticate": sim.challenge()})
            return
        found = _GATE_PATH.match(self.path)
        if found is None or int(found.group(1)) not in sim.channels:
            self._send(404, _response_status(self.path, 4, "Invalid Operation", "notSupport"))
            return
        mode = _ctrl_mode(body)
        if mode not in GATE_MODES:
            self._send(400, _response_status(self.path, 6, "Invalid Content", "badXmlContent"))
            return
        with sim._lock:
            sim.gate_commands.append(GateCommand(int(found.group(1)), mode, user))
        self._send(200, _response_status(self.path, 1, "OK", "ok"))

    def do_GET(self) -> None:
        self._send(405, _response_status(self.path, 4, "Invalid Operation", "methodNotAllowed"))

    do_POST = do_GET

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", 'application/xml; charset="UTF-8"')
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _ctrl_mode(body: bytes) -> str:
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        return ""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return ""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.split("}", 1)[-1] == "ctrlMode":
            return (el.text or "").strip()
    return ""
