"""The whitelist and blacklist page (黑白名单) and the visitor registrations page (访客登记).

Every operator sees the lists (an attendant must know why a car is refused); administrators and managers
add, change and remove entries, for one lot or, when bound to no site, for every lot. Attendants,
managers and administrators register visitors and cancel registrations. Each change goes through
``parking.services.lists`` or ``visitors`` (plate parsed, audited with who did it, felt at the lanes at
once); a refusal is shown under the field it names.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import Field

from parking.models import ListEntry, ListKind, Operator, Visitor
from parking.pass_terms import local_midnight
from parking.services import lists, visitors
from parking.services.config_changes import ConfigChangeError
from parking.services.fact_changes import FIRST_YEAR, LAST_YEAR

from ..auth.roles import roles_required
from ..auth.sites import lot_visible, visible_lot_ids
from ..context import db, now, store
from ..service_errors import explain
from . import bp
from .pass_forms import ListEntryForm, VisitorForm
from .passes import lot_argument, show_refusal, visible_ids, visible_lots

WRITERS = ("admin", "manager")
VISITOR_ROLES = ("attendant", "manager", "admin")
EVERY_LOT = 0
DEFAULT_VISIT = timedelta(hours=4)


def _list_form() -> ListEntryForm:
    form = ListEntryForm()
    lots = [(lot.id, lot.name) for lot in visible_lots()]
    form.lot_id.choices = ([(EVERY_LOT, _("全部停车场"))] if visible_lot_ids() is None else []) + lots
    form.kind.choices = [("blacklist", _("黑名单")), ("whitelist", _("白名单"))]
    return form


def _in_range(field: Field) -> bool:
    """A date or time field's value, when given, is in the years an operator may give; else its error is set."""
    value = field.data
    if value is None or FIRST_YEAR <= value.year <= LAST_YEAR:
        return True
    field.errors = [*field.errors, _("时间应在 2000 年至 2099 年之间。")]
    return False


def _operator_names(ids: set[int]) -> dict[int, str]:
    return dict(db().execute(select(Operator.id, Operator.display_name).where(Operator.id.in_(ids))).all()) if ids else {}


@bp.route("/lists", methods=["GET", "POST"])
@roles_required()
def lists_page() -> ResponseReturnValue:
    form = _list_form()
    status = 200
    if request.method == "POST":
        if current_user.role not in WRITERS:
            abort(403)
        action = request.form.get("action", "add")
        if action == "remove":
            return _remove_entry()
        if form.validate() and _in_range(form.expires_on):
            lot_id = form.lot_id.data or None
            expires_at = local_midnight(form.expires_on.data + timedelta(days=1), current_app.config["PARKING_SETTINGS"].tz) if form.expires_on.data else None
            try:
                entry = lists.add(db(), store(), lot_id=lot_id, plate=form.plate.data, kind=form.kind.data, reason=form.reason.data,
                                  expires_at=expires_at, operator_id=current_user.id, now=now())
            except ConfigChangeError as error:
                show_refusal(form, error, {"expires_at": "expires_on"})
            else:
                flash(_("已将 %(plate)s 加入%(list)s。", plate=entry.plate, list=_("黑名单") if entry.kind == ListKind.BLACKLIST else _("白名单")), "info")
                return redirect(url_for("console.lists_page"))
        status = 422
    lots = visible_lots()
    lot_id = lot_argument(lots)
    kind = request.args.get("kind", "")
    kind = kind if kind in {k.value for k in ListKind} else ""
    text = request.args.get("q", "")[: lists.SEARCH_MAX_CHARS]
    expired = request.args.get("expired") == "1"
    entries = lists.entries(db(), now=now(), lot_id=lot_id, lot_ids=visible_ids(), kind=kind, text_filter=text, include_expired=expired)
    names = _operator_names({e.created_by_id for e in entries if e.created_by_id})
    return render_template("console/lists.html", form=form, entries=entries, names=names, lots=lots, lot_id=lot_id, kind=kind, q=text,
                           expired=expired, now=now(), may_change=current_user.role in WRITERS, every_site=visible_lot_ids() is None), status


