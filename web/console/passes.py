"""The pass pages (月卡与通行证), for administrators and managers: the list with search, state and days
left; issuing a pass from a product; one pass with its history and the forms that renew it, change its
plates or holder, suspend or resume it; ending it with the refund shown before confirming; the passes
running out soon.

Every change goes through ``parking.services.passes`` (checked, audited, felt at the lanes at once); a
refusal is shown under the field it names, in the page's language. An operator bound to sites sees only
their lots' passes (another lot's pass is not found). Import and export are ``pass_files``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import Form

from parking.models import AuditEvent, Lot, Operator, ParkingPass, PassKind, PassProduct
from parking.services import pass_products, pass_queries, passes
from parking.services.config_changes import ConfigChangeError

from ..auth.roles import roles_required
from ..auth.sites import lot_visible, restrict, visible_lot_ids
from ..context import db, now, store
from ..queries import paginate
from ..service_errors import explain
from . import bp
from .pass_forms import EndForm, PassIssueForm, PlatesForm, ReasonForm, RenewForm
from .pass_forms import HolderFields as HolderForm
from .records import page_argument

ROLES = ("admin", "manager")
PER_PAGE = 30
HISTORY_ROWS = 50


def visible_lots() -> list[Lot]:
    return list(db().scalars(restrict(select(Lot).order_by(Lot.id), Lot.id)))


def visible_ids() -> list[int] | None:
    """The ids of the lots the caller sees, sorted; None: every lot."""
    visible = visible_lot_ids()
    return None if visible is None else sorted(visible)


def lot_argument(lots: list[Lot], name: str = "lot") -> int | None:
    """The lot the query names, if it is one the caller sees; anything else: no lot filter."""
    text = request.args.get(name, "")
    lot_id = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None
    return lot_id if lot_id in {lot.id for lot in lots} else None


def show_refusal(form: Form, error: ConfigChangeError, fields: dict[str, str] | None = None) -> None:
    """Put a service's refusal under the field it names (``plates[2]`` under plates), or at the top."""
    name = (fields or {}).get(error.field, error.field.split("[", 1)[0])
    field = getattr(form, name, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, explain(error)]
    else:
        flash(explain(error), "error")


def pass_or_404(pass_id: int) -> ParkingPass:
    found = db().get(ParkingPass, pass_id)
    if found is None or not lot_visible(found.lot_id):
        abort(404)
    return found


def local_today() -> date:
    return now().astimezone(current_app.config["PARKING_SETTINGS"].tz).date()


@bp.route("/passes", endpoint="passes")
@roles_required(*ROLES)
def passes_page() -> ResponseReturnValue:
    lots = visible_lots()
    lot_id = lot_argument(lots)
    status = request.args.get("status", "")
    status = status if status in pass_queries.FILTERS else ""
    text = request.args.get("q", "")[: pass_queries.SEARCH_MAX_CHARS]
    page_number, valid = page_argument()
    query = pass_queries.search(now=now(), lot_id=lot_id, lot_ids=visible_ids(), text=text, status=status)
    page = paginate(db(), query, page_number, PER_PAGE, clamp=True)
    if not valid or page.page != page_number:
        flash(_("页码无效或超出范围，显示第 %(page)d 页。", page=page.page), "info")
    return render_template(
        "console/passes.html", page=page, rows=pass_queries.rows(db(), page.items, now()), lots=lots, lot_id=lot_id,
        status=status, q=text, statuses=pass_queries.FILTERS, products=_product_names(),
    )


def _product_names() -> dict[int, str]:
    return {p.id: p.name for p in pass_products.products(db(), lot_ids=visible_ids())}


def _product_choices(*, lot_id: int | None = None, kind: PassKind | None = None, active_only: bool = True) -> list[tuple[int, str]]:
    lots = {lot.id: lot.name for lot in visible_lots()}
    found = pass_products.products(db(), lot_id=lot_id, lot_ids=sorted(lots), active_only=active_only)
    return [(p.id, f"{lots[p.lot_id]} · {p.name}（{p.price_fen // 100}.{p.price_fen % 100:02d}{_('元')}/{p.period_months}{_('个月')}）")
            for p in found if kind is None or PassKind(p.kind) == kind]


