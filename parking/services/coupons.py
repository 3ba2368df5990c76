"""Merchant coupons (商户优惠券): issuing them, putting one on a parked car's stay, claiming a printed one,
voiding one.

- ``issue`` makes one-time coupons a merchant prints as QR codes: each a ``Coupon`` with a random code,
  valid until a given moment, bound to no stay yet.
- ``give`` puts a new coupon straight on the stay of a plate parked now (the merchant's counter).
- ``claim`` is the driver's side of a printed code: the plate and the entry time (HH:MM, within ±10
  minutes) must match a car parked in the coupon's lot, so a code cannot be put on someone else's stay
  by guessing a plate; after ``MAX_CLAIM_ATTEMPTS`` wrong answers the code takes no more tries.
- ``apply_to_stay`` binds a coupon to a stay in SQL first, then gives it to the live session in one
  atomic script (``OccupancyStore.add_coupon``, idempotent by code), so the exit applies it at once.
  ``replay`` puts back on their live sessions the coupons Redis lost (run by ``reconcile``). A car an
  exit lane holds for its fee is decided again at once (``lane_commands.release_after_payment``), so a
  coupon given to a driver waiting at the barrier opens it when nothing is left to pay.
- ``void`` withdraws a coupon no stay holds.

Every rule is checked before anything is written; a refusal raises ``CouponError`` whose ``code`` names
the rule, and leaves an audit row ``coupon.refused``; the ledger is never touched here. The discount a
coupon gives is booked when the stay ends (``parking.occupancy.stay_discounts``), and the coupon is then
``used``. Rules: a coupon used, already on another stay (reuse), expired, voided, of an inactive merchant,
over the merchant's monthly quota, of a kind or value the merchant may not give, for another lot, not
stackable with another merchant's coupon already on the stay, or not accepted by the lot's tariff (no
coupon policy, not of its kinds, or the stay holds as many as it takes).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..context import LotContext
from ..discounts import KINDS, StayCoupon
from ..models import AuditEvent, Coupon, CouponStatus, Merchant
from ..occupancy import CoreResult
from ..plates import Plate, PlateError, parse
from . import audit
from .merchants import month_start
from .site import load_lots

__all__ = ["CouponError", "apply_to_stay", "claim", "give", "issue", "replay", "void"]

MAX_PRINT = 100  # codes printed at once
MAX_VALID_DAYS = 366
CLAIM_TOLERANCE = timedelta(minutes=10)
MAX_CLAIM_ATTEMPTS = 5
GIVEN_VALID = timedelta(days=1)  # a coupon given to a parked car is bound at once; its date only records the day


class CouponError(ValueError):
    """A coupon refused: ``code`` names the rule, ``field`` the input it concerns, ``message`` says it in English."""

    def __init__(self, code: str, field: str, message: str, **params: object) -> None:
        super().__init__(f"{field}: {message}")
        self.code, self.field, self.message, self.params = code, field, message, params


class CouponStore(Protocol):
    def open_session(self, lot_id: int, plate: str) -> dict[str, Any] | None: ...

    def open_sessions(self, lot_id: int) -> dict[str, dict[str, Any]]: ...

    def add_coupon(self, lot_id: int, plate: str, coupon: Mapping[str, Any], now: datetime, *, session_uid: str = "") -> CoreResult: ...


def _mask(plate: str) -> str:
    parsed = parse(plate) if plate else None
    return parsed.masked if isinstance(parsed, Plate) else ""


def _refuse(db: Session, error: CouponError, *, now: datetime, operator_id: int | None, target: str, **detail: Any) -> CouponError:
    """Record the refusal (and nothing else) and hand the error back to raise."""
    db.rollback()
    audit.record(db, "coupon.refused", operator_id=operator_id, target=target[:100], at=now, rule=error.code, field=error.field,
                 message=error.message, **detail)
    db.commit()
    return error


def _new_code() -> str:
    return secrets.token_urlsafe(15)  # 20 URL-safe characters


def _check_merchant(merchant: Merchant, kind: str, value: int) -> None:
    if not merchant.active:
        raise CouponError("merchant_inactive", "merchant", f"merchant {merchant.name} may not give coupons now", merchant=merchant.name)
    allowed = dict(merchant.kinds or {})
    if kind not in allowed:
        raise CouponError("coupon_kind_not_allowed", "kind", f"merchant {merchant.name} may not give {kind} coupons "
                          f"(it may give: {', '.join(k for k in KINDS if k in allowed) or 'none'})", kind=kind)
    if kind == "free":
        if value:
            raise CouponError("coupon_value_not_allowed", "value", "a free coupon has no value", value=value, max=0)
        return
    top = int(allowed[kind])
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top or (kind == "percent" and value > 100):
        raise CouponError("coupon_value_not_allowed", "value", f"{value!r} is not from 1 to {top}, the most merchant {merchant.name} "
                          f"may give as a {kind} coupon", value=value, max=top)


def _check_quota(db: Session, merchant: Merchant, count: int, now: datetime, lot: LotContext) -> None:
    if not merchant.monthly_quota:
        return
    # Two staff issuing at once must not both fit into the last places: the merchant's row is locked until
    # this issue commits (PostgreSQL; SQLite runs one writer at a time).
    db.execute(select(Merchant.id).where(Merchant.id == merchant.id).with_for_update())
    issued = db.scalar(select(func.count()).select_from(Coupon).where(
        Coupon.merchant_id == merchant.id, Coupon.issued_at >= month_start(now, lot.tz), Coupon.status != CouponStatus.VOID)) or 0
    if issued + count > merchant.monthly_quota:
        raise CouponError("coupon_quota_exceeded", "count", f"merchant {merchant.name} has given {issued} of its {merchant.monthly_quota} "
                          f"coupons this month; {count} more would pass the quota", issued=issued, quota=merchant.monthly_quota)


def _check_usable(coupon: Coupon, now: datetime, *, lot_id: int | None = None) -> None:
    if coupon.status == CouponStatus.VOID:
        raise CouponError("coupon_voided", "code", f"coupon {coupon.code} was voided")
    if coupon.status == CouponStatus.USED:
        raise CouponError("coupon_used", "code", f"coupon {coupon.code} was used already")
    if coupon.session_uid:
        raise CouponError("coupon_claimed", "code", f"coupon {coupon.code} is on a stay already")
    if coupon.valid_until <= now:
        raise CouponError("coupon_expired", "code", f"coupon {coupon.code} expired at {coupon.valid_until.isoformat()}",
                          until=coupon.valid_until.isoformat())
    if lot_id is not None and coupon.lot_id != lot_id:
        raise CouponError("coupon_other_lot", "lot", f"coupon {coupon.code} is for another lot")


def _check_stay(db: Session, lot: LotContext, merchant: Merchant, kind: str, session_uid: str) -> None:
    """The stay may take one more coupon of ``merchant`` and ``kind``: stacking and the tariff's policy."""
    held = list(db.scalars(select(Coupon).where(Coupon.session_uid == session_uid, Coupon.status == CouponStatus.ISSUED)))
    others = {c.merchant_id for c in held} - {merchant.id}
    for other in db.scalars(select(Merchant).where(Merchant.id.in_(others))) if others else []:
        if not (merchant.stackable and other.stackable):
            who = merchant.name if not merchant.stackable else other.name
            raise CouponError("coupon_not_stackable", "code", f"the stay holds a coupon of {other.name}, and {who}'s coupons "
                              f"do not stack with another merchant's", other=other.name)
    policy = lot.tariff.coupons if lot.tariff is not None else None
    if policy is None:
        raise CouponError("coupon_tariff_refuses", "kind", f"the tariff of lot {lot.name or lot.id} accepts no merchant coupons")
    if kind not in policy.kinds:
        raise CouponError("coupon_tariff_kind", "kind", f"the tariff of lot {lot.name or lot.id} does not accept {kind} coupons "
                          f"(it accepts: {', '.join(sorted(policy.kinds))})", kind=kind)
    if policy.max_count and len(held) >= policy.max_count:
        raise CouponError("coupon_tariff_count", "code", f"the tariff takes at most {policy.max_count} coupons on one stay",
                          max=policy.max_count)


