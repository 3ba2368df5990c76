"""The bundled redis-server: starts on a unix socket, persists, is shared by a second process, stops."""

from __future__ import annotations

import redis

from parking.embedded_redis import EmbeddedRedis


def test_it_starts_keeps_data_across_a_restart_and_stops(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        assert server.owned is True
        redis.Redis.from_url(server.url).set("kept", "1")
        # A second process of the same instance reuses the running server instead of starting one.
        other = EmbeddedRedis(tmp_path / "redis").start()
        assert other.owned is False
    finally:
        server.stop()
    assert not redis_answers(server.url)
    with EmbeddedRedis(tmp_path / "redis") as again:
        assert redis.Redis.from_url(again.url).get("kept") == b"1"


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except (redis.ConnectionError, FileNotFoundError):
        return False
