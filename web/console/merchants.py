"""The merchant and campaign pages (商户优惠与优惠活动), for administrators and managers (auditors read).

- ``/console/merchants``: each lot's merchants with the kinds they may give, their monthly quota and the
  coupons they issued and used this month; a form to add one. A new merchant's page key is shown once,
  with the link its staff open (``/m/<key>``).
- ``/console/merchants/<id>``: change a merchant, replace its key, its coupons of this month (with what
  each took off, and voiding a printed code nobody claimed).
- ``/console/campaigns`` and ``/console/campaigns/<id>``: the lots' campaigns (公益免费停车...), added,
  changed or switched off.

Every change goes through ``parking.services.merchants``, ``coupons`` or ``campaigns`` (checked, audited);
a refusal is shown under the field it names. An operator bound to sites sees only their lots'.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from parking.discounts import KINDS
from parking.models import Campaign, Coupon, Lot, Merchant, StayAdjustment
from parking.plates import Plate, parse
from parking.services import campaigns, coupons, merchants
from parking.services.config_changes import ConfigChangeError
from parking.services.coupons import CouponError
from parking.tariffs.stay import fen_to_yuan

from ..auth.roles import roles_required
from ..auth.sites import lot_visible
from ..context import db, now, store
from ..coupon_links import merchant_url
from ..coupon_words import KIND_WORDS, explain, limit_words, offer_words, parse_value, status_words, value_text
from . import bp
from .merchant_forms import CampaignEditForm, CampaignForm, MerchantEditForm, MerchantForm
from .passes import ROLES, visible_ids, visible_lots

MONTH_ROWS = 500


def _tz() -> ZoneInfo:
    return current_app.config["PARKING_SETTINGS"].tz


def _lot_tz(lot_id: int) -> ZoneInfo:
    lot = db().scalar(select(Lot).where(Lot.id == lot_id).options(selectinload(Lot.site)))
    name = (lot.timezone or lot.site.timezone) if lot is not None else ""
    return ZoneInfo(name or current_app.config["PARKING_SETTINGS"].timezone)


def _show(form: Any, error: ConfigChangeError | CouponError, fields: dict[str, str] | None = None) -> None:
    name = (fields or {}).get(error.field, error.field.split(".", 1)[0])
    field = getattr(form, name, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, explain(error)]
    else:
        flash(explain(error), "error")


def _kinds(form: MerchantForm) -> dict[str, int] | None:
    """The kinds the form allows with their largest values, or None with the amount field's error set."""
    kinds: dict[str, int] = {}
    if form.minutes.data:
        kinds["minutes"] = form.minutes.data
    if (form.amount_yuan.data or "").strip():
        try:
            kinds["amount"] = parse_value("amount", form.amount_yuan.data, max_fen=merchants.KIND_LIMITS["amount"])
        except ValueError as exc:
            form.amount_yuan.errors = [*form.amount_yuan.errors, str(exc)]
            return None
    if form.percent.data:
        kinds["percent"] = form.percent.data
    if form.free.data:
        kinds["free"] = 0
    return kinds


def _merchant_fields(form: MerchantForm, kinds: dict[str, int]) -> dict[str, Any]:
    return {"name": form.name.data or "", "contact": form.contact.data or "", "kinds": kinds, "monthly_quota": form.monthly_quota.data,
            "stackable": bool(form.stackable.data), "active": bool(form.active.data)}


MERCHANT_FIELDS = {"kinds": "minutes", "kinds.minutes": "minutes", "kinds.amount": "amount_yuan", "kinds.percent": "percent"}


