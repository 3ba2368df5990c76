"""``/api/v1/lots/<id>/tariff``: the tariff that prices a lot, with its published text (明码标价)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parking.models import Lot

from ..auth.roles import roles_required
from ..context import db, now
from ..schemas.errors import ErrorSchema
from ..schemas.tariffs import TariffQuerySchema, TariffSchema
from ..tariffs import tariff_in_force
from . import bp
from .errors import abort_json


@bp.route("/lots/<int:lot_id>/tariff")
@roles_required(scope="lots:read")
@bp.arguments(TariffQuerySchema, location="query", as_kwargs=True)
@bp.response(200, TariffSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such lot, or no tariff in force for it")
@bp.doc(tags=["tariffs"], summary="The tariff version in force for a lot, its document and its text in Chinese and English")
def lot_tariff(lot_id: int, at: datetime | None = None) -> Any:
    if db().get(Lot, lot_id) is None:
        abort_json(404, f"lot {lot_id} not found", field="lot_id")
    at = at or now()
    published = tariff_in_force(db(), lot_id, at)
    if published is None:
        abort_json(404, f"lot {lot_id} has no tariff in force at {at.isoformat()}", field="lot_id")
    return published
