"""The lane console (岗亭): each lane's camera health and latest read, the car an exit holds and its fee,
the gate by hand, a text on the board.

Opening or closing a gate by hand and showing a text are POST forms (CSRF token, any operator role);
each sends a command to the site agent through ``parking.services.lane_commands``, waits for its fate
(delivered within the deadline, or expired, cancelled, lane offline...), leaves an audit row, and says
on the lane's card what truly happened (``lane_feedback``).

At an exit holding a car, opening by hand settles the fee first: the open asks for the outcome (free
with a reason, or unpaid) and goes through ``hand_release`` (``booth.hand_release``); cash and QR orders
are the card's own forms (``booth``). Only entry lanes, and exits holding no car, keep the plain open.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import segno
from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from parking.models import Lane, LaneDirection, Lot
from parking.policy import LotPolicy, PolicyError
from parking.services import shifts
from parking.services.lane_commands import TEXT_MAX_CHARS, LaneCommandError, gate_reason, send_command

from ..auth.roles import roles_required
from ..auth.sites import lot_visible
from ..context import db, now, store
from ..held_cars import held_cars, recent_payments
from ..lane_status import lane_statuses
from ..money_words import QR_METHOD_WORDS, QR_METHODS, held_reason, method_words, yuan
from ..public.pay_context import providers
from . import booth, bp
from .booth_forms import OTHER
from .forms import DETAIL_MAX_CHARS, REASON_LABELS, GateForm, ShowTextForm
from .lane_feedback import LANE_ROLES, back, lane_or_404, take, tell, tell_command


def qr_svg(payload: str) -> Markup:
    """An order's QR as inline SVG, sized by the page (``.qr svg``) for a phone camera at the booth."""
    svg = segno.make(payload, error="m").svg_inline(scale=1, border=2, omitsize=True, title=_("收款码"))
    return Markup(svg)  # noqa: S704  (segno draws modules only; the payload is never written as text)


def free_reasons(lot: Lot) -> tuple[str, ...]:
    try:
        return LotPolicy.from_settings(lot.settings).free_release_reasons
    except PolicyError:
        return LotPolicy().free_release_reasons


@bp.route("/lanes")
@roles_required(*LANE_ROLES)
def lanes() -> ResponseReturnValue:
    settings = current_app.config["PARKING_SETTINGS"]
    moment = now()
    statuses = [s for s in lane_statuses(db(), store(), moment, settings.timezone) if lot_visible(s.lane.lot_id)]
    held = held_cars(db(), store(), [s.lane for s in statuses], moment, settings.timezone)
    acts = current_user.role in LANE_ROLES
    return render_template(
        "console/lanes.html",
        statuses=statuses,
        gate_form=GateForm(),
        text_form=ShowTextForm(),
        reason_labels=REASON_LABELS,
        detail_max=DETAIL_MAX_CHARS,
        text_max=TEXT_MAX_CHARS,
        held=held,
        recent=recent_payments(db(), [s.lane.id for s in statuses if s.lane.direction == LaneDirection.EXIT], moment),
        notes=take(),
        acts=acts,
        shift=shifts.current_shift(db(), current_user.id) if acts else None,
        qr_methods=[m for m in QR_METHODS if m in providers()],
        qr_method_words=QR_METHOD_WORDS,
        qr_svgs={lane_id: qr_svg(car.order.qr_payload) for lane_id, car in held.items() if car.order is not None},
        reasons={s.lane.lot_id: free_reasons(s.lane.lot) for s in statuses if s.lane.id in held},
        other_reason=OTHER,
        held_reason=held_reason,
        method_words=method_words,
        lane_tz=lambda lane: ZoneInfo(lane.lot.timezone or settings.timezone),
    )


def _form_errors(lane: Lane, form: GateForm | ShowTextForm) -> None:
    # A missing or stale CSRF token never gets here: CSRFProtect answers 400 before the view runs.
    for messages in form.errors.values():
        for message in messages:
            tell(lane.id, "error", str(message))


def _holding(lane: Lane) -> dict[str, Any] | None:
    if lane.direction != LaneDirection.EXIT:
        return None
    return store().held.at_lane(lane.lot_id, lane.id, now())


@bp.route("/lanes/<int:lane_id>/gate", methods=["POST"])
@roles_required(*LANE_ROLES)
def lane_gate(lane_id: int) -> ResponseReturnValue:
    lane = lane_or_404(lane_id)
    if request.form.get("action") == "open" and request.form.get("outcome"):
        return booth.hand_release(lane)
    form = GateForm()
    if not form.validate_on_submit():
        _form_errors(lane, form)
        return back(lane)
    if form.action.data == "open":
        held = _holding(lane)
        if held is not None:  # the car's fee is settled first: cash, a QR order, free or unpaid
            tell(lane.id, "error", _("%(plate)s 正在出口等待（%(reason)s，应收 %(amount)s 元）：请选择收现金、扫码支付、免费放行或未缴费放行。",
                                     plate=held["plate"], reason=held_reason(str(held.get("reason") or "")),
                                     amount=yuan(int(held.get("due_fen") or 0))))
            return back(lane)
    try:
        reason = gate_reason(form.reason.data, form.reason_detail.data or "") if form.reason.data else ""
        result = send_command(db(), store(), lane, form.action.data, now=now(), reason=reason, operator_id=current_user.id,
                              deadline_seconds=current_app.config["PARKING_SETTINGS"].command_seconds)
    except LaneCommandError as error:  # the form checks the same; kept so that a gap shows as a message
        tell(lane.id, "error", str(error))
        return back(lane)
    tell_command(lane, _("抬杆") if form.action.data == "open" else _("落杆"), result)
    return back(lane)


@bp.route("/lanes/<int:lane_id>/text", methods=["POST"])
@roles_required(*LANE_ROLES)
def lane_text(lane_id: int) -> ResponseReturnValue:
    lane = lane_or_404(lane_id)
    form = ShowTextForm()
    if not form.validate_on_submit():
        _form_errors(lane, form)
        return back(lane)
    try:
        result = send_command(db(), store(), lane, "show_text", now=now(), text=form.text.data, operator_id=current_user.id,
                              deadline_seconds=current_app.config["PARKING_SETTINGS"].command_seconds)
    except LaneCommandError as error:
        tell(lane.id, "error", str(error))
        return back(lane)
    tell_command(lane, _("显示文字"), result)
    return back(lane)
