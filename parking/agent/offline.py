"""Offline operation (脱机运行): lanes keep deciding while Redis or the central server is unreachable.

While online, the agent keeps a local copy of every lot's plate facts (passes, lists, visitors, what a
plate owes from earlier stays) and of its counts, on disk under ``<instance>/agent/``. When a lane
decision cannot reach Redis, ``OfflineLanes`` decides from that copy: passes, whitelisted cars and
registered visitors enter and leave as usual; a plate that owes is shown the amount or refused, as the
lot's ``arrears_entry`` says; temporary vehicles follow the lot's ``offline_temporary`` and
``offline_exit`` policies, and are refused at the entry when the local estimate of the zone says it is
full. Every decision is appended to a local journal (JSON lines, fsynced) with a unique id before the
gate is told.

When Redis answers again, ``upload`` replays the journal in order through the same atomic scripts, at
the times the decisions were made, and remembers how far it got after each record: a record replayed
twice is recognised by its session id and changes nothing. A car that no claim can place any more (its
zone filled up meanwhile) is journaled as ``offline_unplaced`` so that the record still reaches SQL.
A car let out offline with a fee due (``offline_exit: open``) is priced at upload, at the time it left,
and its exit carries the unpaid fee (``arrears_fen``), which becomes arrears on its plate when the exit
reaches SQL (``parking.occupancy.recorder``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from drivers.interfaces import PlateRead

from ..admission import EntryFacts, decide_entry
from ..claims import Claim
from ..lane_display import LaneDecision, entry_decision, exit_decision, held_read, no_plate, rejected_read
from ..departure import PASS_CLASSES, ExitFacts, decide_exit
from ..occupancy import OccupancyStore, PlateFacts, facts_from_docs, new_uid
from ..passes import standing
from ..plates import NoPlate, Plate, PlateError, color_from_name, parse
from ..private import ensure_private_dir, open_private, write_private_text
from ..services.lane_reads import read_moment
from ..context import LaneRef, LotContext

log = logging.getLogger(__name__)


@dataclass
class LocalLot:
    """The last known facts and counts of one lot, and the changes made offline since."""

    facts: dict[str, dict[str, list[dict[str, Any]]]]  # plate -> {"lists": [...], "passes": [...], "visitors": [...], "arrears": [...]}
    present: dict[str, int]
    capacity: dict[str, int]
    inside: dict[str, dict[str, Any]]  # plate -> the offline session (entered while offline)

    def plate_facts(self, plate: str) -> PlateFacts:
        doc = self.facts.get(plate, {})
        return facts_from_docs(doc.get("lists", []), doc.get("passes", []), doc.get("visitors", []), arrears=doc.get("arrears", []))


class OfflineLanes:
    def __init__(self, folder: Path) -> None:
        self.folder = ensure_private_dir(folder)  # copies of passes and lists: personal data
        self.journal_path = self.folder / "journal.jsonl"
        self.progress_path = self.folder / "journal.uploaded"
        self._lock = threading.Lock()
        self.lots: dict[int, LocalLot] = {}
        for path in sorted(self.folder.glob("lot-*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            self.lots[int(doc["lot_id"])] = LocalLot(doc["facts"], doc["present"], doc["capacity"], doc.get("inside", {}))

    # -- while online ------------------------------------------------------------------------------
    def snapshot(self, store: OccupancyStore, lot_id: int) -> None:
        """Copy the lot's plate facts and counts from Redis to memory and disk."""
        facts = store.facts.all(lot_id)
        present, capacity, _ = store.counts(lot_id)
        with self._lock:
            inside = self.lots[lot_id].inside if lot_id in self.lots else {}
            self.lots[lot_id] = LocalLot(facts, present, capacity, inside)
            self._save(lot_id)

    def _save(self, lot_id: int) -> None:
        lot = self.lots[lot_id]
        path = self.folder / f"lot-{lot_id}.json"
        write_private_text(path, json.dumps({"lot_id": lot_id, "facts": lot.facts, "present": lot.present,
                                             "capacity": lot.capacity, "inside": lot.inside}, ensure_ascii=False))

    # -- while offline -----------------------------------------------------------------------------
    def handle_read(self, lane: LaneRef, read: PlateRead, now: datetime) -> LaneDecision:
        try:
            plate = parse(read.license, color_from_name(read.color))
        except PlateError as exc:
            return rejected_read(str(exc)[:200])
        if isinstance(plate, NoPlate):
            return no_plate(lane.direction)
        policy = lane.lot.policy if lane.lot else None
        if read.fake:
            return held_read("fake_plate", plate.text)
        if policy is not None and read.confidence < policy.min_confidence:
            return held_read("low_confidence", plate.text)
        at, distrust = read_moment(lane, read, now)
        if distrust is not None:
            return held_read(distrust, plate.text, {"camera_time": at.isoformat(), "received_at": now.isoformat()})
        with self._lock:
            lot = self.lots.get(lane.lot_id)
            if lot is None:
                return entry_decision("not_allowed", plate.text) if lane.direction == "entry" else exit_decision("needs_staff", plate.text)
            if lane.direction == "entry":
                return self._entry(lane, lot, plate, read, at)
            return self._exit(lane, lot, plate, read, at)

    def _entry(self, lane: LaneRef, lot: LocalLot, plate: Plate, read: PlateRead, at: datetime) -> LaneDecision:
        assert lane.lot is not None
        policy = lane.lot.policy
        facts = lot.plate_facts(plate.text)
        plan = decide_entry(EntryFacts(plate=plate, zone_id=lane.zone_id, now=at, tz=lane.lot.tz, policy=policy,
                                       lists=facts.lists, passes=facts.passes, visitors=facts.visitors,
                                       inner_zones=lane.lot.inner_zones(lane.zone_id), arrears_fen=facts.arrears_fen))
        if plan.refused:
            return entry_decision(plan.refusal or "not_allowed", plate.text, plan.notice, arrears_fen=plan.arrears_fen)
        temporary = plan.vehicle_class in {"temporary", "visitor"}
        zone = str(lane.zone_id)
        if temporary and policy.offline_temporary == "refuse":
            return entry_decision("not_allowed", plate.text)
        if temporary and lot.present.get(zone, 0) >= lot.capacity.get(zone, 0):
            return entry_decision("full", plate.text)
        if plate.text in lot.inside:
            return entry_decision("already_inside", plate.text)
        session_uid = new_uid()
        record = {"uid": session_uid, "op": "entry", "lot": lane.lot_id, "lane": lane.id, "zone": lane.zone_id, "plate": plate.text,
                  "at": at.isoformat(), "claims": [c.to_json() for c in plan.claims], "on_open": plan.on_open,
                  "color": plate.color.value, "kind": plate.kind.value, "camera": read.device, "read": read.event_id}
        self._append(record)
        lot.inside[plate.text] = {"uid": session_uid, "class": plan.vehicle_class, "entry_at": at.isoformat()}
        lot.present[zone] = lot.present.get(zone, 0) + 1
        self._save(lane.lot_id)
        return entry_decision("admitted", plate.text, plan.notice, {"offline": True, "session": session_uid}, arrears_fen=plan.arrears_fen)

    def _exit(self, lane: LaneRef, lot: LocalLot, plate: Plate, read: PlateRead, at: datetime) -> LaneDecision:
        assert lane.lot is not None
        policy = lane.lot.policy
        facts = lot.plate_facts(plate.text)
        # A pass covers the stay, but not what the plate owes from earlier stays (asked at the exit online too).
        covered = any(e.kind == "whitelist" and e.active(at) for e in facts.lists) or (facts.arrears_fen <= 0 and any(
            p.kind in PASS_CLASSES and standing(p, {p.zone_id} if p.zone_id is not None else set(), at, lane.lot.tz,
                                                policy.renewal_grace_days).state in {"valid", "grace"}
            for p in facts.passes))
        if not covered and policy.offline_exit == "hold":
            return exit_decision("needs_staff", plate.text)
        record = {"uid": new_uid(), "op": "exit", "lot": lane.lot_id, "lane": lane.id, "plate": plate.text, "at": at.isoformat(),
                  "covered": covered, "camera": read.device, "read": read.event_id,
                  "session": lot.inside.get(plate.text, {}).get("uid", "")}
        self._append(record)
        lot.inside.pop(plate.text, None)
        zone = str(lane.zone_id)
        lot.present[zone] = max(0, lot.present.get(zone, 0) - 1)
        self._save(lane.lot_id)
        return exit_decision("released", plate.text, None, detail={"offline": True, "arrears": not covered})

    def _append(self, record: Mapping[str, Any]) -> None:
        with open_private(self.journal_path, "a") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    # -- back online -------------------------------------------------------------------------------
    def pending(self) -> list[dict[str, Any]]:
        if not self.journal_path.exists():
            return []
        done = int(self.progress_path.read_text()) if self.progress_path.exists() else 0
        lines = self.journal_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines[done:] if line.strip()]

    def upload(self, store: OccupancyStore, lots: Mapping[int, LotContext] | None = None) -> int:
        """Replay the journal into Redis in order; returns how many records were uploaded. ``lots`` (the
        lanes' view of each lot, with its tariff) prices the cars let out offline with a fee due."""
        with self._lock:
            records = self.pending()
            done = int(self.progress_path.read_text()) if self.progress_path.exists() else 0
            for i, record in enumerate(records, start=1):
                self._replay(store, record, lots or {})
                self.progress_path.write_text(str(done + i))
            if records:
                log.info("uploaded %d offline decisions", len(records))
                self.journal_path.unlink(missing_ok=True)
                self.progress_path.unlink(missing_ok=True)
                for lot in self.lots.values():
                    lot.inside.clear()
                for lot_id in self.lots:
                    self._save(lot_id)
            return len(records)

    def _replay(self, store: OccupancyStore, record: Mapping[str, Any], lots: Mapping[int, LotContext]) -> None:
        lot_id, at, plate = int(record["lot"]), datetime.fromisoformat(record["at"]), record["plate"]
        if record["op"] == "entry":
            existing = store.open_session(lot_id, plate)
            if existing is not None and existing.get("uid") == record["uid"]:
                return  # replayed before a crash: already there
            claims = [Claim(c["pool"] or None, c["class"], c["pass"] or None, c["spaces"] or None) for c in record["claims"]]
            claims.append(Claim(None, claims[0].vehicle_class if claims else "temporary"))
            result = store.admit(
                lot_id, int(record["zone"]), plate, at, lane_id=int(record["lane"]), claims=claims, on_open="replace",
                session={"uid": record["uid"], "color": record["color"], "kind": record["kind"], "offline": True},
            )
            if result.outcome != "admitted":
                store.journal(lot_id, "offline_unplaced", at, plate=plate, data={"record": dict(record), "outcome": result.outcome})
            return
        session = store.open_session(lot_id, plate)
        if session is None:
            store.journal(lot_id, "exit_unmatched", at, plate=plate, data={"offline": True, "record": dict(record)})
            return
        info: dict[str, Any] = {"offline": True, "reason": "offline_pass", "fee_fen": 0}
        if not record["covered"]:
            info = {"offline": True, **unpaid_exit(store, lots.get(lot_id), plate, session, at)}
        store.release(lot_id, plate, at, lane_id=int(record["lane"]), session_uid=session["uid"], exit=info)


