"""A right to a space, as the entry decision hands it to the occupancy core. Pure value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Claim:
    """One right to a space: in ``pool`` (None: the zone's capacity only), as ``vehicle_class``,
    and when ``pass_id`` is given, only while fewer than ``spaces`` vehicles of that pass are present."""

    pool: str | None
    vehicle_class: str
    pass_id: int | None = None
    spaces: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"pool": self.pool or False, "class": self.vehicle_class, "pass": self.pass_id or False, "spaces": self.spaces or False}
