"""The small interfaces lanes depend on, and the camera-neutral plate read.

    PlateReader  start() / stop(); calls on_read(PlateRead) -> ReadAnswer | None for each recognition
    Gate         open(); close()
    Display      show_text(line, text, color=, seconds=); speak(text)

Device classes satisfy these structurally (``typing.Protocol``): a VZ camera is a reader and, through
its IO output, a gate; an OLM board is a display and, through its relay, a gate; a Modbus relay module
is a gate. :class:`PlateRead` is what any camera family is turned into before a lane sees it (each
family's codec has its ``plate_read`` converter), delivered through the one ``on_read`` callback of every
camera kind; :class:`ReadAnswer` is what the lane answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol, runtime_checkable


@dataclass(frozen=True)
class PlateRead:
    """One recognition, whatever the camera family: the only read type a lane sees."""

    device: str                    # the camera's id on its lane (serial number, MAC...)
    license: str                   # as read; "" when the camera saw a vehicle without a readable plate
    color: str                     # blue, yellow, white, black, green, yellow-green, unknown
    confidence: int                # 0-100 as the camera reports it; 0 when it reports none
    at: datetime | None            # the camera's time, UTC-aware when known
    event_id: str                  # per camera; the same record sent twice has the same id
    offline: bool = False          # stored by the camera while the server was unreachable
    fake: bool = False             # the camera itself flagged the plate as fake (a photo, a screen)
    image: bytes | None = None
    plate_image: bytes | None = None


@dataclass(frozen=True)
class ReadAnswer:
    """What a lane answers to a read: open the gate or not, the board's lines and the voice. A camera
    that carries the answer itself (a VZ push camera, in its HTTP reply) performs it; others ignore it
    and the lane performs it on its gate and display."""

    open_gate: bool
    lines: tuple[str, ...] = ()
    voice: str = ""
    color: tuple[int, int, int, int] = (255, 0, 0, 0)


ReadHandler = Callable[[PlateRead], "ReadAnswer | None"]


@runtime_checkable
class PlateReader(Protocol):
    on_read: ReadHandler | None

    def start(self) -> object: ...
    def stop(self) -> None: ...


@runtime_checkable
class Gate(Protocol):
    def open(self) -> None: ...
    def close(self) -> None: ...


@runtime_checkable
class Display(Protocol):
    def show_text(self, line: int, text: str, *, color: tuple[int, int, int, int] = ..., seconds: int = ...) -> None:
        ...

    def speak(self, text: str) -> None: ...


class PushingDevice:
    """Base of devices that reach us when they have something (push cameras): their hub serves them, so
    starting and stopping one is nothing; online while heard within ``within`` seconds on ``clock``."""

    clock: Callable[[], float]
    last_heard: float | None

    def start(self):  # type: ignore[no-untyped-def]  # returns the device itself
        return self

    def stop(self) -> None:
        pass

    def online(self, within: float = 30.0) -> bool:
        return self.last_heard is not None and self.clock() - self.last_heard <= within
