"""Passes sold from a product: issue, renew, suspend, resume, end (with the pro-rata refund when asked),
change plates or the holder's details. Reading them (days left, expiring, search) is ``pass_queries``.

Each change checks everything first and writes nothing when a check fails, with an error naming the
field (``ConfigChangeError``): an unknown or withdrawn product, an impossible plate, more spaces than
plates, a plate that another live pass holds in the same zone for an overlapping time (the error names
that pass). Each is audited (``pass.issue``, ``pass.renew``, ``pass.suspend``, ``pass.resume``,
``pass.end``, ``pass.plates``, ``pass.update``) with the pass before and after, committed with its
audit row, and then published to the lanes: the lot's plate facts are rebuilt at once (when Redis is
away, the agents' next sync does it). Prices and periods are ``parking.pass_terms``' rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from .. import pass_terms
from ..models import Lot, ParkingPass, PassKind, PassPlate, PassProduct
from ..occupancy import OccupancyStore
from . import audit, lot_facts
from .config_changes import ConfigChangeError, find_overlap, overlap_error, parse_plates
from .fact_changes import lot_policy, publish, text, writing

MAX_PLATES = 50
MAX_PERIODS = 120
HOLDER_MAX_CHARS = 100  # ParkingPass.holder
PHONE_MAX_CHARS = 32
HOUSEHOLD_MAX_CHARS = 64
NOTE_MAX_CHARS = 200
REASON_MAX_CHARS = 200
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
PHONE = re.compile(r"[0-9+\-() ]*")


@dataclass(frozen=True)
class IssueRequest:
    """A pass sold from ``product_id`` for ``periods`` periods from local midnight of ``start``."""

    product_id: int
    holder: str
    plates: Sequence[str]
    start: date
    periods: int = 1
    phone: str = ""
    household: str = ""
    note: str = ""


@dataclass(frozen=True)
class Holder:
    holder: str
    phone: str
    household: str
    note: str


def check_holder(holder: str, phone: str = "", household: str = "", note: str = "") -> Holder:
    checked = Holder(text("holder", holder, HOLDER_MAX_CHARS, required=True), text("phone", phone, PHONE_MAX_CHARS),
                     text("household", household, HOUSEHOLD_MAX_CHARS), text("note", note, NOTE_MAX_CHARS))
    if not PHONE.fullmatch(checked.phone):
        raise ConfigChangeError("phone", f"{checked.phone!r} is not a phone number (digits, +, -, spaces)", code="phone_invalid")
    return checked


def check_plates(raw: Sequence[str], spaces: int) -> list[str]:
    if len(raw) > MAX_PLATES:
        raise ConfigChangeError("plates", f"{len(raw)} plates; a pass holds at most {MAX_PLATES}", code="plates_too_many", max=MAX_PLATES)
    plates = parse_plates(raw)
    if spaces > len(plates):
        raise ConfigChangeError("plates", f"{spaces} spaces for {len(plates)} plates: a pass cannot hold more spaces than cars",
                                code="spaces_over_plates", spaces=spaces, count=len(plates))
    return plates


def check_periods(periods: int, field: str = "periods") -> int:
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= MAX_PERIODS:
        raise ConfigChangeError(field, f"{periods!r} is not a whole number from 1 to {MAX_PERIODS}", code="out_of_range", min=1, max=MAX_PERIODS)
    return periods


def check_start(start: date, field: str = "start") -> date:
    if not FIRST_DAY <= start <= LAST_DAY:
        raise ConfigChangeError(field, f"{start.isoformat()} is not from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}", code="date_range")
    return start


def lot_tz(lot: Lot) -> ZoneInfo:
    return ZoneInfo(lot.timezone or lot.site.timezone)


def sellable_product(db: Session, product_id: int, field: str = "product_id") -> PassProduct:
    product = db.get(PassProduct, product_id)
    if product is None:
        raise ConfigChangeError(field, f"no pass product {product_id}", code="product_unknown", product_id=product_id)
    if not product.active:
        raise ConfigChangeError(field, f"product {product.code} is withdrawn from sale", code="product_withdrawn", product=product.code)
    return product


def snapshot(p: ParkingPass) -> dict[str, Any]:
    """The pass as its audit rows record it."""
    return {
        "lot_id": p.lot_id, "product_id": p.product_id, "kind": PassKind(p.kind).value, "zone_id": p.zone_id,
        "holder": p.holder, "phone": p.phone, "household": p.household, "note": p.note,
        "plates": sorted(pp.plate for pp in p.plates), "spaces": p.spaces,
        "valid_from": p.valid_from.isoformat(), "valid_until": p.valid_until.isoformat(), "price_fen": p.price_fen,
        "suspended_at": p.suspended_at.isoformat() if p.suspended_at else None,
        "ended_at": p.ended_at.isoformat() if p.ended_at else None,
    }


def new_pass(product: PassProduct, holder: Holder, plates: Sequence[str], validity: pass_terms.Term, now: datetime) -> ParkingPass:
    """An unsaved pass sold from ``product``: its kind, zone, window and spaces, for ``validity``."""
    return ParkingPass(
        lot_id=product.lot_id, product_id=product.id, kind=PassKind(product.kind), zone_id=product.zone_id, spaces=product.spaces,
        window_start=product.window_start, window_end=product.window_end, holder=holder.holder, phone=holder.phone,
        household=holder.household, note=holder.note, valid_from=validity.valid_from, valid_until=validity.valid_until,
        price_fen=validity.price_fen, active=True, created_at=now, plates=[PassPlate(plate=p) for p in plates],
    )


def get(db: Session, pass_id: int) -> ParkingPass:
    found = db.get(ParkingPass, pass_id)
    if found is None:
        raise ConfigChangeError("pass_id", f"no pass {pass_id}", code="pass_unknown", pass_id=pass_id)
    return found


def _live(p: ParkingPass) -> ParkingPass:
    if p.ended_at is not None:
        raise ConfigChangeError("pass_id", f"pass {p.id} was ended on {p.ended_at:%Y-%m-%d}", code="pass_ended", pass_id=p.id)
    return p


def issue(db: Session, store: OccupancyStore, request: IssueRequest, *, operator_id: int | None, now: datetime) -> ParkingPass:
    """Sell a pass from a product: ``periods`` × the product's price, from local midnight of ``start``."""
    product = sellable_product(db, request.product_id)
    lot = db.get(Lot, product.lot_id)
    assert lot is not None
    lot_policy(lot)
    holder = check_holder(request.holder, request.phone, request.household, request.note)
    plates = check_plates(request.plates, product.spaces)
    validity = pass_terms.term(check_start(request.start), product.period_months, check_periods(request.periods), product.price_fen, lot_tz(lot))
    candidate = new_pass(product, holder, plates, validity, now)
    clash = find_overlap(db, lot_facts.pass_fact(candidate), plates, lot.id)
    if clash is not None:
        raise overlap_error(*clash, field="plates")
    with writing(db):
        db.add(candidate)
        db.flush()
        audit.record(db, "pass.issue", operator_id=operator_id, target=f"pass {candidate.id}", at=now,
                     after=snapshot(candidate), periods=request.periods, charged_fen=validity.price_fen)
        db.commit()
    publish(db, store, [lot.id], now)
    return candidate


