"""Taking the fee at a held exit, from the lane's card on the lane console (岗亭收费).

- ``收现金``: the cash given (yuan, read exactly to fen) for what the car owes now; the stay is settled by
  ``hand_release.release_by_hand(outcome="cash")``, which books the cash in the attendant's open shift
  and opens the gate once. The card showed the change before; if the fee changed since (a minute
  passed into the next unit), nothing is taken and the card says the new amount.
- ``扫码支付``: an order with WeChat Pay or Alipay (``ledger.place_order``, scene qr, via booth) whose QR
  the card shows; the card polls ``payment_status`` each second and says "paid" only once the ledger
  booked it (the ledger then asks the lane to let the car out). ``查询支付结果`` asks the platform now
  (``ledger.check_order``), for a notification that did not come.
- ``免费放行`` / ``未缴费放行``: the exit's hand open, which at a lane holding a car asks what happened to
  the fee (``hand_release``, called from ``lanes.lane_gate``).

Every action names the car the card showed; a different car at the barrier, or none, is refused in words.
Feedback goes on the lane's card (``lane_feedback``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from parking.context import LotContext
from parking.models import Lane, LaneDirection, Payment
from parking.payments.base import ProviderError
from parking.plates import Plate, PlateError, parse
from parking.services import ledger, shifts
from parking.services.fees import ExitBeforeEntryError, NotParkedError
from parking.services.hand_release import HandReleaseError, release_by_hand
from parking.services.lane_commands import LaneCommandError
from parking.tariffs.errors import TariffError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible
from ..context import db, now, store
from ..held_cars import lot_context
from ..money_words import ORDER_STATES, QR_METHOD_WORDS, refusal, yuan
from ..public.pay_context import notify_url, providers
from . import bp
from .booth_forms import CashForm, HandReleaseForm, HeldCarForm, OrderForm
from .lane_feedback import LANE_ROLES, back, lane_or_404, tell, tell_command

def _settings() -> Any:
    return current_app.config["PARKING_SETTINGS"]


def _form_errors(lane: Lane, form: HeldCarForm) -> None:
    # A missing or stale CSRF token never gets here: CSRFProtect answers 400 before the view runs.
    for messages in form.errors.values():
        for message in messages:
            tell(lane.id, "error", str(message))


def _held_car(lane: Lane, form: HeldCarForm) -> tuple[LotContext, Plate] | None:
    """The lot and the car the form names, if the lane still holds that car; else says why on the card."""
    if lane.direction != LaneDirection.EXIT:
        tell(lane.id, "error", _("只有出口车道可以收费放行。"))
        return None
    lot = lot_context(db(), lane.lot_id, now(), _settings().timezone)
    if lot is None:
        tell(lane.id, "error", _("此停车场的设置或收费标准有误，无法计费，请联系管理员。"))
        return None
    held = store().held.at_lane(lane.lot_id, lane.id, now())
    if held is None:
        tell(lane.id, "error", _("此出口已没有等待的车辆（可能已离场）。"))
        return None
    if held["plate"] != form.plate.data:
        tell(lane.id, "error", _("出口的车辆已变为 %(plate)s，请核对后再操作。", plate=held["plate"]))
        return None
    try:
        plate = parse(held["plate"])
    except PlateError:
        plate = None
    if not isinstance(plate, Plate):
        tell(lane.id, "error", _("车牌 %(plate)s 无法识别，请按车牌手工处理。", plate=held["plate"]))
        return None
    return lot, plate


def _due_now(lane: Lane, lot: LotContext, plate: Plate, shown_fen: int | None) -> int | None:
    """What the car owes now, if it is what the card showed (else says the new amount on the card)."""
    try:
        due = ledger.due(store(), lot, plate, now()).due_fen
    except NotParkedError:
        tell(lane.id, "error", _("此车没有入场记录，不能收现金或扫码；请选择免费放行或未缴费放行。"))
        return None
    except (ExitBeforeEntryError, TariffError):
        tell(lane.id, "error", _("此车的费用无法计算，请选择免费放行或未缴费放行，并报告管理员。"))
        return None
    if due <= 0:
        tell(lane.id, "error", _("此车无需缴费，可直接放行。"))
        return None
    if shown_fen is not None and due != shown_fen:
        tell(lane.id, "error", _("应收金额已变为 %(due)s 元（页面显示 %(shown)s 元），请核对找零后重新收款。", due=yuan(due), shown=yuan(shown_fen)))
        return None
    return due


@bp.route("/lanes/<int:lane_id>/cash", methods=["POST"])
@roles_required(*LANE_ROLES)
def lane_cash(lane_id: int) -> ResponseReturnValue:
    lane = lane_or_404(lane_id)
    form = CashForm()
    if not form.validate_on_submit():
        _form_errors(lane, form)
        return back(lane)
    found = _held_car(lane, form)
    if found is None:
        return back(lane)
    lot, plate = found
    if _due_now(lane, lot, plate, form.due_fen.data) is None:
        return back(lane)
    try:
        done = release_by_hand(db(), store(), lot, lane, outcome="cash", operator_id=current_user.id, now=now(), plate=plate.text,
                               given_fen=form.given.fen, deadline_seconds=_settings().command_seconds)
    except (HandReleaseError, ledger.LedgerError) as error:
        db().rollback()
        tell(lane.id, "error", refusal(error))
        return back(lane)
    tell(lane.id, "info", _("%(plate)s 已收现金 %(amount)s 元：收 %(given)s 元，找零 %(change)s 元。", plate=done.plate,
                            amount=yuan(done.due_fen), given=yuan(form.given.fen), change=yuan(done.change_fen)),
         receipt=done.payment_uid)
    tell_command(lane, _("抬杆"), done.command)
    return back(lane)


@bp.route("/lanes/<int:lane_id>/order", methods=["POST"])
@roles_required(*LANE_ROLES)
def lane_order(lane_id: int) -> ResponseReturnValue:
    lane = lane_or_404(lane_id)
    form = OrderForm()
    if not form.validate_on_submit():
        _form_errors(lane, form)
        return back(lane)
    method = form.method.data
    provider = providers().get(method)
    if provider is None:
        tell(lane.id, "error", _("本系统未开通%(method)s收款，请改用其他方式。", method=QR_METHOD_WORDS[method]))
        return back(lane)
    found = _held_car(lane, form)
    if found is None:
        return back(lane)
    lot, plate = found
    if _due_now(lane, lot, plate, None) is None:
        return back(lane)
    shift = shifts.current_shift(db(), current_user.id)
    try:
        order = ledger.place_order(db(), store(), provider, lot, plate, at=now(), scene="qr", via="booth", lane_id=lane.id,
                                   operator_id=current_user.id, shift_id=shift.id if shift and shift.lot_id == lot.id else None,
                                   client_ip=(request.remote_addr or "127.0.0.1")[:45], notify_url=notify_url(method))
    except ledger.LedgerError as error:
        tell(lane.id, "error", refusal(error))
        return back(lane)
    except ProviderError as error:
        tell(lane.id, "error", _("%(method)s未能生成收款码（%(detail)s），请稍后再试或改用其他方式。", method=QR_METHOD_WORDS[method],
                                 detail=error.message))
        return back(lane)
    tell(lane.id, "info", _("已生成%(method)s收款码，应收 %(amount)s 元，请车主扫码支付。", method=QR_METHOD_WORDS[method],
                            amount=yuan(order.amount_fen)))
    return back(lane)


def _arrears_fen(lot: LotContext, plate: Plate) -> int:
    """The part of what the gate asks that the plate owes from earlier stays (0 without an entry record)."""
    try:
        return int(ledger.due(store(), lot, plate, now()).plan.arrears_fen)
    except (NotParkedError, ExitBeforeEntryError, TariffError):
        return 0


def hand_release(lane: Lane) -> ResponseReturnValue:
    """The exit's hand open at a lane holding a car: free (with a reason) or unpaid (arrears)."""
    form = HandReleaseForm()
    if not form.validate_on_submit():
        _form_errors(lane, form)
        return back(lane)
    found = _held_car(lane, form)
    if found is None:
        return back(lane)
    lot, plate = found
    outcome = form.outcome.data
    arrears = _arrears_fen(lot, plate)
    try:
        done = release_by_hand(db(), store(), lot, lane, outcome=outcome, operator_id=current_user.id, now=now(), plate=plate.text,
                               reason=form.reason(), deadline_seconds=_settings().command_seconds)
    except (HandReleaseError, ledger.LedgerError, LaneCommandError) as error:
        db().rollback()
        tell(lane.id, "error", refusal(error))
        return back(lane)
    stay_due = max(0, done.due_fen - arrears)  # a free or unpaid release concerns this stay's fee only
    if outcome == "free" and stay_due:
        tell(lane.id, "info", _("%(plate)s 已免费放行（%(reason)s），免收 %(amount)s 元。", plate=done.plate, reason=form.reason(),
                                amount=yuan(stay_due)))
    elif outcome == "free":
        tell(lane.id, "info", _("%(plate)s 已免费放行（%(reason)s）。", plate=done.plate, reason=form.reason()))
    elif stay_due:
        tell(lane.id, "info", _("%(plate)s 未缴费放行，%(amount)s 元记为欠费。", plate=done.plate, amount=yuan(stay_due)))
    else:
        tell(lane.id, "info", _("%(plate)s 已放行，没有应收金额，未记欠费。", plate=done.plate))
    if arrears:
        tell(lane.id, "info", _("以前的欠费 %(amount)s 元仍记在车牌 %(plate)s 上，下次出场时补缴。", amount=yuan(arrears), plate=done.plate))
    tell_command(lane, _("抬杆"), done.command)
    return back(lane)


