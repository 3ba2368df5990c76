"""HTTP ingress for cameras that push: a small threaded HTTP/1.1 server routing paths to handlers.

Cameras (VZ ``plateresult.php``, Hikvision ISAPI ANPR) are HTTP clients that POST to us and read
commands from the answer, so a handler receives a :class:`PushRequest` and returns a :class:`PushReply`::

    camera ──POST path, Content-Length N, body──► PushIngress ──route[path](PushRequest)──► handler
    camera ◄──status, Content-Length M, body────── PushIngress ◄──────PushReply──────────── handler

Standard library only (``http.server.ThreadingHTTPServer``), one thread per connection, keep-alive:
every answer carries ``Content-Length``. A body over ``max_body_bytes`` gets 413, an unknown path 404,
a handler that raises 500; all three answer with a JSON ``{"error": ...}`` and the server keeps serving.
What a handler does with the request (decode, decide, answer) is not this module's business.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Mapping
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

JSON_UTF8 = "application/json; charset=utf-8"


@dataclass(frozen=True)
class PushRequest:
    path: str
    headers: Mapping[str, str]
    body: bytes
    client_address: tuple[str, int]
    method: str = "POST"
    query: str = ""


@dataclass(frozen=True)
class PushReply:
    status: int = 200
    content_type: str = JSON_UTF8
    body: bytes = b""


Handler = Callable[[PushRequest], PushReply]


def _json_error(status: int, message: str) -> PushReply:
    return PushReply(status, JSON_UTF8, json.dumps({"error": message}, ensure_ascii=False).encode("utf-8"))


class _BodyTooLarge(Exception):
    def __init__(self, unread: int) -> None:
        self.unread = unread  # declared bytes still on the socket, -1 if unknown


DRAIN_LIMIT = 16 * 1024 * 1024


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "parking-ingress/1"
    timeout = 60  # an idle keep-alive connection is dropped after this many seconds
    # Headers and body leave in separate writes; with Nagle's algorithm the body would wait ~40 ms for the
    # client's delayed ACK whenever a camera reuses its connection at once (offline replay, comet polling).
    disable_nagle_algorithm = True
    server: "_Server"

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_GET(self) -> None:
        self._serve("GET")

    def _serve(self, method: str) -> None:
        ingress = self.server.ingress
        try:
            body = self._read_body(ingress.max_body_bytes)
        except _BodyTooLarge as exc:
            self._drain(exc.unread)  # so the client reads our 413 instead of a connection reset
            self.close_connection = True
            self._send(_json_error(413, f"request body exceeds the limit of {ingress.max_body_bytes} bytes"))
            return
        except (ValueError, OSError) as exc:
            self.close_connection = True
            self._send(_json_error(400, f"unreadable request body: {exc}"))
            return
        parts = urlsplit(self.path)
        handler = ingress.routes.get(parts.path)
        if handler is None:
            self._send(_json_error(404, f"no handler for path {parts.path!r}"))
            return
        request = PushRequest(parts.path, self.headers, body, self.client_address[:2], method, parts.query)
        try:
            reply = handler(request)
            if not isinstance(reply, PushReply):
                raise TypeError(f"handler for {parts.path!r} returned {type(reply).__name__}, not PushReply")
        except Exception as exc:  # a bad handler must never take the ingress down
            log.exception("handler for %s %s from %s failed", method, parts.path, self.client_address[0])
            reply = _json_error(500, f"handler failed: {type(exc).__name__}: {exc}")
        self._send(reply)

    def _read_body(self, limit: int) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        length = int(length_text)
        if length < 0:
            raise ValueError(f"negative Content-Length {length}")
        if length > limit:
            raise _BodyTooLarge(length)
        body = self.rfile.read(length)
        if len(body) != length:
            raise ValueError(f"connection closed after {len(body)} of {length} body bytes")
        return body

    def _read_chunked(self, limit: int) -> bytes:
        body = bytearray()
        while True:
            size = int(self.rfile.readline(64).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(body)
            if len(body) + size > limit:
                raise _BodyTooLarge(-1)
            body += self.rfile.read(size)
            self.rfile.readline(8)

    def _drain(self, unread: int) -> None:
        if not 0 < unread <= DRAIN_LIMIT:
            return
        try:
            while unread > 0:
                chunk = self.rfile.read(min(unread, 65536))
                if not chunk:
                    return
                unread -= len(chunk)
        except OSError:
            pass

    def _send(self, reply: PushReply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)
        self.wfile.flush()

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.client_address[0], format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], ingress: "PushIngress") -> None:
        self.ingress = ingress
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        log.debug("connection from %s ended abruptly", client_address[0], exc_info=True)

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._lock:
            (self._connections.add if alive else self._connections.discard)(conn)

    def close_connections(self) -> None:
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class PushIngress:
    """Serve ``routes`` (exact path → handler) on ``host:port``; ``port=0`` picks a free port."""

    def __init__(self, host: str, port: int, routes: Mapping[str, Handler], *,
                 max_body_bytes: int = 4 * 1024 * 1024) -> None:
        self.routes = dict(routes)
        self.max_body_bytes = max_body_bytes
        self._server = _Server((host, port), self)
        self._thread: threading.Thread | None = None

    @property
    def server_address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.server_address
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif ":" in host:
            host = "[::1]" if host == "::" else f"[{host}]"
        return f"http://{host}:{port}"

    def start(self) -> "PushIngress":
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                            name=f"push-ingress:{self.server_address[1]}", daemon=True)
            self._thread.start()
        return self

    def shutdown(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.close_connections()
        self._server.server_close()

    def __enter__(self) -> "PushIngress":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