def _remove_entry() -> ResponseReturnValue:
    text = request.form.get("entry_id", "")
    entry = db().get(ListEntry, int(text)) if text.isascii() and text.isdigit() and len(text) <= 10 else None
    if entry is None or not (entry.lot_id is None or lot_visible(entry.lot_id)):
        flash(_("名单记录不存在。"), "error")
    elif entry.lot_id is None and visible_lot_ids() is not None:
        flash(_("此记录适用于全部停车场，只有管理全部场地的操作员可以移除。"), "error")
    else:
        plate = entry.plate
        lists.remove(db(), store(), entry.id, operator_id=current_user.id, now=now())
        flash(_("已将 %(plate)s 移出名单。", plate=plate), "info")
    return redirect(url_for("console.lists_page"))


def _visitor_form() -> VisitorForm:
    form = VisitorForm()
    form.lot_id.choices = [(lot.id, lot.name) for lot in visible_lots()]
    return form


def _local(value: datetime | None) -> datetime | None:
    """A datetime-local field's value, in the app's time zone."""
    return None if value is None else value.replace(tzinfo=current_app.config["PARKING_SETTINGS"].tz)


@bp.route("/visitors", methods=["GET", "POST"])
@roles_required(*VISITOR_ROLES)
def visitors_page() -> ResponseReturnValue:
    form = _visitor_form()
    status = 200
    tz = current_app.config["PARKING_SETTINGS"].tz
    if request.method == "GET":
        form.valid_until.data = (now() + DEFAULT_VISIT).astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)
    elif request.form.get("action") == "cancel":
        return _cancel_visit()
    elif form.validate() and _in_range(form.valid_from) and _in_range(form.valid_until):
        try:
            visitor = visitors.register(db(), store(), lot_id=form.lot_id.data, plate=form.plate.data, host=form.host.data,
                                        valid_from=_local(form.valid_from.data), valid_until=_local(form.valid_until.data),  # type: ignore[arg-type]
                                        operator_id=current_user.id, now=now())
        except ConfigChangeError as error:
            show_refusal(form, error)
            status = 422
        else:
            flash(_("已登记访客 %(plate)s（%(host)s），%(until)s 前可入场。", plate=visitor.plate, host=visitor.host,
                    until=visitor.valid_until.astimezone(tz).strftime("%m-%d %H:%M")), "info")
            return redirect(url_for("console.visitors_page"))
    else:
        status = 422
    lots = visible_lots()
    lot_id = lot_argument(lots)
    text = request.args.get("q", "")[: visitors.SEARCH_MAX_CHARS]
    past = request.args.get("past") == "1"
    found = visitors.visitors(db(), now=now(), lot_id=lot_id, lot_ids=visible_ids(), text_filter=text, include_past=past)
    names = _operator_names({v.created_by_id for v in found if v.created_by_id})
    lot_names = {lot.id: lot.name for lot in lots}
    return render_template("console/visitors.html", form=form, visitors=found, names=names, lots=lots, lot_names=lot_names, lot_id=lot_id,
                           q=text, past=past, now=now()), status


def _cancel_visit() -> ResponseReturnValue:
    text = request.form.get("visitor_id", "")
    visitor = db().get(Visitor, int(text)) if text.isascii() and text.isdigit() and len(text) <= 10 else None
    if visitor is None or not lot_visible(visitor.lot_id):
        flash(_("访客登记不存在。"), "error")
        return redirect(url_for("console.visitors_page"))
    plate = visitor.plate
    try:
        visitors.cancel(db(), store(), visitor.id, operator_id=current_user.id, now=now())
    except ConfigChangeError as error:
        flash(explain(error), "error")
    else:
        flash(_("已取消访客 %(plate)s 的登记。", plate=plate), "info")
    return redirect(url_for("console.visitors_page"))
