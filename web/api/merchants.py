"""``/api/v1/merchants`` and ``/api/v1/coupons``: a lot's merchants (商户) and their coupons, for
administrators and managers (or a token with ``coupons:read`` / ``coupons:write``).

The twin of the console's merchant pages over the same services (``parking.services.merchants``,
``parking.services.coupons``): create a merchant (its page's key is answered once), change it, replace
its key; list its coupons with what each took off; make printable one-time codes or give a coupon to a
parked car at once; void a coupon no stay holds. An operator bound to sites sees only their lots'
merchants and coupons: another lot's is not found.

A refused coupon is 422 (409 when the coupon's state forbids it: used, voided, on a stay, expired) with
``field`` naming the input and the message naming the rule; a refused merchant change is 422 naming the field.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import current_app
from sqlalchemy import select

from parking.models import Coupon, CouponStatus, Merchant, StayAdjustment
from parking.services import coupons, merchants
from parking.services.config_changes import ConfigChangeError
from parking.services.coupons import CouponError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible, visible_lot_ids
from ..auth.tokens import actor
from ..context import db, now, store
from ..coupon_links import claim_url, merchant_url
from ..extensions import csrf
from ..schemas.coupons import (
    CouponIssueSchema, CouponQuerySchema, CouponSchema, MerchantCreatedSchema, MerchantCreateSchema, MerchantKeySchema, MerchantQuerySchema,
    MerchantSchema, MerchantUpdateSchema, VoidSchema,
)
from ..schemas.errors import ErrorSchema
from . import bp
from .errors import abort_json

ROLES = ("admin", "manager")
CONFLICTS = frozenset({"coupon_used", "coupon_voided", "coupon_claimed", "coupon_expired"})
MAX_LISTED = 1000


def refuse(error: ConfigChangeError | CouponError) -> NoReturn:
    abort_json(409 if error.code in CONFLICTS else 422, str(error), field=error.field)


def tz() -> Any:
    return current_app.config["PARKING_SETTINGS"].tz


def tz_name() -> str:
    return str(current_app.config["PARKING_SETTINGS"].timezone)


def visible_ids() -> list[int] | None:
    visible = visible_lot_ids()
    return None if visible is None else sorted(visible)


def check_lot(lot_id: int | None, field: str = "lot_id") -> None:
    if lot_id is not None and not lot_visible(lot_id):
        abort_json(404, f"lot {lot_id} not found", field=field)


def merchant_or_404(merchant_id: int, field: str = "merchant_id") -> Merchant:
    found = db().get(Merchant, merchant_id)
    if found is None or not lot_visible(found.lot_id):
        abort_json(404, f"merchant {merchant_id} not found", field=field)
    return found


def merchant_document(m: Merchant, counts: merchants.MonthCount | None = None) -> dict[str, Any]:
    counts = counts or merchants.month_counts(db(), [m.id], now(), tz())[m.id]
    return {"id": m.id, "lot_id": m.lot_id, "name": m.name, "contact": m.contact, "kinds": dict(m.kinds or {}),
            "monthly_quota": m.monthly_quota, "stackable": m.stackable, "active": m.active, "created_at": m.created_at,
            "issued_this_month": counts.issued, "used_this_month": counts.used}


def coupon_documents(found: list[Coupon]) -> list[dict[str, Any]]:
    taken = dict(db().execute(select(StayAdjustment.coupon_id, StayAdjustment.amount_fen)
                              .where(StayAdjustment.coupon_id.in_([c.id for c in found]))).all()) if found else {}
    return [{"id": c.id, "code": c.code, "merchant_id": c.merchant_id, "lot_id": c.lot_id, "kind": c.kind, "value": c.value, "plate": c.plate,
             "status": c.status.value, "issued_at": c.issued_at, "valid_until": c.valid_until, "applied_at": c.applied_at, "used_at": c.used_at,
             "discount_fen": taken.get(c.id, 0 if c.status == CouponStatus.USED else None), "claim_url": claim_url(c.code)} for c in found]


@bp.route("/merchants", methods=["GET"])
@roles_required(*ROLES, scope="coupons:read")
@bp.arguments(MerchantQuerySchema, location="query", as_kwargs=True)
@bp.response(200, MerchantSchema(many=True))
@bp.doc(tags=["coupons"], summary="Merchants with their coupon rights and what they issued and used this month")
def list_merchants(lot_id: int | None = None) -> Any:
    check_lot(lot_id)
    found = merchants.merchants(db(), lot_id=lot_id, lot_ids=visible_ids())
    counts = merchants.month_counts(db(), [m.id for m in found], now(), tz())
    return [merchant_document(m, counts[m.id]) for m in found]


@bp.route("/merchants", methods=["POST"])
@roles_required(*ROLES, scope="coupons:write")
@bp.arguments(MerchantCreateSchema, location="json")
@bp.response(201, MerchantCreatedSchema, description="The merchant, with its page's key (shown this once)")
@bp.alt_response(422, schema=ErrorSchema, description="A bad field (named)")
@bp.doc(tags=["coupons"], summary="Add a merchant to a lot; the answer carries the key of its page, /m/<key>, once")
def create_merchant(body: dict[str, Any]) -> Any:
    check_lot(body["lot_id"])
    try:
        made, key = merchants.create(db(), merchants.MerchantFields(**body), operator_id=actor()[0], now=now())
    except ConfigChangeError as error:
        refuse(error)
    return merchant_document(made) | {"key": key, "page": merchant_url(key)}, 201


@bp.route("/merchants/<int:merchant_id>", methods=["GET"])
@roles_required(*ROLES, scope="coupons:read")
@bp.response(200, MerchantSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such merchant")
@bp.doc(tags=["coupons"], summary="One merchant")
def get_merchant(merchant_id: int) -> Any:
    return merchant_document(merchant_or_404(merchant_id))


@bp.route("/merchants/<int:merchant_id>", methods=["PATCH"])
@roles_required(*ROLES, scope="coupons:write")
@bp.arguments(MerchantUpdateSchema, location="json")
@bp.response(200, MerchantSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such merchant")
@bp.doc(tags=["coupons"], summary="Change a merchant's name, contact, kinds, quota, stacking or whether it is active")
def update_merchant(body: dict[str, Any], merchant_id: int) -> Any:
    merchant_or_404(merchant_id)
    try:
        changed = merchants.update(db(), merchant_id, operator_id=actor()[0], now=now(), **body)
    except ConfigChangeError as error:
        refuse(error)
    return merchant_document(changed)


@bp.route("/merchants/<int:merchant_id>/key", methods=["POST"])
@roles_required(*ROLES, scope="coupons:write")
@bp.response(200, MerchantKeySchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such merchant")
@bp.doc(tags=["coupons"], summary="Replace the key of the merchant's page: the old link stops working; the new key is answered once")
def replace_merchant_key(merchant_id: int) -> Any:
    merchant_or_404(merchant_id)
    key = merchants.replace_key(db(), merchant_id, operator_id=actor()[0], now=now())
    return {"key": key, "page": merchant_url(key)}


@bp.route("/coupons", methods=["GET"])
@roles_required(*ROLES, scope="coupons:read")
@bp.arguments(CouponQuerySchema, location="query", as_kwargs=True)
@bp.response(200, CouponSchema(many=True))
@bp.doc(tags=["coupons"], summary=f"Coupons, the latest first (at most {MAX_LISTED}): by merchant, lot, status, or this month's")
def list_coupons(merchant_id: int | None = None, lot_id: int | None = None, status: str | None = None, month: bool = False) -> Any:
    check_lot(lot_id)
    if merchant_id is not None:
        merchant_or_404(merchant_id)
    query = select(Coupon).order_by(Coupon.id.desc()).limit(MAX_LISTED)
    visible = visible_ids()
    if visible is not None:
        query = query.where(Coupon.lot_id.in_(visible))
    if merchant_id is not None:
        query = query.where(Coupon.merchant_id == merchant_id)
    if lot_id is not None:
        query = query.where(Coupon.lot_id == lot_id)
    if status:
        query = query.where(Coupon.status == CouponStatus(status))
    if month:
        query = query.where(Coupon.issued_at >= merchants.month_start(now(), tz()))
    return coupon_documents(list(db().scalars(query)))


@bp.route("/coupons", methods=["POST"])
@roles_required(*ROLES, scope="coupons:write")
@bp.arguments(CouponIssueSchema, location="json", as_kwargs=True)
@bp.response(201, CouponSchema(many=True), description="The coupons made: one on the car's stay, or the printable codes")
@bp.alt_response(422, schema=ErrorSchema, description="A rule refused it (named): kind, value, quota, stacking, the tariff, the car not parked")
@bp.doc(tags=["coupons"], summary="Give a merchant's coupon to a car parked now (plate), or make printable one-time codes (count, valid_until)")
def issue_coupons(merchant_id: int, kind: str, value: int = 0, plate: str | None = None, count: int = 1, valid_until: Any = None) -> Any:
    merchant = merchant_or_404(merchant_id)
    settings_tz = tz_name()
    try:
        if plate is not None:
            made = [coupons.give(db(), store(), merchant, plate, kind=kind, value=value, now=now(), operator_id=actor()[0], default_tz=settings_tz)]
        else:
            if valid_until is None:
                abort_json(422, "valid_until: printable codes need the moment they expire", field="valid_until")
            made = coupons.issue(db(), merchant, kind=kind, value=value, count=count, valid_until=valid_until, now=now(),
                                 operator_id=actor()[0], default_tz=settings_tz)
    except CouponError as error:
        refuse(error)
    return coupon_documents(made), 201


@bp.route("/coupons/<int:coupon_id>", methods=["GET"])
@roles_required(*ROLES, scope="coupons:read")
@bp.response(200, CouponSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such coupon")
@bp.doc(tags=["coupons"], summary="One coupon, with what it took off its stay")
def get_coupon(coupon_id: int) -> Any:
    return coupon_documents([coupon_or_404(coupon_id)])[0]


def coupon_or_404(coupon_id: int) -> Coupon:
    found = db().get(Coupon, coupon_id)
    if found is None or not lot_visible(found.lot_id):
        abort_json(404, f"coupon {coupon_id} not found", field="coupon_id")
    return found


@bp.route("/coupons/<int:coupon_id>/void", methods=["POST"])
@roles_required(*ROLES, scope="coupons:write")
@bp.arguments(VoidSchema, location="json", as_kwargs=True)
@bp.response(200, CouponSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such coupon")
@bp.alt_response(409, schema=ErrorSchema, description="Used, voided already, or on a stay")
@bp.doc(tags=["coupons"], summary="Void a coupon no stay holds (a printed code lost or made by mistake)")
def void_coupon(coupon_id: int, reason: str = "") -> Any:
    coupon = coupon_or_404(coupon_id)
    try:
        coupons.void(db(), coupon, reason=reason, now=now(), operator_id=actor()[0])
    except CouponError as error:
        refuse(error)
    return coupon_documents([coupon])[0]


for _view in (create_merchant, update_merchant, replace_merchant_key, issue_coupons, void_coupon):
    csrf.exempt(_view)