@bp.route("/passes/new", methods=["GET", "POST"])
@roles_required(*ROLES)
def new_pass() -> ResponseReturnValue:
    form = PassIssueForm()
    form.product_id.choices = _product_choices()
    status = 200 if request.method == "GET" else 422
    if request.method == "GET":
        form.start.data = local_today()
        if request.args.get("product", "").isdigit():
            form.product_id.data = int(request.args["product"][:10])
    if form.validate_on_submit():
        request_ = passes.IssueRequest(product_id=form.product_id.data, holder=form.holder.data, plates=form.plates.plates(),
                                       start=form.start.data, periods=form.periods.data, phone=form.phone.data or "",
                                       household=form.household.data or "", note=form.note.data or "")
        try:
            issued = passes.issue(db(), store(), request_, operator_id=current_user.id, now=now())
        except ConfigChangeError as error:
            show_refusal(form, error)
        else:
            flash(_("已为 %(holder)s 办理通行证，应收 %(amount)s 元。", holder=issued.holder, amount=_yuan(issued.price_fen)), "info")
            return redirect(url_for("console.pass_detail", pass_id=issued.id))
    return render_template("console/pass_new.html", form=form, has_products=bool(form.product_id.choices)), status


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _history(pass_id: int) -> list[tuple[AuditEvent, str]]:
    events = list(db().scalars(select(AuditEvent).where(AuditEvent.target == f"pass {pass_id}").order_by(AuditEvent.id.desc()).limit(HISTORY_ROWS)))
    names = dict(db().execute(select(Operator.id, Operator.display_name).where(Operator.id.in_({e.operator_id for e in events if e.operator_id}))).all())
    return [(e, names.get(e.operator_id, "") if e.operator_id else "") for e in events]


def _detail(p: ParkingPass, **forms: Any) -> ResponseReturnValue:
    renew = forms.get("renew") or RenewForm(formdata=None)
    renew.product_id.choices = [(0, _("本卡产品"))] * (p.product_id is not None) + _product_choices(lot_id=p.lot_id, kind=PassKind(p.kind))
    plates = forms.get("plates") or PlatesForm(formdata=None, plates=", ".join(sorted(pp.plate for pp in p.plates)))
    holder = forms.get("holder") or HolderForm(formdata=None, obj=p)
    reason = forms.get("reason") or ReasonForm(formdata=None)
    (row,) = pass_queries.rows(db(), [p], now())
    product = db().get(PassProduct, p.product_id) if p.product_id else None
    status = 422 if any(f.errors for f in forms.values() if f is not None) else 200
    return render_template("console/pass_detail.html", row=row, p=p, product=product, renew_form=renew, plates_form=plates,
                           holder_form=holder, reason_form=reason, history=_history(p.id)), status


