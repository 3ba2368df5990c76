"""Merchants of a lot (商户): the shops and offices that give their customers parking coupons.

A merchant belongs to one lot and says which coupon kinds it may give, with the largest value of each
(``kinds``: minutes, amount in fen, percent; free has no value), how many coupons a month it may give
(``monthly_quota``, 0: no limit), whether its coupons may join another merchant's on one stay
(``stackable``), and whether it may give any at all (``active``).

The merchant's staff open their page with the merchant's own key (``/m/<key>``): ``mk_`` and 32 random
URL-safe characters, shown once when the merchant is created or its key replaced; only its SHA-256 is
stored. Every change is checked first (errors name the field), audited with before and after, and
committed with its audit row. Coupons themselves are ``parking.services.coupons``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..discounts import KINDS
from ..models import Coupon, CouponStatus, Lot, Merchant
from . import audit
from .config_changes import ConfigChangeError

NAME_MAX_CHARS = 100
CONTACT_MAX_CHARS = 100
MAX_QUOTA = 100_000
# The largest value a merchant may be allowed per coupon, by kind: a day of minutes, 500 yuan, 100 %.
KIND_LIMITS = {"minutes": 1440, "amount": 50_000, "percent": 100, "free": 0}
KEY_PREFIX = "mk_"
_KEY = re.compile(rf"{KEY_PREFIX}[A-Za-z0-9_-]{{32}}")


@dataclass(frozen=True)
class MerchantFields:
    """What an operator sets on a merchant."""

    lot_id: int
    name: str
    contact: str = ""
    kinds: dict[str, int] | None = None
    monthly_quota: int = 0
    stackable: bool = False
    active: bool = True


def snapshot(merchant: Merchant) -> dict[str, Any]:
    """The merchant as its audit rows record it (never its key)."""
    return {"lot_id": merchant.lot_id, "name": merchant.name, "contact": merchant.contact, "kinds": dict(merchant.kinds or {}),
            "monthly_quota": merchant.monthly_quota, "stackable": merchant.stackable, "active": merchant.active}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def check_kinds(kinds: Any) -> dict[str, int]:
    """The kinds a merchant may give, each with its largest value; errors name ``kinds`` or ``kinds.<kind>``."""
    if not isinstance(kinds, dict) or not kinds:
        raise ConfigChangeError("kinds", "at least one coupon kind (minutes, amount, percent, free) is required", code="kinds_required")
    out: dict[str, int] = {}
    for kind, value in kinds.items():
        if kind not in KIND_LIMITS:
            raise ConfigChangeError("kinds", f"{kind!r} is not one of {', '.join(KINDS)}", code="coupon_kind_invalid", kind=kind)
        if kind == "free":
            out[kind] = 0
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= KIND_LIMITS[kind]:
            raise ConfigChangeError(f"kinds.{kind}", f"{value!r} is not a whole number from 1 to {KIND_LIMITS[kind]}", code="out_of_range",
                                    min=1, max=KIND_LIMITS[kind])
        out[kind] = value
    return {k: out[k] for k in KINDS if k in out}


def _check(db: Session, values: MerchantFields, *, merchant_id: int | None = None) -> MerchantFields:
    if db.get(Lot, values.lot_id) is None:
        raise ConfigChangeError("lot_id", f"no lot {values.lot_id}", code="lot_unknown", lot_id=values.lot_id)
    name = (values.name or "").strip()
    if not name or len(name) > NAME_MAX_CHARS:
        raise ConfigChangeError("name", f"a name of 1 to {NAME_MAX_CHARS} characters is required", code="name_required", max=NAME_MAX_CHARS)
    same = db.scalar(select(Merchant.id).where(Merchant.lot_id == values.lot_id, Merchant.name == name))
    if same is not None and same != merchant_id:
        raise ConfigChangeError("name", f"the lot already has a merchant named {name}", code="merchant_name_taken", name=name)
    if len(values.contact or "") > CONTACT_MAX_CHARS:
        raise ConfigChangeError("contact", f"at most {CONTACT_MAX_CHARS} characters", code="too_long", max=CONTACT_MAX_CHARS)
    quota = values.monthly_quota
    if not isinstance(quota, int) or isinstance(quota, bool) or not 0 <= quota <= MAX_QUOTA:
        raise ConfigChangeError("monthly_quota", f"{quota!r} is not a whole number from 0 to {MAX_QUOTA}", code="out_of_range", min=0, max=MAX_QUOTA)
    return replace(values, name=name, contact=(values.contact or "").strip(), kinds=check_kinds(values.kinds))


def _apply(merchant: Merchant, values: MerchantFields) -> None:
    for f in fields(values):
        setattr(merchant, f.name, getattr(values, f.name))


def create(db: Session, values: MerchantFields, *, operator_id: int | None, now: datetime) -> tuple[Merchant, str]:
    """Add a merchant; returns it and its page's key, which is shown this once. Audited and committed."""
    values = _check(db, values)
    key = new_key()
    merchant = Merchant(created_at=now, token_hash=hash_key(key))
    _apply(merchant, values)
    db.add(merchant)
    db.flush()
    audit.record(db, "merchant.create", operator_id=operator_id, target=f"merchant {merchant.id}", at=now, after=snapshot(merchant))
    db.commit()
    return merchant, key


