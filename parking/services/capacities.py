"""Capacities from SQL (the configuration of record) into the live store."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Zone
from ..occupancy import OccupancyStore


def publish_capacities(db: Session, store: OccupancyStore) -> None:
    """Copy every zone's and pool's capacity from SQL into the live store. SQL is the configuration of
    record, so a capacity below the vehicles present is published all the same (and journaled)."""
    zones: dict[int, dict[int, int]] = {}
    pools: dict[int, dict[tuple[int, str], int]] = {}
    for zone in db.scalars(select(Zone).options(selectinload(Zone.pools))):
        zones.setdefault(zone.lot_id, {})[zone.id] = zone.capacity
        for pool in zone.pools:
            pools.setdefault(zone.lot_id, {})[(zone.id, pool.kind.value)] = pool.capacity
    for lot_id, capacities in zones.items():
        store.set_capacities(lot_id, capacities, pools.get(lot_id), force=True)