def _lot(db: Session, lot_id: int, now: datetime, default_tz: str) -> LotContext:
    return load_lots(db, default_tz, now, lot_id=lot_id)[lot_id]


def _plate(text: str) -> str:
    try:
        plate = parse(text)
    except PlateError as exc:
        raise CouponError("plate_invalid", "plate", str(exc), plate=text) from None
    if not isinstance(plate, Plate):
        raise CouponError("plate_invalid", "plate", f"{text!r} is not a plate", plate=text)
    return plate.text


def issue(db: Session, merchant: Merchant, *, kind: str, value: int, count: int, valid_until: datetime, now: datetime,
          operator_id: int | None = None, default_tz: str = "Asia/Shanghai") -> list[Coupon]:
    """``count`` one-time coupons to print as QR codes, each valid until ``valid_until``. Audited and committed."""
    try:
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_PRINT:
            raise CouponError("out_of_range", "count", f"{count!r} is not from 1 to {MAX_PRINT}", min=1, max=MAX_PRINT)
        if valid_until.tzinfo is None or valid_until <= now or valid_until - now > timedelta(days=MAX_VALID_DAYS):
            raise CouponError("coupon_validity", "valid_until", f"must be after now and within {MAX_VALID_DAYS} days", max=MAX_VALID_DAYS)
        _check_merchant(merchant, kind, value)
        _check_quota(db, merchant, count, now, _lot(db, merchant.lot_id, now, default_tz))
    except CouponError as error:
        raise _refuse(db, error, now=now, operator_id=operator_id, target=f"merchant {merchant.id}", kind=kind, value=value) from None
    made = [Coupon(code=_new_code(), merchant_id=merchant.id, lot_id=merchant.lot_id, kind=kind, value=0 if kind == "free" else value,
                   issued_at=now, valid_until=valid_until) for _ in range(count)]
    db.add_all(made)
    audit.record(db, "coupon.issue", operator_id=operator_id, target=f"merchant {merchant.id}", at=now, merchant=merchant.name,
                 kind=kind, value=value, count=count, valid_until=valid_until.isoformat())
    db.commit()
    return made


