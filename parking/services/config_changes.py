"""Changes to a lot's configuration that the lanes feel at once: issuing a pass, changing a capacity.

Each checks everything first and writes nothing when a check fails, with an error that names the field:
an unknown lot or zone, a plate the plates module rejects, a validity that is empty or overlaps another
pass of the same plate in the same zone, a capacity below the vehicles present.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Lot, ParkingPass, PassKind, PassPlate, Zone
from ..occupancy import CapacityError, OccupancyStore
from ..passes import PassFact, overlapping
from ..plates import Plate, PlateError, parse
from ..policy import LotPolicy
from . import lot_facts


class ConfigChangeError(ValueError):
    """A configuration change was refused; ``field`` names what was wrong.

    ``message`` is English (the API's); ``code`` and ``params``, when given, let a page say the same in
    its own language (``web.service_errors``)."""

    def __init__(self, field: str, message: str, *, code: str = "", **params: object) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code
        self.params = params


@dataclass(frozen=True)
class PassRequest:
    lot_id: int
    kind: str
    holder: str
    plates: Sequence[str]
    valid_from: datetime
    valid_until: datetime
    zone_id: int | None = None
    spaces: int = 1
    window_start: time | None = None
    window_end: time | None = None
    price_fen: int = 0


def parse_plate(text: str, field: str = "plate") -> str:
    """The plate ``text`` names, normalised (``parking.plates.parse``); an impossible plate is an error naming ``field``."""
    try:
        plate = parse(text)
    except PlateError as exc:
        raise ConfigChangeError(field, str(exc), code="plate_invalid", plate=text) from None
    if not isinstance(plate, Plate):
        raise ConfigChangeError(field, f"{text!r} is not a plate", code="plate_invalid", plate=text)
    return plate.text


def parse_plates(raw: Sequence[str]) -> list[str]:
    """One or more distinct plates, normalised; errors name ``plates`` or ``plates[i]``."""
    if not raw:
        raise ConfigChangeError("plates", "at least one plate is required", code="plates_missing")
    plates = [parse_plate(text, f"plates[{i}]") for i, text in enumerate(raw)]
    twice = next((p for i, p in enumerate(plates) if p in plates[:i]), None)
    if twice is not None:
        raise ConfigChangeError("plates", "a plate is listed twice", code="plate_twice", plate=twice)
    return plates


def find_overlap(db: Session, candidate: PassFact, plates: Sequence[str], lot_id: int, *,
                 exclude_id: int | None = None) -> tuple[ParkingPass, str] | None:
    """Another live pass of the lot (not ended) sharing a plate with ``candidate`` in the same zone for
    an overlapping validity, with the shared plate; None when there is none."""
    query = (select(ParkingPass).join(PassPlate).where(ParkingPass.lot_id == lot_id, ParkingPass.active.is_(True), PassPlate.plate.in_(plates))
             .options(selectinload(ParkingPass.plates)).order_by(ParkingPass.id))
    if exclude_id is not None:
        query = query.where(ParkingPass.id != exclude_id)
    for other in db.scalars(query).unique():
        if overlapping(candidate, lot_facts.pass_fact(other)):
            return other, sorted(set(plates) & {p.plate for p in other.plates})[0]
    return None


def overlap_error(other: ParkingPass, plate: str, field: str = "valid_from") -> ConfigChangeError:
    return ConfigChangeError(
        field, f"plate {plate} already has pass {other.id} ({other.holder}) valid "
        f"{other.valid_from:%Y-%m-%d} to {other.valid_until:%Y-%m-%d} in the same zone",
        code="plate_overlap", plate=plate, pass_id=other.id, holder=other.holder,
        valid_from=f"{other.valid_from:%Y-%m-%d}", valid_until=f"{other.valid_until:%Y-%m-%d}",
    )


def issue_pass(db: Session, store: OccupancyStore, request: PassRequest, now: datetime) -> ParkingPass:
    """Create a pass and publish the lot's plate facts; nothing is written if any check fails."""
    lot = db.get(Lot, request.lot_id)
    if lot is None:
        raise ConfigChangeError("lot_id", f"no lot {request.lot_id}")
    try:
        kind = PassKind(request.kind)
    except ValueError:
        raise ConfigChangeError("kind", f"{request.kind!r} is not one of {', '.join(k.value for k in PassKind)}") from None
    if request.zone_id is not None:
        zone = db.get(Zone, request.zone_id)
        if zone is None or zone.lot_id != lot.id:
            raise ConfigChangeError("zone_id", f"zone {request.zone_id} is not a zone of lot {lot.code}")
    plates = parse_plates(request.plates)
    if request.valid_until <= request.valid_from:
        raise ConfigChangeError("valid_until", f"{request.valid_until.isoformat()} is not after valid_from {request.valid_from.isoformat()}")
    if request.spaces < 1:
        raise ConfigChangeError("spaces", f"{request.spaces} is below 1")
    if request.spaces > len(plates):
        raise ConfigChangeError("spaces", f"{request.spaces} spaces for {len(plates)} plates: a pass cannot hold more spaces than cars")
    if (request.window_start is None) != (request.window_end is None):
        raise ConfigChangeError("window_end" if request.window_end is None else "window_start", "a daily window needs both its start and its end")
    if kind == PassKind.TIME_WINDOW and request.window_start is None:
        raise ConfigChangeError("window_start", "a time-window pass needs its daily window")
    if request.price_fen < 0:
        raise ConfigChangeError("price_fen", f"{request.price_fen} is negative")
    candidate = ParkingPass(
        lot_id=lot.id, zone_id=request.zone_id, kind=kind, holder=request.holder, spaces=request.spaces,
        valid_from=request.valid_from, valid_until=request.valid_until, window_start=request.window_start,
        window_end=request.window_end, price_fen=request.price_fen, plates=[PassPlate(plate=p) for p in plates],
    )
    clash = find_overlap(db, lot_facts.pass_fact(candidate), plates, lot.id)
    if clash is not None:
        raise overlap_error(*clash)
    db.add(candidate)
    db.flush()
    lot_facts.refresh(db, store, lot.id, LotPolicy.from_settings(lot.settings), now)
    return candidate


def set_zone_capacity(db: Session, store: OccupancyStore, zone_id: int, capacity: int, now: datetime, *, pool: str | None = None) -> None:
    """Change a zone's (or one of its pools') capacity in Redis and SQL; refused below the count."""
    zone = db.get(Zone, zone_id)
    if zone is None:
        raise ConfigChangeError("zone_id", f"no zone {zone_id}")
    if capacity < 0:
        raise ConfigChangeError("capacity", f"{capacity} is negative")
    target = zone if pool is None else next((p for p in zone.pools if p.kind.value == pool), None)
    if target is None:
        raise ConfigChangeError("pool", f"zone {zone.code} has no {pool} pool")
    try:
        if pool is None:
            store.set_capacities(zone.lot_id, {zone.id: capacity}, now=now)
        else:
            store.set_capacities(zone.lot_id, {}, {(zone.id, pool): capacity}, now=now)
    except CapacityError as exc:
        raise ConfigChangeError("capacity", str(exc)) from None
    target.capacity = capacity
    db.flush()
