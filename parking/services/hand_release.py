"""Opening an exit by hand is settled: the attendant says what happened to the fee, and the stay ends.

``release_by_hand`` takes one of three outcomes for the car at an exit lane (the one the lane holds, or a
plate the attendant names when the camera missed it):

- ``cash``: the cash taken (``ledger.take_cash`` in the attendant's open shift, with the change);
- ``free``: let out free with a reason from the lot's list (免费放行原因, ``LotPolicy.free_release_reasons``),
  booked as a ``free_release`` discount of what was due;
- ``unpaid``: the car left without paying; what was due becomes arrears on its plate (``arrears``).

Then the stay is closed in the live store (its exit recorded with the fee, so no stay stays open after its
car has gone) and the gate is opened by a hand command, audited with the outcome as its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..context import LotContext
from ..models import AdjustmentKind, Lane, Shift, ShiftStatus, StayAdjustment
from ..occupancy import OccupancyStore, new_uid
from ..plates import Plate, PlateError, parse
from . import audit, ledger
from .fees import NotParkedError
from .lane_commands import CommandResult, send_command

OUTCOMES = ("cash", "free", "unpaid")
REASON_MAX_CHARS = 100


class HandReleaseError(ValueError):
    """A hand release that cannot be settled; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class HandRelease:
    plate: str
    outcome: str
    due_fen: int  # everything the gate asked: this stay's fee and the plate's earlier arrears
    change_fen: int
    command: CommandResult  # the gate command and its fate
    payment_uid: str = ""
    stay_due_fen: int = 0  # this stay's own part, what a free or unpaid release books


def car_at_lane(store: OccupancyStore, lane: Lane, now: datetime, plate: str = "") -> tuple[Plate, dict[str, Any] | None]:
    """The car to settle: ``plate`` when the attendant names one, else the car the lane holds."""
    held = store.held.at_lane(lane.lot_id, lane.id, now)
    text = plate.strip() or (held["plate"] if held else "")
    if not text:
        raise HandReleaseError("plate", "no car is waiting at this exit: enter the plate of the car to let out")
    try:
        parsed = parse(text)
    except PlateError as exc:
        raise HandReleaseError("plate", str(exc)) from None
    if not isinstance(parsed, Plate):
        raise HandReleaseError("plate", f"{text!r} is not a licence plate")
    return parsed, held if held is not None and held["plate"] == parsed.text else None


