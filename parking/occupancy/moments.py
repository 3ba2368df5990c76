"""Moments as the live store keeps them (milliseconds since the epoch, UTC) and unique ids."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone


def new_uid() -> str:
    return uuid.uuid4().hex


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} given where an aware one is required")
    return int(moment.timestamp() * 1000)


def from_ms(ms: int | str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc)
