"""The coupon pages phones open without signing in: a merchant's page and the page a printed coupon opens.

``/m/<key>``: the merchant's staff, holding the merchant's own key (an operator gave them the link), give
a coupon to a car parked now (bound to its stay at once), or print one-time QR codes (each a coupon with
a random code, valid until a day) and void a printed code not claimed yet. A wrong, replaced or disabled
key is 404, exactly like a page that does not exist.

``/c/<code>``: the driver who scanned a printed code claims it onto their stay with the plate and the
time they entered (HH:MM, within ±10 minutes), so nobody puts a code onto someone else's stay by guessing
a plate. The exit then takes it off the fee.

Every write goes through ``parking.services.coupons``; a refusal is shown where the person acted, in the
page's language. Neither page shows another car's plate: the merchant's list masks them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from parking.discounts import KINDS
from parking.models import Coupon, CouponStatus, Lot, Merchant
from parking.plates import Plate, parse
from parking.services import coupons, merchants
from parking.services.coupons import CouponError

from ..context import db, now, store
from ..coupon_links import claim_url, qr_svg
from ..coupon_words import KIND_WORDS, explain, limit_words, offer_words, parse_value, status_words
from . import bp

REQUIRED = _l("此项必填。")
RECENT = 50
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}  # the key is in the address: never pass it on


class GiveForm(FlaskForm):
    plate = StringField(_l("车牌"), validators=[InputRequired(message=REQUIRED), Length(max=16)])
    kind = SelectField(_l("优惠"), validate_choice=True)
    value = StringField(_l("数值"), validators=[Length(max=12)], description=_l("分钟数、金额（元）或折扣百分比；免费券不填"))


class PrintForm(FlaskForm):
    print_kind = SelectField(_l("优惠"), validate_choice=True)
    print_value = StringField(_l("数值"), validators=[Length(max=12)])
    count = IntegerField(_l("张数"), default=10, validators=[InputRequired(message=REQUIRED), NumberRange(min=1, max=coupons.MAX_PRINT)])
    days = IntegerField(_l("有效天数"), default=30, validators=[InputRequired(message=REQUIRED), NumberRange(min=1, max=coupons.MAX_VALID_DAYS)])


class ClaimForm(FlaskForm):
    plate = StringField(_l("车牌"), validators=[InputRequired(message=REQUIRED), Length(max=16)])
    entry_time = StringField(_l("入场时间"), validators=[InputRequired(message=REQUIRED), Length(max=5)], description=_l("时:分，如 08:30"))


def _merchant(key: str) -> Merchant:
    found = merchants.by_key(db(), key)
    if found is None:
        abort(404)
    return found


def _kind_choices(merchant: Merchant) -> list[tuple[str, str]]:
    kinds = merchant.kinds or {}  # in the order of KINDS: JSONB keeps keys in an order of its own
    return [(kind, f"{KIND_WORDS[kind]}（{limit_words(kind, kinds[kind])}）") for kind in KINDS if kind in kinds]


def _default_tz() -> str:
    return str(current_app.config["PARKING_SETTINGS"].timezone)


def _value(kind: SelectField, value: StringField) -> int | None:
    try:
        return parse_value(kind.data, value.data or "")
    except ValueError as exc:
        value.errors = [*value.errors, str(exc)]
        return None


def _show(form: FlaskForm, error: CouponError, fields: dict[str, str] | None = None) -> None:
    name = (fields or {}).get(error.field, error.field)
    field = getattr(form, name, None) if name in {"plate", "value", "kind", "print_value", "print_kind", "count", "entry_time"} else None
    if field is not None:
        field.errors = [*field.errors, explain(error)]
    else:
        flash(explain(error), "error")


def _masked(plate: str) -> str:
    parsed = parse(plate) if plate else None
    return parsed.masked if isinstance(parsed, Plate) else ""


@bp.route("/m/<string(maxlength=64):key>", methods=["GET", "POST"])
def merchant_page(key: str) -> ResponseReturnValue:
    merchant = _merchant(key)
    give_form, print_form = GiveForm(), PrintForm()
    give_form.kind.choices = print_form.print_kind.choices = _kind_choices(merchant)
    action, status = request.form.get("action", ""), 200
    if request.method == "POST" and action == "give":
        value = _value(give_form.kind, give_form.value)
        if give_form.validate() and value is not None:
            try:
                coupon = coupons.give(db(), store(), merchant, give_form.plate.data, kind=give_form.kind.data, value=value, now=now(),
                                      default_tz=_default_tz())
            except CouponError as error:
                _show(give_form, error)
            else:
                flash(_("已给 %(plate)s 发放优惠券：%(offer)s，离场时自动抵扣。", plate=coupon.plate, offer=offer_words(coupon.kind, coupon.value)), "info")
                return redirect(url_for("public.merchant_page", key=key)), 303, NO_STORE
        status = 422
    elif request.method == "POST" and action == "print":
        value = _value(print_form.print_kind, print_form.print_value)
        if print_form.validate() and value is not None:
            until = _end_of_day(now() + timedelta(days=print_form.days.data))
            try:
                made = coupons.issue(db(), merchant, kind=print_form.print_kind.data, value=value, count=print_form.count.data, valid_until=until,
                                     now=now(), default_tz=_default_tz())
            except CouponError as error:
                _show(print_form, error, {"kind": "print_kind", "value": "print_value"})
            else:
                codes = [(c, qr_svg(claim_url(c.code))) for c in made]
                return render_template("public/coupon_codes.html", merchant=merchant, codes=codes, offer=offer_words(made[0].kind, made[0].value),
                                       until=until.astimezone(_tz()), key=key), 200, NO_STORE
        status = 422
    elif request.method == "POST" and action == "void":
        _void(merchant, request.form.get("coupon", ""))
        return redirect(url_for("public.merchant_page", key=key)), 303, NO_STORE
    return _page(merchant, key, give_form, print_form), status, NO_STORE


def _tz():  # type: ignore[no-untyped-def]
    return current_app.config["PARKING_SETTINGS"].tz


def _end_of_day(moment: datetime) -> datetime:
    local = moment.astimezone(_tz())
    return local.replace(hour=23, minute=59, second=59, microsecond=0)


def _void(merchant: Merchant, coupon_id: str) -> None:
    coupon = db().get(Coupon, int(coupon_id)) if coupon_id.isascii() and coupon_id.isdigit() and len(coupon_id) <= 9 else None
    if coupon is None or coupon.merchant_id != merchant.id:
        flash(_("没有这张优惠券。"), "error")
        return
    try:
        coupons.void(db(), coupon, reason=_("商户作废"), now=now())
    except CouponError as error:
        flash(explain(error), "error")
    else:
        flash(_("优惠券已作废。"), "info")


def _page(merchant: Merchant, key: str, give_form: GiveForm, print_form: PrintForm) -> str:
    lot = db().get(Lot, merchant.lot_id)
    counts = merchants.month_counts(db(), [merchant.id], now(), _tz())[merchant.id]
    recent = list(db().scalars(select(Coupon).where(Coupon.merchant_id == merchant.id, Coupon.issued_at >= merchants.month_start(now(), _tz()))
                               .order_by(Coupon.id.desc()).limit(RECENT)))
    rows = [(c, offer_words(c.kind, c.value), status_words(c.status.value, bool(c.session_uid)), _masked(c.plate)) for c in recent]
    return render_template("public/merchant.html", merchant=merchant, lot=lot, key=key, counts=counts, rows=rows, give_form=give_form,
                           print_form=print_form, tz=_tz(), CouponStatus=CouponStatus)


@bp.route("/c/<string(maxlength=40):code>", methods=["GET", "POST"])
def claim_coupon(code: str) -> ResponseReturnValue:
    coupon = db().scalar(select(Coupon).where(Coupon.code == code))
    if coupon is None:
        abort(404)
    merchant, lot = db().get(Merchant, coupon.merchant_id), db().get(Lot, coupon.lot_id)
    form, status, claimed = ClaimForm(), 200, False
    if request.method == "POST":
        if form.validate():
            try:
                coupons.claim(db(), store(), code, form.plate.data, form.entry_time.data, now=now(), default_tz=_default_tz())
            except CouponError as error:
                _show(form, error)
                status = 409 if error.code in {"coupon_used", "coupon_voided", "coupon_claimed", "coupon_expired"} else 422
            else:
                claimed = True
        else:
            status = 422
    state = None
    if not claimed and request.method == "GET":
        state = _state(coupon)
    return render_template("public/claim.html", coupon=coupon, merchant=merchant, lot=lot, form=form, claimed=claimed, state=state,
                           offer=offer_words(coupon.kind, coupon.value), until=coupon.valid_until.astimezone(_tz())), status, NO_STORE


def _state(coupon: Coupon) -> str | None:
    """Why a coupon can no longer be claimed, shown before the driver types anything; None while it can."""
    if coupon.status == CouponStatus.VOID:
        return str(explain(CouponError("coupon_voided", "code", "")))
    if coupon.status == CouponStatus.USED:
        return str(explain(CouponError("coupon_used", "code", "")))
    if coupon.session_uid:
        return str(explain(CouponError("coupon_claimed", "code", "")))
    if coupon.valid_until <= now():
        return str(explain(CouponError("coupon_expired", "code", "")))
    return None
