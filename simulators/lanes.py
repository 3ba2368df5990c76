"""Traffic through the lanes of a site: simulated VZ cameras, one per lane, pushing plate reads of real
shapes to an agent over HTTP, entries first and exits of the cars let in. Used by ``parking demo`` and
``parking simulate``. Nothing here knows the parking rules: it only sees which gates opened.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from simulators.camera import CameraSimulator
from simulators.traffic import TrafficGenerator


@dataclass(frozen=True)
class SimLane:
    code: str
    lot_id: int
    direction: str
    camera_serial: str


@dataclass
class LaneTraffic:
    """Arrivals and departures at the street lanes, one push at a time through simulated VZ cameras that
    speak the real push protocol. Now and then a pass holder or a known plate comes by."""

    lanes: tuple[SimLane, ...]
    agent_url: str
    seed: int | None = None
    known_plates: tuple[str, ...] = ()
    cameras: dict[str, CameraSimulator] = field(default_factory=dict)
    inside: dict[int, list[str]] = field(default_factory=dict)
    pushes: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.plates = TrafficGenerator(self.seed)
        self.rng = self.plates.rng
        for lane in self.lanes:
            self.cameras[lane.code] = CameraSimulator(lane.camera_serial, self.agent_url)
        self.lot_ids = sorted({lane.lot_id for lane in self.lanes})

    def step(self) -> None:
        lot_id = self.rng.choice(self.lot_ids)
        lanes = [l for l in self.lanes if l.lot_id == lot_id]
        inside = self.inside.setdefault(lot_id, [])
        exits = [l for l in lanes if l.direction == "exit"]
        leaving = exits and inside and self.rng.random() < min(0.8, len(inside) / 30)
        if leaving:
            lane = self.rng.choice(exits)
            plate = inside.pop(self.rng.randrange(len(inside)))
            response = self.cameras[lane.code].push_plate(plate)
            self.pushes["exit_open" if response.open_gate else "exit_held"] += 1
            if not response.open_gate:
                inside.append(plate)
            return
        entries = [l for l in lanes if l.direction == "entry"]
        if not entries:
            return
        lane = self.rng.choice(entries)
        if self.known_plates and self.rng.random() < 0.15:
            plate, color, kind = self.rng.choice(self.known_plates), 1, 1
        else:
            spec = self.plates.plate()
            plate, color, kind = spec.license, spec.color_type, spec.plate_type
        if any(plate in plates for plates in self.inside.values()):
            return
        response = self.cameras[lane.code].push_plate(plate, color, kind, with_image=self.rng.random() < 0.1)
        self.pushes["entry_open" if response.open_gate else "entry_held"] += 1
        if response.open_gate:
            inside.append(plate)

    def close(self) -> None:
        for camera in self.cameras.values():
            camera.close()
