"""The live occupancy of every lot, held in Redis and changed only through atomic Lua scripts.

``admit``, ``release``, ``move``, ``pay`` and ``add_coupon`` are one EVALSHA each: the script checks, changes the counts
and the open sessions, and appends the matching event to the lot's stream in one step, so Redis and the
journal never disagree. Scripts are registered once per store and called by SHA (redis-py reloads them
after a ``SCRIPT FLUSH``). Nothing here decides policy: the caller passes the ordered ``Claim``\\ s the
vehicle has (``parking.admission``), and the script takes the first one that fits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from typing import TYPE_CHECKING, Any

import redis

from ..claims import Claim
from .commands import CommandChannel
from .config import ConfigBoard
from .devices import DeviceBoard
from .facts import PlateFactCache
from .held import HeldCars
from .keys import LotKeys
from .moments import from_ms, new_uid, to_ms

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from .recorder import Recorder

__all__ = ["CapacityError", "CoreResult", "Count", "OccupancyStore", "from_ms", "new_uid", "to_ms"]

STREAM_MAXLEN = 1_000_000


def _script(name: str) -> str:
    """A script with the shared helpers of ``common.lua`` before it (Redis scripts cannot import)."""
    lua = resources.files("parking").joinpath("lua")
    return lua.joinpath("common.lua").read_text(encoding="utf-8") + lua.joinpath(f"{name}.lua").read_text(encoding="utf-8")


class CapacityError(ValueError):
    """A capacity that cannot be set: negative, or below the vehicles present."""


ZONE_ONLY = (Claim(pool=None, vehicle_class="temporary"),)


@dataclass(frozen=True)
class CoreResult:
    """What a script did: ``outcome`` and the detail it journaled (or, for a duplicate, the first answer)."""

    outcome: str
    detail: dict[str, Any]
    event_uid: str

    @property
    def duplicate(self) -> bool:
        return self.outcome == "duplicate"

    @property
    def effective(self) -> str:
        """The outcome that counts: for a duplicate, the outcome of the first read."""
        return str(self.detail["first"]) if self.duplicate else self.outcome

    @property
    def effective_detail(self) -> dict[str, Any]:
        return dict(self.detail["detail"]) if self.duplicate else self.detail


@dataclass(frozen=True)
class Count:
    present: int
    capacity: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.present)


class OccupancyStore:
    """The one door to a lot's live state. Besides the scripts, five named parts: ``facts`` (the plate
    facts lanes read), ``devices`` (camera health), ``commands`` (hand commands to lanes), ``held`` (the
    car each exit lane holds, and why) and ``config`` (capacities replaced by a configuration edit, and
    the version agents watch)."""

    def __init__(self, client: redis.Redis, *, dedupe_seconds: int = 10, stream_maxlen: int = STREAM_MAXLEN) -> None:
        self.redis = client
        self.facts = PlateFactCache(client)
        self.devices = DeviceBoard(client)
        self.commands = CommandChannel(client)
        self.held = HeldCars(client)
        self.dedupe_seconds = dedupe_seconds
        self.stream_maxlen = stream_maxlen
        self._admit = client.register_script(_script("admit"))
        self._release = client.register_script(_script("release"))
        self._move = client.register_script(_script("move"))
        self._pay = client.register_script(_script("pay"))
        self._coupon = client.register_script(_script("coupon"))
        self._set_capacity = client.register_script(_script("set_capacity"))
        self.config = ConfigBoard(client, client.register_script(_script("replace_capacity")), stream_maxlen, CapacityError)

    # -- configuration -------------------------------------------------------------------------------
    def set_capacities(self, lot_id: int, capacities: Mapping[int, int], pools: Mapping[tuple[int, str], int] | None = None, *,
                       now: datetime | None = None, force: bool = False) -> None:
        """Publish zone and pool capacities (from SQL). Without ``force`` a value below the vehicles
        present is refused with ``CapacityError`` and nothing of that field is changed."""
        fields: dict[str, int] = {str(zone): spaces for zone, spaces in capacities.items()}
        fields |= {f"{zone}:{pool}": spaces for (zone, pool), spaces in (pools or {}).items()}
        for name, spaces in fields.items():
            if spaces < 0:
                raise CapacityError(f"zone {name}: capacity {spaces} is negative")
        if not fields:
            return
        keys = LotKeys(lot_id)
        outcome, field, present = self._set_capacity(
            keys=[keys.occupancy, keys.capacity, keys.events],
            args=[json.dumps(list(fields.items())), new_uid(), to_ms(now or datetime.now(timezone.utc)), self.stream_maxlen,
                  "force" if force else "check"],
        )
        if _text(outcome) == "below_count":
            raise CapacityError(f"zone {_text(field)}: capacity {fields[_text(field)]} is below the {int(present)} vehicles present")

    # -- state changes -------------------------------------------------------------------------------
    def admit(
        self,
        lot_id: int,
        zone_id: int,
        plate: str,
        now: datetime,
        *,
        lane_id: int,
        claims: Sequence[Claim] = ZONE_ONLY,
        on_open: str = "refuse",
        session: Mapping[str, Any] | None = None,
        camera_serial: str = "",
        read_id: str = "",
    ) -> CoreResult:
        if on_open not in {"refuse", "replace"}:
            raise ValueError(f"on_open={on_open!r}: expected 'refuse' or 'replace'")
        keys = LotKeys(lot_id)
        event_uid = new_uid()
        record = {
            "uid": new_uid(),
            "plate": plate,
            "zone": zone_id,
            "lane": lane_id,
            "entry_at": now.astimezone(timezone.utc).isoformat(),
            "read": f"{camera_serial}:{read_id}" if read_id else "",
            **(session or {}),
        }
        raw = self._admit(
            keys=[
                keys.occupancy, keys.capacity, keys.open_sessions, keys.events,
                keys.read_dedupe(camera_serial, read_id) if read_id else keys.no_dedupe,
                keys.lane_dedupe(lane_id, plate),
                keys.pass_occupancy,
            ],
            args=[plate, zone_id, _dumps(record), event_uid, to_ms(now), self.dedupe_seconds, self.stream_maxlen,
                  json.dumps([c.to_json() for c in claims]), on_open],
        )
        return _result(raw, event_uid)

    def release(
        self,
        lot_id: int,
        plate: str,
        now: datetime,
        *,
        lane_id: int,
        exit: Mapping[str, Any] | None = None,
        camera_serial: str = "",
        read_id: str = "",
        probe: bool = False,
        session_uid: str = "",
    ) -> CoreResult:
        """Close the open session of ``plate``. With ``probe`` a missing session is reported without
        journaling it, so the caller may retry with a tolerantly matched plate; with ``session_uid``
        only that session is closed (outcome ``changed`` if another took its place)."""
        keys = LotKeys(lot_id)
        event_uid = new_uid()
        record = {
            "lane": lane_id,
            "exit_at": now.astimezone(timezone.utc).isoformat(),
            "read": f"{camera_serial}:{read_id}" if read_id else "",
            **(exit or {}),
        }
        raw = self._release(
            keys=[
                keys.occupancy, keys.open_sessions, keys.events,
                keys.read_dedupe(camera_serial, read_id) if read_id else keys.no_dedupe,
                keys.lane_dedupe(lane_id, plate),
                keys.pass_occupancy,
            ],
            args=[plate, _dumps(record), event_uid, to_ms(now), self.dedupe_seconds, self.stream_maxlen,
                  "probe" if probe else "final", session_uid],
        )
        return _result(raw, event_uid)

    def move(self, lot_id: int, plate: str, zone_id: int, now: datetime, *, lane_id: int,
             claims: Sequence[Claim] = ZONE_ONLY, read_id: str = "") -> CoreResult:
        """Move the open session of ``plate`` into ``zone_id`` (an inner gate of a lot-in-lot)."""
        keys = LotKeys(lot_id)
        event_uid = new_uid()
        record = {"lane": lane_id, "at": now.astimezone(timezone.utc).isoformat(), "read": read_id}
        raw = self._move(
            keys=[keys.occupancy, keys.capacity, keys.open_sessions, keys.events, keys.lane_dedupe(lane_id, plate), keys.pass_occupancy],
            args=[plate, zone_id, _dumps(record), event_uid, to_ms(now), self.dedupe_seconds, self.stream_maxlen,
                  json.dumps([c.to_json() for c in claims])],
        )
        return _result(raw, event_uid)

    def pay(self, lot_id: int, plate: str, amount_fen: int, now: datetime, *, method: str,
            operator_id: int | None = None, session_uid: str = "", reference: str = "",
            payment_uid: str | None = None) -> CoreResult:
        """Record a payment against the open session of ``plate`` (journaled as ``paid``). Give the
        ``payment_uid`` of the money movement (e.g. the gateway's order id) so that a retried call is
        recognised and counted once."""
        if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
            raise ValueError(f"amount_fen={amount_fen!r}: expected a positive whole number of fen")
        keys = LotKeys(lot_id)
        event_uid = new_uid()
        payment = {"uid": payment_uid or new_uid(), "amount_fen": amount_fen, "method": method, "operator": operator_id,
                   "paid_at": now.astimezone(timezone.utc).isoformat(), "reference": reference}
        raw = self._pay(
            keys=[keys.open_sessions, keys.events],
            args=[plate, _dumps(payment), event_uid, to_ms(now), self.stream_maxlen, session_uid],
        )
        return _result(raw, event_uid)

    def add_coupon(self, lot_id: int, plate: str, coupon: Mapping[str, Any], now: datetime, *, session_uid: str = "") -> CoreResult:
        """Give a merchant coupon (``code``, ``kind``, ``value``, ``merchant``, ``merchant_id``, ``at``) to the
        open session of ``plate`` (journaled as ``coupon_applied``); held once per code however often called.
        Outcomes: applied | duplicate | no_session | changed (another stay holds the plate's place)."""
        if not str(coupon.get("code") or ""):
            raise ValueError("coupon: a code is required")
        keys = LotKeys(lot_id)
        event_uid = new_uid()
        raw = self._coupon(
            keys=[keys.open_sessions, keys.events],
            args=[plate, _dumps(coupon), event_uid, to_ms(now), self.stream_maxlen, session_uid],
        )
        return _result(raw, event_uid)

    def journal(self, lot_id: int, kind: str, now: datetime, *, plate: str = "", data: Mapping[str, Any]) -> str:
        """Append an event that changes no state (a rejected read, a device fault) to the lot's journal."""
        event_uid = new_uid()
        self.redis.xadd(
            LotKeys(lot_id).events,
            {"uid": event_uid, "kind": kind, "at": to_ms(now), "plate": plate, "data": _dumps(dict(data))},
            maxlen=self.stream_maxlen,
            approximate=True,
        )
        return event_uid

    def rewrite(self, lot_id: int, sessions: Mapping[str, Mapping[str, Any]], occupancy: Mapping[str, int],
                passes: Mapping[str, int]) -> None:
        """Replace the lot's open sessions and counts in one MULTI/EXEC (``parking reconcile``'s repair):
        ``occupancy`` by zone or ``zone:pool`` field, ``passes`` by pass id."""
        keys = LotKeys(lot_id)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.open_sessions, keys.occupancy, keys.pass_occupancy)
            if sessions:
                pipe.hset(keys.open_sessions, mapping={p: json.dumps(dict(d), ensure_ascii=False, sort_keys=True) for p, d in sessions.items()})
            if occupancy:
                pipe.hset(keys.occupancy, mapping=dict(occupancy))
            if passes:
                pipe.hset(keys.pass_occupancy, mapping=dict(passes))
            pipe.execute()

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def close(self) -> None:
        self.redis.close()

    def recorder(self, sessions: "sessionmaker[Session]", lot_ids: Iterable[int], *, consumer: str | None = None) -> "Recorder":
        """The recorder that moves these lots' event streams into SQL (``parking worker``)."""
        from .recorder import Recorder
        return Recorder(self.redis, sessions, lot_ids, consumer=consumer)

    # -- reads ---------------------------------------------------------------------------------------
    def open_session(self, lot_id: int, plate: str) -> dict[str, Any] | None:
        raw = self.redis.hget(LotKeys(lot_id).open_sessions, plate)
        return json.loads(raw) if raw else None

    def open_sessions(self, lot_id: int) -> dict[str, dict[str, Any]]:
        return {_text(p): json.loads(s) for p, s in self.redis.hgetall(LotKeys(lot_id).open_sessions).items()}

    def open_plates(self, lot_id: int) -> list[str]:
        return [_text(p) for p in self.redis.hkeys(LotKeys(lot_id).open_sessions)]

    def counts(self, lot_id: int) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """(present, capacity, pass occupancy) as raw fields, in one round trip."""
        keys = LotKeys(lot_id)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.occupancy)
            pipe.hgetall(keys.capacity)
            pipe.hgetall(keys.pass_occupancy)
            present, capacity, passes = pipe.execute()
        return ({_text(k): int(v) for k, v in present.items()}, {_text(k): int(v) for k, v in capacity.items()},
                {_text(k): int(v) for k, v in passes.items()})

    def occupancy(self, lot_id: int) -> dict[int, tuple[int, int]]:
        """zone id -> (present, capacity), in one round trip."""
        present, capacity, _ = self.counts(lot_id)
        zones = {int(k) for k in present.keys() | capacity.keys() if ":" not in k}
        return {zone: (present.get(str(zone), 0), capacity.get(str(zone), 0)) for zone in sorted(zones)}

    def pools(self, lot_id: int) -> dict[tuple[int, str], Count]:
        """(zone id, pool) -> Count, for zones divided into pools."""
        present, capacity, _ = self.counts(lot_id)
        result = {}
        for name, spaces in capacity.items():
            zone, sep, pool = name.partition(":")
            if sep and pool != "pools":
                result[(int(zone), pool)] = Count(present.get(name, 0), spaces)
        return dict(sorted(result.items()))


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _result(raw: list[Any], event_uid: str) -> CoreResult:
    outcome, detail = _text(raw[0]), json.loads(_text(raw[1]))
    return CoreResult(outcome=outcome, detail=detail, event_uid=event_uid)
