"""The SQL side of an exit's discounts: each coupon's and campaign's discount booked once, the coupons used.

The exit decision journals, with the ``exited`` event, what each coupon and campaign took off the stay
(``exit["discounts"]``, from ``parking.discounts``). When the recorder writes that event it calls
``book_exit_discounts``: one ``StayAdjustment`` per discount (kind ``coupon`` with its ``coupon_id``, or
``campaign`` with its ``campaign_id``), whose uid is derived from the stay and the coupon code or campaign
id, so a replayed event books nothing twice; and every coupon given to the stay becomes ``used``, the
ones that took nothing off too (a coupon serves one stay). Such an exit journals the fee before
discounts as ``fee_fen``, so fee == paid + discounts + arrears; an exit that journals no discounts (a
hand release, an exit decided offline) journals its fee after them, and books none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AdjustmentKind, Campaign, Coupon, CouponStatus, ParkingSession, StayAdjustment

__all__ = ["adjustment_uid", "book_exit_discounts"]

REASON_MAX_CHARS = 200


def adjustment_uid(session_uid: str, kind: str, ref: str) -> str:
    """The one uid a stay's discount of ``kind`` (coupon code or campaign id ``ref``) can be booked under."""
    return hashlib.sha256(f"{session_uid}|{kind}|{ref}".encode()).hexdigest()[:40]


def book_exit_discounts(db: Session, lot_id: int, row: ParkingSession, exit: Mapping[str, Any], at: datetime) -> int:
    """Book the discounts the exit journaled for the stay ``row`` and mark its coupons used; returns how
    many adjustments were added (0 when they were booked before)."""
    added = 0
    for item in exit.get("discounts") or []:
        try:
            kind, ref, amount = AdjustmentKind(item["kind"]), str(item["ref"]), int(item["amount_fen"])
        except (KeyError, TypeError, ValueError):
            continue
        if kind not in (AdjustmentKind.COUPON, AdjustmentKind.CAMPAIGN) or not amount:
            continue
        uid = adjustment_uid(row.uid, kind.value, ref)
        if db.scalar(select(StayAdjustment.id).where(StayAdjustment.uid == uid)) is not None:
            continue
        coupon_id = campaign_id = None
        if kind == AdjustmentKind.COUPON:
            coupon_id = db.scalar(select(Coupon.id).where(Coupon.code == ref))
            reason = f"{item.get('name') or '商户'}优惠券 {ref}"
        else:
            campaign_id = db.scalar(select(Campaign.id).where(Campaign.id == int(ref))) if ref.isdigit() else None
            reason = str(item.get("name") or "优惠活动")
        db.add(StayAdjustment(
            uid=uid, lot_id=lot_id, session_uid=row.uid, kind=kind, amount_fen=amount, reason=reason[:REASON_MAX_CHARS],
            coupon_id=coupon_id, campaign_id=campaign_id, lane_id=exit.get("lane"), at=at,
        ))
        added += 1
    for coupon in db.scalars(select(Coupon).where(Coupon.session_uid == row.uid, Coupon.status == CouponStatus.ISSUED)):
        coupon.status, coupon.used_at = CouponStatus.USED, at
    db.flush()
    return added
