"""``/api/v1/reports/revenue`` and ``/api/v1/reports/reconciliation``: the revenue report and the stored
daily bill reconciliations, for managers, auditors and administrators, or a token with ``reports:read``.

The revenue report is the console's and ``parking report revenue``'s (``parking.services.revenue``): the
same period (``from`` and ``to``, days in each lot's time zone, both included) and lot, the same
figures, every amount in integer fen. A lot of another site is not found (404 naming ``lot_id``); a
period that ends before it begins or is too long is a 422 naming ``to``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app

from parking.services.reconciliation import PLATFORMS, recent
from parking.services.revenue import ReportError, check_period, revenue_report

from ..auth.roles import roles_required
from ..auth.sites import visible_lot_ids
from ..context import db
from ..schemas.errors import ErrorSchema
from ..schemas.reports import ReconciliationQuerySchema, ReconciliationSchema, RevenueQuerySchema, RevenueSchema
from . import bp
from .errors import abort_json
from .lots import lot_or_404

READERS = ("admin", "manager", "auditor")
RECONCILIATION_MAX_DAYS = 92


@bp.route("/reports/revenue", methods=["GET"])
@roles_required(*READERS, scope="reports:read")
@bp.arguments(RevenueQuerySchema, location="query", as_kwargs=True)
@bp.response(200, RevenueSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such lot (`lot_id`)")
@bp.alt_response(422, schema=ErrorSchema, description="A day that does not read, or a period that ends before it begins or is too long")
@bp.doc(tags=["reports"], summary="Revenue by day, lot, lane, operator and method: receivable, received, discounts, arrears, refunds, net")
def revenue_report_api(first: date, last: date, lot_id: int | None = None) -> Any:
    try:
        check_period(first, last)
    except ReportError as exc:
        abort_json(422, exc.message, field=exc.field)
    if lot_id is not None:
        lot_or_404(lot_id)
        lot_ids: list[int] | None = [lot_id]
    else:
        visible = visible_lot_ids()
        lot_ids = sorted(visible) if visible is not None else None
    report = revenue_report(db(), first, last, lot_ids=lot_ids, default_tz=current_app.config["PARKING_SETTINGS"].timezone)
    return report.as_json()


@bp.route("/reports/reconciliation", methods=["GET"])
@roles_required(*READERS, scope="reports:read")
@bp.arguments(ReconciliationQuerySchema, location="query", as_kwargs=True)
@bp.response(200, ReconciliationSchema(many=True))
@bp.alt_response(422, schema=ErrorSchema, description="A day or method that does not read, or a period too long")
@bp.doc(tags=["reports"], summary="The daily reconciliations of the payment platforms' bills with the ledger, newest day first")
def reconciliation_api(first: date, last: date, method: str | None = None) -> Any:
    if last < first:
        abort_json(422, f"the period ends ({last.isoformat()}) before it begins ({first.isoformat()})", field="to")
    if (last - first).days + 1 > RECONCILIATION_MAX_DAYS:
        abort_json(422, f"at most {RECONCILIATION_MAX_DAYS} days at once", field="to")
    if method is not None and method not in PLATFORMS:
        abort_json(422, f"{method!r} is not one of {', '.join(PLATFORMS)}", field="method")
    rows = recent(db(), first=first, last=last, methods=[method] if method else None)
    visible = visible_lot_ids()
    plain = [name for name in ReconciliationSchema().fields if name not in {"method", "status", "differences"}]
    return [{**{name: getattr(row, name) for name in plain}, "method": row.method.value, "status": row.status.value,
             "differences": [d for d in row.differences if visible is None or d.get("lot_id") is None or d["lot_id"] in visible]}
            for row in rows]