def get(db: Session, merchant_id: int) -> Merchant:
    merchant = db.get(Merchant, merchant_id)
    if merchant is None:
        raise ConfigChangeError("merchant_id", f"no merchant {merchant_id}", code="merchant_unknown", merchant_id=merchant_id)
    return merchant


def update(db: Session, merchant_id: int, *, operator_id: int | None, now: datetime, **changes: Any) -> Merchant:
    """Change some of a merchant's fields (any of ``MerchantFields`` but ``lot_id``). Audited and committed."""
    merchant = get(db, merchant_id)
    if "lot_id" in changes and changes["lot_id"] != merchant.lot_id:
        raise ConfigChangeError("lot_id", "a merchant stays in its lot; create one in the other lot instead", code="merchant_lot_fixed")
    unknown = set(changes) - {f.name for f in fields(MerchantFields)}
    if unknown:
        raise ConfigChangeError(sorted(unknown)[0], "not a field of a merchant", code="field_unknown")
    current = MerchantFields(**{f.name: getattr(merchant, f.name) for f in fields(MerchantFields)})
    values = _check(db, replace(current, **changes), merchant_id=merchant.id)
    before = snapshot(merchant)
    _apply(merchant, values)
    after = snapshot(merchant)
    if after != before:
        audit.record(db, "merchant.update", operator_id=operator_id, target=f"merchant {merchant.id}", at=now, before=before, after=after)
    db.commit()
    return merchant


def replace_key(db: Session, merchant_id: int, *, operator_id: int | None, now: datetime) -> str:
    """A new key for the merchant's page (the old link stops working); shown this once. Audited."""
    merchant = get(db, merchant_id)
    key = new_key()
    merchant.token_hash = hash_key(key)
    audit.record(db, "merchant.key_replaced", operator_id=operator_id, target=f"merchant {merchant.id}", at=now, name=merchant.name)
    db.commit()
    return key


def by_key(db: Session, key: str) -> Merchant | None:
    """The active merchant whose page ``key`` opens, or None (a wrong, replaced or disabled key alike)."""
    if not _KEY.fullmatch(key or ""):
        return None
    merchant = db.scalar(select(Merchant).where(Merchant.token_hash == hash_key(key)))
    return merchant if merchant is not None and merchant.active else None


def merchants(db: Session, *, lot_id: int | None = None, lot_ids: list[int] | None = None) -> list[Merchant]:
    """Merchants by lot and name."""
    query = select(Merchant).order_by(Merchant.lot_id, Merchant.name)
    if lot_id is not None:
        query = query.where(Merchant.lot_id == lot_id)
    if lot_ids is not None:
        query = query.where(Merchant.lot_id.in_(lot_ids))
    return list(db.scalars(query))


def month_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Local midnight of the first day of ``now``'s month, in ``tz``."""
    local = now.astimezone(tz)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class MonthCount:
    issued: int  # coupons made this month, voided ones not counted
    used: int  # of those, used with a stay that ended
    quota: int  # 0: no limit

    @property
    def left(self) -> int | None:
        return None if not self.quota else max(0, self.quota - self.issued)


def month_counts(db: Session, merchant_ids: list[int], now: datetime, tz: ZoneInfo) -> dict[int, MonthCount]:
    """merchant id -> what it issued and what was used this month (local to ``tz``), against its quota."""
    if not merchant_ids:
        return {}
    start = month_start(now, tz)
    rows = db.execute(
        select(Coupon.merchant_id, func.count(), func.sum(case((Coupon.status == CouponStatus.USED, 1), else_=0)))
        .where(Coupon.merchant_id.in_(merchant_ids), Coupon.issued_at >= start, Coupon.status != CouponStatus.VOID)
        .group_by(Coupon.merchant_id)
    ).all()
    found = {m: (int(n), int(u or 0)) for m, n, u in rows}
    quotas = dict(db.execute(select(Merchant.id, Merchant.monthly_quota).where(Merchant.id.in_(merchant_ids))).all())
    return {m: MonthCount(*found.get(m, (0, 0)), quotas.get(m, 0)) for m in merchant_ids}
