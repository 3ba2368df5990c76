"""Configuration of places: sites, lots, zones with their pools, lanes and the devices at each lane."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow


class LaneDirection(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


class DeviceKind(StrEnum):
    CAMERA = "camera"
    GATE = "gate"
    DISPLAY = "display"
    RELAY = "relay"


class PoolKind(StrEnum):
    TEMPORARY = "temporary"
    PASS = "pass"
    RESERVED = "reserved"
    SHARED = "shared"


class Site(Base):
    """A place run by one agent: a community, a village block, an office campus."""

    __tablename__ = "site"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lots: Mapped[list["Lot"]] = relationship(back_populates="site", order_by="Lot.id")


class Lot(Base):
    """A parking lot with its own counts, tariff and policies (``settings``)."""

    __tablename__ = "lot"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    timezone: Mapped[str | None] = mapped_column(String(64))
    public: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    site: Mapped[Site] = relationship(back_populates="lots")
    zones: Mapped[list["Zone"]] = relationship(back_populates="lot", order_by="Zone.id")
    lanes: Mapped[list["Lane"]] = relationship(back_populates="lot", order_by="Lane.id")


class Zone(Base):
    """An area with its own capacity; ``parent`` is the outer zone of a lot-in-lot (场中场)."""

    __tablename__ = "zone"
    __table_args__ = (
        UniqueConstraint("lot_id", "code"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int]
    lot: Mapped[Lot] = relationship(back_populates="zones")
    parent: Mapped["Zone | None"] = relationship(remote_side="Zone.id")
    pools: Mapped[list["ZonePool"]] = relationship(back_populates="zone", cascade="all, delete-orphan")


class ZonePool(Base):
    """Part of a zone's capacity kept for one class of vehicle (temporary, pass holders, reserved, shared)."""

    __tablename__ = "zone_pool"
    __table_args__ = (
        UniqueConstraint("zone_id", "kind"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"))
    kind: Mapped[PoolKind] = mapped_column(str_enum(PoolKind, "pool_kind"))
    capacity: Mapped[int]
    zone: Mapped[Zone] = relationship(back_populates="pools")


class Lane(Base):
    """One driving lane at an entrance: entry or exit, counting into (or out of) ``zone``."""

    __tablename__ = "lane"
    __table_args__ = (UniqueConstraint("lot_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    direction: Mapped[LaneDirection] = mapped_column(str_enum(LaneDirection, "lane_direction"))
    enabled: Mapped[bool] = mapped_column(default=True)
    lot: Mapped[Lot] = relationship(back_populates="lanes")
    zone: Mapped[Zone] = relationship()
    devices: Mapped[list["Device"]] = relationship(back_populates="lane", order_by="Device.id")


class Device(Base):
    """A camera, gate, LED board or relay module, reached through its URL (see ``drivers``)."""

    __tablename__ = "device"
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    lane_id: Mapped[int | None] = mapped_column(ForeignKey("lane.id", ondelete="SET NULL"), index=True)
    kind: Mapped[DeviceKind] = mapped_column(str_enum(DeviceKind, "device_kind"))
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    serial: Mapped[str | None] = mapped_column(String(64), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    lot: Mapped[Lot] = relationship()
    lane: Mapped[Lane | None] = relationship(back_populates="devices")
