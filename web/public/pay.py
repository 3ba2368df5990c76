"""Paying by phone: the exit lane's QR (出口码), paying ahead from inside the lot (场内预付), and the
result page that follows an order until the ledger booked it.

- ``/pay/exit/<lane code>?k=<key>``: the car the exit lane holds now (masked plate, entry time, every
  line of the fee) with a button per platform; nothing held: "当前出口没有待缴费车辆".
- ``/pay/find``: plate and entry time (HH:MM, within ten minutes) lead to the stay's own page, so nobody
  looks at or pays for another car's stay without knowing when it came in.
- ``/pay/stay/<code>``: the stay's fee now, every line, and the grace after paying; once paid, the time
  to leave by.
- ``/pay/order/<code>`` and its ``/status`` JSON: the order's state as the ledger holds it, polled each
  second by ``static/js/pay_status.js`` until paid or closed.

Placing an order goes through ``ledger.place_order``; the payer is then sent to the platform's page
(H5 / wap) from the order page, not by the form's own redirect: the pages' content security policy
allows forms to go to this site only (``form-action 'self'``), and browsers apply that to a form's
redirects too. Codes that do not verify are 404 (``pay_links``); guesses are rate-limited (``pay_limits``).
"""

from __future__ import annotations

import logging
import time as monotonic
from datetime import datetime, time
from urllib.parse import quote

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from parking.models import Lane
from parking.payments.base import ProviderError
from parking.plates import Plate, PlateError, parse
from parking.services import ledger, phone_pay
from parking.services.fees import ExitBeforeEntryError, NotParkedError
from parking.services.site import SiteConfigError

from ..context import db, now, store
from . import bp
from .pay_context import base_url, links, notify_url, phone_methods, providers, settings
from .pay_limits import guess_failed, too_many

log = logging.getLogger(__name__)

PROVIDER_CHECK_SECONDS = 5.0  # a pending order's platform is asked at most this often by the status poll
_last_checked: dict[str, float] = {}

bp.register_error_handler(429, too_many)  # the phone pages' own limits (``pay_limits``); nothing else here is limited


class PayForm(FlaskForm):
    """A platform button's form: the stay shown, so that a car that replaced it at the lane is not paid for."""

    session = HiddenField(validators=[Length(max=40)])


class FindForm(FlaskForm):
    plate = StringField(_l("车牌号"), validators=[DataRequired(message=_l("请输入车牌号。")), Length(max=16, message=_l("车牌号过长。"))])
    entry_time = StringField(_l("入场时间"), validators=[
        DataRequired(message=_l("请输入入场时间。")),
        Regexp(r"^([01]?\d|2[0-3])[:：][0-5]\d$", message=_l("入场时间请按 时:分 填写，例如 08:30。"))])


def _no_cache(page: str, status: int = 200) -> ResponseReturnValue:
    return page, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _message(title: str, message: str, status: int = 200) -> ResponseReturnValue:
    return _no_cache(render_template("public/pay_message.html", title=title, message=message), status)


def _lot(lot_id: int):  # type: ignore[no-untyped-def]
    try:
        lot = phone_pay.lot_context(db(), lot_id, default_tz=settings().timezone, now=now())
    except SiteConfigError as exc:
        log.error("phone payment in lot %s impossible: %s", lot_id, exc)
        return None
    return lot


def _place(lot, plate: Plate, method: str, *, via: str, lane_id: int | None = None) -> ResponseReturnValue:  # type: ignore[no-untyped-def]
    """Place the order and send the payer to its page; or say in words why it could not be placed."""
    provider = providers().get(method)
    if method not in phone_methods() or provider is None:
        return _message(_("无法支付"), _("不支持此支付方式，请选择微信支付或支付宝。"), 400)
    try:
        payment = ledger.place_order(db(), store(), provider, lot, plate, at=now(), scene="phone", via=via, lane_id=lane_id,
                                     client_ip=(request.remote_addr or "127.0.0.1")[:45], notify_url=notify_url(method))
    except ledger.LedgerError as exc:
        if exc.field == "amount":
            return _message(_("无需缴费"), _("当前无需缴费，可以直接离场。"), 409)
        return _message(_("无法支付"), _("无法创建订单，请到岗亭缴费。"), 400)
    except (NotParkedError, ExitBeforeEntryError):
        return _message(_("车辆不在场内"), _("该车辆已离场或不在场内，无需缴费。"), 409)
    except ProviderError as exc:
        log.warning("order with %s refused or unreachable: %s", method, exc.message)
        return _message(_("支付平台暂时无法下单"), _("支付平台暂时无法下单，请稍后重试，或到岗亭缴费。"), 502)
    return redirect(url_for("public.pay_order", code=links().order_code(payment.uid), go=1), 303)


