"""The bundled redis-server: one owner per instance that restarts it from its append-only file when it
dies, adopts one an earlier owner left running, and stops only what it started; everything it writes
is private."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from parking.embedded_redis import EmbeddedRedis
from tests.redis_probe import answers

pytestmark = pytest.mark.redis

DEADLINE_SECONDS = 15.0


def wait_until(condition: Callable[[], object], what: str, timeout: float = DEADLINE_SECONDS) -> None:
    """Poll ``condition`` until it holds, for at most ``timeout`` seconds (a process coming back, not a clock)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def owner(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


def test_a_killed_server_is_restarted_on_the_same_socket_with_its_data(owner: EmbeddedRedis) -> None:
    assert owner.role == "started"
    client = redis.Redis.from_url(owner.url, socket_timeout=2)
    for i in range(100):
        client.incr("counter")
        client.xadd("{lot:1}:events", {"n": str(i)})
    first = owner.pid
    assert first is not None

    os.kill(first, signal.SIGKILL)

    wait_until(lambda: owner.restarts == 1 and answers(owner.url), "the owner restarts the server")
    assert owner.pid != first and owner.role == "started"
    # The same client object carries on: its pool reconnects by itself (a command cut by the kill fails
    # once at most), and every acknowledged write is there (appendfsync always).
    wait_until(lambda: _get(client, "counter") is not None, "the client reconnects")
    assert client.get("counter") == b"100"
    assert client.xlen("{lot:1}:events") == 100
    client.close()


def _get(client: redis.Redis, key: str) -> bytes | None:
    try:
        return client.get(key)
    except redis.ConnectionError:
        return None


def test_a_second_object_attaches_and_never_stops_the_owners_server(owner: EmbeddedRedis, tmp_path: Path) -> None:
    other = EmbeddedRedis(tmp_path / "redis").start()
    assert (other.role, other.owned, other.pid) == ("attached", False, None)
    other.stop()
    assert answers(owner.url)
    assert alive(owner.pid or 0)


def test_an_attached_object_waits_while_the_owner_restarts_the_server(owner: EmbeddedRedis, tmp_path: Path) -> None:
    os.kill(owner.pid or 0, signal.SIGKILL)
    other = EmbeddedRedis(tmp_path / "redis").start(timeout=DEADLINE_SECONDS)
    try:
        assert other.role == "attached" and answers(other.url)
    finally:
        other.stop()


def test_stop_stops_only_a_server_this_object_started(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis").start()
    pid = server.pid
    server.stop()
    assert server.role is None and not answers(server.url)
    assert pid is not None and not alive(pid)
    with EmbeddedRedis(tmp_path / "redis") as again:  # a new owner: the lock was released
        assert again.role == "started"


OWNER_SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from parking.embedded_redis import EmbeddedRedis
    server = EmbeddedRedis(Path(sys.argv[1])).start()
    print(server.pid, flush=True)
    threading.Event().wait()
    """
)


def test_a_server_left_by_a_dead_owner_is_adopted_not_started_twice(tmp_path: Path) -> None:
    folder = tmp_path / "redis"
    owner_process = subprocess.Popen([sys.executable, "-c", OWNER_SCRIPT, str(folder)], stdout=subprocess.PIPE, text=True)
    server_pid = 0
    try:
        server_pid = int(owner_process.stdout.readline())  # type: ignore[union-attr]
        redis.Redis.from_url(f"unix://{folder / 'redis.sock'}").set("kept", "1")
        owner_process.kill()                                   # the owner dies; its server keeps running
        owner_process.wait()
        assert alive(server_pid)

        adopter = EmbeddedRedis(folder).start()
        try:
            assert (adopter.role, adopter.pid) == ("adopted", server_pid)
            assert redis.Redis.from_url(adopter.url).get("kept") == b"1"
            os.kill(server_pid, signal.SIGKILL)               # the adopter supervises it too
            wait_until(lambda: adopter.restarts == 1 and answers(adopter.url), "the adopter restarts the server")
            assert adopter.role == "started"
            assert redis.Redis.from_url(adopter.url).get("kept") == b"1"
        finally:
            adopter.stop()
        assert not answers(adopter.url)                       # it started this one, so it stopped it
    finally:
        owner_process.kill()
        owner_process.wait()
        if server_pid and alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)


def test_an_adopted_server_is_left_running_at_stop(tmp_path: Path) -> None:
    folder = tmp_path / "redis"
    owner_process = subprocess.Popen([sys.executable, "-c", OWNER_SCRIPT, str(folder)], stdout=subprocess.PIPE, text=True)
    server_pid = int(owner_process.stdout.readline())  # type: ignore[union-attr]
    try:
        owner_process.kill()
        owner_process.wait()
        adopter = EmbeddedRedis(folder).start()
        assert adopter.role == "adopted"
        adopter.stop()
        assert alive(server_pid) and answers(adopter.url)
    finally:
        if alive(server_pid):
            os.kill(server_pid, signal.SIGTERM)
            wait_until(lambda: not alive(server_pid), "the left server stops")


def test_an_attached_process_takes_over_when_the_owner_dies_and_leaves_the_server(tmp_path: Path) -> None:
    folder = tmp_path / "redis"
    owner_process = subprocess.Popen([sys.executable, "-c", OWNER_SCRIPT, str(folder)], stdout=subprocess.PIPE, text=True)
    server_pid = int(owner_process.stdout.readline())  # type: ignore[union-attr]
    attached = EmbeddedRedis(folder).start()
    try:
        assert attached.role == "attached"
        owner_process.kill()
        owner_process.wait()
        wait_until(lambda: attached.role == "adopted", "the attached process adopts the server")
        assert attached.pid == server_pid
        os.kill(server_pid, signal.SIGKILL)
        wait_until(lambda: attached.restarts == 1 and answers(attached.url), "the new owner restarts the server")
    finally:
        attached.stop()
        if alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)
    assert not answers(attached.url)


def test_an_attached_process_does_not_start_a_server_its_owner_stopped(owner: EmbeddedRedis, tmp_path: Path) -> None:
    attached = EmbeddedRedis(tmp_path / "redis").start()
    try:
        assert attached.take_over() is False  # the owner is alive
        owner.stop()
        assert attached.take_over() is False  # the owner stopped its server: nobody starts it again
        assert not answers(attached.url) and attached.role == "attached"
    finally:
        attached.stop()


def test_a_stale_pid_file_naming_another_program_is_not_adopted(tmp_path: Path) -> None:
    folder = tmp_path / "redis"
    folder.mkdir()
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        (folder / "redis.pid").write_text(f"{sleeper.pid}\n")
        with EmbeddedRedis(folder) as server:
            assert server.role == "started" and server.pid != sleeper.pid
    finally:
        sleeper.kill()
        sleeper.wait()


def test_everything_the_server_writes_is_private(tmp_path: Path) -> None:
    old = os.umask(0)  # the worst case: a umask that would share every new file
    try:
        with EmbeddedRedis(tmp_path / "redis") as server:
            redis.Redis.from_url(server.url).set("plate", "粤B12345")
            folder = server.folder
            names = {p.name for p in folder.iterdir()}
            assert {"redis.sock", "appendonly.aof", "redis.log", "redis.pid", "owner.lock"} <= names
            assert mode(folder) == 0o700
            assert {p.name: mode(p) for p in folder.iterdir()} == {
                **{name: 0o600 for name in names}, "redis.sock": 0o700,
            }
    finally:
        os.umask(old)
