"""``/api/v1/public/availability``: the public, ParkAPI-style feed of free spaces. No sign-in, no
personal data: lots marked public, their counts, coordinates and pools."""

from __future__ import annotations

from typing import Any

from ..context import db, now, store
from ..occupancy import LotCount, count_lots
from ..schemas.availability import AvailabilitySchema
from . import bp


def parkapi_lot(lot: LotCount) -> dict[str, Any]:
    coords = {"lat": lot.latitude, "lng": lot.longitude} if lot.latitude is not None and lot.longitude is not None else None
    return {
        "id": lot.code,
        "name": lot.name,
        "address": lot.address,
        "coords": coords,
        "total": lot.capacity,
        "free": lot.free,
        "state": "full" if lot.full else "open",
        "restrictions": [
            {"type": pool.kind, "zone": zone.code, "capacity": pool.capacity, "realtime_free_capacity": pool.free}
            for zone in lot.zones
            for pool in zone.pools
        ],
    }


@bp.route("/public/availability")
@bp.response(200, AvailabilitySchema)
@bp.doc(tags=["public"], summary="Free spaces of every public lot (ParkAPI style); no sign-in", security=[])
def availability() -> Any:
    lots = count_lots(db(), store(), public_only=True)
    return {"last_updated": now(), "lots": [parkapi_lot(lot) for lot in lots]}