def release_by_hand(db: Session, store: OccupancyStore, lot: LotContext, lane: Lane, *, outcome: str, operator_id: int,
                    now: datetime, plate: str = "", given_fen: int | None = None, reason: str = "",
                    deadline_seconds: float = 5.0) -> HandRelease:
    if lane.direction.value != "exit":
        raise HandReleaseError("lane", f"{lane.code} is not an exit lane")
    if outcome not in OUTCOMES:
        raise HandReleaseError("outcome", f"{outcome!r} is not one of {', '.join(OUTCOMES)}")
    car, held = car_at_lane(store, lane, now, plate)
    discounts: dict[str, Any] = {}
    try:
        estimate = ledger.due(store, lot, car, now)
        # ``due`` is everything the gate asks (this stay and the plate's arrears); a free or unpaid
        # release concerns this stay only: earlier arrears stay owed on the plate.
        due, stay_due, session_uid = estimate.due_fen, estimate.plan.stay_due_fen, _session_uid(store, lot.id, car.text)
        paid_before = int(estimate.plan.fee_fen) - stay_due
        if estimate.plan.discounts:  # coupons and campaigns: the fee before them, each booked at the exit
            discounts = {"fee_before_discounts_fen": estimate.plan.fee_before_discounts_fen,
                         "discounts": [d.as_json() for d in estimate.plan.discounts]}
    except NotParkedError:
        # No entry record: what the lane asked (a flat fee), or nothing.
        due, session_uid, paid_before = (int(held["due_fen"]) if held else 0), "", 0
        stay_due = due
    shift = _open_shift(db, operator_id, lot.id) if outcome == "cash" else None
    reason = " ".join(reason.split())
    if len(reason) > REASON_MAX_CHARS:
        raise HandReleaseError("reason", f"{len(reason)} characters; at most {REASON_MAX_CHARS}")
    change, payment_uid = 0, ""
    if outcome == "cash":
        if due <= 0:
            raise HandReleaseError("outcome", "nothing is due: let the car out free of charge instead")
        if given_fen is None:
            raise HandReleaseError("given_fen", "enter the cash given")
        assert shift is not None
        try:
            payment, change = ledger.take_cash(db, store, lot, car, given_fen=given_fen, shift=shift, at=now, lane_id=lane.id,
                                               open_lane=False)
        except ledger.LedgerError as exc:
            raise HandReleaseError(exc.field, exc.message) from None
        payment_uid = payment.uid
        words = f"收现金{due / 100:.2f}元"
    elif outcome == "free":
        if reason not in lot.policy.free_release_reasons and not reason.startswith("其他"):
            raise HandReleaseError("reason", f"choose a reason from the list: {'、'.join(lot.policy.free_release_reasons)}")
        if stay_due > 0:
            db.add(StayAdjustment(uid=new_uid(), lot_id=lot.id, session_uid=session_uid or None, kind=AdjustmentKind.FREE_RELEASE,
                                  amount_fen=stay_due, reason=reason, operator_id=operator_id, lane_id=lane.id, at=now,
                                  shift_id=_shift_id(db, operator_id)))
        words = f"免费放行：{reason}"
    else:
        if stay_due > 0:
            from .arrears import record_arrears

            record_arrears(db, store, lot_id=lot.id, plate=car.text, session_uid=session_uid or None, amount_fen=stay_due,
                           reason=reason or "未缴费离场", lane_id=lane.id, operator_id=operator_id,
                           shift_id=_shift_id(db, operator_id), at=now)
        words = "未缴费放行" + (f"：{reason}" if reason else "")
    audit.record(db, "exit.hand_release", operator_id=operator_id, target=lane.code, at=now, outcome=outcome, due_fen=due,
                 reason=reason, plate=ledger.mask(car.text), session=session_uid, payment=payment_uid)
    db.commit()
    ledger.journal(store, lot.id, "hand_release", now, plate=car.text, lane=lane.id, outcome=outcome, due_fen=due, reason=reason,
                   session=session_uid, payment=payment_uid, operator=operator_id)
    if session_uid:
        exit_info: dict[str, Any] = {"fee_fen": paid_before + stay_due, "paid_fen": paid_before + (stay_due if outcome == "cash" else 0),
                                     "reason": f"hand_{outcome}", "operator": operator_id}
        if discounts:
            exit_info |= {"fee_fen": discounts["fee_before_discounts_fen"], "discounts": discounts["discounts"]}
        store.release(lot.id, car.text, now, lane_id=lane.id, session_uid=session_uid, exit=exit_info)
        ledger.book_totals(db, session_uid)
        db.commit()
    store.held.clear(lot.id, lane.id, car.text)
    command = send_command(db, store, lane, "open", now=now, reason=words, operator_id=operator_id, deadline_seconds=deadline_seconds)
    return HandRelease(car.text, outcome, due, change, command, payment_uid, stay_due)


def _session_uid(store: OccupancyStore, lot_id: int, plate: str) -> str:
    session = store.facts.for_plate(lot_id, plate, with_session=True).session
    return str(session["uid"]) if session else ""


def _open_shift(db: Session, operator_id: int, lot_id: int) -> Shift:
    from .shifts import current_shift

    shift = current_shift(db, operator_id)
    if shift is None or shift.status != ShiftStatus.OPEN:
        raise HandReleaseError("shift", "cash is taken only in an open shift (开班 first)")
    if shift.lot_id != lot_id:
        raise HandReleaseError("shift", "your open shift is at another lot")
    return shift


def _shift_id(db: Session, operator_id: int) -> int | None:
    from .shifts import current_shift

    shift = current_shift(db, operator_id)
    return shift.id if shift is not None else None
