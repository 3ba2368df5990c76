"""``/api/v1/passes``: passes and their plates, for administrators and managers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from parking.models import ParkingPass

from ..auth.roles import roles_required
from ..context import db
from ..schemas.passes import PassSchema
from . import bp


@bp.route("/passes")
@roles_required("admin", "manager", scope="passes:read")
@bp.response(200, PassSchema(many=True))
@bp.doc(tags=["passes"], summary="All passes with their plates (administrators and managers)")
def list_passes() -> Any:
    return db().scalars(select(ParkingPass).options(selectinload(ParkingPass.plates)).order_by(ParkingPass.lot_id, ParkingPass.id)).all()
