"""The channel of hand commands to a lane (open or close the gate, show a text) and their states.

A command is published on its lot's channel (``db<n>:{lot:<id>}:commands``, the Redis database number
first: pub/sub channels belong to the whole server, so two installations sharing one server on different
databases must not hear each other's gate commands); the agent serving the lot hears
it at once or never: publishing, not queueing, is deliberate, so a gate cannot open minutes later
because an agent was down when the attendant pressed the button. Each command's fate (pending, then
delivered, expired, cancelled, lane offline...) is kept under ``{lot:<id>}:command:<uid>`` for
``STATE_SECONDS``, written by the agent and read by whoever sent it. What a command means, and which
commands are valid, is ``parking.services.lane_commands``' business.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import redis

from .keys import LotKeys

STATE_SECONDS = 3600


def _channel(lot_id: int) -> str:
    return f"{LotKeys(lot_id).tag}:commands"


def _database_channel(client: redis.Redis, lot_id: int) -> str:
    """The lot's command channel on the database ``client`` uses."""
    return f"db{int(client.connection_pool.connection_kwargs.get('db') or 0)}:{_channel(lot_id)}"


def _state_key(lot_id: int, uid: str) -> str:
    return f"{LotKeys(lot_id).tag}:command:{uid}"


class Subscription:
    """The commands published for some lots, as they arrive."""

    def __init__(self, client: redis.Redis, lot_ids: Iterable[int]) -> None:
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        channels = [_database_channel(client, lot) for lot in lot_ids]
        if channels:
            self._pubsub.subscribe(*channels)
        self._idle = not channels

    def next(self, timeout: float) -> bytes | None:
        """The next published command (its raw payload), or None after ``timeout`` seconds."""
        if self._idle:
            return None
        message = self._pubsub.get_message(timeout=timeout)
        return None if message is None else message["data"]

    def close(self) -> None:
        self._pubsub.close()


class CommandChannel:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def publish(self, lot_id: int, payload: str) -> int:
        """Publish a command; returns how many agents heard it (0: none serves the lot now)."""
        return int(self._redis.publish(_database_channel(self._redis, lot_id), payload))

    def subscribe(self, lot_ids: Iterable[int]) -> Subscription:
        return Subscription(self._redis, lot_ids)

    def set_state(self, lot_id: int, uid: str, state: Mapping[str, Any]) -> None:
        self._redis.set(_state_key(lot_id, uid), json.dumps(dict(state), ensure_ascii=False), ex=STATE_SECONDS)

    def state(self, lot_id: int, uid: str) -> dict[str, Any] | None:
        raw = self._redis.get(_state_key(lot_id, uid))
        return None if raw is None else dict(json.loads(raw))