@dataclass(frozen=True)
class RenewalResult:
    parking_pass: ParkingPass
    charged_fen: int
    gap: bool


def renewal_quote(db: Session, pass_id: int, periods: int, now: datetime, *, product_id: int | None = None) -> tuple[ParkingPass, PassProduct, pass_terms.Renewal]:
    """What renewing ``pass_id`` for ``periods`` periods (of its product, or of ``product_id``) gives and costs."""
    p = _live(get(db, pass_id))
    check_periods(periods)
    if product_id is None and p.product_id is None:
        raise ConfigChangeError("product_id", f"pass {p.id} was not sold from a product; choose the product to renew it with",
                                code="product_required", pass_id=p.id)
    product = sellable_product(db, product_id if product_id is not None else p.product_id)  # type: ignore[arg-type]
    if product.lot_id != p.lot_id or PassKind(product.kind) != PassKind(p.kind) or product.zone_id != p.zone_id or product.spaces != p.spaces:
        raise ConfigChangeError("product_id", f"product {product.code} sells another kind of pass (kind, zone or spaces) than pass {p.id}; issue a new pass instead",
                                code="product_mismatch", product=product.code, pass_id=p.id)
    lot = db.get(Lot, p.lot_id)
    assert lot is not None
    terms = pass_terms.renewal(p.valid_from, p.valid_until, now, lot_tz(lot), grace_days=lot_policy(lot).renewal_grace_days,
                               period_months=product.period_months, periods=periods, period_price_fen=product.price_fen)
    return p, product, terms


def renew(db: Session, store: OccupancyStore, pass_id: int, periods: int, *, operator_id: int | None, now: datetime,
          product_id: int | None = None) -> RenewalResult:
    """Extend a pass by ``periods`` periods (``parking.pass_terms.renewal``); its price grows by what is charged."""
    p, product, terms = renewal_quote(db, pass_id, periods, now, product_id=product_id)
    plates = [pp.plate for pp in p.plates]
    candidate = replace(lot_facts.pass_fact(p), valid_from=terms.valid_from, valid_until=terms.valid_until)
    clash = find_overlap(db, candidate, plates, p.lot_id, exclude_id=p.id)
    if clash is not None:
        raise overlap_error(*clash, field="periods")
    with writing(db):
        before = snapshot(p)
        p.valid_from, p.valid_until = terms.valid_from, terms.valid_until
        p.price_fen = terms.charged_fen if terms.gap else p.price_fen + terms.charged_fen
        p.product_id = product.id
        audit.record(db, "pass.renew", operator_id=operator_id, target=f"pass {p.id}", at=now, before=before, after=snapshot(p),
                     periods=periods, charged_fen=terms.charged_fen, gap=terms.gap)
        db.commit()
    publish(db, store, [p.lot_id], now)
    return RenewalResult(p, terms.charged_fen, terms.gap)


