"""Live occupancy of lots as the web shows it: SQL names the lots and zones, Redis holds the counts.

Every vehicle inside is counted in exactly one zone (an inner zone of a lot-in-lot counts its own cars,
not its outer zone's), so a lot's totals are sums over all its zones. Zones are ordered as a tree: each
inner zone comes right after its outer zone, with ``depth`` saying how far it is nested. Counts come
from ``OccupancyStore.occupancy`` and ``.pools`` (one Redis round trip each per lot); a zone not yet
published to Redis shows its SQL capacity and nobody present, and a pool the store does not count has
``present`` None: unknown, not zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from parking.models import Lot, Zone
from parking.occupancy import OccupancyStore


@dataclass(frozen=True)
class PoolCount:
    """A pool of a zone; ``present`` is None while the live store does not count that pool."""

    kind: str
    capacity: int
    present: int | None = None

    @property
    def free(self) -> int | None:
        return None if self.present is None else max(self.capacity - self.present, 0)


@dataclass(frozen=True)
class ZoneCount:
    id: int
    code: str
    name: str
    parent_id: int | None
    depth: int
    present: int
    capacity: int
    pools: tuple[PoolCount, ...] = ()

    @property
    def free(self) -> int:
        return max(self.capacity - self.present, 0)


@dataclass(frozen=True)
class LotCount:
    id: int
    code: str
    name: str
    address: str
    latitude: float | None
    longitude: float | None
    zones: tuple[ZoneCount, ...]

    @property
    def present(self) -> int:
        return sum(z.present for z in self.zones)

    @property
    def capacity(self) -> int:
        return sum(z.capacity for z in self.zones)

    @property
    def free(self) -> int:
        return sum(z.free for z in self.zones)

    @property
    def full(self) -> bool:
        return self.free == 0


def _tree(zones: Sequence[Zone]) -> list[tuple[Zone, int]]:
    """Zones in display order: outer zones by id, each followed by its inner zones, with depth."""
    children: dict[int | None, list[Zone]] = {}
    ids = {z.id for z in zones}
    for zone in sorted(zones, key=lambda z: z.id):
        parent = zone.parent_id if zone.parent_id in ids else None
        children.setdefault(parent, []).append(zone)
    ordered: list[tuple[Zone, int]] = []

    def visit(parent: int | None, depth: int) -> None:
        for zone in children.get(parent, []):
            ordered.append((zone, depth))
            visit(zone.id, depth + 1)

    visit(None, 0)
    return ordered


def count_lot(lot: Lot, store: OccupancyStore) -> LotCount:
    live = store.occupancy(lot.id)
    live_pools = store.pools(lot.id)
    zones = []
    for zone, depth in _tree(lot.zones):
        present, capacity = live.get(zone.id, (0, zone.capacity))
        pools = []
        for pool in sorted(zone.pools, key=lambda p: p.id):
            count = live_pools.get((zone.id, pool.kind.value))
            pools.append(PoolCount(pool.kind.value, count.capacity, count.present) if count else PoolCount(pool.kind.value, pool.capacity))
        zones.append(ZoneCount(zone.id, zone.code, zone.name, zone.parent_id, depth, present, capacity, tuple(pools)))
    return LotCount(lot.id, lot.code, lot.name, lot.address, lot.latitude, lot.longitude, tuple(zones))


def load_lots(db: Session, *, public_only: bool = False, lot_ids: Iterable[int] | None = None) -> list[Lot]:
    query = select(Lot).options(selectinload(Lot.zones).selectinload(Zone.pools)).order_by(Lot.id)
    if public_only:
        query = query.where(Lot.public.is_(True))
    if lot_ids is not None:
        query = query.where(Lot.id.in_(list(lot_ids)))
    return list(db.scalars(query))


def count_lots(db: Session, store: OccupancyStore, *, public_only: bool = False) -> list[LotCount]:
    return [count_lot(lot, store) for lot in load_lots(db, public_only=public_only)]