# -- an order's state -------------------------------------------------------------------------------------

def payment_or_404(uid: str) -> Payment:
    found = db().scalar(select(Payment).where(Payment.uid == uid)) if len(uid) <= 40 else None
    if found is None or not lot_visible(found.lot_id):
        abort(404)
    return found


def order_document(payment: Payment) -> dict[str, Any]:
    state = payment.status.value
    if state == "pending" and payment.expires_at is not None and payment.expires_at <= now():
        state = "closed"  # no longer payable; the worker closes it at the platform
    return {
        "uid": payment.uid, "status": state, "words": str(ORDER_STATES.get(state, state)), "amount_fen": payment.amount_fen,
        "amount_yuan": yuan(payment.amount_fen), "plate": payment.plate,
        "receipt_url": url_for("console.payment_receipt", uid=payment.uid) if state in {"paid", "refunded"} else None,
    }


@bp.route("/payments/<uid>/status")
@roles_required(*LANE_ROLES)
def payment_status(uid: str) -> ResponseReturnValue:
    """A booth order's state as the ledger has it (polled by the lane card each second)."""
    response = jsonify(order_document(payment_or_404(uid)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/payments/<uid>/check", methods=["POST"])
@roles_required(*LANE_ROLES)
def check_payment(uid: str) -> ResponseReturnValue:
    """查询支付结果: ask the platform about an order no notification settled yet."""
    payment = payment_or_404(uid)
    lane = db().get(Lane, payment.lane_id) if payment.lane_id is not None else None
    if lane is None:
        abort(404)
    provider = providers().get(payment.method.value)
    if provider is None:
        tell(lane.id, "error", _("本系统未开通此支付方式，无法查询。"))
        return back(lane)
    try:
        result = ledger.check_order(db(), store(), provider, payment.uid, now())
    except ProviderError as error:
        tell(lane.id, "error", _("支付平台暂时无法查询（%(detail)s），请稍后再试。", detail=error.message))
        return back(lane)
    if result.outcome in {"paid", "duplicate"}:
        tell(lane.id, "info", _("%(plate)s 已支付 %(amount)s 元，车道已收到放行指令。", plate=payment.plate, amount=yuan(payment.amount_fen)),
             receipt=payment.uid)
    elif result.outcome == "pending":
        tell(lane.id, "info", _("%(plate)s 尚未支付，请车主完成扫码支付。", plate=payment.plate))
    elif result.outcome == "refused":
        tell(lane.id, "error", _("支付平台的结果与订单不符，未入账，已记录，请联系管理员。"))
    else:
        tell(lane.id, "error", _("订单已关闭，未支付。请重新生成收款码或改用其他方式。"))
    return back(lane)
