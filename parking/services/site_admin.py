"""A site's configuration changed by an administrator: sites, lots, zones with their pools and capacities.
Lanes and devices are ``parking.services.site_lanes``'; the whole site as a file is ``site_file``'s.

Every public function checks everything first (``parking.services.site_checks``; a ``SiteAdminError``
names the field), writes SQL, changes the live capacities when zones changed, leaves an audit row with
the state before and after, commits, and raises the configuration version so agents reload within a
second. A capacity below the vehicles present, a pool taken away while vehicles are counted in it and a
zone deleted with vehicles inside are refused by the live store (never forced), and then nothing is
written. The ``apply_*`` functions do the checks and writes without committing, for ``site_file``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from datetime import datetime
from typing import Any, TypeVar

import redis
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (
    CalendarOverride, Lane, LotEvent, Lot, ParkingPass, ParkingSession, PassProduct, Payment, PoolKind, SessionStatus,
    Site, Tariff, Zone, ZonePool,
)
from ..occupancy import CapacityError, OccupancyStore
from . import audit, site_checks as check
from .site_checks import SiteAdminError

log = logging.getLogger(__name__)

__all__ = [
    "LotSpec", "SiteAdminError", "SiteSpec", "ZoneSpec", "create_lot", "create_site", "create_zone", "delete_lot",
    "delete_site", "delete_zone", "lot_doc", "set_capacities", "site_doc", "update_lot", "update_site", "update_zone", "zone_doc",
]


@dataclass(frozen=True)
class SiteSpec:
    code: str
    name: str
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class LotSpec:
    code: str
    name: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    timezone: str | None = None  # None: the site's
    public: bool = True
    policy: Mapping[str, Any] = field(default_factory=dict)
    tariff: str | None = None  # the code of the tariff the lot bills by; None: any in force


@dataclass(frozen=True)
class ZoneSpec:
    code: str
    name: str
    capacity: int
    parent: str | None = None  # the code of the outer zone of a lot-in-lot (场中场)
    pools: Mapping[str, int] = field(default_factory=dict)  # pool kind -> spaces


# -- what the audit log and the site file keep of each --------------------------------------------------------


def site_doc(site: Site) -> dict[str, Any]:
    return {"code": site.code, "name": site.name, "timezone": site.timezone}


def lot_doc(lot: Lot) -> dict[str, Any]:
    policy, tariff = check.split_settings(lot.settings)
    return {"code": lot.code, "name": lot.name, "address": lot.address, "latitude": lot.latitude, "longitude": lot.longitude,
            "timezone": lot.timezone, "public": lot.public, "policy": policy, "tariff": tariff}


def pools_of(zone: Zone) -> dict[str, int]:
    order = [k.value for k in PoolKind]
    return {p.kind.value: p.capacity for p in sorted(zone.pools, key=lambda p: order.index(p.kind.value))}


def zone_doc(zone: Zone) -> dict[str, Any]:
    return {"code": zone.code, "name": zone.name, "capacity": zone.capacity, "parent": zone.parent.code if zone.parent else None,
            "pools": pools_of(zone)}


# -- shared steps -----------------------------------------------------------------------------------------------


F = TypeVar("F", bound=Callable[..., Any])


def all_or_nothing(change: F) -> F:
    """A public change whose every failure rolls back what it wrote to the session (``db``, its first argument)."""

    @wraps(change)
    def run(db: Session, *args: Any, **kwargs: Any) -> Any:
        try:
            return change(db, *args, **kwargs)
        except BaseException:
            db.rollback()
            raise

    return run  # type: ignore[return-value]



def notify(store: OccupancyStore) -> None:
    """Raise the configuration version (after a commit); agents also reload every 30 s, so a Redis that
    cannot be reached now only delays the pickup."""
    try:
        store.config.bump()
    except redis.RedisError as exc:
        log.warning("configuration version not raised (agents reload within their next sync): %s", exc)


def commit(db: Session, store: OccupancyStore) -> None:
    try:
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise SiteAdminError("", f"the database refused the change: {exc.orig}") from None
    notify(store)


def _flush(db: Session, what: str) -> None:
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise SiteAdminError(what, f"the database refused the change: {exc.orig}") from None


def check_capacities(store: OccupancyStore, lot_id: int, zones: Iterable[Zone], removed: Iterable[int] = (),
                     names: Mapping[int, str] | None = None) -> None:
    """Refuse, naming the field, a capacity below the vehicles present and the removal of a pool or zone
    vehicles are counted in (the live store checks again, atomically, when the change is made)."""
    present, capacity, _ = store.counts(lot_id)
    for zone in zones:
        wanted = {str(zone.id): zone.capacity, **{f"{zone.id}:{p.kind.value}": p.capacity for p in zone.pools}}
        for name, spaces in wanted.items():
            if spaces < present.get(name, 0):
                where = "capacity" if ":" not in name else f"pools.{name.partition(':')[2]}"
                raise SiteAdminError(where, f"{spaces} is below the {present[name]} vehicles present in zone {zone.code}")
        for name in capacity:
            zone_part, _, pool = name.partition(":")
            if zone_part == str(zone.id) and pool and pool != "pools" and name not in wanted and present.get(name, 0):
                raise SiteAdminError(f"pools.{pool}", f"{present[name]} vehicles are counted in the {pool} pool of zone {zone.code}; "
                                     "it cannot be taken away while they are inside")
    for zone_id in removed:
        inside = present.get(str(zone_id), 0)
        if inside:
            name = (names or {}).get(zone_id, str(zone_id))
            raise SiteAdminError("zone", f"zone {name} has {inside} vehicles inside; it cannot be deleted while they are")


def publish_zones(store: OccupancyStore, lot_id: int, zones: Iterable[Zone], now: datetime, removed: Iterable[int] = ()) -> None:
    """Make the live capacities of ``zones`` (and of the deleted ``removed``) those of SQL, unforced."""
    zones = list(zones)
    try:
        store.config.replace_capacities(
            lot_id, [z.id for z in zones] + list(removed), {z.id: z.capacity for z in zones},
            {(z.id, p.kind.value): p.capacity for z in zones for p in z.pools}, now,
        )
    except CapacityError as exc:
        raise SiteAdminError("capacity", str(exc)) from None


def _audit(db: Session, action: str, target: str, operator_id: int | None, now: datetime,
           before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> None:
    audit.record(db, action, operator_id=operator_id, target=target, at=now, before=dict(before) if before else None,
                 after=dict(after) if after else None)


# -- sites ------------------------------------------------------------------------------------------------------


def check_site(spec: SiteSpec) -> SiteSpec:
    return SiteSpec(check.code("code", spec.code), check.text("name", spec.name), check.timezone("timezone", spec.timezone) or "")


def apply_site(db: Session, site: Site | None, spec: SiteSpec) -> Site:
    spec = check_site(spec)
    other = db.scalar(select(Site).where(Site.code == spec.code))
    if other is not None and other is not site:
        raise SiteAdminError("code", f"site {spec.code} already exists")
    if site is None:
        site = Site(code=spec.code, name=spec.name, timezone=spec.timezone)
        db.add(site)
    else:
        site.code, site.name, site.timezone = spec.code, spec.name, spec.timezone
    _flush(db, "code")
    return site


@all_or_nothing
def create_site(db: Session, store: OccupancyStore, spec: SiteSpec, *, now: datetime, operator_id: int | None) -> Site:
    site = apply_site(db, None, spec)
    _audit(db, "site.created", f"site:{site.code}", operator_id, now, None, site_doc(site))
    commit(db, store)
    return site


@all_or_nothing
def update_site(db: Session, store: OccupancyStore, site_id: int, spec: SiteSpec, *, now: datetime, operator_id: int | None) -> Site:
    site = _get(db, Site, site_id, "site_id")
    before = site_doc(site)
    apply_site(db, site, spec)
    _audit(db, "site.updated", f"site:{site.code}", operator_id, now, before, site_doc(site))
    commit(db, store)
    return site


@all_or_nothing
def delete_site(db: Session, store: OccupancyStore, site_id: int, *, now: datetime, operator_id: int | None) -> None:
    site = _get(db, Site, site_id, "site_id")
    if site.lots:
        raise SiteAdminError("site_id", f"site {site.code} still has {len(site.lots)} lots: delete them first")
    before = site_doc(site)
    db.delete(site)
    _flush(db, "site_id")
    _audit(db, "site.deleted", f"site:{before['code']}", operator_id, now, before, None)
    commit(db, store)


# -- lots -------------------------------------------------------------------------------------------------------


def check_lot(db: Session, spec: LotSpec) -> LotSpec:
    tariff = spec.tariff.strip() if isinstance(spec.tariff, str) and spec.tariff.strip() else None
    if tariff is not None:
        tariff = check.code("tariff", tariff, limit=64)
    if (spec.latitude is None) != (spec.longitude is None):
        raise SiteAdminError("longitude" if spec.longitude is None else "latitude", "give both coordinates, or neither")
    if not isinstance(spec.public, bool):
        raise SiteAdminError("public", "must be true or false")
    return LotSpec(
        code=check.code("code", spec.code), name=check.text("name", spec.name),
        address=check.text("address", spec.address, limit=check.ADDRESS_MAX_CHARS, required=False),
        latitude=check.coordinate("latitude", spec.latitude, -90, 90), longitude=check.coordinate("longitude", spec.longitude, -180, 180),
        timezone=check.timezone("timezone", spec.timezone, required=False), public=spec.public,
        policy=check.policy("policy", spec.policy), tariff=tariff,
    )


def check_tariff_code(db: Session, code: str | None) -> None:
    if code is not None and db.scalar(select(func.count()).select_from(Tariff).where(Tariff.code == code)) == 0:
        raise SiteAdminError("tariff", f"no tariff {code} is published; publish it first or leave the field empty")


def apply_lot(db: Session, site: Site, lot: Lot | None, spec: LotSpec, *, now: datetime, check_tariff: bool = True) -> Lot:
    spec = check_lot(db, spec)
    if check_tariff:
        check_tariff_code(db, spec.tariff)
    other = db.scalar(select(Lot).where(Lot.code == spec.code))
    if other is not None and other is not lot:
        raise SiteAdminError("code", f"lot {spec.code} already exists (lot codes are unique across sites)")
    values = dict(code=spec.code, name=spec.name, address=spec.address, latitude=spec.latitude, longitude=spec.longitude,
                  timezone=spec.timezone, public=spec.public, settings=check.settings_of(spec.policy, spec.tariff))
    if lot is None:
        lot = Lot(site=site, created_at=now, **values)
        db.add(lot)
    else:
        lot.site = site
        for key, value in values.items():
            setattr(lot, key, value)
    _flush(db, "code")
    return lot


@all_or_nothing
def create_lot(db: Session, store: OccupancyStore, site_id: int, spec: LotSpec, *, now: datetime, operator_id: int | None) -> Lot:
    site = _get(db, Site, site_id, "site_id")
    lot = apply_lot(db, site, None, spec, now=now)
    _audit(db, "lot.created", f"lot:{lot.code}", operator_id, now, None, lot_doc(lot))
    commit(db, store)
    return lot


@all_or_nothing
def update_lot(db: Session, store: OccupancyStore, lot_id: int, spec: LotSpec, *, now: datetime, operator_id: int | None) -> Lot:
    lot = _get(db, Lot, lot_id, "lot_id")
    before = lot_doc(lot)
    apply_lot(db, lot.site, lot, spec, now=now)
    _audit(db, "lot.updated", f"lot:{lot.code}", operator_id, now, before, lot_doc(lot))
    commit(db, store)
    return lot


def lot_history(db: Session, lot: Lot) -> str | None:
    """Why ``lot`` cannot be deleted (stays, payments, passes recorded against it), or None."""
    for model, what in ((ParkingSession, "recorded stays"), (Payment, "payments"), (ParkingPass, "passes"), (PassProduct, "pass products")):
        n = db.scalar(select(func.count()).select_from(model).where(model.lot_id == lot.id)) or 0
        if n:
            return f"lot {lot.code} has {n} {what}; a lot with history cannot be deleted"
    return None


def apply_lot_deletion(db: Session, store: OccupancyStore, lot: Lot, *, now: datetime, publish: bool = True) -> None:
    """Delete a lot with its lanes, devices, zones, tariff versions and journal of configuration events;
    refused while it has stays, payments or passes."""
    from .site_lanes import apply_lane_deletion

    reason = lot_history(db, lot)
    if reason:
        raise SiteAdminError("lot_id", reason)
    for lane in list(lot.lanes):
        apply_lane_deletion(db, store, lane)
    zone_ids = [z.id for z in lot.zones]
    check_capacities(store, lot.id, [], zone_ids, {z.id: z.code for z in lot.zones})
    for zone in _children_first(lot.zones):
        db.delete(zone)
        _flush(db, "lot_id")
    for model in (Tariff, CalendarOverride, LotEvent):
        for row in db.scalars(select(model).where(model.lot_id == lot.id)):
            db.delete(row)
    db.delete(lot)
    _flush(db, "lot_id")
    if publish and zone_ids:
        publish_zones(store, lot.id, [], now, zone_ids)


@all_or_nothing
def delete_lot(db: Session, store: OccupancyStore, lot_id: int, *, now: datetime, operator_id: int | None) -> None:
    lot = _get(db, Lot, lot_id, "lot_id")
    before = lot_doc(lot)
    apply_lot_deletion(db, store, lot, now=now)
    _audit(db, "lot.deleted", f"lot:{before['code']}", operator_id, now, before, None)
    commit(db, store)


# -- zones, pools and capacities --------------------------------------------------------------------------------


def _children_first(zones: Iterable[Zone]) -> list[Zone]:
    zones = list(zones)

    def depth(zone: Zone) -> int:
        n, seen = 0, set()
        while zone.parent is not None and zone.id not in seen:
            seen.add(zone.id)
            zone, n = zone.parent, n + 1
        return n

    return sorted(zones, key=depth, reverse=True)


def check_zone(spec: ZoneSpec) -> ZoneSpec:
    capacity = check.whole("capacity", spec.capacity)
    parent = check.code("parent", spec.parent) if spec.parent not in (None, "") else None
    return ZoneSpec(check.code("code", spec.code), check.text("name", spec.name), capacity, parent, check.pools("pools", spec.pools, capacity))


def apply_zone(db: Session, lot: Lot, zone: Zone | None, spec: ZoneSpec) -> Zone:
    spec = check_zone(spec)
    zones = {z.code: z for z in lot.zones}
    other = zones.get(spec.code)
    if other is not None and other is not zone:
        raise SiteAdminError("code", f"lot {lot.code} already has a zone {spec.code}")
    parent = None
    if spec.parent is not None:
        parent = zones.get(spec.parent)
        if parent is None:
            raise SiteAdminError("parent", f"lot {lot.code} has no zone {spec.parent}")
        walk: Zone | None = parent
        while walk is not None:
            if walk is zone:
                raise SiteAdminError("parent", f"zone {spec.parent} lies inside zone {spec.code}: a zone cannot be inside itself")
            walk = walk.parent
    if zone is None:
        zone = Zone(lot=lot, code=spec.code, name=spec.name, capacity=spec.capacity, parent=parent)
        db.add(zone)
    else:
        zone.code, zone.name, zone.capacity, zone.parent = spec.code, spec.name, spec.capacity, parent
    existing = {p.kind.value: p for p in zone.pools}
    for kind, pool in existing.items():
        if kind not in spec.pools:
            zone.pools.remove(pool)
    for kind, spaces in spec.pools.items():
        if kind in existing:
            existing[kind].capacity = spaces
        else:
            zone.pools.append(ZonePool(kind=PoolKind(kind), capacity=spaces))
    _flush(db, "code")
    return zone


@all_or_nothing
def create_zone(db: Session, store: OccupancyStore, lot_id: int, spec: ZoneSpec, *, now: datetime, operator_id: int | None) -> Zone:
    lot = _get(db, Lot, lot_id, "lot_id")
    zone = apply_zone(db, lot, None, spec)
    publish_zones(store, lot.id, [zone], now)
    _audit(db, "zone.created", f"lot:{lot.code}/zone:{zone.code}", operator_id, now, None, zone_doc(zone))
    commit(db, store)
    return zone


@all_or_nothing
def update_zone(db: Session, store: OccupancyStore, zone_id: int, spec: ZoneSpec, *, now: datetime, operator_id: int | None) -> Zone:
    zone = _get(db, Zone, zone_id, "zone_id")
    before = zone_doc(zone)
    apply_zone(db, zone.lot, zone, spec)
    check_capacities(store, zone.lot_id, [zone])
    publish_zones(store, zone.lot_id, [zone], now)
    _audit(db, "zone.updated", f"lot:{zone.lot.code}/zone:{zone.code}", operator_id, now, before, zone_doc(zone))
    commit(db, store)
    return zone


def zone_in_use(db: Session, zone: Zone) -> str | None:
    """Why ``zone`` cannot be deleted (other than vehicles inside, which the live store knows), or None."""
    open_stays = db.scalar(select(func.count()).select_from(ParkingSession).where(
        ParkingSession.zone_id == zone.id, ParkingSession.status == SessionStatus.OPEN)) or 0
    if open_stays:
        return f"zone {zone.code} has {open_stays} open stays; it cannot be deleted while vehicles are inside"
    stays = db.scalar(select(func.count()).select_from(ParkingSession).where(ParkingSession.zone_id == zone.id)) or 0
    if stays:
        return f"zone {zone.code} has {stays} recorded stays; a zone with history cannot be deleted"
    inner = db.scalars(select(Zone.code).where(Zone.parent_id == zone.id)).first()
    if inner:
        return f"zone {inner} lies inside zone {zone.code}: delete or move it first"
    lane = db.scalars(select(Lane.code).where(Lane.zone_id == zone.id)).first()
    if lane:
        return f"lane {lane} counts into zone {zone.code}: delete it or point it at another zone first"
    for model, what in ((ParkingPass, "passes"), (PassProduct, "pass products")):
        n = db.scalar(select(func.count()).select_from(model).where(model.zone_id == zone.id)) or 0
        if n:
            return f"zone {zone.code} is named by {n} {what}"
    return None


def apply_zone_deletion(db: Session, store: OccupancyStore, zone: Zone) -> None:
    reason = zone_in_use(db, zone)
    if reason:
        raise SiteAdminError("zone_id", reason)
    check_capacities(store, zone.lot_id, [], [zone.id], {zone.id: zone.code})
    db.delete(zone)
    _flush(db, "zone_id")


@all_or_nothing
def delete_zone(db: Session, store: OccupancyStore, zone_id: int, *, now: datetime, operator_id: int | None) -> None:
    zone = _get(db, Zone, zone_id, "zone_id")
    lot, before, zone_id = zone.lot, zone_doc(zone), zone.id
    apply_zone_deletion(db, store, zone)
    publish_zones(store, lot.id, [], now, [zone_id])
    _audit(db, "zone.deleted", f"lot:{lot.code}/zone:{before['code']}", operator_id, now, before, None)
    commit(db, store)


@all_or_nothing
def set_capacities(db: Session, store: OccupancyStore, lot_id: int, capacities: Mapping[int, tuple[int, Mapping[str, int]]], *,
                   now: datetime, operator_id: int | None) -> list[Zone]:
    """Set the capacity and pools of several zones of a lot at once, all or nothing: ``capacities`` maps a
    zone id to (capacity, {pool kind: spaces}). One refused value (below the vehicles present, pools over
    the capacity) and nothing changes, in SQL or in the live store."""
    lot = _get(db, Lot, lot_id, "lot_id")
    zones = {z.id: z for z in lot.zones}
    changed: list[Zone] = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for zone_id, (capacity, pools) in capacities.items():
        zone = zones.get(zone_id)
        if zone is None:
            raise SiteAdminError(f"zones.{zone_id}", f"zone {zone_id} is not a zone of lot {lot.code}")
        before[zone.code] = {"capacity": zone.capacity, "pools": pools_of(zone)}
        try:
            apply_zone(db, lot, zone, ZoneSpec(zone.code, zone.name, capacity, zone.parent.code if zone.parent else None, pools))
        except SiteAdminError as exc:
            raise exc.within(f"zones.{zone.code}") from None
        after[zone.code] = {"capacity": zone.capacity, "pools": pools_of(zone)}
        changed.append(zone)
    for zone in changed:
        try:
            check_capacities(store, lot.id, [zone])
        except SiteAdminError as exc:
            raise exc.within(f"zones.{zone.code}") from None
    publish_zones(store, lot.id, changed, now)
    _audit(db, "lot.capacities_set", f"lot:{lot.code}", operator_id, now, before, after)
    commit(db, store)
    return changed


def _get(db: Session, model: type, ident: int, field_name: str) -> Any:
    row = db.get(model, ident)
    if row is None:
        raise SiteAdminError(field_name, f"no {model.__tablename__.replace('_', ' ')} {ident}")
    return row
