"""Traffic through the lanes of a site: simulated VZ cameras, one per lane, pushing plate reads of real
shapes to an agent over HTTP, entries first and exits of the cars let in. Behind each camera sit the
devices it drives: an LED board fed with the RS485 frames of each answer (and able to render what it
shows to a PNG), and a barrier gate that opens on "info":"ok", lets the car over its loop and closes
behind it. Used by ``parking demo`` and ``parking simulate``. Nothing here knows the parking rules: it
only sees which gates opened.

Drivers who owe a fee are an ``ExitPayer`` given by the caller (the demo's, in ``parking.demo.drivers``):
told before a car drives to an exit (it may pay ahead), and when the exit holds it (it pays there, or an
attendant settles it). While a held car's fee is settled, its lane's camera heartbeats, as a VZ camera in
comet mode does, so that the opening the server sends in a heartbeat's answer reaches the gate.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

from drivers import olm
from drivers.vz.push import VzResponse
from simulators.camera import CameraSimulator
from simulators.gate import GateSimulator
from simulators.led_board import LedBoardSimulator
from simulators.traffic import TrafficGenerator

GATE_WAIT_SECONDS = 10.0  # a held car waits this long for its gate once its fee is being settled
HEARTBEAT_PAUSE = 0.02  # between a camera's heartbeats while a car waits (comet mode)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class SimLane:
    code: str
    lot_id: int
    direction: str
    camera_serial: str
    push_url: str = ""  # the camera's own push URL (with its key); "" pushes to the agent URL's default path


class ExitPayer(Protocol):
    """What drivers do about their fee."""

    def before_exit(self, lane: SimLane, plate: str) -> None:
        """``plate`` is about to drive to exit ``lane``; it may pay ahead first."""

    def held(self, lane: SimLane, plate: str) -> Future[bool] | None:
        """Exit ``lane`` holds ``plate``: start settling its fee, and say (True) once the gate should open;
        None when nobody settles it (the car turns back)."""


@dataclass
class LaneTraffic:
    """Arrivals and departures at the street lanes, one push at a time through simulated VZ cameras that
    speak the real push protocol. Now and then a pass holder or a known plate comes by."""

    lanes: tuple[SimLane, ...]
    agent_url: str
    seed: int | None = None
    known_plates: tuple[str, ...] = ()
    payer: ExitPayer | None = None
    clock: Callable[[], datetime] = utc_now  # the cameras' clock, stamped on their reads
    gate_wait_seconds: float = GATE_WAIT_SECONDS
    cameras: dict[str, CameraSimulator] = field(default_factory=dict)
    boards: dict[str, LedBoardSimulator] = field(default_factory=dict)
    gates: dict[str, GateSimulator] = field(default_factory=dict)
    inside: dict[int, list[str]] = field(default_factory=dict)
    pushes: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.plates = TrafficGenerator(self.seed)
        self.rng = self.plates.rng
        self.seconds = 0.0  # the gates' own time: each passage takes 20 simulated seconds
        for lane in self.lanes:
            self.cameras[lane.code] = CameraSimulator(lane.camera_serial, lane.push_url or self.agent_url, clock=self.clock)
            self.boards[lane.code] = LedBoardSimulator()
            self.gates[lane.code] = GateSimulator()
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
            if self.payer is not None:
                self.payer.before_exit(lane, plate)
            response = self._answer(lane, self.cameras[lane.code].push_plate(plate))
            self.pushes["exit_open" if response.open_gate else "exit_held"] += 1
            opened = response.open_gate
            if not opened and self.payer is not None:
                settling = self.payer.held(lane, plate)
                if settling is not None:
                    opened = self._wait_for_gate(lane, settling)
                    self.pushes["exit_settled" if opened else "exit_unsettled"] += 1
            if not opened:
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
        response = self._answer(lane, self.cameras[lane.code].push_plate(plate, color, kind, with_image=self.rng.random() < 0.1))
        self.pushes["entry_open" if response.open_gate else "entry_held"] += 1
        if response.open_gate:
            inside.append(plate)

    def _answer(self, lane: SimLane, response: VzResponse) -> VzResponse:
        """What the camera does with an answer: frames to its LED board, the OPEN contact to its gate."""
        board = self.boards[lane.code]
        for data in response.serial_data:
            for frame in olm.FrameDecoder().feed(data):
                board.handle(frame)
        if response.open_gate:
            gate, t = self.gates[lane.code], self.seconds
            gate.press_open(t)
            gate.advance(t + 2)
            gate.set_loop(True, t + 5)     # the car drives over the loop...
            gate.set_loop(False, t + 8)    # ...and leaves it: the arm comes down behind it
            gate.advance(t + 12)
            self.seconds = t + 20
        return response

    def _wait_for_gate(self, lane: SimLane, settling: Future[bool]) -> bool:
        """The held car waits at the barrier while its fee is settled, its lane's camera heartbeating;
        True once an answer opens the gate."""
        camera = self.cameras[lane.code]
        deadline = time.monotonic() + self.gate_wait_seconds
        while time.monotonic() < deadline:
            if self._answer(lane, camera.heartbeat()).open_gate:
                return True
            if settling.done() and (settling.exception() is not None or not settling.result()):
                return False
            time.sleep(HEARTBEAT_PAUSE)
        return False

    def passages(self) -> dict[str, int]:
        """How many times each lane's gate opened."""
        return {code: sum(1 for _, state in gate.history if state == "open") for code, gate in self.gates.items()}

    def close(self) -> None:
        for camera in self.cameras.values():
            camera.close()
