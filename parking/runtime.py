"""The connections a process works with, opened from ``Settings`` and closed together.

``Runtime.open`` makes the instance folder and the SQLite file private (owner only, see
``parking.private``), takes the bundled redis-server when no Redis URL is configured (the first process of
an instance owns and supervises it; the others attach to it, see ``parking.embedded_redis``), creates the
SQL engine and session factory, and the occupancy store. Nothing is opened at import time. ``close``
stops the bundled server only if this process started it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
from .db import make_engine, make_session_factory
from .embedded_redis import EmbeddedRedis
from .occupancy import OccupancyStore
from .private import protect_instance, protect_sqlite

log = logging.getLogger(__name__)

# What the web and the CLI treat as "Redis is unreachable right now" (a 503, not a crash): refused or
# lost connections, timeouts, and a server still loading its append-only file after a restart.
REDIS_UNAVAILABLE: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)


def bundled_redis_folder(settings: Settings) -> Path:
    return settings.instance_path / "redis"


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis
    store: OccupancyStore
    embedded: EmbeddedRedis | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings) -> "Runtime":
        settings = settings.ensure_instance()
        protect_instance(settings.instance_path)
        protect_sqlite(settings.database_url)
        embedded = None
        url = settings.redis_url
        if url is None:
            embedded = EmbeddedRedis(bundled_redis_folder(settings)).start()
            url = embedded.url
        # Short timeouts: a lane falls back to offline decisions instead of waiting on a dead server.
        # No retries (from_url's default): a command cut by a restart of the bundled server fails at once
        # (an offline decision, a 503) rather than being sent twice; the pool reconnects by itself on the
        # next command, so nothing has to be reopened when Redis is back.
        client = redis.Redis.from_url(url, health_check_interval=30, socket_timeout=2, socket_connect_timeout=1)
        engine = make_engine(settings.database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            redis=client,
            store=OccupancyStore(client, dedupe_seconds=settings.dedupe_seconds),
            embedded=embedded,
        )

    @property
    def redis_url(self) -> str:
        return self.embedded.url if self.embedded else str(self.settings.redis_url)

    def describe_redis(self) -> str:
        """Which Redis this process uses and whether it owns it, for the commands' output."""
        if self.embedded is None:
            return self.redis_url
        role = self.embedded.role
        if role == "started":
            return f"{self.redis_url} (bundled redis-server started and supervised by this process, pid {self.embedded.pid})"
        if role == "adopted":
            return f"{self.redis_url} (bundled redis-server left running by an earlier process, supervised by this one, pid {self.embedded.pid})"
        return f"{self.redis_url} (bundled redis-server owned by another process of this instance; not stopped by this one)"

    def close(self) -> None:
        self.store.close()
        self.engine.dispose()
        if self.embedded is not None:
            self.embedded.stop()  # stops the server only if this process started it

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
