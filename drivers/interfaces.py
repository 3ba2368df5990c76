"""The small interfaces lanes depend on, and the camera-neutral plate read.

    PlateReader  start() / stop(); calls on_read(PlateRead) for each recognition
    Gate         open(); close()
    Display      show_text(line, text, color=, seconds=); speak(text)

Device classes satisfy these structurally (``typing.Protocol``): a VZ camera is a reader and, through
its IO output, a gate; an OLM board is a display and, through its relay, a gate; a Modbus relay module
is a gate. :class:`PlateRead` is what any camera family is turned into before a lane sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Callable, Protocol, runtime_checkable

if TYPE_CHECKING:
    from drivers.hikvision import HikAnprEvent
    from drivers.vz.push import VzPlateResult


@dataclass(frozen=True)
class PlateRead:
    device: str                    # camera serial number or address
    license: str                   # as read; "" when the camera saw a vehicle without a readable plate
    color: str                     # blue, yellow, white, black, green, yellow-green, unknown
    confidence: int
    at: datetime | None            # the camera's time, UTC-aware when known
    event_id: str                  # per camera; the same record sent twice has the same id
    offline: bool = False          # stored by the camera while the server was unreachable
    image: bytes | None = None
    plate_image: bytes | None = None


@runtime_checkable
class PlateReader(Protocol):
    on_read: Callable[[PlateRead], None] | None

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


def read_from_vz(r: "VzPlateResult") -> PlateRead:
    from drivers.vz.push import COLOR_NAMES, NO_PLATE
    return PlateRead(device=r.serialno, license="" if r.license == NO_PLATE else r.license,
                     color=COLOR_NAMES.get(r.color_type, "unknown"), confidence=r.confidence, at=r.timestamp,
                     event_id=str(r.plateid), offline=r.is_offline, image=r.image, plate_image=r.plate_image)


def read_from_hikvision(e: "HikAnprEvent", device: str) -> PlateRead:
    stamp = e.date_time.isoformat() if e.date_time else ""
    return PlateRead(device=device, license=e.license if e.has_plate else "", color=e.plate_color or "unknown",
                     confidence=e.confidence, at=e.date_time, event_id=f"{e.license}@{stamp}",
                     image=e.detection_picture, plate_image=e.plate_picture)



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
