"""Fixtures shared by every layer of tests.

- ``redis_url``: ``PARKING_TEST_REDIS_URL`` when set, else a bundled redis-server started once per test
  session on a unix socket; ``redis_client`` empties its database before each test.
- ``database_url``: a migrated, empty database per test: a SQLite file under ``tmp_path``, or the
  PostgreSQL database named by ``PARKING_TEST_DATABASE_URL``, emptied and upgraded to head.
- ``settings``/``runtime``: the system's own configuration and connections over those two.
- ``village``: the demo village seeded into that database, with capacities published to Redis.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from parking import db as dbmod
from parking.config import Settings
from parking.embedded_redis import EmbeddedRedis
from parking.passwords import hash_password
from parking.runtime import Runtime

TEST_PASSWORD = "correct horse battery staple"
FIXED_NOW = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)  # 17:30 in Shanghai, a Wednesday


HEAD = dbmod.head_revision()


class Clock:
    """Injected time for the system under test: starts at ``FIXED_NOW`` and moves only when told."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("PARKING_TEST_REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persistent=False).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        yield client
    finally:
        client.close()


def _empty_postgres(url: str) -> None:
    engine = dbmod.make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _truncate_postgres(url: str) -> None:
    """Empty every table of a migrated PostgreSQL database, restarting ids (much faster than migrating)."""
    from parking.models import Base

    engine = dbmod.make_engine(url)
    try:
        with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> str:
    """A database with no tables at all (migration tests start here)."""
    url = os.environ.get("PARKING_TEST_DATABASE_URL")
    if url:
        _empty_postgres(url)
        return url
    return f"sqlite:///{tmp_path / 'parking.sqlite'}"


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "parking.sqlite"
    dbmod.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a copy of a migrated SQLite file, or the PostgreSQL database
    migrated once (again if a migration test emptied it) and truncated."""
    url = os.environ.get("PARKING_TEST_DATABASE_URL")
    if url:
        if dbmod.current_revision(url) != HEAD:
            _empty_postgres(url)
            dbmod.upgrade(url)
        else:
            _truncate_postgres(url)
        return url
    template = request.getfixturevalue("_migrated_sqlite_template")
    path = tmp_path / "parking.sqlite"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(TEST_PASSWORD)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str, redis_client: redis.Redis) -> Settings:
    return Settings(
        instance_path=tmp_path / "instance",
        database_url=database_url,
        redis_url=redis_url,
        secret_key="test-secret-key",
        dedupe_seconds=10,
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.open(settings)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def village(runtime: Runtime, password_hash: str):  # type: ignore[no-untyped-def]
    from parking.occupancy.recorder import Recorder
    from parking.seed import seed_demo
    from parking.services.capacities import publish_capacities

    with dbmod.transaction(runtime.sessions) as session:
        seeded = seed_demo(session, now=FIXED_NOW, password_hash=password_hash)
    with runtime.sessions() as session:
        publish_capacities(session, runtime.store)
    # The capacity events of seeding are recorded now, so each test's journal starts with its own events.
    Recorder(runtime.redis, runtime.sessions, [seeded.community_lot_id, seeded.office_lot_id], consumer="seed").drain()
    return seeded


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by what they touch, so CI can re-run just those against other servers."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & {"empty_database_url", "database_url"}:
            item.add_marker(pytest.mark.database)
        if names & {"redis_url", "redis_client"}:
            item.add_marker(pytest.mark.redis)
