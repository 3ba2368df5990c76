"""Traffic for simulations: plates of real shapes (GA 36) and arrivals, from a seedable RNG.

``plate()`` draws an ordinary 7-character plate, a small or large new-energy plate, or now and then a
special one (挂, 学, 警, 使, 应急), with the VZ ``colorType`` and ``type`` a camera would report for it.
``arrivals()`` yields (seconds, PlateSpec) with exponential gaps; visitors come back to exit, so a
run produces matched entries and exits. Nothing here touches a clock: times are offsets in seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"          # no I, no O
ALNUM = LETTERS + "0123456789"
NEW_ENERGY_SMALL = "DFABCEGHJK"
NEW_ENERGY_LARGE = "DF"


@dataclass(frozen=True)
class PlateSpec:
    license: str
    color_type: int      # VZ colorType: 1 blue, 2 yellow, 3 white, 4 black, 5 green, 6 yellow-green
    plate_type: int      # VZ type: 1 blue small, 3 yellow single row, 19 new-energy, 20 large new-energy...


class TrafficGenerator:
    def __init__(self, seed: int | None = None, *, home_province: str = "粤", home_share: float = 0.8) -> None:
        self.rng = random.Random(seed)
        self.home_province = home_province
        self.home_share = home_share

    def _province(self) -> str:
        return self.home_province if self.rng.random() < self.home_share else self.rng.choice(PROVINCES)

    def plate(self) -> PlateSpec:
        r = self.rng.random()
        p = self._province()
        letter = self.rng.choice(LETTERS)
        if r < 0.60:
            return PlateSpec(p + letter + "".join(self.rng.choice(ALNUM) for _ in range(5)), 1, 1)
        if r < 0.85:
            tail = self.rng.choice(NEW_ENERGY_SMALL) + self.rng.choice(ALNUM) + "".join(
                self.rng.choice("0123456789") for _ in range(4))
            return PlateSpec(p + letter + tail, 5, 19)
        if r < 0.90:
            tail = "".join(self.rng.choice("0123456789") for _ in range(5)) + self.rng.choice(NEW_ENERGY_LARGE)
            return PlateSpec(p + letter + tail, 6, 20)
        if r < 0.96:
            return PlateSpec(p + letter + "".join(self.rng.choice(ALNUM) for _ in range(5)), 2, 3)
        special = self.rng.choice(["挂", "学", "警", "应急", "使"])
        digits = "".join(self.rng.choice("0123456789") for _ in range(4))
        if special == "挂":
            return PlateSpec(p + letter + digits + "挂", 2, 3)
        if special == "学":
            return PlateSpec(p + letter + digits + "学", 2, 16)
        if special == "警":
            return PlateSpec(p + letter + digits + "警", 3, 5)
        if special == "应急":
            return PlateSpec(p + letter + digits[:3] + "应急", 1, 21)
        return PlateSpec("使" + digits[:3] + "".join(self.rng.choice("0123456789") for _ in range(3)), 4, 10)

    def arrivals(self, per_hour: float, stay_minutes: float = 90.0) -> Iterator[tuple[float, str, PlateSpec]]:
        """Endless (seconds, "entry" | "exit", plate) in time order; every entry is followed by its exit."""
        pending: list[tuple[float, PlateSpec]] = []
        t = 0.0
        while True:
            t += self.rng.expovariate(per_hour / 3600.0)
            pending.sort(key=lambda item: item[0])
            while pending and pending[0][0] <= t:
                at, spec = pending.pop(0)
                yield at, "exit", spec
            spec = self.plate()
            pending.append((t + self.rng.expovariate(1 / (stay_minutes * 60)), spec))
            yield t, "entry", spec
