"""The configuration a lane decision reads, loaded from SQL into the plain values of ``parking.context``:
lanes by camera serial, and for each lot its time zone, policy, tariff, workday calendar, zone tree and
active campaigns.

A lot's campaigns are those switched on whose period ended less than ``CAMPAIGN_LOOKBACK`` ago (a car
that came in on the holiday may leave days later and still gets it) or has not ended; the exit applies
one to a stay that began within its period (``parking.discounts``), whatever the tariff's coupon policy
says. Changing a campaign bumps the configuration version, so lanes reload them at once."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Campaign, CalendarOverride, DeviceKind, Lane, Lot, Zone
from ..context import LaneRef, LotContext
from ..discounts import CampaignFact
from ..policy import LotPolicy
from ..tariffs import Tariff, WorkdayCalendar


CAMPAIGN_LOOKBACK = timedelta(days=62)


class SiteConfigError(ValueError):
    """The configuration in SQL cannot run a lane: the message names the lot, lane or tariff."""


def lot_tariff(db: Session, lot: Lot, now: datetime) -> Tariff | None:
    """The tariff in force for ``lot`` at ``now`` (``parking.services.tariffs.active_tariff``)."""
    from .tariffs import StoredTariffError, active_tariff

    try:
        found = active_tariff(db, lot.id, now)
    except StoredTariffError as exc:
        raise SiteConfigError(f"lot {lot.code}: tariff {exc.code} v{exc.version} is invalid: {exc}") from None
    return found[1] if found else None


def load_lots(db: Session, default_tz: str, now: datetime, *, lot_id: int | None = None) -> dict[int, LotContext]:
    """Every lot's context, or only ``lot_id``'s (so one lot's broken setting cannot fail another's quote)."""
    overrides: dict[int | None, dict] = defaultdict(dict)
    for o in db.scalars(select(CalendarOverride)):
        overrides[o.lot_id][o.day] = o.day_kind
    parents: dict[int, dict[int, int | None]] = defaultdict(dict)
    for zone in db.scalars(select(Zone) if lot_id is None else select(Zone).where(Zone.lot_id == lot_id)):
        parents[zone.lot_id][zone.id] = zone.parent_id
    campaigns = lot_campaigns(db, now, lot_id=lot_id)
    lots = {}
    query = select(Lot).options(selectinload(Lot.site)).order_by(Lot.id)
    if lot_id is not None:
        query = query.where(Lot.id == lot_id)
    for lot in db.scalars(query):
        try:
            policy = LotPolicy.from_settings(lot.settings)
        except ValueError as exc:
            raise SiteConfigError(f"lot {lot.code}: {exc}") from None
        lots[lot.id] = LotContext(
            id=lot.id, name=lot.name, tz=ZoneInfo(lot.timezone or lot.site.timezone or default_tz), policy=policy,
            tariff=lot_tariff(db, lot, now),
            calendar=WorkdayCalendar({**overrides[None], **overrides[lot.id]}),
            parents=parents[lot.id],
            opened_at=lot.created_at,
            campaigns=campaigns[lot.id],
        )
    return lots


def lot_campaigns(db: Session, now: datetime, *, lot_id: int | None = None) -> dict[int, tuple[CampaignFact, ...]]:
    """lot id -> its active campaigns that have not ended or ended within ``CAMPAIGN_LOOKBACK``."""
    query = select(Campaign).where(Campaign.active.is_(True), Campaign.ends_at > now - CAMPAIGN_LOOKBACK).order_by(Campaign.id)
    if lot_id is not None:
        query = query.where(Campaign.lot_id == lot_id)
    found: dict[int, list[CampaignFact]] = defaultdict(list)
    for c in db.scalars(query):
        found[c.lot_id].append(CampaignFact(c.id, c.name, c.kind, c.value, c.starts_at, c.ends_at, c.created_at))
    return defaultdict(tuple, {k: tuple(v) for k, v in found.items()})


def load_lanes(db: Session, lots: dict[int, LotContext]) -> dict[str, LaneRef]:
    """camera serial -> lane, for every enabled lane with an enabled camera."""
    lanes: dict[str, LaneRef] = {}
    rows = db.scalars(select(Lane).where(Lane.enabled.is_(True)).options(selectinload(Lane.devices)).order_by(Lane.id))
    for lane in rows:
        for device in lane.devices:
            if device.kind == DeviceKind.CAMERA and device.enabled and device.serial:
                lanes[device.serial] = LaneRef(
                    id=lane.id, code=lane.code, name=lane.name, lot_id=lane.lot_id, zone_id=lane.zone_id,
                    direction=lane.direction.value, camera_serial=device.serial, lot=lots.get(lane.lot_id),
                    devices=tuple((d.kind.value, d.url) for d in lane.devices if d.enabled),
                )
    return lanes

