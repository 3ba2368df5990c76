"""SQL reads shared by the console and the API: a page of rows, and a lane's camera serial."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from parking.models import DeviceKind, Lane

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


def paginate(session: Session, query: Select[tuple[T]], page: int, per_page: int, *, clamp: bool = False) -> Page[T]:
    """Rows ``(page - 1) * per_page`` onwards of ``query``, with the total count of its rows.

    A page past the last one is empty, or with ``clamp`` the last page. ``page`` and ``per_page`` are
    positive and bounded by the caller (``web.schemas.fields``), so the offset fits any database."""
    if page < 1 or per_page < 1:
        raise ValueError(f"page {page} and per_page {per_page} must be positive")
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if clamp:
        page = min(page, max(1, ceil(total / per_page)))
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, page, per_page, total)


def camera_serial(lane: Lane) -> str:
    """The serial of the lane's camera, or "" when it has none (load ``Lane.devices`` eagerly)."""
    return next((d.serial or "" for d in lane.devices if d.kind == DeviceKind.CAMERA), "")
