"""A plate read at a lane, from raw camera text to a performed decision in the live store.

Before anything is decided, a read the lane must not decide by itself is held for an attendant and
journaled as ``read_held`` with its reason: one the camera flagged as fake, one below the lot's
confidence threshold, and an offline record whose camera clock cannot be trusted (ahead of ours beyond
the allowed skew, older than the allowed age, or before the lot existed), with both times. An exit
earlier than its entry, and a fee above the lot's sanity limit, are held the same way.

Entry: parse the plate, read what the lot knows about it (one round trip), decide with
``admission.decide_entry``, and let one atomic script claim the first right that fits. Exit: read the
plate's facts and open session (one round trip), falling back to a tolerant match among the open
sessions only when there is none; decide with ``departure.decide_exit``; release in one script or hold
with the amount due. The inner gate of a lot-in-lot moves the session between zones.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from drivers.interfaces import PlateRead

from ..admission import EntryFacts, EntryPlan, decide_entry
from ..context import LaneRef, LotContext
from ..departure import ExitFacts, decide_exit
from ..lane_display import LaneDecision, entry_decision, exit_decision, held_read, move_decision, no_plate, rejected_read
from ..plates import MatchKind, NoPlate, Plate, PlateError, color_from_name, match_exit, parse
from .ports import LiveStore

log = logging.getLogger(__name__)

RAW_SHOWN = 32  # characters of a camera's text kept in the journal and the log


def _lot(lane: LaneRef) -> LotContext:
    return lane.lot or LotContext(id=lane.lot_id, name="", tz=ZoneInfo("Asia/Shanghai"))


def read_moment(lane: LaneRef, read: PlateRead, now: datetime) -> tuple[datetime, str | None]:
    """When the read happened, and why its time cannot be trusted (None when it can). A record the
    camera stored while we were unreachable happened at the camera's time, not ours."""
    if not (read.offline and read.at is not None):
        return now, None
    lot, at = _lot(lane), read.at
    if at - now > timedelta(seconds=lot.policy.clock_skew_seconds):
        return at, "clock_future"
    if lot.opened_at is not None and at < lot.opened_at:
        return at, "clock_before_lot"
    if now - at > timedelta(days=lot.policy.offline_max_age_days):
        return at, "clock_too_old"
    return at, None


def _hold(store: LiveStore, lane: LaneRef, read: PlateRead, reason: str, now: datetime, plate: str = "", **detail: object) -> LaneDecision:
    data = {"lane": lane.id, "reason": reason, "raw": read.license[:RAW_SHOWN], "read": read.event_id,
            "confidence": read.confidence, "camera_time": read.at.isoformat() if read.at else None, **detail}
    store.journal(lane.lot_id, "read_held", now, plate=plate, data=data)
    log.warning("lane %s: read %s held for staff: %s", lane.code, plate or read.license[:RAW_SHOWN], reason)
    return held_read(reason, plate, {k: v for k, v in data.items() if k != "lane"})


def handle_read(store: LiveStore, lane: LaneRef, read: PlateRead, now: datetime) -> LaneDecision:
    try:
        plate = parse(read.license, color_from_name(read.color))
    except PlateError as exc:
        store.journal(lane.lot_id, "read_rejected", now,
                      data={"lane": lane.id, "raw": read.license[:RAW_SHOWN], "reason": str(exc)[:200], "read": read.event_id})
        log.warning("lane %s: rejected read %r from camera %s: %s", lane.code, read.license[:RAW_SHOWN], read.device, exc)
        return rejected_read(str(exc)[:200])
    if isinstance(plate, NoPlate):
        store.journal(lane.lot_id, "no_plate", now, data={"lane": lane.id, "raw": read.license[:RAW_SHOWN], "read": read.event_id})
        return no_plate(lane.direction)
    policy = _lot(lane).policy
    if read.fake:
        return _hold(store, lane, read, "fake_plate", now, plate.text)
    if read.confidence < policy.min_confidence:
        return _hold(store, lane, read, "low_confidence", now, plate.text, threshold=policy.min_confidence)
    at, distrust = read_moment(lane, read, now)
    if distrust is not None:
        return _hold(store, lane, read, distrust, now, plate.text, received_at=now.isoformat())
    if lane.parent_zone_id is not None:
        return _inner_gate(store, lane, plate, read, at)
    if lane.direction == "entry":
        return _entry(store, lane, plate, read, at, lane.zone_id)
    return _exit(store, lane, plate, read, at, now)