def refund_quote(db: Session, pass_id: int, now: datetime) -> pass_terms.Refund:
    """What ending ``pass_id`` now would refund, for showing before the operator confirms."""
    p = _live(get(db, pass_id))
    return pass_terms.refund(p.valid_from, p.valid_until, p.price_fen, now)


@dataclass(frozen=True)
class EndResult:
    parking_pass: ParkingPass
    refund: pass_terms.Refund | None


def end(db: Session, store: OccupancyStore, pass_id: int, *, refund: bool, operator_id: int | None, now: datetime,
        reason: str = "") -> EndResult:
    """End a pass now (终止); with ``refund``, the pro-rata amount for the remaining whole days is computed and recorded."""
    p = _live(get(db, pass_id))
    reason = text("reason", reason, REASON_MAX_CHARS)
    amount = pass_terms.refund(p.valid_from, p.valid_until, p.price_fen, now) if refund else None
    with writing(db):
        before = snapshot(p)
        p.ended_at, p.active = now, False
        audit.record(db, "pass.end", operator_id=operator_id, target=f"pass {p.id}", at=now, before=before, after=snapshot(p),
                     reason=reason, refund_fen=amount.refund_fen if amount else None,
                     remaining_days=amount.remaining_days if amount else None)
        db.commit()
    publish(db, store, [p.lot_id], now)
    return EndResult(p, amount)


def suspend(db: Session, store: OccupancyStore, pass_id: int, *, operator_id: int | None, now: datetime, reason: str = "") -> ParkingPass:
    """Suspend a pass (暂停): from now on it admits nobody until it is resumed; its validity runs on."""
    p = _live(get(db, pass_id))
    if p.suspended_at is not None:
        raise ConfigChangeError("pass_id", f"pass {p.id} is already suspended since {p.suspended_at:%Y-%m-%d %H:%M}", code="pass_suspended", pass_id=p.id)
    reason = text("reason", reason, REASON_MAX_CHARS)
    with writing(db):
        before = snapshot(p)
        p.suspended_at = now
        audit.record(db, "pass.suspend", operator_id=operator_id, target=f"pass {p.id}", at=now, before=before, after=snapshot(p), reason=reason)
        db.commit()
    publish(db, store, [p.lot_id], now)
    return p


def resume(db: Session, store: OccupancyStore, pass_id: int, *, operator_id: int | None, now: datetime) -> ParkingPass:
    """Resume a suspended pass: it admits its plates again at once."""
    p = _live(get(db, pass_id))
    if p.suspended_at is None:
        raise ConfigChangeError("pass_id", f"pass {p.id} is not suspended", code="pass_not_suspended", pass_id=p.id)
    with writing(db):
        before = snapshot(p)
        p.suspended_at = None
        audit.record(db, "pass.resume", operator_id=operator_id, target=f"pass {p.id}", at=now, before=before, after=snapshot(p))
        db.commit()
    publish(db, store, [p.lot_id], now)
    return p


def change_plates(db: Session, store: OccupancyStore, pass_id: int, plates: Sequence[str], *, operator_id: int | None,
                  now: datetime) -> ParkingPass:
    """Give a pass a new set of plates (一位多车: more plates than spaces); refused when a plate is held by
    another live pass in the same zone for an overlapping time, naming that pass."""
    p = _live(get(db, pass_id))
    wanted = check_plates(plates, p.spaces)
    clash = find_overlap(db, lot_facts.pass_fact(p), wanted, p.lot_id, exclude_id=p.id)
    if clash is not None:
        raise overlap_error(*clash, field="plates")
    with writing(db):
        before = snapshot(p)
        kept = [pp for pp in p.plates if pp.plate in wanted]
        have = {pp.plate for pp in kept}
        p.plates = kept + [PassPlate(plate=plate) for plate in wanted if plate not in have]
        after = snapshot(p)
        if after != before:
            audit.record(db, "pass.plates", operator_id=operator_id, target=f"pass {p.id}", at=now, before=before, after=after)
        db.commit()
    publish(db, store, [p.lot_id], now)
    return p


def update_holder(db: Session, store: OccupancyStore, pass_id: int, *, operator_id: int | None, now: datetime,
                  holder: str | None = None, phone: str | None = None, household: str | None = None, note: str | None = None) -> ParkingPass:
    """Change the holder's name, phone, household or the note."""
    p = get(db, pass_id)
    checked = check_holder(p.holder if holder is None else holder, p.phone if phone is None else phone,
                           p.household if household is None else household, p.note if note is None else note)
    with writing(db):
        before = snapshot(p)
        p.holder, p.phone, p.household, p.note = checked.holder, checked.phone, checked.household, checked.note
        after = snapshot(p)
        if after != before:
            audit.record(db, "pass.update", operator_id=operator_id, target=f"pass {p.id}", at=now, before=before, after=after)
        db.commit()
    publish(db, store, [p.lot_id], now)  # the lane's cache carries the holder's name
    return p
