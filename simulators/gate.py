"""A barrier gate (道闸) controller as a state machine over injected time. Pure: no threads, no clock.

    closed ──OPEN──► opening ──(travel)──► open ──CLOSE / loop vacated──► closing ──(travel)──► closed
                        ▲                                                   │
                        └───────────── OPEN, or a car arrives on the loop ──┘  (anti-smash, 防砸)

Rules (protocols.md §4): a car on the loop blocks closing; the car leaving the loop closes the gate
automatically; a car arriving on the loop does not open it; "always open" (常开) holds the OPEN contact and
ignores CLOSE until released; STOP halts the arm where it is (state ``stopped``). Each method takes ``now``
in seconds; ``advance(now)`` completes travel that has finished by then.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLOSED, OPENING, OPEN, CLOSING, STOPPED = "closed", "opening", "open", "closing", "stopped"


@dataclass
class GateSimulator:
    travel_seconds: float = 1.5
    state: str = CLOSED
    position: float = 0.0          # 0 = arm down, 1 = arm up
    loop_occupied: bool = False
    held_open: bool = False
    auto_close: bool = True
    history: list[tuple[float, str]] = field(default_factory=list)
    refused: list[tuple[float, str]] = field(default_factory=list)
    _since: float = 0.0
    _from: float = 0.0

    # ------------------------------------------------------------------------------------- contacts

    def press_open(self, now: float) -> None:
        self.advance(now)
        if self.state in (CLOSED, CLOSING, STOPPED):
            self._move(OPENING, now)

    def press_close(self, now: float) -> None:
        self.advance(now)
        if self.held_open:
            self.refused.append((now, "close refused: held open"))
            return
        if self.loop_occupied:
            self.refused.append((now, "close refused: vehicle on the loop"))
            return
        if self.state in (OPEN, OPENING, STOPPED):
            self._move(CLOSING, now)

    def press_stop(self, now: float) -> None:
        self.advance(now)
        if self.state in (OPENING, CLOSING):
            self._set(STOPPED, now)

    def hold_open(self, on: bool, now: float) -> None:
        self.held_open = on
        if on:
            self.press_open(now)

    def set_loop(self, occupied: bool, now: float) -> None:
        self.advance(now)
        was, self.loop_occupied = self.loop_occupied, occupied
        if occupied and self.state == CLOSING:
            self._move(OPENING, now)       # anti-smash: reverse away from the car
        elif was and not occupied and self.auto_close and not self.held_open and self.state in (OPEN, OPENING):
            self.press_close(now)

    # ------------------------------------------------------------------------------------------ time

    def advance(self, now: float) -> str:
        if self.state in (OPENING, CLOSING):
            step = (now - self._since) / self.travel_seconds if self.travel_seconds > 0 else 1.0
            if self.state == OPENING:
                self.position = min(1.0, self._from + step)
                if self.position >= 1.0:
                    self._set(OPEN, self._since + (1.0 - self._from) * self.travel_seconds)
            else:
                self.position = max(0.0, self._from - step)
                if self.position <= 0.0:
                    self._set(CLOSED, self._since + self._from * self.travel_seconds)
        return self.state

    @property
    def arm_up(self) -> bool:
        return self.state == OPEN

    def _move(self, state: str, now: float) -> None:
        self._from = self.position
        self._set(state, now)

    def _set(self, state: str, now: float) -> None:
        self.state = state
        self._since = now
        self.history.append((round(now, 6), state))
