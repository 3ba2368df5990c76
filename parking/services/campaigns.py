"""Campaigns of a lot (优惠活动): a lot-wide offer such as 公益免费停车 on a public holiday.

A campaign has a name (the receipt line says it), a kind and value like a coupon (free; minutes off;
an amount in fen off; a percentage off) and a period [starts_at, ends_at). A stay that *begins* within
the period gets it at the exit, whenever it leaves, applied by the exit decision from the lot's context
(``parking.services.site.load_lots`` → ``LotContext.campaigns`` → ``parking.discounts``) without the
tariff's coupon policy: the lot decided it, no merchant did. Switching one off (``active`` false) stops
it for stays that have not left yet.

Every change is checked first (errors name the field), audited with before and after, committed with its
audit row, and then announced to the lanes (the configuration version), so they reload at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..discounts import KINDS, valid_value
from ..models import Campaign, Lot
from ..occupancy import OccupancyStore
from . import audit
from .config_changes import ConfigChangeError

NAME_MAX_CHARS = 100
MAX_DAYS = 366
VALUE_LIMITS = {"minutes": 1440, "amount": 50_000, "percent": 100, "free": 0}


@dataclass(frozen=True)
class CampaignFields:
    lot_id: int
    name: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    value: int = 0
    active: bool = True


def snapshot(campaign: Campaign) -> dict[str, Any]:
    return {"lot_id": campaign.lot_id, "name": campaign.name, "kind": campaign.kind, "value": campaign.value,
            "starts_at": campaign.starts_at.isoformat(), "ends_at": campaign.ends_at.isoformat(), "active": campaign.active}


def _check(db: Session, values: CampaignFields) -> CampaignFields:
    if db.get(Lot, values.lot_id) is None:
        raise ConfigChangeError("lot_id", f"no lot {values.lot_id}", code="lot_unknown", lot_id=values.lot_id)
    name = (values.name or "").strip()
    if not name or len(name) > NAME_MAX_CHARS:
        raise ConfigChangeError("name", f"a name of 1 to {NAME_MAX_CHARS} characters is required", code="name_required", max=NAME_MAX_CHARS)
    if values.kind not in VALUE_LIMITS:
        raise ConfigChangeError("kind", f"{values.kind!r} is not one of {', '.join(KINDS)}", code="coupon_kind_invalid", kind=values.kind)
    value = 0 if values.kind == "free" else values.value
    if not isinstance(value, int) or isinstance(value, bool) or not valid_value(values.kind, value) or value > VALUE_LIMITS[values.kind]:
        raise ConfigChangeError("value", f"{value!r} is not a whole number from 1 to {VALUE_LIMITS[values.kind]}", code="out_of_range",
                                min=1, max=VALUE_LIMITS[values.kind])
    for name_, moment in (("starts_at", values.starts_at), ("ends_at", values.ends_at)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ConfigChangeError(name_, "must be a date and time with a time zone", code="moment_naive")
    if values.ends_at <= values.starts_at:
        raise ConfigChangeError("ends_at", "the end must be after the start", code="window_empty")
    if values.ends_at - values.starts_at > timedelta(days=MAX_DAYS):
        raise ConfigChangeError("ends_at", f"a campaign lasts at most {MAX_DAYS} days", code="campaign_too_long", max=MAX_DAYS)
    return replace(values, name=name, value=value)


def _apply(campaign: Campaign, values: CampaignFields) -> None:
    for f in fields(values):
        setattr(campaign, f.name, getattr(values, f.name))


def create(db: Session, store: OccupancyStore, values: CampaignFields, *, operator_id: int | None, now: datetime) -> Campaign:
    """Add a campaign; the lanes apply it from now on. Audited and committed."""
    values = _check(db, values)
    if values.ends_at <= now:
        raise ConfigChangeError("ends_at", "the campaign would be over already", code="window_past")
    campaign = Campaign(created_at=now)
    _apply(campaign, values)
    db.add(campaign)
    db.flush()
    audit.record(db, "campaign.create", operator_id=operator_id, target=f"campaign {campaign.id}", at=now, after=snapshot(campaign))
    db.commit()
    store.config.bump()
    return campaign


def get(db: Session, campaign_id: int) -> Campaign:
    campaign = db.get(Campaign, campaign_id)
    if campaign is None:
        raise ConfigChangeError("campaign_id", f"no campaign {campaign_id}", code="campaign_unknown", campaign_id=campaign_id)
    return campaign


def update(db: Session, store: OccupancyStore, campaign_id: int, *, operator_id: int | None, now: datetime, **changes: Any) -> Campaign:
    """Change some of a campaign's fields (any of ``CampaignFields`` but ``lot_id``). Audited and committed."""
    campaign = get(db, campaign_id)
    if "lot_id" in changes and changes["lot_id"] != campaign.lot_id:
        raise ConfigChangeError("lot_id", "a campaign stays in its lot", code="campaign_lot_fixed")
    unknown = set(changes) - {f.name for f in fields(CampaignFields)}
    if unknown:
        raise ConfigChangeError(sorted(unknown)[0], "not a field of a campaign", code="field_unknown")
    current = CampaignFields(**{f.name: getattr(campaign, f.name) for f in fields(CampaignFields)})
    values = _check(db, replace(current, **changes))
    before = snapshot(campaign)
    _apply(campaign, values)
    after = snapshot(campaign)
    if after != before:
        audit.record(db, "campaign.update", operator_id=operator_id, target=f"campaign {campaign.id}", at=now, before=before, after=after)
    db.commit()
    store.config.bump()
    return campaign


def campaigns(db: Session, *, lot_id: int | None = None, lot_ids: list[int] | None = None) -> list[Campaign]:
    """Campaigns, the latest first."""
    query = select(Campaign).order_by(Campaign.starts_at.desc(), Campaign.id.desc())
    if lot_id is not None:
        query = query.where(Campaign.lot_id == lot_id)
    if lot_ids is not None:
        query = query.where(Campaign.lot_id.in_(lot_ids))
    return list(db.scalars(query))
