"""Reading passes for the console and the API: each with its state and days left in its lot's time zone,
found by plate, holder, household or phone, filtered by state, and the passes running out soon.

``expiring`` lists the passes (not ended) whose last valid day is within N days, or that lapsed within
the lot's late-renewal grace and still need renewing; N defaults to each lot's ``expiry_warning_days``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from .. import pass_terms
from ..models import Lot, ParkingPass, PassPlate
from ..policy import LotPolicy, PolicyError

# States a search can ask for: ``lapsed`` is past its validity (in grace or expired), not ended.
FILTERS = ("valid", "not_yet", "lapsed", "suspended", "ended")
SEARCH_MAX_CHARS = 64


@dataclass(frozen=True)
class LotTerms:
    tz: ZoneInfo
    policy: LotPolicy


def lot_terms(db: Session, lot_ids: Iterable[int] | None = None) -> dict[int, LotTerms]:
    """Each lot's time zone and policy (a lot whose settings cannot be read gets the defaults here)."""
    query = select(Lot).options(selectinload(Lot.site))
    if lot_ids is not None:
        query = query.where(Lot.id.in_(list(lot_ids)))
    found = {}
    for lot in db.scalars(query):
        try:
            policy = LotPolicy.from_settings(lot.settings)
        except PolicyError:
            policy = LotPolicy()
        found[lot.id] = LotTerms(ZoneInfo(lot.timezone or lot.site.timezone), policy)
    return found


@dataclass(frozen=True)
class PassRow:
    """A pass with where it stands now."""

    parking_pass: ParkingPass
    status: pass_terms.Status
    tz: ZoneInfo

    @property
    def last_day(self) -> date:
        """The last valid day in the lot's time zone."""
        return (self.parking_pass.valid_until - timedelta(microseconds=1)).astimezone(self.tz).date()

    @property
    def first_day(self) -> date:
        return self.parking_pass.valid_from.astimezone(self.tz).date()


def describe(passes: Sequence[ParkingPass], terms: dict[int, LotTerms], now: datetime) -> list[PassRow]:
    rows = []
    for p in passes:
        t = terms[p.lot_id]
        rows.append(PassRow(p, pass_terms.status(p.valid_from, p.valid_until, now, t.tz, grace_days=t.policy.renewal_grace_days,
                                                 suspended_at=p.suspended_at, ended_at=p.ended_at), t.tz))
    return rows


def rows(db: Session, passes: Sequence[ParkingPass], now: datetime) -> list[PassRow]:
    return describe(passes, lot_terms(db, {p.lot_id for p in passes}), now)


def search(*, now: datetime, lot_id: int | None = None, lot_ids: Sequence[int] | None = None, text: str = "",
           status: str = "", product_id: int | None = None) -> Select[tuple[ParkingPass]]:
    """The query for passes matching a plate, holder, household or phone fragment, in a state, by lot and id."""
    query = select(ParkingPass).options(selectinload(ParkingPass.plates), selectinload(ParkingPass.lot)).order_by(ParkingPass.lot_id, ParkingPass.id)
    if lot_id is not None:
        query = query.where(ParkingPass.lot_id == lot_id)
    if lot_ids is not None:
        query = query.where(ParkingPass.lot_id.in_(list(lot_ids)))
    if product_id is not None:
        query = query.where(ParkingPass.product_id == product_id)
    text = text.strip()[:SEARCH_MAX_CHARS]
    if text:
        plate_match = select(PassPlate.pass_id).where(PassPlate.plate.contains(text.upper().replace(" ", ""), autoescape=True))
        query = query.where(or_(
            ParkingPass.id.in_(plate_match), ParkingPass.holder.contains(text, autoescape=True),
            ParkingPass.household.contains(text, autoescape=True), ParkingPass.phone.contains(text, autoescape=True),
        ))
    not_ended = ParkingPass.ended_at.is_(None)
    not_suspended = ParkingPass.suspended_at.is_(None)
    if status == "valid":
        query = query.where(not_ended, not_suspended, ParkingPass.valid_from <= now, ParkingPass.valid_until > now)
    elif status == "not_yet":
        query = query.where(not_ended, not_suspended, ParkingPass.valid_from > now)
    elif status == "lapsed":
        query = query.where(not_ended, not_suspended, ParkingPass.valid_until <= now)
    elif status == "suspended":
        query = query.where(not_ended, ParkingPass.suspended_at.is_not(None))
    elif status == "ended":
        query = query.where(ParkingPass.ended_at.is_not(None))
    elif status:
        raise ValueError(f"status {status!r} is not one of {', '.join(FILTERS)}")
    return query


def expiring(db: Session, now: datetime, *, lot_id: int | None = None, lot_ids: Sequence[int] | None = None,
             days: int | None = None) -> list[PassRow]:
    """Passes (not ended) whose last valid day is within ``days`` days (each lot's ``expiry_warning_days``
    when None), or that lapsed within the grace: soonest first."""
    terms = lot_terms(db, [lot_id] if lot_id is not None else lot_ids)
    clauses = []
    for lid, t in terms.items():
        window = t.policy.expiry_warning_days if days is None else days
        today = now.astimezone(t.tz).date()
        # The last valid day is at most today + window: the pass ends by local midnight after it.
        until = pass_terms.local_midnight(today + timedelta(days=window + 1), t.tz)
        since = now - timedelta(days=t.policy.renewal_grace_days)
        clauses.append(and_(ParkingPass.lot_id == lid, ParkingPass.valid_until <= until, ParkingPass.valid_until > since))
    if not clauses:
        return []
    query = (select(ParkingPass).where(ParkingPass.ended_at.is_(None), or_(*clauses))
             .options(selectinload(ParkingPass.plates), selectinload(ParkingPass.lot)).order_by(ParkingPass.valid_until, ParkingPass.id))
    return describe(list(db.scalars(query)), terms, now)