# -- the exit lane's QR (出口码) ------------------------------------------------------------------------


def _exit_lane(lane_code: str) -> Lane:
    key = request.args.get("k", "")
    if not key or len(lane_code) > 32:
        raise NotFound()
    lane = next((lane for lane in phone_pay.exit_lanes_named(db(), lane_code) if links().exit_key_matches(lane.id, key)), None)
    if lane is None:
        raise NotFound()
    return lane


@bp.route("/pay/exit/<lane_code>", methods=["GET", "POST"])
def pay_exit(lane_code: str) -> ResponseReturnValue:
    lane = _exit_lane(lane_code)
    lot = _lot(lane.lot_id)
    if lot is None:
        return _message(_("暂时无法缴费"), _("该停车场的收费设置有误，请到岗亭缴费。"), 503)
    moment = now()
    held = store().held.at_lane(lane.lot_id, lane.id, moment)
    stay = phone_pay.stay_now(db(), store(), lot, held["plate"], str(held.get("session") or ""), moment) if held else None
    form = PayForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _message(_("无法支付"), _("页面已过期，请重新扫码。"), 400)
        if stay is None or form.session.data != stay.session_uid:
            return _message(_("出口车辆已变化"), _("出口的车辆已变化，请重新扫码确认后再支付。"), 409)
        return _place(lot, stay.plate, request.form.get("method", ""), via="exit_qr", lane_id=lane.id)
    if held and stay is None:
        # A car with no entry record, or one the lane cannot price: the attendant settles it.
        return _no_cache(render_template("public/pay_exit.html", lane=lane, lot=lot, stay=None, staff=True, form=form,
                                         methods=phone_methods(), now=moment))
    form.session.data = stay.session_uid if stay else ""
    return _no_cache(render_template("public/pay_exit.html", lane=lane, lot=lot, stay=stay, staff=False, form=form,
                                     methods=phone_methods(), now=moment))


# -- paying ahead (场内预付) ---------------------------------------------------------------------------


def _entry_time(text: str) -> time:
    hours, minutes = text.replace("：", ":").split(":")
    return time(int(hours), int(minutes))


@bp.route("/pay/find", methods=["GET", "POST"])
def pay_find() -> ResponseReturnValue:
    form = FindForm()
    status = 200
    if form.validate_on_submit():
        try:
            plate = parse(form.plate.data or "")
        except (PlateError, TypeError):
            plate = None
        if not isinstance(plate, Plate):
            form.plate.errors = [_("车牌号格式不正确，例如 粤B12345。")]
            status = 422
        else:
            found = phone_pay.find_stay(db(), store(), plate.text, _entry_time(form.entry_time.data or ""),
                                        default_tz=settings().timezone)
            if found is not None:
                return redirect(url_for("public.pay_stay", code=links().stay_code(*found)), 303)
            guess_failed()
            form.entry_time.errors = [_("未找到与车牌和入场时间相符的在场车辆，请核对后重试。")]
            status = 404
    elif request.method == "POST":
        status = 422
    return _no_cache(render_template("public/pay_find.html", form=form), status)