def give(db: Session, store: CouponStore, merchant: Merchant, plate: str, *, kind: str, value: int, now: datetime,
         operator_id: int | None = None, default_tz: str = "Asia/Shanghai") -> Coupon:
    """A new coupon of ``merchant`` on the stay of ``plate``, parked in the merchant's lot now."""
    target = f"merchant {merchant.id}"
    try:
        plate = _plate(plate)
        _check_merchant(merchant, kind, value)
        lot = _lot(db, merchant.lot_id, now, default_tz)
        _check_quota(db, merchant, 1, now, lot)
        session = store.open_session(lot.id, plate)
        if session is None:
            raise CouponError("coupon_not_parked", "plate", f"{plate} is not parked in lot {lot.name or lot.id}", plate=plate)
        _check_stay(db, lot, merchant, kind, str(session["uid"]))
    except CouponError as error:
        raise _refuse(db, error, now=now, operator_id=operator_id, target=target, kind=kind, value=value, plate=_mask(plate)) from None
    coupon = Coupon(code=_new_code(), merchant_id=merchant.id, lot_id=lot.id, kind=kind, value=0 if kind == "free" else value,
                    issued_at=now, valid_until=now + GIVEN_VALID)
    db.add(coupon)
    audit.record(db, "coupon.give", operator_id=operator_id, target=target, at=now, merchant=merchant.name, kind=kind, value=value,
                 plate=_mask(plate))
    return _bind(db, store, lot, coupon, merchant, plate, session, now, operator_id=operator_id, given=True)


