"""The demo village: a community lot with an inner zone (场中场), a nearby office lot, lanes with their
cameras, a few passes, list entries, a tariff and three operators. Used by ``parking demo`` and tests.

Idempotent: seeding an instance that already has the demo site returns what is there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import (
    Device, DeviceKind, Lane, LaneDirection, ListEntry, ListKind, Lot, Operator, ParkingPass, PassKind,
    PassPlate, PoolKind, Role, Site, Tariff, Zone, ZonePool,
)
from .passwords import hash_password
from .tariffs import examples as tariff_examples

DEMO_SITE = "demo-village"

# The demo lots bill by published tariffs shipped as examples (reference tariffs.md nos. 13 and 14).
DEMO_TARIFFS = {"hx-community": "13-old-community-visitor", "kj-office": "14-vendor-rule-a"}


@dataclass(frozen=True)
class DemoLane:
    id: int
    code: str
    lot_id: int
    zone_id: int
    direction: str
    camera_serial: str


@dataclass(frozen=True)
class DemoVillage:
    site_id: int
    community_lot_id: int
    office_lot_id: int
    outer_zone_id: int
    inner_zone_id: int
    office_zone_id: int
    lanes: tuple[DemoLane, ...]
    operators: tuple[str, ...]

    def lane(self, code: str) -> DemoLane:
        for lane in self.lanes:
            if lane.code == code:
                return lane
        raise KeyError(f"no demo lane {code!r}; lanes are {[l.code for l in self.lanes]}")


def seed_demo(db: Session, *, now: datetime, password: str | None = None, password_hash: str | None = None) -> DemoVillage:
    """Seed the demo village; operators get ``password``, each account hashed with its own salt.

    The demo accounts are for trying the system: they are ready to use, with no forced password change.
    Tests may pass one already computed argon2 ``password_hash`` instead, shared by the accounts, to
    spare the hashing time."""
    site = db.scalar(select(Site).where(Site.code == DEMO_SITE))
    if site is None:
        if password_hash is None and password is None:
            raise ValueError("seed_demo needs the operators' password or its hash")
        _create(db, now=now, password_hash=(lambda: password_hash) if password_hash is not None else (lambda: hash_password(password or "")))
        db.flush()
        site = db.scalar(select(Site).where(Site.code == DEMO_SITE))
        assert site is not None
    return _describe(db, site)


def _create(db: Session, *, now: datetime, password_hash: Callable[[], str]) -> None:
    opened = now - timedelta(days=365)  # the demo lots have run for a year: older camera records are plausible
    site = Site(code=DEMO_SITE, name="城中村示范片区", timezone="Asia/Shanghai", created_at=opened)
    community = Lot(
        site=site, code="hx-community", name="和谐里小区", address="和谐里 1 号",
        latitude=22.5431, longitude=114.0579, created_at=opened,
        settings={"zombie_days": 30, "no_entry_record": "hold"},
    )
    office = Lot(
        site=site, code="kj-office", name="科技园办公楼停车场", address="科技路 8 号",
        latitude=22.5402, longitude=114.0551, created_at=opened,
        settings={"zombie_days": 30, "no_entry_record": "hold"},
    )
    outer = Zone(lot=community, code="outer", name="外场", capacity=40)
    inner = Zone(lot=community, code="inner", name="内场(业主区)", capacity=12, parent=outer)
    office_zone = Zone(lot=office, code="main", name="地面停车场", capacity=30)
    outer.pools = [ZonePool(kind=PoolKind.TEMPORARY, capacity=25), ZonePool(kind=PoolKind.PASS, capacity=15)]
    inner.pools = [ZonePool(kind=PoolKind.PASS, capacity=12)]  # owners' area: pass holders only
    office_zone.pools = [ZonePool(kind=PoolKind.SHARED, capacity=20), ZonePool(kind=PoolKind.TEMPORARY, capacity=10)]
    db.add_all([site, community, office, outer, inner, office_zone])

    lanes = [
        (community, outer, "east-in", "东门入口", LaneDirection.ENTRY, "VZ-HX-EAST-IN"),
        (community, outer, "north-in", "北门入口", LaneDirection.ENTRY, "VZ-HX-NORTH-IN"),
        (community, outer, "east-out", "东门出口", LaneDirection.EXIT, "VZ-HX-EAST-OUT"),
        (community, inner, "inner-in", "内场入口", LaneDirection.ENTRY, "VZ-HX-INNER-IN"),
        (community, inner, "inner-out", "内场出口", LaneDirection.EXIT, "VZ-HX-INNER-OUT"),
        (office, office_zone, "gate-in", "大门入口", LaneDirection.ENTRY, "VZ-KJ-IN"),
        (office, office_zone, "gate-out", "大门出口", LaneDirection.EXIT, "VZ-KJ-OUT"),
    ]
    for lot, zone, code, name, direction, serial in lanes:
        lane = Lane(lot=lot, zone=zone, code=code, name=name, direction=direction)
        # The gate is driven by the camera's output and the LED board sits on the camera's RS485 port.
        lane.devices = [
            Device(lot=lot, kind=DeviceKind.CAMERA, name=f"{name}相机", serial=serial, url=f"vz-http://0.0.0.0:8090?serial={serial}&board=0"),
        ]
        db.add(lane)

    month_start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=5)
    passes = [
        (community, outer, PassKind.MONTHLY, "3栋 王先生", ["粤B3M001"], None, None, 30),
        (community, inner, PassKind.OWNER, "5栋 李女士(产权车位)", ["粤B5P002"], None, None, 365),
        (community, outer, PassKind.ENTERPRISE, "和谐物业公司", ["粤B8E101", "粤B8E102", "粤B8E103"], None, None, 30),
        (office, office_zone, PassKind.TIME_WINDOW, "和谐里 7 栋 陈先生(夜间共享)", ["粤BD12345"], time(19, 0), time(7, 30), 30),
    ]
    for lot, zone, kind, holder, plates, start, end, days in passes:
        db.add(ParkingPass(
            lot=lot, zone_id=zone.id if kind == PassKind.OWNER else None, kind=kind, holder=holder, spaces=2 if kind == PassKind.ENTERPRISE else 1,
            valid_from=month_start, valid_until=month_start + timedelta(days=days),
            window_start=start, window_end=end, price_fen=18000 if kind == PassKind.TIME_WINDOW else 0,
            plates=[PassPlate(plate=p) for p in plates],
        ))
        db.flush()
    db.add(ListEntry(lot_id=None, plate="粤B99999", kind=ListKind.BLACKLIST, reason="多次逃费"))
    db.add(ListEntry(lot=community, plate="粤B12000", kind=ListKind.WHITELIST, reason="社区医生出诊"))
    for lot in (community, office):
        doc = tariff_examples.document(DEMO_TARIFFS[lot.code])
        db.add(Tariff(lot=lot, code=doc["id"], version=1, name=doc["name"]["zh-CN"], document=doc, valid_from=month_start))
    for username, display, role in (("admin", "系统管理员", Role.ADMIN), ("manager", "物业经理", Role.MANAGER), ("attendant", "岗亭值班员", Role.ATTENDANT)):
        db.add(Operator(username=username, display_name=display, role=role, password_hash=password_hash(), must_change_password=False))


def _describe(db: Session, site: Site) -> DemoVillage:
    lots = {lot.code: lot for lot in site.lots}
    community, office = lots["hx-community"], lots["kj-office"]
    zones = {(z.lot_id, z.code): z for lot in site.lots for z in lot.zones}
    lanes = []
    for lot in site.lots:
        for lane in lot.lanes:
            camera = next(d for d in lane.devices if d.kind == DeviceKind.CAMERA)
            lanes.append(DemoLane(lane.id, lane.code, lot.id, lane.zone_id, lane.direction.value, camera.serial or ""))
    operators = tuple(db.scalars(select(Operator.username).order_by(Operator.id)))
    return DemoVillage(
        site_id=site.id,
        community_lot_id=community.id,
        office_lot_id=office.id,
        outer_zone_id=zones[(community.id, "outer")].id,
        inner_zone_id=zones[(community.id, "inner")].id,
        office_zone_id=zones[(office.id, "main")].id,
        lanes=tuple(lanes),
        operators=operators,
    )
