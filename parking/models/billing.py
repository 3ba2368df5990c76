"""Tariffs (versioned documents), workday calendar overrides and payments."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from .places import Lot


class PaymentMethod(StrEnum):
    CASH = "cash"
    QR = "qr"
    PREPAID = "prepaid"
    WAIVED = "waived"


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


class Payment(Base):
    """Money received for a parking session, in integer fen. ``uid`` makes recording it idempotent."""

    __tablename__ = "payment"
    __table_args__ = (CheckConstraint("amount_fen >= 0", name="amount_not_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), index=True)
    session_uid: Mapped[str | None] = mapped_column(String(40), index=True)
    plate: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int]
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"))
    reference: Mapped[str] = mapped_column(String(100), default="")
    paid_at: Mapped[datetime]
