"""The connections a process works with, opened from ``Settings`` and closed together.

``Runtime.open`` starts the bundled redis-server when no Redis URL is configured (or reuses the one
another process of the same instance started), creates the SQL engine and session factory, and the
occupancy store. Nothing is opened at import time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
from .db import make_engine, make_session_factory
from .embedded_redis import EmbeddedRedis
from .occupancy import OccupancyStore

log = logging.getLogger(__name__)


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
        embedded = None
        url = settings.redis_url
        if url is None:
            embedded = EmbeddedRedis(settings.instance_path / "redis").start()
            url = embedded.url
        # Short timeouts: a lane falls back to offline decisions instead of waiting on a dead server.
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

    def close(self) -> None:
        self.redis.close()
        self.engine.dispose()
        if self.embedded is not None:
            self.embedded.stop()

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