def claim(db: Session, store: CouponStore, code: str, plate: str, entry_time: str, *, now: datetime,
          default_tz: str = "Asia/Shanghai") -> Coupon:
    """A printed coupon put on the driver's stay: ``plate`` must be parked in the coupon's lot, having
    entered at ``entry_time`` (HH:MM, local) give or take ``CLAIM_TOLERANCE``."""
    coupon = db.scalar(select(Coupon).where(Coupon.code == code)) if code else None
    target = f"coupon {code}"[:100]
    try:
        if coupon is None:
            raise CouponError("coupon_unknown", "code", "no such coupon")
        if _failed_claims(db, target) >= MAX_CLAIM_ATTEMPTS:
            raise CouponError("coupon_attempts", "code", f"{MAX_CLAIM_ATTEMPTS} wrong answers were given for this coupon; "
                              "ask the merchant for another", max=MAX_CLAIM_ATTEMPTS)
        _check_usable(coupon, now)
        plate = _plate(plate)
        lot = _lot(db, coupon.lot_id, now, default_tz)
        session = store.open_session(lot.id, plate)
        if session is None or not _entered_at(session, entry_time, lot):
            raise CouponError("coupon_stay_not_found", "entry_time", "no car with this plate entered at that time", plate=plate)
    except CouponError as error:
        raise _refuse(db, error, now=now, operator_id=None, target=target, plate=_mask(plate)) from None
    return apply_to_stay(db, store, lot, coupon, plate, now=now, session=session)


def _entered_at(session: Mapping[str, Any], entry_time: str, lot: LotContext) -> bool:
    text = (entry_time or "").strip()
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(hours) < 24 and int(minutes) < 60):
        raise CouponError("entry_time_invalid", "entry_time", f"{text[:10]!r} is not a time HH:MM")
    entry = datetime.fromisoformat(session["entry_at"]).astimezone(lot.tz)
    said = entry.replace(hour=int(hours), minute=int(minutes), second=0, microsecond=0)
    # The entry may lie on the day before or after the time said (a claim at 00:05 for a 23:58 entry).
    return any(abs(entry - (said + timedelta(days=d))) <= CLAIM_TOLERANCE for d in (-1, 0, 1))


def _failed_claims(db: Session, target: str) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "coupon.refused", AuditEvent.target == target, AuditEvent.detail["rule"].as_string() == "coupon_stay_not_found")) or 0


def apply_to_stay(db: Session, store: CouponStore, lot: LotContext, coupon: Coupon, plate: str, *, now: datetime,
                  session: Mapping[str, Any] | None = None, operator_id: int | None = None) -> Coupon:
    """Put an unbound ``coupon`` on the stay of ``plate`` in ``lot`` (parked now): every rule checked, the
    binding written to SQL, then given to the live session so the exit applies it."""
    merchant = db.get(Merchant, coupon.merchant_id)
    assert merchant is not None
    try:
        plate = _plate(plate)
        _check_usable(coupon, now, lot_id=lot.id)
        if not merchant.active:
            raise CouponError("merchant_inactive", "merchant", f"merchant {merchant.name} may not give coupons now", merchant=merchant.name)
        session = session if session is not None else store.open_session(lot.id, plate)
        if session is None:
            raise CouponError("coupon_not_parked", "plate", f"{plate} is not parked in lot {lot.name or lot.id}", plate=plate)
        _check_stay(db, lot, merchant, coupon.kind, str(session["uid"]))
    except CouponError as error:
        raise _refuse(db, error, now=now, operator_id=operator_id, target=f"coupon {coupon.code}", plate=_mask(plate)) from None
    return _bind(db, store, lot, coupon, merchant, plate, session, now, operator_id=operator_id)


