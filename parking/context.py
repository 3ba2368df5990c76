"""What a lane decision knows of its lot and lane: plain values, loaded from SQL by
``parking.services.site`` and read by the lane controllers, the offline lanes and the fee quotes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from .discounts import CampaignFact
from .policy import LotPolicy
from .tariffs import Tariff, WorkdayCalendar


@dataclass(frozen=True)
class LotContext:
    id: int
    name: str
    tz: ZoneInfo
    policy: LotPolicy = field(default_factory=LotPolicy)
    tariff: Tariff | None = None
    calendar: WorkdayCalendar = field(default_factory=WorkdayCalendar)
    parents: dict[int, int | None] = field(default_factory=dict)
    opened_at: datetime | None = None  # when the lot was created: no record can be older
    campaigns: tuple[CampaignFact, ...] = ()  # active campaigns (公益免费停车) the exit applies to stays begun in them

    def inner_zones(self, zone_id: int) -> frozenset[int]:
        """Every zone inside ``zone_id``, at any depth."""
        found: set[int] = set()
        frontier = [zone_id]
        while frontier:
            current = frontier.pop()
            for child, parent in self.parents.items():
                if parent == current and child not in found:
                    found.add(child)
                    frontier.append(child)
        return frozenset(found)


@dataclass(frozen=True)
class LaneRef:
    """What a lane controller knows about its lane."""

    id: int
    code: str
    name: str
    lot_id: int
    zone_id: int
    direction: str  # entry | exit
    camera_serial: str
    lot: LotContext | None = None
    devices: tuple[tuple[str, str], ...] = ()  # (kind, URL) of every enabled device of the lane

    @property
    def parent_zone_id(self) -> int | None:
        """Set for the inner gate of a lot-in-lot: the zone a car comes from (entry) or goes to (exit)."""
        return self.lot.parents.get(self.zone_id) if self.lot else None
