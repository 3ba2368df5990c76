"""The reconciliation page (对账) for managers, auditors and administrators: for each day of a period
(the last fourteen by default, Beijing time, as the platforms cut their bills) and each payment platform,
what the worker or ``parking reconcile-bills`` found when it compared the platform's bill with the ledger
(``parking.services.reconciliation``): clean, every difference with its order and amounts, or why the
bill could not be had. A day of a configured platform not compared yet says so. Read only. An operator
bound to sites sees the differences of their lots' orders (and of orders the ledger does not know).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from parking.models import Lot
from parking.services.reconciliation import BILL_TZ, PLATFORMS, recent

from .. import revenue_sheets as sheets
from ..auth.roles import roles_required
from ..auth.sites import visible_lot_ids
from ..context import db, now
from . import bp

DEFAULT_DAYS = 14
MAX_DAYS = 92
STATUS_WORDS = {"clean": _l("无差异"), "differences": _l("有差异"), "failed": _l("未取得账单")}
KIND_WORDS = {
    "not_in_ledger": _l("平台有、系统无此收款"), "not_in_bill": _l("系统有、平台无此收款"), "amount_differs": _l("收款金额不一致"),
    "other_day": _l("系统记在其他日期"), "refund_not_in_ledger": _l("平台有、系统无此退款"), "refund_not_in_bill": _l("系统有、平台无此退款"),
    "refund_amount_differs": _l("退款金额不一致"), "refund_other_day": _l("退款系统记在其他日期"),
}
LEDGER_STATUS_WORDS = {"pending": _l("待支付"), "closed": _l("已关闭"), "failed": _l("下单失败"), "paid": _l("已支付"),
                       "refunded": _l("已退款")}


def _period() -> tuple[date, date, list[str], dict[str, str]]:
    yesterday = now().astimezone(BILL_TZ).date() - timedelta(days=1)
    first, last, errors = yesterday - timedelta(days=DEFAULT_DAYS - 1), yesterday, []
    text = {name: request.args.get(name, "").strip()[:16] for name in ("from", "to", "method")}
    for name in ("from", "to"):
        if not text[name]:
            continue
        try:
            day = date.fromisoformat(text[name])
        except ValueError:
            errors.append(_("日期“%(field)s”应为 2026-01-31 的格式。", field=name))
            continue
        first, last = (day, last) if name == "from" else (first, day)
    if not errors and last < first:
        errors.append(_("结束日期应不早于开始日期。"))
    elif not errors and (last - first).days + 1 > MAX_DAYS:
        errors.append(_("一次最多查询 %(days)d 天。", days=MAX_DAYS))
    if text["method"] and text["method"] not in PLATFORMS:
        errors.append(_("没有这个支付平台。"))
    return first, last, errors, text


def _shown(row: object) -> tuple[object, list[dict[str, object]]]:
    """A stored day with the differences the caller may see (an operator bound to sites: their lots', and
    those of no known lot)."""
    visible = visible_lot_ids()
    differences = [d for d in row.differences if visible is None or d.get("lot_id") is None or d.get("lot_id") in visible]  # type: ignore[attr-defined]
    return row, differences


@bp.route("/reconciliation")
@roles_required("admin", "manager", "auditor")
def reconciliation() -> ResponseReturnValue:
    first, last, errors, text = _period()
    for error in errors:
        flash(error, "error")
    days: list[tuple[date, list[object]]] = []
    if not errors:
        methods = [text["method"]] if text["method"] else list(PLATFORMS)
        rows = recent(db(), first=first, last=last, methods=methods)
        configured = [m for m in methods if m in current_app.extensions.get("payments", {})]
        by_day: dict[date, dict[str, object]] = {}
        for row in rows:
            by_day.setdefault(row.day, {})[row.method.value] = row
        day = last
        while day >= first:
            found = by_day.get(day, {})
            shown = [_shown(found[method]) if method in found else method for method in methods if method in found or method in configured]
            if shown:
                days.append((day, shown))
            day -= timedelta(days=1)
    lots = dict(db().execute(select(Lot.id, Lot.name)).all())
    return render_template("console/reconciliation.html", days=days, first=first, last=last, text=text, platforms=PLATFORMS,
                           status_words=STATUS_WORDS, kind_words=KIND_WORDS, ledger_status_words=LEDGER_STATUS_WORDS,
                           lots=lots, sheets=sheets, tz=current_app.config["PARKING_SETTINGS"].tz), (400 if errors else 200)
