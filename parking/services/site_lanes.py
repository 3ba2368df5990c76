"""A site's lanes and the devices at each, changed by an administrator (the rest of a site is
``parking.services.site_admin``'s, whose conventions these follow: checks first with the field named,
audit with before and after, one commit, agents told).

A device is given by its URL, checked by opening it through ``drivers.registry`` (nothing connects); a
camera's serial number is how its lane knows it, taken from a ``vz-http`` URL. A lane is not deleted
while a vehicle that entered through it is inside, nor while it is the last way out of a zone with
vehicles inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Device, DeviceKind, Lane, LaneDirection, Lot, ParkingSession, SessionStatus, Zone
from ..occupancy import OccupancyStore
from . import site_checks as check
from .site_admin import _audit, _flush, _get, all_or_nothing, commit
from .site_checks import SiteAdminError

__all__ = ["DeviceSpec", "LaneSpec", "create_device", "create_lane", "delete_device", "delete_lane", "device_doc", "lane_doc",
           "redacted", "update_device", "update_lane"]


@dataclass(frozen=True)
class LaneSpec:
    code: str
    name: str
    direction: str
    zone: str  # the code of the zone the lane counts into (or out of)
    enabled: bool = True


@dataclass(frozen=True)
class DeviceSpec:
    kind: str
    name: str
    url: str
    serial: str | None = None  # a camera's: taken from a vz-http URL when empty
    enabled: bool = True


def redacted(url: str) -> str:
    """``url`` with a password replaced by ``***`` (for the audit log and pages; the file keeps it)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return url
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}"))


def lane_doc(lane: Lane) -> dict[str, Any]:
    return {"code": lane.code, "name": lane.name, "direction": lane.direction.value, "zone": lane.zone.code, "enabled": lane.enabled}


def device_doc(device: Device, *, secrets: bool = False) -> dict[str, Any]:
    return {"kind": device.kind.value, "name": device.name, "url": device.url if secrets else redacted(device.url),
            "serial": device.serial, "enabled": device.enabled}


# -- lanes ------------------------------------------------------------------------------------------------------


def check_lane(spec: LaneSpec) -> LaneSpec:
    if not isinstance(spec.enabled, bool):
        raise SiteAdminError("enabled", "must be true or false")
    return LaneSpec(check.code("code", spec.code), check.text("name", spec.name), check.direction("direction", spec.direction),
                    check.code("zone", spec.zone), spec.enabled)


def apply_lane(db: Session, lot: Lot, lane: Lane | None, spec: LaneSpec) -> Lane:
    spec = check_lane(spec)
    other = next((l for l in lot.lanes if l.code == spec.code), None)
    if other is not None and other is not lane:
        raise SiteAdminError("code", f"lot {lot.code} already has a lane {spec.code}")
    zone = next((z for z in lot.zones if z.code == spec.zone), None)
    if zone is None:
        raise SiteAdminError("zone", f"lot {lot.code} has no zone {spec.zone}")
    if lane is None:
        lane = Lane(lot=lot, code=spec.code, name=spec.name, direction=LaneDirection(spec.direction), zone=zone, enabled=spec.enabled)
        db.add(lane)
    else:
        lane.code, lane.name, lane.direction, lane.zone, lane.enabled = spec.code, spec.name, LaneDirection(spec.direction), zone, spec.enabled
    _flush(db, "code")
    return lane


@all_or_nothing
def create_lane(db: Session, store: OccupancyStore, lot_id: int, spec: LaneSpec, *, now: datetime, operator_id: int | None) -> Lane:
    lot = _get(db, Lot, lot_id, "lot_id")
    lane = apply_lane(db, lot, None, spec)
    _audit(db, "lane.created", f"lot:{lot.code}/lane:{lane.code}", operator_id, now, None, lane_doc(lane))
    commit(db, store)
    return lane


@all_or_nothing
def update_lane(db: Session, store: OccupancyStore, lane_id: int, spec: LaneSpec, *, now: datetime, operator_id: int | None) -> Lane:
    lane = _get(db, Lane, lane_id, "lane_id")
    before = lane_doc(lane)
    apply_lane(db, lane.lot, lane, spec)
    _audit(db, "lane.updated", f"lot:{lane.lot.code}/lane:{lane.code}", operator_id, now, before, lane_doc(lane))
    commit(db, store)
    return lane


def open_stays_through(db: Session, store: OccupancyStore, lane: Lane) -> int:
    """Vehicles inside that entered through ``lane``: the live store's open sessions, or SQL's when more."""
    live = sum(1 for s in store.open_sessions(lane.lot_id).values() if s.get("lane") == lane.id)
    recorded = db.scalar(select(func.count()).select_from(ParkingSession).where(
        ParkingSession.entry_lane_id == lane.id, ParkingSession.status == SessionStatus.OPEN)) or 0
    return max(live, recorded)


