"""A shift (交班) as the console shows it and the API answers it: names of its lot, booth lane, attendant
and confirming manager, and its report (``shifts.shift_report``: live while open, frozen at closing) with
times in the lot's time zone.

Who sees which shifts: an attendant their own; managers, administrators and auditors every shift of the
lots they see (``web.auth.sites``). Another's shift is not found, as a shift that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, select

from parking.models import Lane, Lot, Operator, Shift, ShiftStatus
from parking.services import shifts

from .auth.sites import lot_visible, restrict
from .context import db, now

SEES_EVERY_SHIFT = frozenset({"manager", "admin", "auditor", "token"})


@dataclass(frozen=True)
class HandOpening:
    at: datetime
    lane: str
    reason: str
    outcome: str


@dataclass(frozen=True)
class ShiftView:
    shift: Shift
    lot_name: str
    lane_name: str
    operator_name: str
    confirmed_by_name: str
    tz: ZoneInfo
    report: dict[str, Any]
    openings: tuple[HandOpening, ...]

    @property
    def expected_cash_fen(self) -> int:
        return int(self.report["expected_cash_fen"])


def sees_every_shift(user: Any) -> bool:
    return str(getattr(user, "role", "")) in SEES_EVERY_SHIFT


def visible_shifts(user: Any) -> Select[tuple[Shift]]:
    """The shifts ``user`` may see, newest first."""
    query = restrict(select(Shift), Shift.lot_id).order_by(Shift.opened_at.desc(), Shift.id.desc())
    if not sees_every_shift(user):
        query = query.where(Shift.operator_id == getattr(user, "id", None))
    return query


def find_shift(uid: str, user: Any) -> Shift | None:
    found = db().scalar(select(Shift).where(Shift.uid == uid)) if len(uid) <= 40 else None
    if found is None or not lot_visible(found.lot_id):
        return None
    if not sees_every_shift(user) and found.operator_id != getattr(user, "id", None):
        return None
    return found


def _name(model: type[Any], row_id: int | None, attribute: str) -> str:
    row = db().get(model, row_id) if row_id is not None else None
    return str(getattr(row, attribute)) if row is not None else ""


def lot_zone(lot: Lot | None) -> ZoneInfo:
    default = current_app.config["PARKING_SETTINGS"].timezone
    return ZoneInfo((lot.timezone or lot.site.timezone if lot is not None else None) or default)


def shift_view(shift: Shift) -> ShiftView:
    lot = db().get(Lot, shift.lot_id)
    tz = lot_zone(lot)
    report = shifts.shift_report(db(), shift, until=now() if shift.status == ShiftStatus.OPEN else None)
    lane_names = {code: name for code, name in db().execute(select(Lane.code, Lane.name).where(Lane.lot_id == shift.lot_id))}
    openings = []
    for row in report.get("hand_openings", ()):
        try:
            at = datetime.fromisoformat(row["at"]).astimezone(tz)
        except (KeyError, TypeError, ValueError):
            continue
        lane = str(row.get("lane", ""))
        openings.append(HandOpening(at, lane_names.get(lane, lane), str(row.get("reason", "")), str(row.get("outcome", ""))))
    return ShiftView(
        shift=shift, lot_name=lot.name if lot else "", lane_name=_name(Lane, shift.lane_id, "name"),
        operator_name=_name(Operator, shift.operator_id, "display_name"),
        confirmed_by_name=_name(Operator, shift.confirmed_by_id, "display_name"), tz=tz, report=report, openings=tuple(openings),
    )


def shift_document(shift: Shift, *, with_report: bool = False) -> dict[str, Any]:
    """A shift as the API answers it (amounts in fen, times in UTC)."""
    doc: dict[str, Any] = {
        "uid": shift.uid, "lot_id": shift.lot_id, "lane_id": shift.lane_id, "operator_id": shift.operator_id,
        "status": shift.status.value, "opened_at": shift.opened_at, "opening_float_fen": shift.opening_float_fen,
        "closed_at": shift.closed_at, "expected_cash_fen": shift.expected_cash_fen, "counted_cash_fen": shift.counted_cash_fen,
        "difference_fen": shift.difference_fen, "note": shift.note, "confirmed_by_id": shift.confirmed_by_id,
        "confirmed_at": shift.confirmed_at,
    }
    if with_report:
        doc["report"] = shifts.shift_report(db(), shift, until=now() if shift.status == ShiftStatus.OPEN else None)
    return doc
