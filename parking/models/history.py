"""What happened: parking sessions, the journal of lot events, the audit log and device events.

``LotEvent`` is the journal: every state change the occupancy core makes in Redis is appended to the
lot's stream with a unique ``event_uid`` and persisted here exactly once (the unique constraint makes a
second delivery harmless).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, str_enum, utcnow


class SessionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    VOIDED = "voided"  # cleared by an attendant (人工清场) or rebuilt away by reconcile


class ParkingSession(Base):
    """One stay of one vehicle in one lot, from the entry read to the exit read."""

    __tablename__ = "parking_session"
    __table_args__ = (
        Index("ix_parking_session_lot_status", "lot_id", "status"),
        # The revenue report's receivable (``parking.services.revenue``): closed stays of lots by exit time, read from the index alone.
        Index("ix_parking_session_closed_lot_exit", "lot_id", "exit_at", postgresql_include=["exit_lane_id", "fee_fen"],
              postgresql_where=text("status = 'closed'"), sqlite_where=text("status = 'closed'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="RESTRICT"))
    plate: Mapped[str] = mapped_column(String(16), index=True)
    plate_color: Mapped[str] = mapped_column(String(16), default="unknown")
    vehicle_class: Mapped[str] = mapped_column(String(24), default="temporary")
    pool: Mapped[str | None] = mapped_column(String(16))  # the zone pool the stay counts in, if the zone has pools
    pass_id: Mapped[int | None]  # no foreign key: history outlives a withdrawn pass
    status: Mapped[SessionStatus] = mapped_column(str_enum(SessionStatus, "session_status"))
    entry_lane_id: Mapped[int | None] = mapped_column(ForeignKey("lane.id", ondelete="SET NULL"))
    entry_at: Mapped[datetime]
    entry_read: Mapped[str] = mapped_column(String(64), default="")
    entry_snapshot: Mapped[str] = mapped_column(String(200), default="")
    exit_lane_id: Mapped[int | None] = mapped_column(ForeignKey("lane.id", ondelete="SET NULL"))
    exit_at: Mapped[datetime | None]
    exit_read: Mapped[str] = mapped_column(String(64), default="")
    exit_snapshot: Mapped[str] = mapped_column(String(200), default="")
    fee_fen: Mapped[int] = mapped_column(default=0)
    paid_fen: Mapped[int] = mapped_column(default=0)  # payments less refunds, as the ledger books them
    discount_fen: Mapped[int] = mapped_column(default=0)  # coupons, campaigns, free releases, refunds
    arrears_fen: Mapped[int] = mapped_column(default=0)  # left unpaid (see ``Arrears``)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LotEvent(Base):
    """The journal: one row per event of a lot's Redis stream, persisted once."""

    __tablename__ = "lot_event"
    __table_args__ = (Index("ix_lot_event_lot_at", "lot_id", "at"), Index("ix_lot_event_lane_at", "lane_id", "at"))
    # SQLite assigns row ids only to an INTEGER PRIMARY KEY, so BIGINT there would never autoincrement.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    event_uid: Mapped[str] = mapped_column(String(40), unique=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    plate: Mapped[str] = mapped_column(String(16), default="")
    lane_id: Mapped[int | None]  # the lane the event happened at, when it names one (no foreign key: history)
    stream_id: Mapped[str] = mapped_column(String(32), default="")
    payload: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who did what in the console or the CLI, and when."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")


class DeviceEvent(Base):
    """A device came online, went offline, reported an error or was commanded."""

    __tablename__ = "device_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
