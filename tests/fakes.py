"""An in-memory stand-in for the live store (``parking.services.ports.LiveStore``), for unit tests of
services that need no Redis. It keeps the rules the Lua scripts keep where the tests rely on them: a
claim is taken only below its zone's (and pool's, and pass's) capacity, a plate is inside once, and
every state change and refusal is journaled."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from parking.claims import Claim
from parking.occupancy import CoreResult, PlateFacts, facts_from_docs, new_uid
from parking.occupancy.store import ZONE_ONLY


@dataclass
class FakeFacts:
    docs: dict[int, dict[str, dict[str, list[dict[str, Any]]]]] = field(default_factory=dict)  # lot -> plate -> kind -> docs
    sessions: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def for_plate(self, lot_id: int, plate: str, *, with_session: bool = False) -> PlateFacts:
        doc = self.docs.get(lot_id, {}).get(plate, {})
        session = self.sessions.get(lot_id, {}).get(plate) if with_session else None
        return facts_from_docs(doc.get("lists", []), doc.get("passes", []), doc.get("visitors", []), session)


@dataclass
class FakeHeld:
    lanes: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # (lot, lane) -> hold

    def hold(self, lot_id: int, lane_id: int, *, plate: str, session: str | None, due_fen: int, reason: str, at: datetime,
             read: str = "") -> None:
        self.lanes[(lot_id, lane_id)] = {"plate": plate, "session": session or "", "due_fen": due_fen, "reason": reason,
                                         "at": at.isoformat(), "read": read, "lane": lane_id}


class FakeLiveStore:
    def __init__(self, capacities: Mapping[int, Mapping[int, int]]) -> None:
        self.capacity = {lot: {str(z): n for z, n in zones.items()} for lot, zones in capacities.items()}
        self.present: dict[int, dict[str, int]] = {lot: {} for lot in capacities}
        self.pass_present: dict[int, dict[str, int]] = {lot: {} for lot in capacities}
        self.sessions: dict[int, dict[str, dict[str, Any]]] = {lot: {} for lot in capacities}
        self.facts = FakeFacts(sessions=self.sessions)
        self.events: list[tuple[int, str, str, dict[str, Any]]] = []  # (lot, kind, plate, data)
        self.held = FakeHeld()

    # -- what the tests set up ---------------------------------------------------------------------
    def add_facts(self, lot_id: int, plate: str, kind: str, doc: Mapping[str, Any]) -> None:
        self.facts.docs.setdefault(lot_id, {}).setdefault(plate, {}).setdefault(kind, []).append(dict(doc))

    # -- LiveStore ---------------------------------------------------------------------------------
    def journal(self, lot_id: int, kind: str, now: datetime, *, plate: str = "", data: Mapping[str, Any]) -> str:
        self.events.append((lot_id, kind, plate, json.loads(json.dumps(dict(data), default=str))))
        return new_uid()

    def open_plates(self, lot_id: int) -> list[str]:
        return list(self.sessions[lot_id])

    def admit(self, lot_id: int, zone_id: int, plate: str, now: datetime, *, lane_id: int, claims: Sequence[Claim] = ZONE_ONLY,
              on_open: str = "refuse", session: Mapping[str, Any] | None = None, camera_serial: str = "",
              read_id: str = "") -> CoreResult:
        uid = new_uid()
        if plate in self.sessions[lot_id] and on_open == "refuse":
            self.journal(lot_id, "entry_refused", now, plate=plate, data={"reason": "already_inside"})
            return CoreResult("already_inside", {}, uid)
        zone = str(zone_id)
        present, capacity = self.present[lot_id], self.capacity[lot_id]
        for claim in claims:
            pool_field = f"{zone}:{claim.pool}" if claim.pool else None
            if present.get(zone, 0) >= capacity.get(zone, 0):
                continue
            if pool_field and pool_field in capacity and present.get(pool_field, 0) >= capacity[pool_field]:
                continue
            if claim.pass_id and claim.spaces and self.pass_present[lot_id].get(str(claim.pass_id), 0) >= claim.spaces:
                continue
            present[zone] = present.get(zone, 0) + 1
            if claim.pass_id:
                self.pass_present[lot_id][str(claim.pass_id)] = self.pass_present[lot_id].get(str(claim.pass_id), 0) + 1
            record = {"uid": new_uid(), "plate": plate, "zone": zone_id, "lane": lane_id, "class": claim.vehicle_class,
                      "pool": claim.pool, "pass": claim.pass_id, "paid_fen": 0,
                      "entry_at": now.astimezone(timezone.utc).isoformat(), **(session or {})}
            self.sessions[lot_id][plate] = record
            self.journal(lot_id, "entered", now, plate=plate, data={"session": record})
            return CoreResult("admitted", {"session": record}, uid)
        self.journal(lot_id, "entry_refused", now, plate=plate, data={"reason": "full"})
        return CoreResult("full", {}, uid)

    def release(self, lot_id: int, plate: str, now: datetime, *, lane_id: int, exit: Mapping[str, Any] | None = None,
                camera_serial: str = "", read_id: str = "", probe: bool = False, session_uid: str = "") -> CoreResult:
        uid = new_uid()
        session = self.sessions[lot_id].get(plate)
        if session is None:
            if not probe:
                self.journal(lot_id, "exit_unmatched", now, plate=plate, data={"exit": dict(exit or {})})
            return CoreResult("no_session", {}, uid)
        if session_uid and session["uid"] != session_uid:
            return CoreResult("changed", {"session": session}, uid)
        del self.sessions[lot_id][plate]
        zone = str(session["zone"])
        self.present[lot_id][zone] = max(0, self.present[lot_id].get(zone, 0) - 1)
        self.journal(lot_id, "exited", now, plate=plate, data={"session": session, "exit": dict(exit or {})})
        return CoreResult("released", {"session": session}, uid)

    def move(self, lot_id: int, plate: str, zone_id: int, now: datetime, *, lane_id: int, claims: Sequence[Claim] = ZONE_ONLY,
             read_id: str = "") -> CoreResult:
        raise NotImplementedError("inner gates are tested against the real store")