def apply_lane_deletion(db: Session, store: OccupancyStore, lane: Lane) -> None:
    inside = open_stays_through(db, store, lane)
    if inside:
        raise SiteAdminError("lane_id", f"lane {lane.code} has {inside} open stays (vehicles that entered through it are inside); "
                             "disable it instead, or delete it once they have left")
    if lane.direction == LaneDirection.EXIT:
        others = [l for l in lane.lot.lanes if l is not lane and l.zone_id == lane.zone_id and l.direction == LaneDirection.EXIT]
        present = store.occupancy(lane.lot_id).get(lane.zone_id, (0, 0))[0]
        if not others and present:
            raise SiteAdminError("lane_id", f"lane {lane.code} is the only exit of zone {lane.zone.code}, where {present} vehicles "
                                 "are inside; disable it instead, or add another exit first")
    for device in list(lane.devices):
        db.delete(device)
    db.delete(lane)
    _flush(db, "lane_id")


@all_or_nothing
def delete_lane(db: Session, store: OccupancyStore, lane_id: int, *, now: datetime, operator_id: int | None) -> None:
    lane = _get(db, Lane, lane_id, "lane_id")
    lot, before = lane.lot, lane_doc(lane)
    before["devices"] = [device_doc(d) for d in lane.devices]
    apply_lane_deletion(db, store, lane)
    _audit(db, "lane.deleted", f"lot:{lot.code}/lane:{before['code']}", operator_id, now, before, None)
    commit(db, store)


# -- devices ----------------------------------------------------------------------------------------------------


def check_device(spec: DeviceSpec) -> DeviceSpec:
    kind = check.choice("kind", spec.kind, tuple(k.value for k in DeviceKind))
    url = check.device_url("url", kind, spec.url)
    if not isinstance(spec.enabled, bool):
        raise SiteAdminError("enabled", "must be true or false")
    return DeviceSpec(kind, check.text("name", spec.name), url, check.serial("serial", kind, url, spec.serial), spec.enabled)


def apply_device(db: Session, lane: Lane, device: Device | None, spec: DeviceSpec) -> Device:
    spec = check_device(spec)
    if spec.serial is not None:
        other = db.scalar(select(Device).where(Device.serial == spec.serial))
        if other is not None and other is not device:
            where = f"lane {other.lane.code} of lot {other.lot.code}" if other.lane else f"lot {other.lot.code}"
            raise SiteAdminError("serial", f"device serial {spec.serial} is already used by {other.name} ({where})")
    if device is None:
        device = Device(lot_id=lane.lot_id, lane=lane, kind=DeviceKind(spec.kind), name=spec.name, url=spec.url,
                        serial=spec.serial, enabled=spec.enabled)
        db.add(device)
    else:
        device.lot_id, device.lane = lane.lot_id, lane
        device.kind, device.name, device.url, device.serial, device.enabled = (
            DeviceKind(spec.kind), spec.name, spec.url, spec.serial, spec.enabled)
    _flush(db, "serial")
    return device


@all_or_nothing
def create_device(db: Session, store: OccupancyStore, lane_id: int, spec: DeviceSpec, *, now: datetime, operator_id: int | None) -> Device:
    lane = _get(db, Lane, lane_id, "lane_id")
    device = apply_device(db, lane, None, spec)
    _audit(db, "device.created", f"lane:{lane.code}/device:{device.name}", operator_id, now, None, device_doc(device))
    commit(db, store)
    return device


@all_or_nothing
def update_device(db: Session, store: OccupancyStore, device_id: int, spec: DeviceSpec, *, now: datetime, operator_id: int | None) -> Device:
    device = _get(db, Device, device_id, "device_id")
    if device.lane is None:
        raise SiteAdminError("device_id", f"device {device.name} belongs to no lane; delete it and add it to a lane")
    before = device_doc(device)
    apply_device(db, device.lane, device, spec)
    _audit(db, "device.updated", f"lane:{device.lane.code}/device:{device.name}", operator_id, now, before, device_doc(device))
    commit(db, store)
    return device


@all_or_nothing
def delete_device(db: Session, store: OccupancyStore, device_id: int, *, now: datetime, operator_id: int | None) -> None:
    device = _get(db, Device, device_id, "device_id")
    before = device_doc(device)
    where = f"lane:{device.lane.code}/" if device.lane else f"lot:{device.lot.code}/"
    db.delete(device)
    _flush(db, "device_id")
    _audit(db, "device.deleted", f"{where}device:{before['name']}", operator_id, now, before, None)
    commit(db, store)


def zone_by_code(lot: Lot, code: str) -> Zone | None:
    return next((z for z in lot.zones if z.code == code), None)
