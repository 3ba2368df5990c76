"""Shifts at the booth (交班): open one with the change float, watch its live report, close it with the
cash counted (the difference shown before confirming), print its report; managers confirm closed shifts.

- ``/console/shift``: the operator's own open shift and its live report with the closing form, or the form
  that opens one at a lot (and booth lane). Closing is two steps: the counted cash first shows the
  expected cash and the difference; "确认交班" closes. If the expected cash changed in between (a payment
  came in), the difference is shown again instead of closing.
- ``/console/shifts``: the shifts the caller sees (an attendant their own), those awaiting confirmation first.
- ``/console/shifts/<uid>``: one shift's report, with the confirm button for a manager who is not its
  attendant; ``…/print``: the report on narrow paper.

Every change goes through ``parking.services.shifts`` (audited); a refusal is said in words.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from parking.models import Lane, Lot, ShiftStatus
from parking.services import shifts
from parking.services.shifts import ShiftError

from ..auth.roles import roles_required
from ..auth.sites import restrict
from ..context import db, now
from ..money_words import SHIFT_STATES, method_words, refusal, yuan
from ..shift_views import find_shift, shift_view, visible_shifts
from . import bp
from .booth_forms import ConfirmForm, ShiftCloseForm, ShiftOpenForm

ROLES = ("attendant", "manager", "admin")
CONFIRMERS = ("manager", "admin")
LIST_ROWS = 100


def _open_form() -> ShiftOpenForm:
    form = ShiftOpenForm()
    lots = list(db().scalars(restrict(select(Lot).order_by(Lot.id), Lot.id)))
    form.lot_id.choices = [(lot.id, lot.name) for lot in lots]
    lanes = db().scalars(select(Lane).where(Lane.lot_id.in_([lot.id for lot in lots])).order_by(Lane.lot_id, Lane.id)) if lots else []
    names = {lot.id: lot.name for lot in lots}
    form.lane_id.choices = [(0, _("不指定"))] + [(lane.id, f"{names[lane.lot_id]} · {lane.name}") for lane in lanes]
    return form


def _page(*, open_form: ShiftOpenForm | None = None, close_form: ShiftCloseForm | None = None, preview: bool = False,
          status: int = 200) -> ResponseReturnValue:
    acts = current_user.role in ROLES
    mine = shifts.current_shift(db(), current_user.id) if acts else None
    view = shift_view(mine) if mine is not None else None
    if mine is None and acts and open_form is None:
        open_form = _open_form()
    if mine is not None and close_form is None:
        close_form = ShiftCloseForm()
    counted = close_form.counted.fen if close_form is not None and preview else None
    return render_template("console/shift.html", view=view, open_form=open_form, close_form=close_form, preview=preview,
                           counted_fen=counted, acts=acts, states=SHIFT_STATES, method_words=method_words), status


@bp.route("/shift")
@roles_required(*ROLES)
def shift() -> ResponseReturnValue:
    return _page()


@bp.route("/shift/open", methods=["POST"])
@roles_required(*ROLES)
def open_shift() -> ResponseReturnValue:
    form = _open_form()
    if not form.validate_on_submit():
        return _page(open_form=form, status=422)
    lane_id = form.lane_id.data or None
    if lane_id is not None and db().get(Lane, lane_id).lot_id != form.lot_id.data:  # type: ignore[union-attr]
        form.lane_id.errors = [*form.lane_id.errors, _("该车道不属于所选停车场。")]
        return _page(open_form=form, status=422)
    try:
        opened = shifts.open_shift(db(), operator_id=current_user.id, lot_id=form.lot_id.data, lane_id=lane_id, at=now(),
                                   opening_float_fen=form.opening_float.fen or 0)
    except ShiftError as error:
        flash(refusal(error), "error")
        return redirect(url_for("console.shift"))
    flash(_("已开班，备用金 %(amount)s 元。", amount=yuan(opened.opening_float_fen)), "info")
    return redirect(url_for("console.shift"))


@bp.route("/shift/close", methods=["POST"])
@roles_required(*ROLES)
def close_shift() -> ResponseReturnValue:
    mine = shifts.current_shift(db(), current_user.id)
    if mine is None:
        flash(_("您没有未交班的班次。"), "error")
        return redirect(url_for("console.shift"))
    form = ShiftCloseForm()
    if not form.validate_on_submit():
        return _page(close_form=form, status=422)
    expected = shift_view(mine).expected_cash_fen
    if form.confirm.data != "1" or form.expected_fen.data != str(expected):
        if form.confirm.data == "1":
            flash(_("应有现金已变为 %(amount)s 元，请核对差额后再确认交班。", amount=yuan(expected)), "error")
        form.expected_fen.data, form.confirm.data = str(expected), "1"
        return _page(close_form=form, preview=True)
    try:
        closed = shifts.close_shift(db(), mine, counted_cash_fen=form.counted.fen or 0, at=now(), operator_id=current_user.id,
                                    note=form.note.data or "")
    except ShiftError as error:
        flash(refusal(error), "error")
        return redirect(url_for("console.shift"))
    flash(_("已交班：应有现金 %(expected)s 元，清点 %(counted)s 元，差额 %(difference)s 元。", expected=yuan(closed.expected_cash_fen),
            counted=yuan(closed.counted_cash_fen), difference=yuan(closed.difference_fen)), "info")
    return redirect(url_for("console.shift_detail", uid=closed.uid))


@bp.route("/shifts")
@roles_required(*ROLES)
def shift_list() -> ResponseReturnValue:
    rows = list(db().scalars(visible_shifts(current_user).limit(LIST_ROWS)))
    waiting = [row for row in rows if row.status == ShiftStatus.CLOSED]
    others = [row for row in rows if row.status != ShiftStatus.CLOSED]
    views = {row.id: shift_view(row) for row in rows}
    return render_template("console/shifts.html", waiting=waiting, others=others, views=views, states=SHIFT_STATES,
                           confirm_form=ConfirmForm(), confirms=current_user.role in CONFIRMERS)


def _shift_or_404(uid: str):  # type: ignore[no-untyped-def]
    found = find_shift(uid, current_user)
    if found is None:
        abort(404)
    return found


@bp.route("/shifts/<uid>")
@roles_required(*ROLES)
def shift_detail(uid: str) -> ResponseReturnValue:
    view = shift_view(_shift_or_404(uid))
    return render_template("console/shift_detail.html", view=view, states=SHIFT_STATES, method_words=method_words,
                           confirm_form=ConfirmForm(), confirms=current_user.role in CONFIRMERS)


@bp.route("/shifts/<uid>/print")
@roles_required(*ROLES)
def shift_print(uid: str) -> ResponseReturnValue:
    view = shift_view(_shift_or_404(uid))
    return render_template("console/shift_print.html", view=view, states=SHIFT_STATES, method_words=method_words, printed_at=now())


@bp.route("/shifts/<uid>/confirm", methods=["POST"])
@roles_required(*CONFIRMERS)
def confirm_shift(uid: str) -> ResponseReturnValue:
    found = _shift_or_404(uid)
    try:
        confirmed = shifts.confirm_shift(db(), found, manager_id=current_user.id, at=now())
    except ShiftError as error:
        flash(refusal(error), "error")
        return redirect(url_for("console.shift_detail", uid=found.uid))
    flash(_("已确认 %(name)s 的班次（差额 %(difference)s 元）。", name=shift_view(confirmed).operator_name,
            difference=yuan(confirmed.difference_fen)), "info")
    return redirect(url_for("console.shift_list"))