def release_held(store: LiveStore, lane: LaneRef, plate: str, now: datetime, *, reason: str) -> LaneDecision:
    """Decide again, at ``now``, the exit of the car held at ``lane``, as if the camera read it again: after
    a payment (``reason`` names it, e.g. the payment uid) the decision releases it and records the exit.
    The caller checks first that this is the car the lane holds (``OccupancyStore.held``)."""
    parsed = parse(plate)
    if not isinstance(parsed, Plate):
        return rejected_read(f"{plate!r} is not a plate")
    read = PlateRead(device=lane.camera_serial, license=parsed.text, color=parsed.color.value, confidence=100, at=None,
                     event_id=f"release:{reason}"[:64])
    return _exit(store, lane, parsed, read, now, now)


def _plan(store: LiveStore, lane: LaneRef, plate: Plate, at: datetime, zone_id: int, *, outer: bool = True) -> EntryPlan:
    lot = _lot(lane)
    facts = store.facts.for_plate(lane.lot_id, plate.text)
    return decide_entry(EntryFacts(
        plate=plate, zone_id=zone_id, now=at, tz=lot.tz, policy=lot.policy, lists=facts.lists,
        passes=facts.passes, visitors=facts.visitors, inner_zones=lot.inner_zones(zone_id),
        arrears_fen=facts.arrears_fen if outer else 0,  # arrears are for the gate into the lot, not an inner one
    ))


def _refusal(lane: LaneRef, plan: EntryPlan, outcome: str) -> str:
    if outcome == "pass_spaces_taken" and _lot(lane).policy.pool_overflow == "wait":
        return "pass_spaces_wait"
    return outcome


def _entry(store: LiveStore, lane: LaneRef, plate: Plate, read: PlateRead, at: datetime, zone_id: int) -> LaneDecision:
    plan = _plan(store, lane, plate, at, zone_id)
    if plan.refused:
        store.journal(lane.lot_id, "entry_refused", at, plate=plate.text,
                      data={"lane": lane.id, "reason": plan.refusal, "class": plan.vehicle_class, "notice": plan.notice, "read": read.event_id,
                            **({"arrears_fen": plan.arrears_fen} if plan.arrears_fen else {})})
        return entry_decision(plan.refusal or "not_allowed", plate.text, plan.notice, arrears_fen=plan.arrears_fen)
    result = store.admit(
        lane.lot_id, zone_id, plate.text, at, lane_id=lane.id, claims=plan.claims, on_open=plan.on_open,
        session={"color": plate.color.value, "kind": plate.kind.value, "offline": read.offline},
        camera_serial=read.device, read_id=read.event_id,
    )
    outcome = result.effective
    detail = {"duplicate": result.duplicate, "event": result.event_uid, "class": plan.vehicle_class}
    return entry_decision(_refusal(lane, plan, outcome), plate.text, plan.notice, detail, arrears_fen=plan.arrears_fen)


