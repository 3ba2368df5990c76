"""The small protocols services take their collaborators through, so a fake can stand in for Redis.

``LiveStore`` is the part of ``parking.occupancy.OccupancyStore`` a lane decision uses: the atomic
state changes, the journal, and reads of plate facts and open sessions. Unit tests pass an in-memory
fake (``tests/fakes.py``); the agent and the web pass the real store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from ..claims import Claim
from ..occupancy import CoreResult, PlateFacts


class PlateFactReader(Protocol):
    def for_plate(self, lot_id: int, plate: str, *, with_session: bool = False) -> PlateFacts: ...


class HeldWriter(Protocol):
    def hold(self, lot_id: int, lane_id: int, *, plate: str, session: str | None, due_fen: int, reason: str, at: datetime,
             read: str = ...) -> None: ...


class LiveStore(Protocol):
    @property
    def facts(self) -> PlateFactReader: ...

    @property
    def held(self) -> HeldWriter: ...

    def admit(self, lot_id: int, zone_id: int, plate: str, now: datetime, *, lane_id: int, claims: Sequence[Claim] = ...,
              on_open: str = ..., session: Mapping[str, Any] | None = ..., camera_serial: str = ...,
              read_id: str = ...) -> CoreResult: ...

    def release(self, lot_id: int, plate: str, now: datetime, *, lane_id: int, exit: Mapping[str, Any] | None = ...,
                camera_serial: str = ..., read_id: str = ..., probe: bool = ..., session_uid: str = ...) -> CoreResult: ...

    def move(self, lot_id: int, plate: str, zone_id: int, now: datetime, *, lane_id: int, claims: Sequence[Claim] = ...,
             read_id: str = ...) -> CoreResult: ...

    def journal(self, lot_id: int, kind: str, now: datetime, *, plate: str = ..., data: Mapping[str, Any]) -> str: ...

    def open_plates(self, lot_id: int) -> list[str]: ...

    def pay(self, lot_id: int, plate: str, amount_fen: int, now: datetime, *, method: str, operator_id: int | None = ...,
            payment_uid: str | None = ..., session_uid: str = ...) -> CoreResult: ...