@bp.route("/merchants", methods=["GET", "POST"], endpoint="merchants")
@roles_required(*ROLES)
def merchants_page() -> ResponseReturnValue:
    form = MerchantForm()
    form.lot_id.choices = [(lot.id, lot.name) for lot in visible_lots()]
    status = 200
    if request.method == "POST":
        kinds = _kinds(form)
        if form.validate() and kinds is not None:
            try:
                made, key = merchants.create(db(), merchants.MerchantFields(lot_id=form.lot_id.data, **_merchant_fields(form, kinds)),
                                             operator_id=current_user.id, now=now())
            except ConfigChangeError as error:
                _show(form, error, MERCHANT_FIELDS)
            else:
                return _key_page(made, key)
        status = 422
    found = merchants.merchants(db(), lot_ids=visible_ids())
    counts = merchants.month_counts(db(), [m.id for m in found], now(), _tz())
    lots = {lot.id: lot.name for lot in visible_lots()}
    return render_template("console/merchants.html", form=form, merchants=found, counts=counts, lots=lots, limits=_limits), status


def _limits(merchant: Merchant) -> str:
    kinds = merchant.kinds or {}  # in the order of KINDS: JSONB keeps keys in an order of its own
    return "；".join(f"{KIND_WORDS[k]} {limit_words(k, kinds[k])}" if k != "free" else str(KIND_WORDS[k]) for k in KINDS if k in kinds)


def _key_page(merchant: Merchant, key: str) -> ResponseReturnValue:
    return render_template("console/merchant_key.html", merchant=merchant, link=merchant_url(key)), 200, {"Cache-Control": "no-store"}


def _merchant_or_404(merchant_id: int) -> Merchant:
    found = db().get(Merchant, merchant_id)
    if found is None or not lot_visible(found.lot_id):
        abort(404)
    return found


@bp.route("/merchants/<int:merchant_id>", methods=["GET", "POST"])
@roles_required(*ROLES)
def merchant_detail(merchant_id: int) -> ResponseReturnValue:
    merchant = _merchant_or_404(merchant_id)
    if request.method == "GET":
        kinds = dict(merchant.kinds or {})
        form = MerchantEditForm(obj=merchant, minutes=kinds.get("minutes"), percent=kinds.get("percent"), free="free" in kinds,
                                amount_yuan=fen_to_yuan(kinds["amount"]) if "amount" in kinds else "")
        return _detail(merchant, form), 200
    form = MerchantEditForm()
    kinds = _kinds(form)
    if form.validate() and kinds is not None:
        try:
            merchants.update(db(), merchant.id, operator_id=current_user.id, now=now(), **_merchant_fields(form, kinds))
        except ConfigChangeError as error:
            _show(form, error, MERCHANT_FIELDS)
        else:
            flash(_("商户已保存。"), "info")
            return redirect(url_for("console.merchant_detail", merchant_id=merchant.id))
    return _detail(merchant, form), 422


def _detail(merchant: Merchant, form: MerchantEditForm) -> str:
    start = merchants.month_start(now(), _tz())
    found = list(db().scalars(select(Coupon).where(Coupon.merchant_id == merchant.id, Coupon.issued_at >= start)
                              .order_by(Coupon.id.desc()).limit(MONTH_ROWS)))
    taken = dict(db().execute(select(StayAdjustment.coupon_id, StayAdjustment.amount_fen)
                              .where(StayAdjustment.coupon_id.in_([c.id for c in found]))).all()) if found else {}
    rows = [(c, offer_words(c.kind, c.value), status_words(c.status.value, bool(c.session_uid)), _masked(c.plate), taken.get(c.id)) for c in found]
    counts = merchants.month_counts(db(), [merchant.id], now(), _tz())[merchant.id]
    lot = db().get(Lot, merchant.lot_id)
    return render_template("console/merchant.html", merchant=merchant, lot=lot, form=form, rows=rows, counts=counts, tz=_tz(),
                           yuan=fen_to_yuan, limits=_limits(merchant))


def _masked(plate: str) -> str:
    parsed = parse(plate) if plate else None
    return parsed.masked if isinstance(parsed, Plate) else ""


@bp.route("/merchants/<int:merchant_id>/key", methods=["POST"])
@roles_required(*ROLES)
def replace_merchant_key(merchant_id: int) -> ResponseReturnValue:
    merchant = _merchant_or_404(merchant_id)
    key = merchants.replace_key(db(), merchant.id, operator_id=current_user.id, now=now())
    return _key_page(merchant, key)


