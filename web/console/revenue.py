"""The revenue page (营收报表) for managers, auditors and administrators: a period of days and a lot
chosen, the figures of ``parking.services.revenue`` in cards, charts (Chart.js, vendored) and tables by
day, lot, lane, operator and payment method, and the same figures as CSV and Excel (``web.revenue_sheets``).

The period is two dates, ``from`` and ``to`` (both included), read in each lot's time zone; without them
it is this month up to today (in ``PARKING_TIMEZONE``). An operator bound to sites sees their lots only:
a lot of another site is refused as unknown. A filter that cannot be read is named in a message and
the page answers 400 without figures (an export answers 400 with the messages as text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import Response, current_app, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from parking.models import Lot
from parking.services.revenue import MAX_DAYS, RevenueReport, revenue_report
from parking.services.spreadsheets import CONTENT_TYPES

from .. import revenue_sheets as sheets
from ..auth.roles import roles_required
from ..auth.sites import restrict, visible_lot_ids
from ..context import db, now
from . import bp

READERS = ("admin", "manager", "auditor")


@dataclass
class Period:
    first: date
    last: date
    lot_id: int | None = None
    text: dict[str, str] = field(default_factory=dict)  # as given, to fill the form again
    errors: list[str] = field(default_factory=list)

    def arguments(self) -> dict[str, str]:
        return {key: value for key, value in self.text.items() if value}


def _lots() -> list[Lot]:
    return list(db().scalars(restrict(select(Lot).order_by(Lot.id), Lot.id)))


def read_period(lots: list[Lot]) -> Period:
    today = now().astimezone(current_app.config["PARKING_SETTINGS"].tz).date()
    chosen = Period(today.replace(day=1), today)
    for name in ("from", "to", "lot"):
        chosen.text[name] = request.args.get(name, "").strip()[:16]
    for name in ("from", "to"):
        text = chosen.text[name]
        if not text:
            continue
        try:
            day = date.fromisoformat(text)
        except ValueError:
            chosen.errors.append(_("日期“%(field)s”应为 2026-01-31 的格式。", field=name))
            continue
        if name == "from":
            chosen.first = day
        else:
            chosen.last = day
    if chosen.text["from"] and not chosen.text["to"] and chosen.first > chosen.last:
        chosen.last = chosen.first
    if not chosen.errors and chosen.last < chosen.first:
        chosen.errors.append(_("结束日期应不早于开始日期。"))
    elif not chosen.errors and (chosen.last - chosen.first).days + 1 > MAX_DAYS:
        chosen.errors.append(_("一次最多查询 %(days)d 天。", days=MAX_DAYS))
    lot_text = chosen.text["lot"]
    if lot_text:
        known = {str(lot.id): lot.id for lot in lots}
        if lot_text not in known:
            chosen.errors.append(_("没有这个停车场。"))
        else:
            chosen.lot_id = known[lot_text]
    return chosen


def report_of(chosen: Period) -> RevenueReport:
    visible = visible_lot_ids()
    lot_ids = [chosen.lot_id] if chosen.lot_id is not None else (sorted(visible) if visible is not None else None)
    return revenue_report(db(), chosen.first, chosen.last, lot_ids=lot_ids, default_tz=current_app.config["PARKING_SETTINGS"].timezone)


def chart_data(report: RevenueReport) -> dict[str, object]:
    """What ``revenue.js`` draws: received by method per day (stacked) with receivable and net, and the
    period's received by method. Amounts in yuan as numbers with two decimals."""
    days = sorted(report.days.items())
    series = []
    for key in (*sheets.SHOWN_METHODS, "other"):
        values = [sheets.figure_values(figures)[key] or 0 for _day, figures in days]
        series.append({"key": key, "label": _("其他方式") if key == "other" else sheets.method_word(key),
                       "values": [float(sheets.yuan(v)) for v in values]})
    return {
        "labels": [day.isoformat() for day, _figures in days],
        "received": series,
        "receivable": {"label": _("应收"), "values": [float(sheets.yuan(f.receivable_fen)) for _day, f in days]},
        "net": {"label": _("净收入"), "values": [float(sheets.yuan(f.net_fen)) for _day, f in days]},
        "methods": [{"label": sheets.method_word(method), "value": float(sheets.yuan(f.received_fen))} for method, f in report.method_rows()],
        "unit": _("元"),
    }


@bp.route("/revenue")
@roles_required(*READERS)
def revenue() -> ResponseReturnValue:
    lots = _lots()
    chosen = read_period(lots)
    for error in chosen.errors:
        flash(error, "error")
    report = None if chosen.errors else report_of(chosen)
    return render_template(
        "console/revenue.html", chosen=chosen, lots=lots, report=report, chart=chart_data(report) if report else None,
        sheets=sheets, columns=sheets.figure_columns(), discount_words=sheets.DISCOUNT_WORDS,
    ), (400 if chosen.errors else 200)


@bp.route("/revenue.csv")
@roles_required(*READERS)
def revenue_csv() -> ResponseReturnValue:
    return _export("csv")


@bp.route("/revenue.xlsx")
@roles_required(*READERS)
def revenue_xlsx() -> ResponseReturnValue:
    return _export("xlsx")


def _export(fmt: str) -> ResponseReturnValue:
    chosen = read_period(_lots())
    if chosen.errors:
        return Response("\n".join(chosen.errors) + "\n", status=400, mimetype="text/plain")
    report = report_of(chosen)
    data = sheets.csv_bytes(report) if fmt == "csv" else sheets.xlsx_bytes(report, now())
    name = f"revenue-{chosen.first.isoformat()}-{chosen.last.isoformat()}.{fmt}"
    return Response(data, content_type=CONTENT_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})
