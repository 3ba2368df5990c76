"""Fixtures shared by every layer of tests.

- ``redis_url``: ``PARKING_TEST_REDIS_URL`` when set, else a bundled redis-server started once per test
  session on a unix socket; ``redis_client`` empties its database before each test.
- ``database_url``: a migrated, empty database per test: a SQLite file under ``tmp_path``, or the
  PostgreSQL database named by ``PARKING_TEST_DATABASE_URL``, emptied and upgraded to head.
- ``settings``/``runtime``: the system's own configuration and connections over those two.
- ``village``: the demo village seeded into that database, with capacities published to Redis.

Under pytest-xdist (``pyproject.toml`` asks for it) every worker is its own test session, so the
embedded defaults need nothing shared: each worker starts its own bundled redis-server and copies its
own SQLite files under its own ``tmp_path``. The configured servers are shared, so worker ``gwN`` gets
its own parts of them:

- PostgreSQL: the database ``<name>_gwN`` beside the one ``PARKING_TEST_DATABASE_URL`` names, created on
  that server when absent;
- Redis: database number ``base - N`` of the server ``PARKING_TEST_REDIS_URL`` names (``/15`` gives gw0
  15, gw1 14, ...); lane command channels carry the database number (``parking.occupancy.commands``), since Redis pub/sub is one
  namespace for the whole server, not per database.

Browser tests take turns across workers (one Chromium at a time). Without xdist (``-p no:xdist``,
``-n 0``) the URLs are used as given. ``pytest_addoption`` lets the
``--numprocesses``/``--maxprocesses``/``--dist`` of ``addopts`` through when xdist is disabled.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import redis
from sqlalchemy import make_url, text
from sqlalchemy.exc import ProgrammingError

from parking import db as dbmod
from parking.config import Settings
from parking.embedded_redis import EmbeddedRedis
from parking.passwords import hash_password
from parking.runtime import Runtime

TEST_PASSWORD = "correct horse battery staple"
FIXED_NOW = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)  # 17:30 in Shanghai, a Wednesday


HEAD = dbmod.head_revision()
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1"... in an xdist worker, else None


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """With pytest-xdist disabled (``-p no:xdist``) its options in ``addopts`` are accepted and ignored."""
    if pluginmanager.has_plugin("xdist"):
        return
    group = parser.getgroup("xdist", "pytest-xdist is disabled: these options from addopts are ignored")
    group.addoption("--numprocesses", dest="numprocesses", default=None)
    group.addoption("--maxprocesses", dest="maxprocesses", default=None)
    group.addoption("--dist", dest="dist", default="no")


def _worker_number() -> int:
    return int(XDIST_WORKER.removeprefix("gw")) if XDIST_WORKER else 0


def worker_database_url(url: str) -> str:
    """The PostgreSQL database of this xdist worker: ``<name>_gwN`` on the server of ``url``, created if
    absent; ``url`` itself without xdist."""
    if not XDIST_WORKER:
        return url
    configured = make_url(url)
    own = configured.set(database=f"{configured.database}_{XDIST_WORKER}")
    engine = dbmod.make_engine(url, isolation_level="AUTOCOMMIT")
    exists = text("SELECT 1 FROM pg_database WHERE datname = :name").bindparams(name=own.database)
    try:
        with engine.connect() as conn:
            if not conn.scalar(exists):
                try:
                    conn.execute(text(f"CREATE DATABASE {engine.dialect.identifier_preparer.quote(own.database)}"))
                except ProgrammingError:
                    if not conn.scalar(exists):  # not a concurrent run that created it first
                        raise
    finally:
        engine.dispose()
    return own.render_as_string(hide_password=False)


def worker_redis_url(url: str) -> str:
    """The Redis database of this xdist worker: number ``base - N`` for worker gwN, where ``base`` is the
    database ``url`` names (0 when it names none); ``url`` itself without xdist."""
    if not XDIST_WORKER:
        return url
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if "db" in query:
        base = int(query["db"])
    elif parts.scheme != "unix" and parts.path.strip("/"):
        base = int(parts.path.strip("/"))
    else:
        base = 0
    own = base - _worker_number()
    if own < 0:
        raise pytest.UsageError(f"PARKING_TEST_REDIS_URL={url!r} names Redis database {base}: xdist worker {XDIST_WORKER} "
                                f"would use database {base} - {_worker_number()} = {own}; name a higher one (e.g. /15) or run fewer workers")
    if "db" in query or parts.scheme == "unix":
        query["db"] = str(own)
        return f"{url.split('?', 1)[0]}?{urlencode(query)}"
    return urlunsplit((parts.scheme, parts.netloc, f"/{own}", parts.query, parts.fragment))


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
        yield worker_redis_url(url)
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


@pytest.fixture(scope="session")
def _postgres_url() -> str | None:
    """``PARKING_TEST_DATABASE_URL`` (this xdist worker's own database of it), or None for SQLite."""
    url = os.environ.get("PARKING_TEST_DATABASE_URL")
    if url and XDIST_WORKER:
        url = worker_database_url(url)
        # Emptied once, so it is migrated by this run: a database left at the head revision by an earlier
        # run lacks what a migration being written has gained since.
        _empty_postgres(url)
    return url or None


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
def empty_database_url(tmp_path: Path, _postgres_url: str | None) -> str:
    """A database with no tables at all (migration tests start here)."""
    url = _postgres_url
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
def database_url(request: pytest.FixtureRequest, tmp_path: Path, _postgres_url: str | None) -> str:
    """A migrated, empty database: a copy of a migrated SQLite file, or the PostgreSQL database
    migrated once (again if a migration test emptied it) and truncated."""
    url = _postgres_url
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


@pytest.fixture(autouse=True)
def _one_browser_at_a_time(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Under xdist, the browser tests of all workers take turns: one Chromium at a time, so two never
    starve each other of the two cores while a page waits for the console. The lock file lies in the
    run's own temporary folder (the parent of every worker's), so other runs are not held up."""
    if not (XDIST_WORKER and request.node.get_closest_marker("browser")):
        yield
        return
    with open(tmp_path_factory.getbasetemp().parent / "chromium.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, after the test's teardown
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by what they touch, so CI can re-run just those against other servers."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & {"empty_database_url", "database_url"}:
            item.add_marker(pytest.mark.database)
        if names & {"redis_url", "redis_client"}:
            item.add_marker(pytest.mark.redis)