@bp.route("/coupons/<int:coupon_id>/void", methods=["POST"])
@roles_required(*ROLES)
def void_coupon(coupon_id: int) -> ResponseReturnValue:
    coupon = db().get(Coupon, coupon_id)
    if coupon is None or not lot_visible(coupon.lot_id):
        abort(404)
    try:
        coupons.void(db(), coupon, reason=request.form.get("reason", "")[:200], now=now(), operator_id=current_user.id)
    except CouponError as error:
        flash(explain(error), "error")
    else:
        flash(_("优惠券已作废。"), "info")
    return redirect(url_for("console.merchant_detail", merchant_id=coupon.merchant_id))


# -- campaigns --------------------------------------------------------------------------------------------
def _campaign_values(form: CampaignForm, tz: ZoneInfo) -> dict[str, Any] | None:
    try:
        value = parse_value(form.kind.data, form.value.data or "")
    except ValueError as exc:
        form.value.errors = [*form.value.errors, str(exc)]
        return None
    local: dict[str, datetime] = {"starts_at": form.starts_at.data, "ends_at": form.ends_at.data}
    return {"name": form.name.data or "", "kind": form.kind.data, "value": value, "active": bool(form.active.data),
            **{k: v.replace(tzinfo=tz) for k, v in local.items()}}


def _campaign_kinds(form: CampaignForm) -> None:
    form.kind.choices = [(k, str(KIND_WORDS[k])) for k in KINDS]


@bp.route("/campaigns", methods=["GET", "POST"], endpoint="campaigns")
@roles_required(*ROLES)
def campaigns_page() -> ResponseReturnValue:
    form = CampaignForm()
    form.lot_id.choices = [(lot.id, lot.name) for lot in visible_lots()]
    _campaign_kinds(form)
    status = 200
    if request.method == "POST":
        if form.validate():
            values = _campaign_values(form, _lot_tz(form.lot_id.data))
            if values is not None:
                try:
                    made = campaigns.create(db(), store(), campaigns.CampaignFields(lot_id=form.lot_id.data, **values),
                                            operator_id=current_user.id, now=now())
                except ConfigChangeError as error:
                    _show(form, error)
                else:
                    flash(_("已添加优惠活动 %(name)s。", name=made.name), "info")
                    return redirect(url_for("console.campaigns"))
        status = 422
    found = campaigns.campaigns(db(), lot_ids=visible_ids())
    lots = {lot.id: lot.name for lot in visible_lots()}
    return render_template("console/campaigns.html", form=form, campaigns=found, lots=lots, offer=offer_words, tz=_tz(), now=now()), status


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@roles_required(*ROLES)
def campaign_detail(campaign_id: int) -> ResponseReturnValue:
    campaign = db().get(Campaign, campaign_id)
    if campaign is None or not lot_visible(campaign.lot_id):
        abort(404)
    tz = _lot_tz(campaign.lot_id)
    if request.method == "GET":
        form = CampaignEditForm(obj=campaign, value=value_text(campaign.kind, campaign.value),
                                starts_at=campaign.starts_at.astimezone(tz).replace(tzinfo=None),
                                ends_at=campaign.ends_at.astimezone(tz).replace(tzinfo=None))
        _campaign_kinds(form)
        return render_template("console/campaign.html", form=form, campaign=campaign, lot=db().get(Lot, campaign.lot_id)), 200
    form = CampaignEditForm()
    _campaign_kinds(form)
    if form.validate():
        values = _campaign_values(form, tz)
        if values is not None:
            try:
                campaigns.update(db(), store(), campaign.id, operator_id=current_user.id, now=now(), **values)
            except ConfigChangeError as error:
                _show(form, error)
            else:
                flash(_("优惠活动已保存。"), "info")
                return redirect(url_for("console.campaigns"))
    return render_template("console/campaign.html", form=form, campaign=campaign, lot=db().get(Lot, campaign.lot_id)), 422
