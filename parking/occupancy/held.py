"""Which car each exit lane is holding now, and why: the lane card, the exit QR page (出口码) and the
ledger read it; the lane writes it when it holds a car at an exit.

One small hash per lot (``{lot:L}:held``), field = lane id, value = JSON ``{plate, session, due_fen,
reason, at, read}``. A newer hold at the lane replaces the older one. A hold is not cleared when the car
leaves through the camera (that would cost the lane a round trip on every exit): readers keep a hold only
while the plate's open session is still the one held (``current``), and a hold older than ``HOLD_MINUTES``
is stale. A hand release clears it (``clear``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import redis

from .keys import LotKeys

HOLD_MINUTES = 30  # a car does not wait at a barrier longer; an older hold is a car that went another way


def _key(lot_id: int) -> str:
    return f"{LotKeys(lot_id).tag}:held"


class HeldCars:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def hold(self, lot_id: int, lane_id: int, *, plate: str, session: str | None, due_fen: int, reason: str, at: datetime,
             read: str = "") -> None:
        doc = {"plate": plate, "session": session or "", "due_fen": int(due_fen), "reason": reason, "at": at.isoformat(),
               "read": read, "lane": lane_id}
        self._redis.hset(_key(lot_id), str(lane_id), json.dumps(doc, ensure_ascii=False))

    def at_lane(self, lot_id: int, lane_id: int, now: datetime | None = None) -> dict[str, Any] | None:
        """The car held at ``lane_id``, if its hold is still current (see ``current``)."""
        raw = self._redis.hget(_key(lot_id), str(lane_id))
        doc = _doc(raw)
        return doc if doc is not None and self.current(lot_id, doc, now) else None

    def all(self, lot_id: int, now: datetime | None = None) -> dict[int, dict[str, Any]]:
        held = {}
        for lane, raw in self._redis.hgetall(_key(lot_id)).items():
            doc = _doc(raw)
            if doc is not None and self.current(lot_id, doc, now):
                held[int(lane)] = doc
        return held

    def lanes_holding(self, lot_id: int, plate: str, now: datetime | None = None) -> list[int]:
        return [lane for lane, doc in self.all(lot_id, now).items() if doc["plate"] == plate]

    def current(self, lot_id: int, doc: Mapping[str, Any], now: datetime | None) -> bool:
        if now is not None and now - datetime.fromisoformat(doc["at"]) > timedelta(minutes=HOLD_MINUTES):
            return False
        if not doc.get("session"):
            return True  # a car with no entry record: held until released by hand or replaced
        raw = self._redis.hget(LotKeys(lot_id).open_sessions, doc["plate"])
        return raw is not None and json.loads(raw).get("uid") == doc["session"]

    def clear(self, lot_id: int, lane_id: int, plate: str | None = None) -> bool:
        """Forget the hold at ``lane_id`` (only if it is ``plate``'s, when given)."""
        if plate is not None:
            doc = _doc(self._redis.hget(_key(lot_id), str(lane_id)))
            if doc is None or doc["plate"] != plate:
                return False
        return bool(self._redis.hdel(_key(lot_id), str(lane_id)))


def _doc(raw: bytes | str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and "plate" in doc and "at" in doc else None
