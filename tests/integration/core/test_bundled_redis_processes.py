"""Processes of one instance and its bundled redis-server: the first owns it, ``parking reconcile`` and a
demo run beside it attach and leave it running, and the instance's files are readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from parking import db as dbmod
from parking.cli import main
from parking.config import Settings
from parking.embedded_redis import EmbeddedRedis
from parking.runtime import Runtime, bundled_redis_folder
from tests.redis_probe import answers

pytestmark = [pytest.mark.redis, pytest.mark.database]


@pytest.fixture(autouse=True)
def _no_lasting_log_filters() -> Iterator[None]:
    """``parking reconcile`` configures logging (the plate filter on every handler): undo it afterwards."""
    yield
    from parking.logs import PlateFilter, _all_handlers

    for handler in _all_handlers():
        for f in [f for f in handler.filters if isinstance(f, PlateFilter)]:
            handler.removeFilter(f)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def bundled(tmp_path: Path, database_url: str) -> Settings:
    """An instance on the bundled redis-server (no PARKING_REDIS_URL), its database migrated."""
    return Settings(instance_path=tmp_path / "instance", database_url=database_url, redis_url=None, secret_key="k")


def env_for(settings: Settings) -> dict[str, str]:
    return {"PARKING_INSTANCE_PATH": str(settings.instance_path), "PARKING_DATABASE_URL": settings.database_url,
            "PARKING_REDIS_URL": ""}


def test_the_first_runtime_owns_the_server_and_a_second_attaches(bundled: Settings) -> None:
    first = Runtime.open(bundled)
    try:
        second = Runtime.open(bundled)
        assert (first.embedded.role, second.embedded.role) == ("started", "attached")  # type: ignore[union-attr]
        assert "owned by another process" in second.describe_redis()
        second.store.redis.set("k", "v")
        second.close()
        assert first.redis.get("k") == b"v"  # the attached process left the server running
    finally:
        first.close()
    assert not answers(first.redis_url)  # the owner stopped the server it started


def test_reconcile_beside_a_running_owner_attaches_and_leaves_the_server_running(bundled: Settings) -> None:
    with EmbeddedRedis(bundled_redis_folder(bundled.ensure_instance())) as owner:
        result = CliRunner().invoke(main, ["reconcile", "--dry-run"], env=env_for(bundled))
        assert result.exit_code == 0, result.output
        assert "owned by another process of this instance; not stopped by this one" in result.output
        assert owner.role == "started" and answers(owner.url)


def test_reconcile_alone_starts_a_server_and_stops_the_one_it_started(bundled: Settings) -> None:
    result = CliRunner().invoke(main, ["reconcile", "--dry-run"], env=env_for(bundled))
    assert result.exit_code == 0, result.output
    assert "started and supervised by this process" in result.output
    assert not answers(f"unix://{bundled_redis_folder(bundled) / 'redis.sock'}")


def test_the_demo_beside_a_running_owner_leaves_the_server_running(bundled: Settings) -> None:
    from parking.demo import run_demo

    settings = replace(bundled, web_bind=("127.0.0.1", 0), agent_bind=("127.0.0.1", 0))
    lines: list[str] = []
    with EmbeddedRedis(bundled_redis_folder(settings.ensure_instance())) as owner:
        rows = run_demo(settings, traffic=False, seconds=0, interval=0.01, seed=1, echo=lines.append)
        assert rows and answers(owner.url)
    assert any("owned by another process" in line for line in lines), lines


def test_instance_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    settings = Settings(instance_path=instance, database_url=f"sqlite:///{instance / 'parking.sqlite'}", redis_url=None)
    old = os.umask(0o022)  # a usual umask: new files world-readable unless the system says otherwise
    try:
        settings = settings.ensure_instance()
        dbmod.upgrade(settings.database_url)  # `parking db upgrade` before any Runtime: 0644 under this umask
        with Runtime.open(settings) as runtime:
            runtime.redis.set("plate", "粤B12345")
            with runtime.sessions() as db, db.begin():
                db.execute(text("CREATE TABLE scratch (plate TEXT)"))
                db.execute(text("INSERT INTO scratch VALUES ('粤B12345')"))  # the WAL and its index exist now
            assert (instance / "parking.sqlite-wal").exists()
            found = {p.relative_to(instance).as_posix(): mode(p) for p in instance.rglob("*")}
            assert mode(instance) == 0o700
            for name in ("parking.sqlite", "secret_key", "redis/appendonly.aof", "redis/redis.log"):
                assert found[name] == 0o600, name
            for name, bits in found.items():
                assert bits & 0o077 == 0, f"{name} is {oct(bits)}"
    finally:
        os.umask(old)
