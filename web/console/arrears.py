"""The arrears page (欠费): what cars owe after leaving unpaid, by lot and plate, with how old it is (0–7,
8–30, 31–90, more than 90 days) and, for managers, writing one off with a reason.

Managers and administrators act; attendants and auditors read. An operator bound to sites sees only
their lots' arrears (another lot's row is not found). Writing off goes through
``parking.services.arrears.waive_arrears`` (audited, felt at the lanes at once); a refusal is said in words.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from parking.models import Arrears
from parking.services import arrears, arrears_queries

from ..auth.roles import roles_required
from ..auth.sites import lot_visible
from ..context import db, now, store
from ..ledger_words import AGE_BANDS, ARREARS_STATES, refusal, yuan
from ..queries import paginate
from . import bp
from .ledger_forms import WaiveForm
from .passes import lot_argument, visible_ids, visible_lots
from .records import page_argument

READERS = ("admin", "manager", "attendant")
WRITERS = ("admin", "manager")
PER_PAGE = 30


def _page(form: WaiveForm | None = None, failed_uid: str = "", status: int = 200) -> ResponseReturnValue:
    lots = visible_lots()
    lot_id = lot_argument(lots)
    plate = request.args.get("plate", "")[: arrears_queries.PLATE_MAX_CHARS]
    state = request.args.get("status", "open")
    state = state if state in arrears_queries.STATUSES or state == "all" else "open"
    page_number, valid = page_argument()
    query = arrears_queries.search(lot_ids=visible_ids(), lot_id=lot_id, plate=plate, status="" if state == "all" else state)
    page = paginate(db(), query, page_number, PER_PAGE, clamp=True)
    if not valid or page.page != page_number:
        flash(_("页码无效或超出范围，显示第 %(page)d 页。", page=page.page), "info")
    tz = current_app.config["PARKING_SETTINGS"].tz
    bands = arrears_queries.ageing(db(), now(), tz, lot_ids=visible_ids(), lot_id=lot_id, plate=plate)
    ages = {row.id: arrears_queries.age_days(row.created_at, now(), tz) for row in page.items}
    return render_template(
        "console/arrears.html", page=page, lots=lots, lot_id=lot_id, plate=plate, state=state, bands=bands,
        owed_fen=arrears_queries.owed_total(bands), ages=ages, lot_names={lot.id: lot.name for lot in lots},
        paid_back=arrears_queries.paid_back_by(db(), [row.id for row in page.items]), states=ARREARS_STATES, band_words=AGE_BANDS,
        may_waive=current_user.role in WRITERS, form=form or WaiveForm(formdata=None), failed_uid=failed_uid, tz=tz, yuan=yuan,
    ), status


@bp.route("/arrears")
@roles_required(*READERS)
def arrears_page() -> ResponseReturnValue:
    return _page()


@bp.route("/arrears/<string(length=32):uid>/waive", methods=["POST"])
@roles_required(*WRITERS)
def waive_arrears(uid: str) -> ResponseReturnValue:
    row = db().scalar(select(Arrears).where(Arrears.uid == uid))
    if row is None or not lot_visible(row.lot_id):
        abort(404)
    form = WaiveForm()
    if not form.validate_on_submit():
        return _page(form, uid, 422)
    try:
        waived = arrears.waive_arrears(db(), store(), uid, reason=form.reason.data or "", operator_id=current_user.id, at=now())
    except arrears.ArrearsError as error:
        flash(refusal(error), "error")
    else:
        flash(_("已减免 %(plate)s 的欠费 %(amount)s 元。", plate=waived.plate, amount=yuan(waived.amount_fen - waived.paid_fen)), "info")
    return redirect(url_for("console.arrears_page", **request.args))
