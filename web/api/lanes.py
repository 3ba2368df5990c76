"""``/api/v1/lanes``: every lane with its lot, direction and camera serial."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from parking.models import Lane

from ..auth.roles import roles_required
from ..auth.sites import restrict
from ..context import db
from ..queries import camera_serial
from ..schemas.lanes import LaneQuerySchema, LaneSchema
from . import bp
from .lots import lot_or_404


@bp.route("/lanes")
@roles_required(scope="lanes:read")
@bp.arguments(LaneQuerySchema, location="query", as_kwargs=True)
@bp.response(200, LaneSchema(many=True))
@bp.doc(tags=["lanes"], summary="Lanes, optionally of one lot")
def list_lanes(lot_id: int | None = None) -> Any:
    query = restrict(select(Lane).options(selectinload(Lane.devices)).order_by(Lane.lot_id, Lane.id), Lane.lot_id)
    if lot_id is not None:
        lot_or_404(lot_id)
        query = query.where(Lane.lot_id == lot_id)
    return [
        {
            "id": lane.id,
            "lot_id": lane.lot_id,
            "zone_id": lane.zone_id,
            "code": lane.code,
            "name": lane.name,
            "direction": lane.direction.value,
            "enabled": lane.enabled,
            "camera_serial": camera_serial(lane) or None,
        }
        for lane in db().scalars(query)
    ]
