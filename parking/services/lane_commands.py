"""Hand commands to a lane (open or close the gate, show a text), from the console, the API or the CLI.

The one place a lane command is validated, sent, awaited and audited:

- ``validate`` checks the action, the reason (抬杆原因, required to open; optional to close) and the
  text (what a lane board can show), each error naming its field.
- ``send_command`` publishes it on the lot's channel (``OccupancyStore.commands``) with a deadline
  (``deadline_seconds``, default 5 s), waits for its fate and writes the audit row (operator, action,
  lane, reason, text, outcome) before returning.

A command's fate is one of ``OUTCOMES``, as the agent serving the lane reports it: ``delivered`` (the
gate relay answered, or the camera took it with its answer), ``expired`` (not delivered by its deadline:
it is never performed later), ``cancelled`` (withdrawn by a "close" before delivery), ``lane_offline``
(the device that would carry it has not been heard from: nothing was queued), ``failed`` (the device
refused it), ``not_supported`` (a "close" where the gate closes by its loop only; pending opens are still
withdrawn), ``unknown_lane``, ``no_camera``, ``bad_text``; ``no_agent`` when no agent heard it, and
``pending`` only if the agent said nothing final within the wait.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import redis
from sqlalchemy.orm import Session

from ..models import Lane
from ..occupancy import OccupancyStore, new_uid
from . import audit

ACTIONS = ("open", "close", "show_text")  # what an attendant may send by hand
# "release": sent by the ledger once a held car has paid, never by hand: the agent opens only if the lane
# still holds that car and its exit, decided again, now lets it out.
AGENT_ACTIONS = (*ACTIONS, "release")
DEADLINE_SECONDS = 5.0
TEXT_MAX_CHARS = 64  # an LED line holds 255 GB2312 bytes; a lane board shows far fewer characters at once
REASON_MAX_CHARS = 100
OTHER_REASON = "other"
GATE_REASONS: dict[str, str] = {
    "visitor": "访客未登记",
    "plate_unread": "车牌识别失败",
    "free": "免费放行",
    "fault": "设备故障",
    OTHER_REASON: "其他",
}
FINAL_OUTCOMES = ("delivered", "expired", "cancelled", "lane_offline", "failed", "not_supported", "unknown_lane",
                  "no_camera", "bad_text", "no_agent", "not_held", "still_due")
OUTCOMES = ("pending", *FINAL_OUTCOMES)


class LaneCommandError(ValueError):
    """A command that cannot be sent; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class LaneCommand:
    uid: str
    lot_id: int
    lane_id: int
    action: str
    text: str = ""
    reason: str = ""
    operator_id: int | None = None
    issued_at: str = ""  # ISO time the sender's clock gave it
    seconds: float = DEADLINE_SECONDS  # the deadline, counted from when the agent hears it
    plate: str = ""  # release: the car it is for
    session: str = ""  # release: the stay it is for

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: bytes | str) -> "LaneCommand":
        doc = json.loads(raw)
        if not isinstance(doc, dict):
            raise ValueError("a lane command is a JSON object")
        command = cls(**{k: doc.get(k, v) for k, v in (("uid", ""), ("lot_id", 0), ("lane_id", 0), ("action", ""), ("text", ""),
                                                          ("reason", ""), ("operator_id", None), ("issued_at", ""),
                                                          ("seconds", DEADLINE_SECONDS), ("plate", ""), ("session", ""))})
        if not (isinstance(command.lot_id, int) and isinstance(command.lane_id, int) and isinstance(command.seconds, (int, float))):
            raise ValueError("lot_id and lane_id must be whole numbers, seconds a number")
        if command.action not in AGENT_ACTIONS:
            raise ValueError(f"action {command.action!r} is not one of {', '.join(AGENT_ACTIONS)}")
        if not (isinstance(command.plate, str) and isinstance(command.session, str)):
            raise ValueError("plate and session must be texts")
        return command


@dataclass(frozen=True)
class CommandResult:
    command: LaneCommand
    heard: int  # agents that received it; 0: no agent serves the lot now (or Redis is unreachable)
    state: dict[str, Any] = field(default_factory=dict)  # the agent's last report: outcome, at, detail

    @property
    def outcome(self) -> str:
        if not self.heard:
            return "no_agent"
        return str(self.state.get("outcome") or "pending")

    @property
    def delivered(self) -> bool:
        return self.outcome == "delivered"


def gate_reason(code: str, detail: str) -> str:
    """The reason recorded for ``code`` from ``GATE_REASONS`` with the operator's words, if any.

    "other" needs the words; any other code may add them after the chosen reason.
    """
    detail = " ".join(detail.split())
    if code not in GATE_REASONS:
        raise LaneCommandError("reason", f"{code!r} is not one of {', '.join(GATE_REASONS)}")
    if code == OTHER_REASON:
        if not detail:
            raise LaneCommandError("reason_detail", "describe the reason when it is 'other'")
        return detail
    return f"{GATE_REASONS[code]}：{detail}" if detail else GATE_REASONS[code]


def undisplayable(text: str) -> str | None:
    """The first character a lane's LED board cannot show (outside GB2312), or None if all can be shown."""
    for ch in text:
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            return ch
    return None


