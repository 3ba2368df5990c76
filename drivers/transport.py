"""Byte transports under the framers: serial ports by URL, a reconnecting TCP client, a TCP server.

    device class ──frames──► Transport.write(bytes)          ┌ SerialTransport   serial.serial_for_url:
                 ◄─bytes──── Transport.read(size, timeout)   │                   /dev/ttyUSB0, loop://,
                                                             │                   socket://host:port, a pty
                                                             └ TcpClientTransport  reconnects with Backoff

A transport moves bytes and nothing else: no framing, no retries of commands. Failures surface as
``TransportError`` (the link) or an empty read (nothing arrived before the timeout). The TCP client
reconnects lazily: after a failure it refuses to dial again until the backoff delay has passed on its
injected clock, so a dead device costs one quick error per call instead of a blocked lane.
:class:`TcpServer` accepts connections and hands each to a function in its own thread; simulated devices
and the OLM-over-TCP adapter use it.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from typing import Callable, Protocol

import serial

from drivers.errors import TransportError

log = logging.getLogger(__name__)


class Transport(Protocol):
    def open(self) -> None: ...
    def close(self) -> None: ...
    def write(self, data: bytes) -> None: ...
    def read(self, size: int = 4096, timeout: float | None = None) -> bytes: ...
    @property
    def is_open(self) -> bool: ...


class Backoff:
    """Exponential delays with jitter: ``initial``, ×``factor`` per failure, capped at ``maximum``."""

    def __init__(self, initial: float = 0.5, factor: float = 2.0, maximum: float = 30.0, jitter: float = 0.1,
                 rng: random.Random | None = None) -> None:
        self.initial, self.factor, self.maximum, self.jitter = initial, factor, maximum, jitter
        self._rng = rng or random.Random()
        self.failures = 0

    def next_delay(self) -> float:
        base = min(self.maximum, self.initial * self.factor ** self.failures)
        self.failures += 1
        return base * (1 + self.jitter * (2 * self._rng.random() - 1)) if self.jitter else base

    def reset(self) -> None:
        self.failures = 0


class SerialTransport:
    """A serial line opened with ``serial.serial_for_url`` (device path, pty path, ``loop://``, ``socket://``)."""

    def __init__(self, url: str, *, baudrate: int = 9600, bytesize: int = 8, parity: str = "N",
                 stopbits: float = 1, write_timeout: float = 2.0) -> None:
        self.url = url
        self._settings = dict(baudrate=baudrate, bytesize=bytesize, parity=parity, stopbits=stopbits,
                              write_timeout=write_timeout)
        self._port: serial.SerialBase | None = None
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._port is not None and self._port.is_open

    def open(self) -> None:
        if self.is_open:
            return
        try:
            self._port = serial.serial_for_url(self.url, timeout=0, **self._settings)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise TransportError(f"cannot open serial port {self.url!r}: {exc}") from exc

    def close(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            finally:
                self._port = None

    def write(self, data: bytes) -> None:
        self.open()
        assert self._port is not None
        try:
            with self._lock:
                self._port.write(data)
                self._port.flush()
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise TransportError(f"write to {self.url!r} failed: {exc}") from exc

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        """Up to ``size`` bytes; waits at most ``timeout`` seconds for the first one (None: forever)."""
        self.open()
        assert self._port is not None
        try:
            self._port.timeout = timeout
            first = self._port.read(1)
            if not first:
                return b""
            self._port.timeout = 0
            waiting = min(self._port.in_waiting, size - 1)
            return first + (self._port.read(waiting) if waiting > 0 else b"")
        except (serial.SerialException, OSError, TypeError) as exc:
            self.close()
            raise TransportError(f"read from {self.url!r} failed: {exc}") from exc

    def reset_input(self) -> None:
        if self._port is not None:
            self._port.reset_input_buffer()


class TcpClientTransport:
    """A TCP connection that reconnects on demand, no sooner than its backoff allows."""

    def __init__(self, host: str, port: int, *, connect_timeout: float = 3.0, backoff: Backoff | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 on_connect: Callable[["TcpClientTransport"], None] | None = None) -> None:
        self.host, self.port = host, port
        self.connect_timeout = connect_timeout
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.on_connect = on_connect
        self._sock: socket.socket | None = None
        self._next_attempt = 0.0
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self.connects = 0

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def open(self) -> None:
        if self._sock is not None:
            return
        now = self.clock()
        if now < self._next_attempt:
            raise TransportError(f"tcp://{self.host}:{self.port} is down ({self.last_error}); "
                                 f"next attempt in {self._next_attempt - now:.1f} s")
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as exc:
            self._failed(f"connect failed: {exc}")
            raise TransportError(f"cannot connect to tcp://{self.host}:{self.port}: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self.backoff.reset()
        self.connects += 1
        if self.on_connect is not None:
            self.on_connect(self)

    def _failed(self, reason: str) -> None:
        self.last_error = reason
        self._next_attempt = self.clock() + self.backoff.next_delay()
        log.info("tcp://%s:%s %s; retry after backoff", self.host, self.port, reason)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def drop(self, reason: str) -> None:
        """Close after a failure and start the backoff."""
        self.close()
        self._failed(reason)

    def write(self, data: bytes) -> None:
        self.open()
        try:
            with self._lock:
                assert self._sock is not None
                self._sock.sendall(data)
        except (OSError, AttributeError) as exc:
            self.drop(f"send failed: {exc}")
            raise TransportError(f"send to tcp://{self.host}:{self.port} failed: {exc}") from exc

    def read(self, size: int = 4096, timeout: float | None = None) -> bytes:
        self.open()
        sock = self._sock
        assert sock is not None
        try:
            sock.settimeout(timeout)
            data = sock.recv(size)
        except socket.timeout:
            return b""
        except OSError as exc:
            self.drop(f"receive failed: {exc}")
            raise TransportError(f"receive from tcp://{self.host}:{self.port} failed: {exc}") from exc
        if not data:
            self.drop("closed by peer")
            raise TransportError(f"tcp://{self.host}:{self.port} closed the connection")
        return data


class TcpServer:
    """Accept TCP connections on ``host:port`` (0 = any free port); run ``serve(conn, addr)`` per connection."""

    def __init__(self, host: str, port: int, serve: Callable[[socket.socket, tuple[str, int]], None]) -> None:
        self._listener = socket.create_server((host, port), reuse_port=False)
        self._serve = serve
        self._stop = threading.Event()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def server_address(self) -> tuple[str, int]:
        host, port = self._listener.getsockname()[:2]
        return host, port

    def start(self) -> "TcpServer":
        self._thread = threading.Thread(target=self._accept_loop, name=f"tcp-server:{self.server_address[1]}",
                                        daemon=True)
        self._thread.start()
        return self

    def _accept_loop(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, addr = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=self._run, args=(conn, addr), daemon=True).start()

    def _run(self, conn: socket.socket, addr: tuple[str, int]) -> None:
        try:
            self._serve(conn, addr)
        except OSError:
            pass
        except Exception:
            log.exception("connection handler for %s failed", addr)
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def disconnect_all(self) -> None:
        """Drop every open connection (the listener stays up); simulates a device reboot or a cable pull."""
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def shutdown(self) -> None:
        self._stop.set()
        self.disconnect_all()
        self._listener.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