def unpaid_exit(store: OccupancyStore, lot: LotContext | None, plate: str, session: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    """The exit of a car let out offline without paying, priced at the time it left: its fee, and the part
    of it left unpaid (``arrears_fen``, which becomes arrears on its plate). Arrears it owed from earlier
    stays are not this stay's fee and stay as they were."""
    paid = int(session.get("paid_fen", 0))
    parsed = parse(plate)
    if lot is None or not isinstance(parsed, Plate):
        return {"reason": "offline_unpriced", "fee_fen": paid}
    facts = store.facts.for_plate(lot.id, plate)
    plan = decide_exit(ExitFacts(
        plate=parsed, session=session, now=at, tz=lot.tz, policy=lot.policy, lists=facts.lists, passes=facts.passes,
        tariff=lot.tariff, calendar=lot.calendar, inner_zones=lot.inner_zones(int(session["zone"])),
    ))
    if plan.reason == "needs_staff":  # the tariff cannot price it alone: an attendant settles the stay
        return {"reason": "offline_unpriced", "fee_fen": paid}
    if plan.due_fen <= 0:
        return {"reason": f"offline_{plan.reason}", "fee_fen": plan.fee_fen}
    return {"reason": "offline_arrears", "fee_fen": plan.fee_fen, "arrears_fen": plan.due_fen}

