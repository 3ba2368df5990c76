"""``/api/v1/lots/<id>/fee``: what a parked car would pay if it left at a given moment.

The quote is ``parking.services.fees.fee_if_leaving``, the exit decision without the exit, so the
amount is the one the exit lane would ask. The lot is priced by the tariff in force at that moment,
as the lanes load it, and times are given back in the lot's time zone, as the quote's lines are.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from parking.context import LotContext
from parking.plates import Plate
from parking.services.fees import ExitBeforeEntryError, FeeEstimate, NotParkedError, fee_if_leaving
from parking.services.site import load_lots
from parking.tariffs.stay import fen_to_yuan

from ..auth.roles import roles_required
from ..auth.sites import lot_visible
from ..context import db, now, store
from ..schemas.errors import ErrorSchema
from ..schemas.fees import FeeQuerySchema, FeeQuoteSchema
from . import bp
from .errors import abort_json


# A quote has a line per period billed: one for a moment decades ahead would be megabytes of lines.
MAX_DAYS_AHEAD = 366


def _minute(moment: datetime) -> int:
    return math.floor(moment.timestamp() / 60)


def lot_context(lot_id: int, at: datetime) -> LotContext:
    """The lot as a lane sees it at ``at``: time zone, policy, tariff in force, calendar, zones."""
    lots = load_lots(db(), current_app.config["PARKING_SETTINGS"].timezone, at, lot_id=lot_id)
    if lot_id not in lots or not lot_visible(lot_id):  # another site's lot is not found
        abort_json(404, f"lot {lot_id} not found", field="lot_id")
    return lots[lot_id]


def fee_document(estimate: FeeEstimate, lot: LotContext) -> dict[str, Any]:
    plan = estimate.plan
    return {
        "plate": estimate.plate,
        "lot_id": estimate.lot_id,
        "entry_at": estimate.entry_at.astimezone(lot.tz),
        "at": estimate.at.astimezone(lot.tz),
        "duration_minutes": _minute(estimate.at) - _minute(estimate.entry_at),
        "due_fen": estimate.due_fen,
        "due_yuan": fen_to_yuan(estimate.due_fen),
        "arrears_fen": plan.arrears_fen,
        "reason": plan.reason,
        "vehicle_class": plan.vehicle_class,
        "tariff": plan.quote.tariff_id if plan.quote else None,
        "lines": list(plan.quote.lines) if plan.quote else [],
    }


@bp.route("/lots/<int:lot_id>/fee")
@roles_required(scope="sessions:read")
@bp.arguments(FeeQuerySchema, location="query", as_kwargs=True)
@bp.response(200, FeeQuoteSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such lot, or the plate is not parked in it (`field` says which)")
@bp.alt_response(422, schema=ErrorSchema, description=f"A bad argument, or `at` before the entry or more than {MAX_DAYS_AHEAD} days ahead")
@bp.doc(tags=["fees"], summary="The fee a parked car would pay if it left at a given moment (now by default)")
def lot_fee(lot_id: int, plate: Plate, at: datetime | None = None) -> Any:
    current = now()
    at = at or current
    if at > current + timedelta(days=MAX_DAYS_AHEAD):
        abort_json(422, f"at: more than {MAX_DAYS_AHEAD} days ahead; a fee is quoted for leaving within a year", field="at")
    lot = lot_context(lot_id, at)
    try:
        estimate = fee_if_leaving(store(), lot, plate, at)
    except NotParkedError as error:
        abort_json(404, str(error), field="plate")
    except ExitBeforeEntryError as error:
        abort_json(422, str(error), field="at")
    return fee_document(estimate, lot)
