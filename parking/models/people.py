"""Who uses the system and which vehicles they are known by: operators, vehicles, passes, list entries."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from .places import Lot


class Role(StrEnum):
    ADMIN = "admin"  # configuration, operators, tariffs
    MANAGER = "manager"  # passes, lists, reports, corrections
    ATTENDANT = "attendant"  # lanes, payments at the booth
    AUDITOR = "auditor"  # reads everything, changes nothing


class PassKind(StrEnum):
    MONTHLY = "monthly"  # 月卡
    TIME_WINDOW = "time_window"  # only within a daily window, e.g. 19:00–07:00
    ENTERPRISE = "enterprise"  # N spaces shared by M plates
    OWNER = "owner"  # property-owned space
    SHARED = "shared"  # staggered-time sharing right (错时共享)


class ListKind(StrEnum):
    WHITELIST = "whitelist"
    BLACKLIST = "blacklist"


class Operator(Base):
    """A console user. ``password_hash`` is an argon2 hash, never a password."""

    __tablename__ = "operator"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "operator_role"))
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Set for a new account and after a reset: the next sign-in must choose a new password.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[datetime | None]
    # Raised by sign-out, a password change and disabling: every session issued before is void.
    session_epoch: Mapped[int] = mapped_column(default=0)
    sites: Mapped[list["OperatorSite"]] = relationship(cascade="all, delete-orphan")


class OperatorSite(Base):
    """The sites an operator works at: an operator bound to sites sees and acts only on their lots and
    lanes; one bound to none (an admin, an auditor) sees all."""

    __tablename__ = "operator_site"
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)


class ApiToken(Base):
    """An integration token: only its SHA-256 is kept; ``prefix`` (its first characters) names it on screen."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class PassProduct(Base):
    """What a lot sells as a pass (月卡, 年卡, 产权车位, 企业包位): kind, period and price per period."""

    __tablename__ = "pass_product"
    __table_args__ = (UniqueConstraint("lot_id", "code"), CheckConstraint("price_fen >= 0", name="price_not_negative"),
                      CheckConstraint("period_months > 0", name="period_positive"))
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[PassKind] = mapped_column(str_enum(PassKind, "pass_kind"))
    period_months: Mapped[int] = mapped_column(default=1)
    price_fen: Mapped[int] = mapped_column(default=0)
    spaces: Mapped[int] = mapped_column(default=1)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id", ondelete="RESTRICT"))
    window_start: Mapped[time | None]
    window_end: Mapped[time | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Vehicle(Base):
    """A known vehicle. Owner contact details are personal data: never shown on public pages."""

    __tablename__ = "vehicle"
    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), unique=True)
    plate_color: Mapped[str] = mapped_column(String(16), default="unknown")
    plate_kind: Mapped[str] = mapped_column(String(24), default="ordinary")
    owner_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ParkingPass(Base):
    """A right to park: kind, zone, validity, an optional daily window and a number of spaces."""

    __tablename__ = "pass"
    __table_args__ = (
        CheckConstraint("spaces >= 1", name="spaces_positive"),
        CheckConstraint("valid_until > valid_from", name="validity_ordered"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id", ondelete="RESTRICT"))
    kind: Mapped[PassKind] = mapped_column(str_enum(PassKind, "pass_kind"))
    holder: Mapped[str] = mapped_column(String(100))
    spaces: Mapped[int] = mapped_column(default=1)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    window_start: Mapped[time | None]
    window_end: Mapped[time | None]
    price_fen: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("pass_product.id", ondelete="SET NULL"))
    phone: Mapped[str] = mapped_column(String(32), default="")  # the holder's, for residents' self-service
    household: Mapped[str] = mapped_column(String(64), default="")  # e.g. 3栋502
    note: Mapped[str] = mapped_column(String(200), default="")
    suspended_at: Mapped[datetime | None]  # while set, the pass admits nobody
    ended_at: Mapped[datetime | None]
    lot: Mapped["Lot"] = relationship()
    plates: Mapped[list["PassPlate"]] = relationship(back_populates="parking_pass", cascade="all, delete-orphan")


class PassPlate(Base):
    __tablename__ = "pass_plate"
    __table_args__ = (UniqueConstraint("pass_id", "plate"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pass_id: Mapped[int] = mapped_column(ForeignKey("pass.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(16), index=True)
    parking_pass: Mapped[ParkingPass] = relationship(back_populates="plates")


class ListEntry(Base):
    """A whitelist or blacklist entry; ``lot_id`` NULL applies to every lot."""

    __tablename__ = "list_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[ListKind] = mapped_column(str_enum(ListKind, "list_kind"))
    reason: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lot: Mapped["Lot | None"] = relationship()


class Visitor(Base):
    """A visitor's car registered by a resident for a time range (访客登记)."""

    __tablename__ = "visitor"
    __table_args__ = (CheckConstraint("valid_until > valid_from", name="validity_ordered"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(16), index=True)
    host: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