def _exit(store: LiveStore, lane: LaneRef, plate: Plate, read: PlateRead, at: datetime, now: datetime) -> LaneDecision:
    lot = _lot(lane)
    facts = store.facts.for_plate(lane.lot_id, plate.text, with_session=True)
    matched, match_info = plate, {}
    if facts.session is None:
        match = match_exit(plate, store.open_plates(lane.lot_id))
        if match.kind == MatchKind.AMBIGUOUS:
            store.journal(lane.lot_id, "exit_ambiguous", now, plate=plate.text,
                          data={"lane": lane.id, "candidates": list(match.candidates), "read": read.event_id})
            return exit_decision("ambiguous", plate.text, detail={"candidates": list(match.candidates)})
        if match.kind == MatchKind.TOLERANT and match.plate:
            matched = parse(match.plate)  # open sessions hold canonical plates
            assert isinstance(matched, Plate)
            facts = store.facts.for_plate(lane.lot_id, matched.text, with_session=True)
            match_info = {"match": "tolerant", "match_reason": match.reason, "read_plate": plate.text}
    session = facts.session
    if session is not None and at < datetime.fromisoformat(session["entry_at"]):
        return _hold(store, lane, read, "exit_before_entry", now, matched.text, entry_at=session["entry_at"],
                     exit_at=at.isoformat(), session=session.get("uid"))
    plan = decide_exit(ExitFacts(
        plate=matched, session=session, now=at, tz=lot.tz, policy=lot.policy, lists=facts.lists, passes=facts.passes,
        tariff=lot.tariff, calendar=lot.calendar, campaigns=lot.campaigns,
        inner_zones=lot.inner_zones(int(session["zone"])) if session else frozenset(), arrears_fen=facts.arrears_fen,
    ))
    stay = max(timedelta(0), at - plan.entry_at) if plan.entry_at else None
    limit = lot.policy.max_fee_fen
    if limit and plan.stay_due_fen > limit:
        return _hold(store, lane, read, "fee_needs_confirmation", now, matched.text, due_fen=plan.due_fen, limit_fen=limit,
                     session=session.get("uid") if session else None)
    if not plan.release:
        store.journal(lane.lot_id, "exit_held", now, plate=matched.text, data={
            "lane": lane.id, "reason": plan.reason, "due_fen": plan.due_fen, "session": session.get("uid") if session else None,
            "read": read.event_id, **match_info, **({"arrears_fen": plan.arrears_fen} if plan.arrears_fen else {}),
        })
        # The lane card, the exit QR page and the ledger (open once paid) find the car here.
        store.held.hold(lane.lot_id, lane.id, plate=matched.text, session=session.get("uid") if session else None,
                        due_fen=plan.due_fen, reason=plan.reason, at=at, read=read.event_id)
        return exit_decision(plan.reason, matched.text, stay, due_fen=plan.due_fen, detail={"reason": plan.reason, **match_info},
                             arrears_fen=plan.arrears_fen)
    exit_info = {"fee_fen": plan.fee_fen, "paid_fen": plan.fee_fen, "reason": plan.reason, "offline": read.offline, **match_info}
    if plan.discounts:  # the fee before them, and each booked once when the exit reaches SQL (occupancy.stay_discounts)
        exit_info |= {"fee_fen": plan.fee_before_discounts_fen, "discounts": [d.as_json() for d in plan.discounts]}
    if session is None:
        # Released without an entry record (a pass holder, a whitelisted car, a zero flat fee): the
        # release script journals the exit as unmatched, and the gate opens.
        store.release(lane.lot_id, matched.text, at, lane_id=lane.id, exit=exit_info, camera_serial=read.device, read_id=read.event_id)
        return exit_decision("released", matched.text, None, detail={"reason": plan.reason})
    result = store.release(lane.lot_id, matched.text, at, lane_id=lane.id, exit=exit_info,
                           camera_serial=read.device, read_id=read.event_id, session_uid=session["uid"] if session else "")
    outcome = result.effective
    if outcome == "changed":  # another car took the plate's session between our read and our release
        return exit_decision("needs_staff", matched.text)
    return exit_decision("released" if outcome == "released" else outcome, matched.text, stay,
                         detail={"duplicate": result.duplicate, "event": result.event_uid, "reason": plan.reason, **match_info})


def _inner_gate(store: LiveStore, lane: LaneRef, plate: Plate, read: PlateRead, at: datetime) -> LaneDecision:
    """Entry: the car moves from the outer zone into the inner one; exit: back out."""
    into_inner = lane.direction == "entry"
    target = lane.zone_id if into_inner else lane.parent_zone_id
    assert target is not None
    plan = _plan(store, lane, plate, at, target, outer=False)
    if plan.refused:
        store.journal(lane.lot_id, "move_refused", at, plate=plate.text, data={"lane": lane.id, "reason": plan.refusal})
        return entry_decision(plan.refusal or "not_allowed", plate.text, plan.notice)
    result = store.move(lane.lot_id, plate.text, target, at, lane_id=lane.id, claims=plan.claims, read_id=read.event_id)
    outcome = result.effective
    if outcome == "no_session":
        # Not seen at the outer gate (a missed read): the car is in the lot all the same; count it here.
        return _entry(store, lane, plate, read, at, target) if into_inner else move_decision("admitted", plate.text, False)
    if outcome == "same_zone":
        outcome = "moved"
    return move_decision(_refusal(lane, plan, outcome), plate.text, into_inner, plan.notice,
                         {"duplicate": result.duplicate, "event": result.event_uid})
