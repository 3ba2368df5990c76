"""The fee of a parked car if it left at a given moment: the exit decision without the exit.

The lane, the console, the resident page and the API all price a stay here, through the same
``departure.decide_exit`` and tariff engine, so every screen shows the amount the gate will ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..departure import ExitFacts, ExitPlan, decide_exit
from ..plates import Plate
from .ports import LiveStore
from ..context import LotContext


class NotParkedError(LookupError):
    """The plate has no open session in the lot."""


class ExitBeforeEntryError(ValueError):
    """The moment asked about is before the car's entry."""

    def __init__(self, at: datetime, entry_at: datetime) -> None:
        super().__init__(f"at={at.isoformat()} is before the entry at {entry_at.astimezone(at.tzinfo).isoformat()}")
        self.at, self.entry_at = at, entry_at


@dataclass(frozen=True)
class FeeEstimate:
    plate: str
    lot_id: int
    entry_at: datetime
    at: datetime
    plan: ExitPlan

    @property
    def due_fen(self) -> int:
        """What the gate would ask at ``at`` (0 when the car may leave)."""
        return self.plan.due_fen


def fee_if_leaving(store: LiveStore, lot: LotContext, plate: Plate, at: datetime, *, arrears_fen: int | None = None) -> FeeEstimate:
    """What the gate would ask at ``at``, arrears from earlier stays included: as the lanes know them, or
    ``arrears_fen`` when the caller read them from the ledger."""
    facts = store.facts.for_plate(lot.id, plate.text, with_session=True)
    if facts.session is None:
        raise NotParkedError(f"plate {plate.text} is not parked in lot {lot.name or lot.id}")
    session = facts.session
    entry_at = datetime.fromisoformat(session["entry_at"])
    if at < entry_at:
        raise ExitBeforeEntryError(at, entry_at)
    plan = decide_exit(ExitFacts(
        plate=plate, session=session, now=at, tz=lot.tz, policy=lot.policy, lists=facts.lists, passes=facts.passes,
        tariff=lot.tariff, calendar=lot.calendar, inner_zones=lot.inner_zones(int(session["zone"])), campaigns=lot.campaigns,
        arrears_fen=facts.arrears_fen if arrears_fen is None else arrears_fen,
    ))
    return FeeEstimate(plate.text, lot.id, entry_at, at, plan)
