"""Pass products: what a lot sells as a pass (月卡, 季卡, 年卡, 产权车位, 企业包位) and at what price per period.

A product fixes the kind of pass (how the lane treats it), the zone it is for, its daily window, the
spaces it holds and the price of one period of ``period_months`` months; passes are issued and renewed
from it (``parking.services.passes``). Changing a product's price changes what later issues and renewals
cost, never what was paid. A product some pass was sold from cannot be deleted, only withdrawn from sale
(``active`` false). Every change is checked first (errors name the field), audited with before and
after, and committed with its audit row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Lot, ParkingPass, PassKind, PassProduct, Zone
from . import audit
from .config_changes import ConfigChangeError

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
NAME_MAX_CHARS = 100
MAX_PERIOD_MONTHS = 120
MAX_PRICE_FEN = 100_000_000  # one million yuan for one period: anything above is a typing mistake
MAX_SPACES = 1000


@dataclass(frozen=True)
class ProductFields:
    """What an operator sets on a product. ``lot_id`` and ``code`` identify it within its lot."""

    lot_id: int
    code: str
    name: str
    kind: str
    period_months: int = 1
    price_fen: int = 0
    spaces: int = 1
    zone_id: int | None = None
    window_start: time | None = None
    window_end: time | None = None
    active: bool = True


def snapshot(product: PassProduct) -> dict[str, Any]:
    """The product as its audit rows record it."""
    return {
        "lot_id": product.lot_id, "code": product.code, "name": product.name, "kind": PassKind(product.kind).value,
        "period_months": product.period_months, "price_fen": product.price_fen, "spaces": product.spaces,
        "zone_id": product.zone_id,
        "window": [product.window_start.isoformat(timespec="minutes"), product.window_end.isoformat(timespec="minutes")]
        if product.window_start and product.window_end else None,
        "active": product.active,
    }


def _check(db: Session, values: ProductFields, *, product_id: int | None = None) -> Lot:
    lot = db.get(Lot, values.lot_id)
    if lot is None:
        raise ConfigChangeError("lot_id", f"no lot {values.lot_id}", code="lot_unknown", lot_id=values.lot_id)
    if not CODE.fullmatch(values.code or ""):
        raise ConfigChangeError("code", f"{values.code!r} is not a code of 1 to 32 letters, digits, '_', '.' or '-'", code="product_code_invalid")
    same_code = db.scalar(select(PassProduct.id).where(PassProduct.lot_id == lot.id, PassProduct.code == values.code))
    if same_code is not None and same_code != product_id:
        raise ConfigChangeError("code", f"lot {lot.code} already has a product {values.code}", code="product_code_taken", product=values.code)
    if not values.name.strip() or len(values.name) > NAME_MAX_CHARS:
        raise ConfigChangeError("name", f"a name of 1 to {NAME_MAX_CHARS} characters is required", code="name_required", max=NAME_MAX_CHARS)
    if values.kind not in {k.value for k in PassKind}:
        raise ConfigChangeError("kind", f"{values.kind!r} is not one of {', '.join(k.value for k in PassKind)}", code="kind_invalid")
    if not 1 <= values.period_months <= MAX_PERIOD_MONTHS:
        raise ConfigChangeError("period_months", f"{values.period_months} is not from 1 to {MAX_PERIOD_MONTHS}", code="out_of_range",
                                min=1, max=MAX_PERIOD_MONTHS)
    if not 0 <= values.price_fen <= MAX_PRICE_FEN:
        raise ConfigChangeError("price_fen", f"{values.price_fen} is not from 0 to {MAX_PRICE_FEN}", code="out_of_range",
                                min=0, max=MAX_PRICE_FEN)
    if not 1 <= values.spaces <= MAX_SPACES:
        raise ConfigChangeError("spaces", f"{values.spaces} is not from 1 to {MAX_SPACES}", code="out_of_range", min=1, max=MAX_SPACES)
    if values.zone_id is not None:
        zone = db.get(Zone, values.zone_id)
        if zone is None or zone.lot_id != lot.id:
            raise ConfigChangeError("zone_id", f"zone {values.zone_id} is not a zone of lot {lot.code}", code="zone_not_in_lot")
    if (values.window_start is None) != (values.window_end is None):
        raise ConfigChangeError("window_end" if values.window_end is None else "window_start", "a daily window needs both its start and its end",
                                code="window_incomplete")
    if values.kind == PassKind.TIME_WINDOW and values.window_start is None:
        raise ConfigChangeError("window_start", "a time-window pass needs its daily window", code="window_required")
    return lot


def _apply(product: PassProduct, values: ProductFields) -> None:
    for f in fields(values):
        setattr(product, f.name, getattr(values, f.name))
    product.name = values.name.strip()
    product.kind = PassKind(values.kind)


def create(db: Session, values: ProductFields, *, operator_id: int | None, now: datetime) -> PassProduct:
    """Add a product to its lot. Audited and committed."""
    _check(db, values)
    product = PassProduct(created_at=now)
    _apply(product, values)
    db.add(product)
    db.flush()
    audit.record(db, "pass_product.create", operator_id=operator_id, target=f"product {product.id}", at=now, after=snapshot(product))
    db.commit()
    return product


def get(db: Session, product_id: int) -> PassProduct:
    product = db.get(PassProduct, product_id)
    if product is None:
        raise ConfigChangeError("product_id", f"no pass product {product_id}", code="product_unknown", product_id=product_id)
    return product


def update(db: Session, product_id: int, *, operator_id: int | None, now: datetime, **changes: Any) -> PassProduct:
    """Change some of a product's fields (any of ``ProductFields`` but ``lot_id``). Audited and committed."""
    product = get(db, product_id)
    if "lot_id" in changes and changes["lot_id"] != product.lot_id:
        raise ConfigChangeError("lot_id", "a product stays in its lot; create one in the other lot instead", code="product_lot_fixed")
    unknown = set(changes) - {f.name for f in fields(ProductFields)}
    if unknown:
        raise ConfigChangeError(sorted(unknown)[0], "not a field of a pass product", code="field_unknown")
    current = ProductFields(**{f.name: getattr(product, f.name) for f in fields(ProductFields)})
    current = replace(current, kind=PassKind(product.kind).value)
    values = replace(current, **changes)
    _check(db, values, product_id=product.id)
    before = snapshot(product)
    _apply(product, values)
    after = snapshot(product)
    if after != before:
        audit.record(db, "pass_product.update", operator_id=operator_id, target=f"product {product.id}", at=now, before=before, after=after)
    db.commit()
    return product


def remove(db: Session, product_id: int, *, operator_id: int | None, now: datetime) -> None:
    """Delete a product no pass was sold from; one that was can only be withdrawn (``active`` false)."""
    product = get(db, product_id)
    sold = db.scalar(select(func.count()).select_from(ParkingPass).where(ParkingPass.product_id == product.id)) or 0
    if sold:
        raise ConfigChangeError("product_id", f"{sold} passes were sold from product {product.code}; withdraw it from sale instead",
                                code="product_in_use", product=product.code, count=sold)
    before = snapshot(product)
    db.delete(product)
    audit.record(db, "pass_product.delete", operator_id=operator_id, target=f"product {product_id}", at=now, before=before)
    db.commit()


def products(db: Session, *, lot_id: int | None = None, lot_ids: list[int] | None = None, active_only: bool = False) -> list[PassProduct]:
    """Products by lot and code."""
    query = select(PassProduct).order_by(PassProduct.lot_id, PassProduct.code)
    if lot_id is not None:
        query = query.where(PassProduct.lot_id == lot_id)
    if lot_ids is not None:
        query = query.where(PassProduct.lot_id.in_(lot_ids))
    if active_only:
        query = query.where(PassProduct.active.is_(True))
    return list(db.scalars(query))