@bp.route("/passes/<int:pass_id>", methods=["GET", "POST"])
@roles_required(*ROLES)
def pass_detail(pass_id: int) -> ResponseReturnValue:
    p = pass_or_404(pass_id)
    if request.method == "GET":
        return _detail(p)
    action = request.form.get("action", "")
    operator, moment = current_user.id, now()
    try:
        if action == "renew":
            form = RenewForm()
            form.product_id.choices = [(0, "")] + _product_choices(lot_id=p.lot_id, kind=PassKind(p.kind))
            if not form.validate():
                return _detail(p, renew=form)
            try:
                result = passes.renew(db(), store(), p.id, form.periods.data, product_id=form.product_id.data or None, operator_id=operator, now=moment)
            except ConfigChangeError as error:
                show_refusal(form, error)
                return _detail(p, renew=form)
            (row,) = pass_queries.rows(db(), [result.parking_pass], moment)
            flash(_("已续费 %(periods)d 期，应收 %(amount)s 元，有效期至 %(day)s。", periods=form.periods.data, amount=_yuan(result.charged_fen),
                    day=row.last_day.isoformat()), "info")
        elif action == "plates":
            form = PlatesForm()
            if not form.validate():
                return _detail(p, plates=form)
            try:
                passes.change_plates(db(), store(), p.id, form.plates.plates(), operator_id=operator, now=moment)
            except ConfigChangeError as error:
                show_refusal(form, error)
                return _detail(p, plates=form)
            flash(_("车牌已更新。"), "info")
        elif action == "holder":
            form = HolderForm()
            if not form.validate():
                return _detail(p, holder=form)
            try:
                passes.update_holder(db(), store(), p.id, holder=form.holder.data, phone=form.phone.data or "", household=form.household.data or "",
                                     note=form.note.data or "", operator_id=operator, now=moment)
            except ConfigChangeError as error:
                show_refusal(form, error)
                return _detail(p, holder=form)
            flash(_("持有人信息已保存。"), "info")
        elif action in ("suspend", "resume"):
            form = ReasonForm()
            if not form.validate():
                return _detail(p, reason=form)
            if action == "suspend":
                passes.suspend(db(), store(), p.id, reason=form.reason.data or "", operator_id=operator, now=moment)
                flash(_("已暂停：此卡暂不能入场。"), "info")
            else:
                passes.resume(db(), store(), p.id, operator_id=operator, now=moment)
                flash(_("已恢复：此卡可以入场。"), "info")
        else:
            flash(_("请选择要进行的操作。"), "error")
    except ConfigChangeError as error:  # the pass was ended or suspended meanwhile
        flash(explain(error), "error")
    return redirect(url_for("console.pass_detail", pass_id=p.id))


@bp.route("/passes/<int:pass_id>/end", methods=["GET", "POST"])
@roles_required(*ROLES)
def end_pass(pass_id: int) -> ResponseReturnValue:
    p = pass_or_404(pass_id)
    if p.ended_at is not None:
        flash(_("此卡已终止，不能再更改。"), "error")
        return redirect(url_for("console.pass_detail", pass_id=p.id))
    quote = passes.refund_quote(db(), p.id, now())
    form = EndForm()
    if request.method == "GET":
        form.refund_fen.data = str(quote.refund_fen)
    elif form.validate_on_submit():
        if form.refund.data and form.refund_fen.data != str(quote.refund_fen):
            # A day went by since the page was shown: confirm the amount that will be recorded.
            flash(_("退款金额已按现在重新计算，请核对后再次确认。"), "error")
            form.refund_fen.data = str(quote.refund_fen)
        else:
            try:
                result = passes.end(db(), store(), p.id, refund=bool(form.refund.data), reason=form.reason.data or "",
                                    operator_id=current_user.id, now=now())
            except ConfigChangeError as error:
                flash(explain(error), "error")
                return redirect(url_for("console.pass_detail", pass_id=p.id))
            if result.refund is not None:
                flash(_("此卡已终止，应退 %(amount)s 元（剩余 %(days)d 天）。", amount=_yuan(result.refund.refund_fen),
                        days=result.refund.remaining_days), "info")
            else:
                flash(_("此卡已终止，不退款。"), "info")
            return redirect(url_for("console.pass_detail", pass_id=p.id))
    (row,) = pass_queries.rows(db(), [p], now())
    return render_template("console/pass_end.html", p=p, row=row, quote=quote, form=form)


@bp.route("/passes/expiring")
@roles_required(*ROLES)
def expiring_passes() -> ResponseReturnValue:
    lots = visible_lots()
    lot_id = lot_argument(lots)
    days_text = request.args.get("days", "")
    days = int(days_text) if days_text.isascii() and days_text.isdigit() and len(days_text) <= 3 and int(days_text) <= 366 else None
    if days_text and days is None:
        flash(_("天数应为 0 到 366 之间的整数，已按各停车场的提醒天数显示。"), "error")
    rows = pass_queries.expiring(db(), now(), lot_id=lot_id, lot_ids=visible_ids(), days=days)
    return render_template("console/passes_expiring.html", rows=rows, lots=lots, lot_id=lot_id, days=days, products=_product_names())