def validate(action: str, *, reason: str = "", text: str = "") -> tuple[str, str]:
    """The (reason, text) to send for ``action``, normalised; ``LaneCommandError`` names a bad field."""
    if action not in ACTIONS:
        raise LaneCommandError("action", f"{action!r} is not one of {', '.join(ACTIONS)}")
    for name, value in (("reason", reason), ("text", text)):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise LaneCommandError(name, "contains characters that are not text")
    if action == "show_text":
        text = text.strip()
        if not text:
            raise LaneCommandError("text", "a text to show is required")
        if len(text) > TEXT_MAX_CHARS:
            raise LaneCommandError("text", f"{len(text)} characters; a lane board shows at most {TEXT_MAX_CHARS}")
        bad = undisplayable(text)
        if bad is not None:
            raise LaneCommandError("text", f"character {bad!r} (U+{ord(bad):04X}) cannot be shown on the lane board (GB2312 only)")
        return "", text
    reason = reason.strip()
    if len(reason) > REASON_MAX_CHARS:
        raise LaneCommandError("reason", f"{len(reason)} characters; at most {REASON_MAX_CHARS}")
    if action == "open" and not reason:
        raise LaneCommandError("reason", "opening a gate by hand needs a reason (抬杆原因)")
    return reason, ""


def dispatch(store: OccupancyStore, lot_id: int, lane_id: int, action: str, *, now: datetime, reason: str = "", text: str = "",
             operator_id: int | None = None, deadline_seconds: float = DEADLINE_SECONDS) -> tuple[LaneCommand, int]:
    """Validate and publish a command; returns it and how many agents heard it (0 if Redis is unreachable)."""
    reason, text = validate(action, reason=reason, text=text)
    command = LaneCommand(new_uid(), lot_id, lane_id, action, text, reason, operator_id, now.isoformat(), deadline_seconds)
    try:
        return command, store.commands.publish(command.lot_id, command.to_json())
    except redis.RedisError:
        return command, 0


def release_after_payment(store: OccupancyStore, lot_id: int, plate: str, session_uid: str, *, now: datetime, payment_uid: str,
                          deadline_seconds: float = DEADLINE_SECONDS) -> list[tuple[LaneCommand, int]]:
    """Ask the agent of every exit lane that holds ``plate`` now to decide its exit again (it has paid):
    returns each command sent and how many agents heard it. Nothing is sent where the car is not held."""
    sent = []
    try:
        lanes = store.held.lanes_holding(lot_id, plate, now)
    except redis.RedisError:
        return sent
    for lane_id in lanes:
        command = LaneCommand(new_uid(), lot_id, lane_id, "release", "", f"payment {payment_uid}"[:REASON_MAX_CHARS], None,
                              now.isoformat(), deadline_seconds, plate=plate, session=session_uid)
        try:
            sent.append((command, store.commands.publish(lot_id, command.to_json())))
        except redis.RedisError:
            sent.append((command, 0))
    return sent


def report(store: OccupancyStore, command: LaneCommand, outcome: str, at: datetime, **detail: Any) -> None:
    """The agent's side: record a command's fate for the sender."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    store.commands.set_state(command.lot_id, command.uid, {
        "outcome": outcome, "at": at.isoformat(), "detail": detail, "lane_id": command.lane_id, "action": command.action,
        "reason": command.reason, "text": command.text, "seconds": command.seconds,
    })


def command_state(store: OccupancyStore, lot_id: int, lane_id: int, uid: str) -> CommandResult | None:
    """A command's fate as the agent last reported it (kept for an hour), or None."""
    state = store.commands.state(lot_id, uid)
    if state is None or state.get("lane_id") != lane_id:
        return None
    command = LaneCommand(uid, lot_id, lane_id, str(state.get("action", "")), str(state.get("text", "")), str(state.get("reason", "")),
                          seconds=float(state.get("seconds", DEADLINE_SECONDS)))
    return CommandResult(command, 1, state)


def wait_for_outcome(store: OccupancyStore, command: LaneCommand, timeout: float,
                     monotonic: Callable[[], float] = time.monotonic, pause: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """The agent's final report, or its last one (``pending``, or ``{}`` if none) after ``timeout`` seconds."""
    deadline = monotonic() + timeout
    state: dict[str, Any] = {}
    while True:
        state = store.commands.state(command.lot_id, command.uid) or state
        if state.get("outcome") in FINAL_OUTCOMES or monotonic() >= deadline:
            return state
        pause(0.02)


def send_command(db: Session, store: OccupancyStore, lane: Lane, action: str, *, now: datetime, reason: str = "", text: str = "",
                 operator_id: int | None, deadline_seconds: float = DEADLINE_SECONDS, wait_seconds: float | None = None,
                 monotonic: Callable[[], float] = time.monotonic, pause: Callable[[float], None] = time.sleep) -> CommandResult:
    """Send ``action`` to ``lane``, wait for its fate (up to the deadline and a second more), and
    commit the audit row before returning. Raises ``LaneCommandError`` before anything is sent."""
    command, heard = dispatch(store, lane.lot_id, lane.id, action, now=now, reason=reason, text=text, operator_id=operator_id,
                              deadline_seconds=deadline_seconds)
    state: dict[str, Any] = {}
    if heard:
        try:
            state = wait_for_outcome(store, command, deadline_seconds + 1.0 if wait_seconds is None else wait_seconds, monotonic, pause)
        except redis.RedisError:
            state = {}
    result = CommandResult(command, heard, state)
    audit.record(
        db, f"lane.{action}", operator_id=operator_id, target=lane.code, at=now,
        lane_id=lane.id, lot_id=lane.lot_id, reason=command.reason, text=command.text,
        command=command.uid, heard=heard, outcome=result.outcome, detail=state.get("detail") or {},
    )
    db.commit()
    return result
