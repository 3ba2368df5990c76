"""HTTP ingress for cameras that push: exact paths routed to handlers, served by waitress with its limits set.

Cameras (VZ ``plateresult.php``, Hikvision ISAPI ANPR) are HTTP clients that POST to us and read
commands from the answer, so a handler receives a :class:`PushRequest` and returns a :class:`PushReply`::

    camera ──POST path, body──► waitress (parse, cap, buffer) ──► PushIngress ──route[path](PushRequest)──► handler
    camera ◄──status, Content-Length M, body───────────────────── PushIngress ◄───────PushReply──────────── handler

The HTTP framing is waitress's (a production WSGI server, pure Python): one I/O thread multiplexes every
connection and parses requests, a small pool of ``threads`` runs the handlers. This module only sets its
limits, answers its errors in the ingress's own JSON shape and turns a WSGI call into a handler call:

- Bodies are capped at ``max_body_bytes`` of body, however they are framed (``Content-Length``, chunked,
  or neither: then there is no body). Over the cap is 413, after the rest of the body has been read and
  dropped up to ``DRAIN_LIMIT`` bytes so that the camera reads the 413 rather than a reset, or at once
  when it cannot end within that. Chunk framing may add ``FRAMING_ALLOWANCE`` bytes. Bodies are kept in
  memory, never spooled to disk (snapshots are personal data).
- Malformed framing (a chunk size that is negative or not hexadecimal, a bad ``Content-Length``, bytes
  that are not HTTP) is 400, headers over ``max_header_bytes`` 431, a transfer coding other than chunked
  501; each closes that connection, and the server keeps serving the others.
- At most ``max_connections`` connections are open at once: one more is answered 503 and closed at once.
  A keep-alive connection idle for ``idle_timeout`` seconds is closed.
- An unknown path is 404, a method other than GET, POST and PUT 405, a handler that raises (or returns
  something else than a :class:`PushReply`) 500 ``internal error``: the traceback is logged here, never
  the body, and no error body ever carries exception text. Every error body is JSON ``{"error": ...}``.

What cameras need is kept: JSON with or without ``Content-Type``, HTTP/1.0 (closed after the answer
unless it asks for keep-alive), keep-alive reuse, ``Expect: 100-continue``, multipart bodies, no ``Host``.
Every answer carries ``Content-Length``, and accepted sockets have ``TCP_NODELAY`` (waitress writes the
status line and headers, then the body): a camera that reuses its connection at once never waits for a
delayed ACK. What a handler does with the request (decode, decide, answer) is not this module's business.

waitress's parser, channel and error task are subclassed here (``parser_class``, ``error_task_class``,
``channel_class``, ``handle_accept``, ``maintenance``); the dependency is pinned below its next major
version, and tests/integration/drivers/test_http_ingress_limits.py exercises each of these hooks.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.client import HTTPMessage
from io import BytesIO
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.receiver import ChunkedReceiver, FixedStreamReceiver
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import (
    BadRequest,
    RequestEntityTooLarge,
    RequestHeaderFieldsTooLarge,
    ServerNotImplemented,
)

log = logging.getLogger(__name__)

JSON_UTF8 = "application/json; charset=utf-8"
DRAIN_LIMIT = 16 * 1024 * 1024  # an over-long Content-Length up to this is read and dropped before the 413
FRAMING_ALLOWANCE = 64 * 1024  # chunk-size lines, extensions and trailers allowed on top of the body cap
METHODS = ("GET", "POST", "PUT")
PATH_IN_ERRORS = 120  # characters of an unknown path quoted in its 404


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


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Status {status}"


# ------------------------------------------------------------------------------------ waitress hooks


class _Dropped:
    """A body buffer that keeps only the count of the bytes it was given."""

    def __init__(self, count: int = 0) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count

    def append(self, data: bytes) -> None:
        self.count += len(data)

    def getfile(self) -> BytesIO:
        return BytesIO()

    def close(self) -> None:
        pass


class _CappedParser(HTTPRequestParser):
    """waitress's request parser with this ingress's body cap, counted in body bytes whatever the framing.

    A body over the cap is read on and dropped, up to ``DRAIN_LIMIT`` bytes, and answered 413 once it has
    ended, so the camera reads the 413 instead of a reset; one that cannot end within ``DRAIN_LIMIT`` (by
    its Content-Length or its current chunk's size), or waits for ``100 Continue``, is answered at once.
    Chunk framing (size lines, extensions, trailers) may add ``FRAMING_ALLOWANCE`` bytes to the cap.
    """

    dropping = False

    def __init__(self, adj: Adjustments, max_body: int) -> None:
        super().__init__(adj)
        self.max_body = max_body

    def received(self, data: bytes) -> int:
        headers_were_finished = self.headers_finished
        consumed = super().received(data)
        if self.error is not None:
            pass
        elif self.headers_finished and not headers_were_finished:
            if not self.chunked and self.content_length > self.max_body:
                if self.expect_continue or self.content_length > DRAIN_LIMIT:
                    self._too_large()
                else:
                    self.body_rcv = FixedStreamReceiver(self.content_length, _Dropped())
                    self.dropping = True
        elif self.chunked and self.body_rcv is not None:
            self._check_chunked(self.body_rcv)
        elif self.dropping and self.completed:
            self._too_large()
        if self.error is not None:
            self.expect_continue = False  # never invite a body that is refused
        return consumed

    def _check_chunked(self, receiver: ChunkedReceiver) -> None:
        body = len(receiver)
        if self.body_bytes_received - body > FRAMING_ALLOWANCE:
            self._too_large()
        elif body > self.max_body:
            if not self.dropping:
                receiver.buf.close()
                receiver.buf = _Dropped(body)
                self.dropping = True
            if self.completed or self.body_bytes_received + receiver.chunk_remainder > DRAIN_LIMIT:
                self._too_large()

    def _too_large(self) -> None:
        self.error = RequestEntityTooLarge("")
        self.completed = True


class _JsonErrorTask(ErrorTask):
    """The answer to a request waitress could not take: JSON, a fixed message, the connection closed."""

    def execute(self) -> None:
        server: _Server = self.channel.server
        error = self.request.error
        if isinstance(error, RequestEntityTooLarge):
            reply = _json_error(413, f"request body exceeds the limit of {server.max_body_bytes} bytes")
        elif isinstance(error, RequestHeaderFieldsTooLarge):
            reply = _json_error(431, f"request headers exceed the limit of {server.adj.max_request_header_size} bytes")
        elif isinstance(error, BadRequest):
            reply = _json_error(400, "malformed HTTP request")
        elif isinstance(error, ServerNotImplemented):
            reply = _json_error(501, "transfer coding not supported; send Content-Length or chunked")
        else:
            reply = _json_error(500, "internal error")
        log.debug("request from %s answered %d: %.200s", self.channel.addr[0], reply.status, getattr(error, "body", ""))
        self.status = _status_line(reply.status)
        self.response_headers.append(("Content-Type", reply.content_type))
        self.set_close_on_finish()
        self.content_length = len(reply.body)
        self.write(reply.body)


class _Channel(HTTPChannel):
    error_task_class = _JsonErrorTask

    def parser_class(self, adj: Adjustments) -> _CappedParser:  # type: ignore[override]
        return _CappedParser(adj, self.server.max_body_bytes)


_BUSY_BODY = _json_error(503, "too many connections").body
_BUSY = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: {JSON_UTF8}\r\nContent-Length: {len(_BUSY_BODY)}\r\n"
         f"Connection: close\r\n\r\n").encode("ascii") + _BUSY_BODY


class _Server(TcpWSGIServer):
    channel_class = _Channel

    def __init__(self, sock: socket.socket, application: Any, adj: Adjustments, dispatcher: ThreadedTaskDispatcher,
                 *, max_body_bytes: int, max_connections: int, idle_timeout: float,
                 clock: Callable[[], float]) -> None:
        self.max_body_bytes = max_body_bytes
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self.clock = clock
        self.refused = 0  # connections answered 503 because max_connections were open
        self._next_sweep = 0.0
        sockinfo = (sock.family, sock.type, sock.proto, sock.getsockname())
        super().__init__(application, {}, True, sock, dispatcher=dispatcher, adj=adj, bind_socket=False,
                         sockinfo=sockinfo)

    def readable(self) -> bool:  # asked on every turn of the I/O loop (at least once a second)
        now = self.clock()
        if now >= self._next_sweep:
            self._next_sweep = now + min(self.idle_timeout / 2, 5.0)
            self.maintenance(now)
        return self.accepting

    def maintenance(self, now: float) -> None:
        cutoff = now - self.idle_timeout
        for channel in list(self.active_channels.values()):
            if not channel.requests and channel.last_activity < cutoff:
                channel.will_close = True

    def handle_accept(self) -> None:
        if len(self.active_channels) < self.max_connections:
            super().handle_accept()
            return
        try:
            accepted = self.accept()
        except OSError:
            return
        if accepted is None:
            return
        conn = accepted[0]
        self.refused += 1
        if self.refused == 1 or self.refused % 1000 == 0:
            log.warning("%d connections open, the limit: connection from %s answered 503 (%d so far)",
                        self.max_connections, accepted[1][0], self.refused)
        try:
            conn.setblocking(False)
            conn.send(_BUSY)
        except OSError:
            pass
        finally:
            conn.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    infos = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    family, kind, proto, _, address = sorted(infos, key=lambda info: info[0] != socket.AF_INET)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _headers(environ: Mapping[str, Any]) -> HTTPMessage:
    headers = HTTPMessage()
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            headers[key.replace("_", "-").title()] = value
    return headers


# ------------------------------------------------------------------------------------------ ingress


class PushIngress:
    """Serve ``routes`` (exact path → handler) on ``host:port``; ``port=0`` picks a free port.

    The socket is bound here, served from :meth:`start`. ``routes`` may be changed until then (and after:
    each request looks its path up). ``clock`` is what idle connections are timed with (seconds, on
    ``time.time``'s scale, which waitress stamps activity with).
    """

    def __init__(self, host: str, port: int, routes: Mapping[str, Handler], *,
                 max_body_bytes: int = 4 * 1024 * 1024, max_connections: int = 256, idle_timeout: float = 60.0,
                 max_header_bytes: int = 64 * 1024, threads: int = 8,
                 clock: Callable[[], float] = time.time) -> None:
        for name, value in (("max_body_bytes", max_body_bytes), ("max_connections", max_connections),
                            ("max_header_bytes", max_header_bytes), ("threads", threads)):
            if value < 1:
                raise ValueError(f"{name} {value}: expected at least 1")
        if not idle_timeout > 0:
            raise ValueError(f"idle_timeout {idle_timeout}: expected more than 0 seconds")
        self.routes = dict(routes)
        self.max_body_bytes = max_body_bytes
        self.threads = threads
        raw_limit = max(max_body_bytes + FRAMING_ALLOWANCE, DRAIN_LIMIT)
        adj = Adjustments(
            threads=threads,
            max_request_body_size=raw_limit + 1,  # waitress refuses at >=; ours are exact, in _CappedParser
            max_request_header_size=max_header_bytes,
            inbuf_overflow=raw_limit + 1,  # never spooled to a file
            ident="parking-ingress",
            clear_untrusted_proxy_headers=False,
            asyncore_use_poll=True,  # select() fails past 1024 descriptors
        )
        self._dispatcher = ThreadedTaskDispatcher()
        sock = _listening_socket(host, port)
        try:
            self._server = _Server(sock, self._wsgi, adj, self._dispatcher, max_body_bytes=max_body_bytes,
                                   max_connections=max_connections, idle_timeout=idle_timeout, clock=clock)
        except BaseException:
            sock.close()
            raise
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def server_address(self) -> tuple[str, int]:
        return str(self._server.effective_host), int(self._server.effective_port)

    @property
    def url(self) -> str:
        host, port = self.server_address
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif ":" in host:
            host = "[::1]" if host == "::" else f"[{host}]"
        return f"http://{host}:{port}"

    def start(self) -> "PushIngress":
        if self._closed:
            raise RuntimeError("this PushIngress was shut down; create a new one")
        if self._thread is None:
            self._dispatcher.set_thread_count(self.threads)
            self._thread = threading.Thread(target=self._server.run, name=f"push-ingress:{self.server_address[1]}",
                                            daemon=True)
            self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop accepting, close every connection (idle keep-alive ones too), stop the handler threads."""
        if self._closed:
            return
        self._closed = True
        server = self._server
        if self._thread is None:
            self._close_connections()
            server.close()
        else:
            done = threading.Event()
            server.trigger.pull_trigger(lambda: (self._close_connections(), done.set()))
            done.wait(timeout=5)
            self._dispatcher.shutdown(cancel_pending=True, timeout=5)
            server.trigger.pull_trigger(server.close)  # the last member of the loop's map: the loop ends
            self._thread.join(timeout=5)
            self._thread = None

    def _close_connections(self) -> None:
        """In the I/O thread: close the listening socket and every open connection."""
        server = self._server
        wasyncore.dispatcher.close(server)  # the listener only; the trigger stays, to end the loop later
        for channel in list(server.active_channels.values()):
            channel.handle_close()

    def __enter__(self) -> "PushIngress":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # ------------------------------------------------------------------------------ WSGI → handler

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        reply = self._dispatch(environ, method)
        start_response(_status_line(reply.status), [("Content-Type", reply.content_type),
                                                      ("Content-Length", str(0 if method == "HEAD" else len(reply.body)))])
        return [b"" if method == "HEAD" else reply.body]

    def _dispatch(self, environ: dict[str, Any], method: str) -> PushReply:
        parts = urlsplit(environ.get("REQUEST_URI") or environ.get("PATH_INFO") or "/")
        path = parts.path
        client = (str(environ.get("REMOTE_ADDR", "")), int(environ.get("REMOTE_PORT") or 0))
        if method not in METHODS:
            return _json_error(405, f"method not allowed; expected one of {', '.join(METHODS)}")
        handler = self.routes.get(path)
        if handler is None:
            shown = path if len(path) <= PATH_IN_ERRORS else path[:PATH_IN_ERRORS] + "…"
            return _json_error(404, f"no handler for path {shown!r}")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.max_body_bytes:  # the parser refused it already; kept as the last word
            return _json_error(413, f"request body exceeds the limit of {self.max_body_bytes} bytes")
        body = environ["wsgi.input"].read(length) if length else b""
        request = PushRequest(path, _headers(environ), body, client, method, parts.query)
        try:
            reply = handler(request)
            if not isinstance(reply, PushReply):
                raise TypeError(f"handler returned {type(reply).__name__}, not PushReply")
            if not 200 <= reply.status <= 599 or "\r" in reply.content_type or "\n" in reply.content_type:
                raise ValueError(f"handler returned status {reply.status} with content type {reply.content_type[:80]!r}")
        except Exception:  # a bad handler must never take the ingress down, nor show its insides to a client
            log.exception("handler for %s %s from %s failed (%d body bytes)", method, path, client[0], len(body))
            return _json_error(500, "internal error")
        return reply
