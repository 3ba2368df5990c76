"""``/api/v1/lots``: lots with their zones, and a lot's live occupancy from Redis."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from parking.models import Lot, Zone

from ..auth.roles import roles_required
from ..auth.sites import lot_visible, restrict
from ..context import db, store
from ..occupancy import count_lot, load_lots
from ..schemas.lots import LotSchema, OccupancySchema
from . import bp
from .errors import abort_json


def lot_or_404(lot_id: int) -> Lot:
    lots = load_lots(db(), lot_ids=[lot_id]) if lot_visible(lot_id) else []  # another site's lot is not found
    if not lots:
        abort_json(404, f"lot {lot_id} not found", field="lot_id")
    return lots[0]


@bp.route("/lots")
@roles_required(scope="lots:read")
@bp.response(200, LotSchema(many=True))
@bp.doc(tags=["lots"], summary="All lots with their zones and pools")
def list_lots() -> Any:
    return db().scalars(restrict(select(Lot).options(selectinload(Lot.zones).selectinload(Zone.pools)).order_by(Lot.id), Lot.id)).all()


@bp.route("/lots/<int:lot_id>")
@roles_required(scope="lots:read")
@bp.response(200, LotSchema)
@bp.doc(tags=["lots"], summary="One lot")
def get_lot(lot_id: int) -> Any:
    return lot_or_404(lot_id)


@bp.route("/lots/<int:lot_id>/occupancy")
@roles_required(scope="availability:read")
@bp.response(200, OccupancySchema)
@bp.doc(tags=["lots"], summary="Vehicles present, capacity and free spaces per zone, and the lot's total")
def lot_occupancy(lot_id: int) -> Any:
    return count_lot(lot_or_404(lot_id), store())
