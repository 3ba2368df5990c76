"""What every change the lanes feel shares: checked text fields, rolling a failed change back, and
publishing the changed lots' plate facts once the change is committed.

``publish`` runs after the commit, so a lane never sees a pass, list entry or visitor that SQL does not
hold; when Redis is away it logs and returns False, and the agents' next sync rebuilds the facts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import redis
from sqlalchemy.orm import Session

from ..models import Lot
from ..occupancy import OccupancyStore
from ..policy import LotPolicy, PolicyError
from . import lot_facts
from .config_changes import ConfigChangeError

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
FIRST_YEAR, LAST_YEAR = 2000, 2099  # the times an operator may give (as the API's instants)


def text(field: str, value: str, limit: int, *, required: bool = False) -> str:
    """``value`` stripped; an error naming ``field`` when it is missing, too long or has a control character."""
    value = (value or "").strip()
    if required and not value:
        raise ConfigChangeError(field, "is required", code="required")
    if len(value) > limit:
        raise ConfigChangeError(field, f"longer than {limit} characters", code="too_long", max=limit)
    if _CONTROL.search(value):
        raise ConfigChangeError(field, "contains a control character", code="control_character")
    return value


def moment(field: str, value: datetime) -> datetime:
    """An aware ``value`` in UTC, as every time is stored; a naive one is an error naming ``field``."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ConfigChangeError(field, f"{value.isoformat()} has no UTC offset", code="moment_naive")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ConfigChangeError(field, f"{value.isoformat()} is not from {FIRST_YEAR} to {LAST_YEAR}", code="moment_range")
    return value.astimezone(UTC)


def lot_policy(lot: Lot) -> LotPolicy:
    try:
        return LotPolicy.from_settings(lot.settings)
    except PolicyError as exc:
        raise ConfigChangeError("lot_id", f"lot {lot.code} has a setting the system cannot use ({exc}); fix the lot first",
                                code="lot_settings_invalid", lot=lot.code) from None


@contextmanager
def writing(db: Session) -> Iterator[None]:
    """Roll the session back when a change fails part-way, so nothing half-written is committed later."""
    try:
        yield
    except BaseException:
        db.rollback()
        raise


def publish(db: Session, store: OccupancyStore, lot_ids: Iterable[int], now: datetime) -> bool:
    """Rebuild the plate facts of ``lot_ids`` after a committed change; False when that could not be done now."""
    try:
        for lot_id in sorted(set(lot_ids)):
            lot = db.get(Lot, lot_id)
            if lot is not None:
                lot_facts.refresh(db, store, lot.id, lot_policy(lot), now)
    except (redis.RedisError, ConfigChangeError) as exc:
        log.warning("plate facts not rebuilt now (the agents' next sync will): %s", exc)
        return False
    return True