@bp.route("/pay/stay/<code>", methods=["GET", "POST"])
def pay_stay(code: str) -> ResponseReturnValue:
    opened = links().open_stay(code)
    if opened is None:
        raise NotFound()
    lot_id, session_uid = opened
    lot = _lot(lot_id)
    if lot is None:
        return _message(_("暂时无法缴费"), _("该停车场的收费设置有误，请到岗亭缴费。"), 503)
    moment = now()
    live = phone_pay.live_stay(store(), lot_id, session_uid)
    stay = phone_pay.stay_now(db(), store(), lot, str(live["plate"]), session_uid, moment) if live else None
    form = PayForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _message(_("无法支付"), _("页面已过期，请刷新后重试。"), 400)
        if stay is None:
            return _message(_("车辆已离场"), _("该车辆已离场，无需缴费。"), 409)
        return _place(lot, stay.plate, request.form.get("method", ""), via="prepay")
    left = phone_pay.stay_left(db(), session_uid) if stay is None else None
    receipt = links().receipt_code(session_uid) if left is not None and (left.paid_fen or left.fee_fen) else None
    form.session.data = session_uid
    return _no_cache(render_template("public/pay_stay.html", lot=lot, stay=stay, left=left, receipt=receipt, form=form,
                                     methods=phone_methods(), now=moment))


# -- an order's result ---------------------------------------------------------------------------------


def _order(code: str, *, ask_provider: bool = False) -> phone_pay.OrderState:
    uid = links().open_order(code)
    found = None
    if uid is not None:
        found = phone_pay.order_state(db(), store(), uid, providers=providers(), default_tz=settings().timezone, now=now(),
                                      ask_provider=ask_provider)
    if found is None:
        raise NotFound()
    return found


def _due_a_check(uid: str) -> bool:
    """Whether the status poll may ask the platform about ``uid`` now (at most every few seconds)."""
    moment = monotonic.monotonic()
    if moment - _last_checked.get(uid, 0.0) < PROVIDER_CHECK_SECONDS:
        return False
    if len(_last_checked) > 2000:
        _last_checked.clear()
    _last_checked[uid] = moment
    return True


def state_words(order: phone_pay.OrderState, moment: datetime) -> str:
    """The order's state said to the payer."""
    if order.state == "paid":
        minutes = order.minutes_left(moment)
        if minutes is None:
            return _("支付成功。")
        if minutes == 0:
            return _("支付成功。已超过免费离场时间，超时部分需补缴。")
        return _("支付成功，请在%(minutes)d分钟内离场", minutes=minutes)
    if order.state == "pending":
        return _("等待支付结果…")
    if order.state == "closed":
        return _("订单已关闭，未完成支付。如需缴费请重新下单。")
    if order.state == "refunded":
        return _("该笔支付已退款。")
    return _("下单失败，未扣款。请重新下单或到岗亭缴费。")


@bp.route("/pay/order/<code>")
def pay_order(code: str) -> ResponseReturnValue:
    order = _order(code)
    pay_url = order.payment.pay_url if order.state == "pending" else ""
    if pay_url and order.payment.method.value == "wechat":
        # WeChat's H5 page comes back to the address appended as redirect_url once the payer is done.
        back = base_url() + url_for("public.pay_order", code=code)
        pay_url += ("&" if "?" in pay_url else "?") + "redirect_url=" + quote(back, safe="")
    moment = now()
    return _no_cache(render_template("public/pay_order.html", order=order, code=code, pay_url=pay_url,
                                     go=request.args.get("go") == "1" and bool(pay_url), receipt=_receipt_code(order),
                                     words=state_words(order, moment), now=moment))


def _receipt_code(order: phone_pay.OrderState) -> str | None:
    return links().receipt_code(order.payment.session_uid) if order.state == "paid" and order.payment.session_uid else None


@bp.route("/pay/order/<code>/status")
def pay_order_status(code: str) -> ResponseReturnValue:
    uid = links().open_order(code)
    try:
        order = _order(code, ask_provider=uid is not None and _due_a_check(uid))
    except NotFound:
        body = {"error": {"code": 404, "status": "Not Found", "field": "code", "message": "code: no order has this code"}}
        return body, 404, {"Cache-Control": "no-store"}
    moment = now()
    receipt = _receipt_code(order)
    body = {
        "state": order.state,
        "final": order.final,
        "message": state_words(order, moment),
        "amount_fen": order.payment.amount_fen,
        "minutes_left": order.minutes_left(moment),
        "leave_by": order.leave_by.isoformat() if order.leave_by else None,
        "receipt": url_for("public.receipt", code=receipt) if receipt else None,
    }
    return body, 200, {"Cache-Control": "no-store"}