def _bind(db: Session, store: CouponStore, lot: LotContext, coupon: Coupon, merchant: Merchant, plate: str, session: Mapping[str, Any],
          now: datetime, *, operator_id: int | None, given: bool = False) -> Coupon:
    coupon.plate, coupon.session_uid, coupon.applied_at = plate, str(session["uid"]), now
    audit.record(db, "coupon.apply", operator_id=operator_id, target=f"coupon {coupon.code}", at=now, merchant=merchant.name,
                 kind=coupon.kind, value=coupon.value, plate=_mask(plate), session=coupon.session_uid)
    db.commit()  # SQL first: ``replay`` puts it on the live session should the next step not happen
    result = store.add_coupon(lot.id, plate, _live(coupon, merchant), now, session_uid=coupon.session_uid)
    if result.effective in {"applied", "duplicate"}:
        if hasattr(store, "held"):  # a car waiting at an exit for its fee: the lane decides again
            from .lane_commands import release_after_payment

            release_after_payment(store, lot.id, plate, coupon.session_uid or "", now=now, payment_uid=f"coupon:{coupon.code}")  # type: ignore[arg-type]
        return coupon
    # The car left (or another stay took the plate's place) between the check and the binding.
    if given:
        coupon.status = CouponStatus.VOID
    coupon.plate, coupon.session_uid, coupon.applied_at = "", None, None
    db.commit()
    error = CouponError("coupon_not_parked", "plate", f"{plate} left lot {lot.name or lot.id} before the coupon reached its stay", plate=plate)
    raise _refuse(db, error, now=now, operator_id=operator_id, target=f"coupon {coupon.code}", plate=_mask(plate)) from None


def _live(coupon: Coupon, merchant: Merchant) -> dict[str, Any]:
    return StayCoupon(coupon.code, coupon.kind, coupon.value, merchant.name, merchant.id, coupon.applied_at).as_json()


def void(db: Session, coupon: Coupon, *, reason: str = "", now: datetime, operator_id: int | None = None) -> Coupon:
    """Withdraw a coupon no stay holds (a printed code lost or given by mistake). Audited and committed."""
    try:
        if coupon.status == CouponStatus.VOID:
            raise CouponError("coupon_voided", "code", f"coupon {coupon.code} was voided already")
        if coupon.status == CouponStatus.USED:
            raise CouponError("coupon_used", "code", f"coupon {coupon.code} was used; it cannot be voided")
        if coupon.session_uid:
            raise CouponError("coupon_claimed", "code", f"coupon {coupon.code} is on a stay; it is used when the car leaves")
    except CouponError as error:
        raise _refuse(db, error, now=now, operator_id=operator_id, target=f"coupon {coupon.code}") from None
    coupon.status = CouponStatus.VOID
    audit.record(db, "coupon.void", operator_id=operator_id, target=f"coupon {coupon.code}", at=now, reason=reason[:200])
    db.commit()
    return coupon


def replay(db: Session, store: CouponStore, lot_id: int, now: datetime) -> list[tuple[str, str]]:
    """Give back to the live sessions of ``lot_id`` every coupon bound to them in SQL that they do not hold
    (after Redis lost them); returns (plate, code) of each."""
    live = store.open_sessions(lot_id)
    by_uid = {str(s.get("uid")): plate for plate, s in live.items()}
    held = {(str(s.get("uid")), c.get("code")) for s in live.values() for c in (s.get("coupons") or []) if isinstance(c, dict)}
    replayed = []
    rows = db.execute(select(Coupon, Merchant).join(Merchant, Merchant.id == Coupon.merchant_id).where(
        Coupon.lot_id == lot_id, Coupon.status == CouponStatus.ISSUED, Coupon.session_uid.is_not(None)).order_by(Coupon.id)).all()
    for coupon, merchant in rows:
        plate = by_uid.get(str(coupon.session_uid))
        if plate is None or (coupon.session_uid, coupon.code) in held:
            continue
        if store.add_coupon(lot_id, plate, _live(coupon, merchant), now, session_uid=str(coupon.session_uid)).effective == "applied":
            replayed.append((plate, coupon.code))
    return replayed
