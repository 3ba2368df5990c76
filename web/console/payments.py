"""The payment pages (收款记录): the list by lot, plate, method, state, stay and day; one payment with what
it paid (the stay's part and arrears paid back), its refunds, and the refund form for managers.

Every signed-in operator reads the payments of the lots they see (another lot's payment is not found);
managers and administrators refund, through ``parking.services.refunds.refund`` (audited; cash is handed
back in the manager's open shift at that lot). A refusal is said in words where the form is.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from parking.models import Lot, Payment
from parking.services import payment_queries, refunds

from ..auth.roles import login_required, roles_required
from ..context import db, now, store
from ..ledger_words import METHODS, PAYMENT_STATES, PURPOSES, REFUND_STATES, refusal, yuan
from ..public.pay_context import providers
from ..queries import paginate
from . import bp
from .ledger_forms import RefundForm
from .passes import lot_argument, visible_ids, visible_lots
from .records import page_argument

REFUNDERS = ("admin", "manager")
PER_PAGE = 30
SESSION_MAX_CHARS = 40


def _day(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10]) if len(text) == 10 else None
    except ValueError:
        return None


@bp.route("/payments")
@login_required
def payments() -> ResponseReturnValue:
    lots = visible_lots()
    lot_id = lot_argument(lots)
    plate = request.args.get("plate", "")[: payment_queries.PLATE_MAX_CHARS]
    method = request.args.get("method", "")
    method = method if method in payment_queries.METHODS else ""
    state = request.args.get("status", "")
    state = state if state in payment_queries.STATUSES else ""
    session_uid = request.args.get("session", "")[:SESSION_MAX_CHARS]
    first, last = _day("from"), _day("to")
    tz = current_app.config["PARKING_SETTINGS"].tz
    since = datetime.combine(first, time(), tz) if first else None
    until = datetime.combine(last + timedelta(days=1), time(), tz) if last else None
    page_number, valid = page_argument()
    query = payment_queries.search(lot_ids=visible_ids(), lot_id=lot_id, plate=plate, method=method, status=state,
                                   session_uid=session_uid, since=since, until=until)
    page = paginate(db(), query, page_number, PER_PAGE, clamp=True)
    if not valid or page.page != page_number:
        flash(_("页码无效或超出范围，显示第 %(page)d 页。", page=page.page), "info")
    filters = {"lot": lot_id, "plate": plate or None, "method": method or None, "status": state or None, "session": session_uid or None,
               "from": first.isoformat() if first else None, "to": last.isoformat() if last else None}
    return render_template("console/payments.html", page=page, lots=lots, lot_names={lot.id: lot.name for lot in lots}, filters=filters,
                           methods=METHODS, states=PAYMENT_STATES, purposes=PURPOSES, tz=tz, yuan=yuan)


def _payment_or_404(uid: str) -> Payment:
    found = payment_queries.find(db(), uid, visible_ids())
    if found is None:
        abort(404)
    return found


def _detail(payment: Payment, form: RefundForm | None = None, status: int = 200) -> ResponseReturnValue:
    lot = db().get(Lot, payment.lot_id)
    return render_template(
        "console/payment.html", view=payment_queries.detail(db(), payment), lot=lot, form=form or RefundForm(formdata=None),
        may_refund=current_user.role in REFUNDERS, methods=METHODS, states=PAYMENT_STATES, purposes=PURPOSES,
        refund_states=REFUND_STATES, tz=current_app.config["PARKING_SETTINGS"].tz, yuan=yuan,
    ), status


@bp.route("/payments/<string(length=32):uid>")
@login_required
def payment_detail(uid: str) -> ResponseReturnValue:
    return _detail(_payment_or_404(uid))


@bp.route("/payments/<string(length=32):uid>/refund", methods=["POST"])
@roles_required(*REFUNDERS)
def refund_payment(uid: str) -> ResponseReturnValue:
    payment = _payment_or_404(uid)
    form = RefundForm()
    if not form.validate_on_submit():
        return _detail(payment, form, 422)
    try:
        row = refunds.refund(db(), store(), providers(), uid, amount_fen=form.fen, reason=form.reason.data or "",
                             operator_id=current_user.id, at=now())
    except refunds.RefundError as error:
        form.amount.errors = [refusal(error)] if error.field == "amount_fen" else []
        if error.field != "amount_fen":
            flash(refusal(error), "error")
        return _detail(_payment_or_404(uid), form, 409 if error.code in {"not_paid", "no_shift", "provider"} else 422)
    words = _("已退款 %(amount)s 元。", amount=yuan(row.amount_fen)) if row.status.value == "refunded" else \
        _("退款 %(amount)s 元已提交，等待支付平台处理。", amount=yuan(row.amount_fen))
    flash(words, "info")
    return redirect(url_for("console.payment_detail", uid=uid))
