"""Whether a Redis URL answers a PING now (tests of the bundled server's supervision)."""

from __future__ import annotations

import redis


def answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False
    finally:
        client.close()
