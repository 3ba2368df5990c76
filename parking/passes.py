"""Pass rules: what a pass entitles its plates to at a given moment. Pure, ``now`` passed in.

A pass is valid from ``valid_from`` to ``valid_until``; a time-window pass only inside its daily window
(which may cross midnight, e.g. 19:00–07:30) in the lot's time zone; a pass for a zone covers that zone
and the zones on the way to it (the outer zone of a lot-in-lot), a pass without a zone covers every zone
of its lot. After expiry a late-renewal grace of N days
still admits the car as a pass holder, with a warning. A suspended pass (from ``suspended_at``) and an
ended one (from ``ended_at``) admit nobody: the car is then a temporary vehicle like any other.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SHARED_KINDS = frozenset({"shared"})
KIND_NAMES = {"monthly": "月租车", "time_window": "时段卡", "enterprise": "企业车", "owner": "业主车", "shared": "共享车"}


@dataclass(frozen=True)
class PassFact:
    id: int
    kind: str
    holder: str
    spaces: int
    valid_from: datetime
    valid_until: datetime
    zone_id: int | None = None
    window_start: time | None = None
    window_end: time | None = None
    suspended_at: datetime | None = None  # from then on the pass admits nobody, until it is resumed
    ended_at: datetime | None = None  # ended early (终止): for good

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "holder": self.holder, "spaces": self.spaces,
            "valid_from": self.valid_from.isoformat(), "valid_until": self.valid_until.isoformat(),
            "zone": self.zone_id,
            "window": [self.window_start.isoformat(), self.window_end.isoformat()] if self.window_start and self.window_end else None,
        }
        if self.suspended_at is not None:
            doc["suspended_at"] = self.suspended_at.isoformat()
        if self.ended_at is not None:
            doc["ended_at"] = self.ended_at.isoformat()
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "PassFact":
        window = doc.get("window")
        return cls(
            id=int(doc["id"]), kind=str(doc["kind"]), holder=str(doc.get("holder", "")), spaces=int(doc["spaces"]),
            valid_from=datetime.fromisoformat(doc["valid_from"]), valid_until=datetime.fromisoformat(doc["valid_until"]),
            zone_id=doc.get("zone"),
            window_start=time.fromisoformat(window[0]) if window else None,
            window_end=time.fromisoformat(window[1]) if window else None,
            suspended_at=datetime.fromisoformat(doc["suspended_at"]) if doc.get("suspended_at") else None,
            ended_at=datetime.fromisoformat(doc["ended_at"]) if doc.get("ended_at") else None,
        )

    @property
    def withdrawn_at(self) -> datetime | None:
        """When the pass stopped admitting anyone before its validity ran out (ended or suspended), if it did."""
        moments = [m for m in (self.ended_at, self.suspended_at) if m is not None]
        return min(moments) if moments else None


@dataclass(frozen=True)
class Standing:
    """How a pass stands at a moment: ``state`` is valid | grace | expired | not_yet | outside_window |
    other_zone | suspended | ended."""

    fact: PassFact
    state: str
    days_left: int = 0
    days_overdue: int = 0

    @property
    def admits(self) -> bool:
        return self.state in {"valid", "grace"}


def in_window(start: time, end: time, at: time) -> bool:
    """Whether ``at`` falls in the daily window [start, end); a window with start > end crosses midnight."""
    if start == end:
        return True
    if start < end:
        return start <= at < end
    return at >= start or at < end


def days_left(valid_until: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Calendar days from today to the last day of validity, in the lot's time zone (0 on the last day)."""
    last_day = (valid_until - timedelta(microseconds=1)).astimezone(tz).date()
    return (last_day - now.astimezone(tz).date()).days


def standing(fact: PassFact, zones: Collection[int], now: datetime, tz: ZoneInfo, grace_days: int) -> Standing:
    """``zones``: the zone the car is in or entering and the zones inside it."""
    if fact.zone_id is not None and fact.zone_id not in zones:
        return Standing(fact, "other_zone")
    if fact.ended_at is not None and fact.ended_at <= now:
        return Standing(fact, "ended")
    if fact.suspended_at is not None and fact.suspended_at <= now:
        return Standing(fact, "suspended")
    if now < fact.valid_from:
        return Standing(fact, "not_yet")
    state, left, overdue = "valid", 0, 0
    if now >= fact.valid_until:
        overdue = math.floor((now - fact.valid_until) / timedelta(days=1)) + 1
        if overdue > grace_days:
            return Standing(fact, "expired", days_overdue=overdue)
        state = "grace"
    else:
        left = days_left(fact.valid_until, now, tz)
    # The late-renewal grace extends the pass as it was: a time-window pass still only inside its window.
    if fact.window_start and fact.window_end and not in_window(fact.window_start, fact.window_end, now.astimezone(tz).time()):
        return Standing(fact, "outside_window", days_left=left, days_overdue=overdue)
    return Standing(fact, state, days_left=left, days_overdue=overdue)


_PREFERENCE = {"valid": 0, "grace": 1, "outside_window": 2, "expired": 3, "suspended": 4, "ended": 5, "not_yet": 6, "other_zone": 7}


def best_standing(facts: Iterable[PassFact], zones: Collection[int], now: datetime, tz: ZoneInfo, grace_days: int) -> Standing | None:
    """The pass that serves the car best here and now: valid before grace, then the longest validity."""
    standings = [standing(f, zones, now, tz, grace_days) for f in facts]
    if not standings:
        return None
    return min(standings, key=lambda s: (_PREFERENCE[s.state], -s.days_left, s.fact.id))


def overlapping(a: PassFact, b: PassFact) -> bool:
    """Two passes of one plate for the same zone whose validity overlaps."""
    same_zone = a.zone_id is None or b.zone_id is None or a.zone_id == b.zone_id
    return same_zone and a.valid_from < b.valid_until and b.valid_from < a.valid_until
