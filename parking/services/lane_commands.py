"""Commands from the console to a lane (open the gate, show a text, speak), and their acknowledgement.

A command is published on the lot's channel; the agent serving the lane executes it at once (for a push
camera, with its next answer: the comet heartbeat that follows within moments) and acknowledges it under
the command's uid. Publishing, not queueing, is deliberate: a gate must not open minutes later because an
agent was down when the attendant pressed the button.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from ..occupancy import LotKeys, new_uid

ACTIONS = ("open", "close", "show_text")
ACK_SECONDS = 60


class LaneCommandError(ValueError):
    """A command that cannot be sent; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def channel(lot_id: int) -> str:
    return f"{LotKeys(lot_id).tag}:commands"


def ack_key(lot_id: int, uid: str) -> str:
    return f"{LotKeys(lot_id).tag}:command:{uid}"


@dataclass(frozen=True)
class LaneCommand:
    uid: str
    lot_id: int
    lane_id: int
    action: str
    text: str = ""
    reason: str = ""
    operator_id: int | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: bytes | str) -> "LaneCommand":
        doc = json.loads(raw)
        return cls(**{k: doc.get(k, v) for k, v in (("uid", ""), ("lot_id", 0), ("lane_id", 0), ("action", ""), ("text", ""),
                                                        ("reason", ""), ("operator_id", None))})


def send(client: redis.Redis, lot_id: int, lane_id: int, action: str, *, text: str = "", reason: str = "",
         operator_id: int | None = None) -> tuple[LaneCommand, int]:
    """Publish a command; returns it and how many agents heard it (0: no agent serves the lot now)."""
    if action not in ACTIONS:
        raise LaneCommandError("action", f"{action!r} is not one of {', '.join(ACTIONS)}")
    if action == "show_text" and not text.strip():
        raise LaneCommandError("text", "a text to show is required")
    if action in {"open", "close"} and not reason.strip():
        raise LaneCommandError("reason", "opening or closing a gate by hand needs a reason (抬杆原因)")
    command = LaneCommand(new_uid(), lot_id, lane_id, action, text.strip(), reason.strip(), operator_id)
    return command, int(client.publish(channel(lot_id), command.to_json()))


def acknowledge(client: redis.Redis, command: LaneCommand, outcome: str, at: datetime) -> None:
    client.set(ack_key(command.lot_id, command.uid), json.dumps({"outcome": outcome, "at": at.isoformat()}), ex=ACK_SECONDS)


def wait_for_ack(client: redis.Redis, command: LaneCommand, timeout: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic, pause: Callable[[float], None] = time.sleep) -> dict[str, Any] | None:
    """The agent's acknowledgement, or None if none came within ``timeout`` seconds."""
    deadline = monotonic() + timeout
    while True:
        raw = client.get(ack_key(command.lot_id, command.uid))
        if raw is not None:
            return dict(json.loads(raw))
        if monotonic() >= deadline:
            return None
        pause(0.02)
