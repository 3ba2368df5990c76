"""Tariffs (versioned documents) and workday calendar overrides. Money lives in ``money.py``."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from .places import Lot


class Tariff(Base):
    """One version of a published tariff document (JSON, validated by ``parking.tariffs``)."""

    __tablename__ = "tariff"
    __table_args__ = (UniqueConstraint("code", "version"), CheckConstraint("version >= 1", name="version_positive"))
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]]
    valid_from: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lot: Mapped["Lot | None"] = relationship()


class CalendarOverride(Base):
    """A lot's own word on whether a date is a workday; ``lot_id`` NULL applies to every lot."""

    __tablename__ = "calendar_override"
    __table_args__ = (UniqueConstraint("lot_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"))
    day: Mapped[date]
    day_kind: Mapped[str] = mapped_column(String(16))  # workday | restday | holiday
    note: Mapped[str] = mapped_column(String(200), default="")
