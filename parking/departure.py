"""The exit decision, as a pure function over a snapshot of facts.

Order: an open session (found exactly or tolerantly by the caller) → whitelist or a pass that covers the
stay → paid within the grace period → a fee due, held with the amount shown. A plate that owes money from
earlier stays (欠费) is asked for it here together with this stay's fee (whitelisted cars excepted): the
due includes it and ``arrears_fen`` says how much of the due it is. A car with no entry record
follows the lot's setting: held for an attendant, or charged the flat fee. The fee is the tariff
engine's quote (``parking.tariffs``), so the lane, the console and the API all show the same amount.

The merchant coupons the open session holds (``session["coupons"]``, added atomically by the live
store) and the lot's campaigns (``ExitFacts.campaigns``, from ``LotContext``) are priced by
``parking.discounts``: the quote shows a line for each, ``ExitPlan.discounts`` says what each took off
(``fee_fen`` stays paid + due, after them; ``fee_before_discounts_fen`` adds them back). The lane journals
the fee before discounts with the discounts, so the ledger books each once. A coupon given after a
payment lowers only what the overstay owes and never gives money back (see ``parking.discounts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .admission import ListFact
from .discounts import CampaignFact, Discount, price_stay, session_coupons
from .passes import PassFact, standing
from .plates import Plate
from .policy import LotPolicy
from .tariffs import Quote, QuoteContext, Stay, Tariff, WorkdayCalendar, quote

PASS_CLASSES = frozenset({"monthly", "time_window", "enterprise", "owner", "shared"})


@dataclass(frozen=True)
class ExitFacts:
    plate: Plate
    session: Mapping[str, Any] | None
    now: datetime
    tz: ZoneInfo
    policy: LotPolicy = field(default_factory=LotPolicy)
    lists: tuple[ListFact, ...] = ()
    passes: tuple[PassFact, ...] = ()
    tariff: Tariff | None = None
    calendar: WorkdayCalendar | None = None
    inner_zones: frozenset[int] = frozenset()  # zones inside the session's zone (lot-in-lot)
    campaigns: tuple[CampaignFact, ...] = ()  # the lot's campaigns; those covering the entry apply
    arrears_fen: int = 0  # what the plate owes from earlier stays, in any lot of the operator


@dataclass(frozen=True)
class ExitPlan:
    release: bool
    reason: str  # whitelist | pass | free | paid | no_tariff | fee_due | no_entry_record | no_entry_fee | needs_staff
    due_fen: int = 0  # everything asked at the gate: this stay's fee still unpaid, plus ``arrears_fen``
    fee_fen: int = 0  # this stay's fee (paid and due), never the arrears
    vehicle_class: str = "temporary"
    quote: Quote | None = None
    entry_at: datetime | None = None
    arrears_fen: int = 0  # the part of ``due_fen`` owed from earlier stays
    discounts: tuple[Discount, ...] = ()  # what each coupon and campaign took off this stay (parking.discounts)

    @property
    def discount_fen(self) -> int:
        return sum(d.amount_fen for d in self.discounts)

    @property
    def fee_before_discounts_fen(self) -> int:
        """This stay's fee before its coupons and campaigns: paid + due + discounts."""
        return self.fee_fen + self.discount_fen

    @property
    def stay_due_fen(self) -> int:
        """What this stay itself still owes."""
        return self.due_fen - self.arrears_fen


def tariff_vehicle(plate: Plate, tariff: Tariff) -> tuple[str, frozenset[str]]:
    """The tariff's vehicle class and benefits of a plate: large plates pay as large vehicles where the
    tariff prices them (else as small ones), green plates may claim the new-energy benefit."""
    vehicle_class = "large" if plate.is_large and "large" in tariff.classes else "small"
    return vehicle_class, (frozenset({"new_energy"}) if plate.is_new_energy else frozenset())


def decide_exit(facts: ExitFacts) -> ExitPlan:
    plan = _decide(facts)
    if facts.arrears_fen <= 0 or facts.session is None or plan.reason in {"whitelist", "needs_staff"}:
        return plan
    # The arrears are asked with this stay's fee, even of a car that owes nothing for this stay.
    return ExitPlan(False, "fee_due", due_fen=plan.due_fen + facts.arrears_fen, fee_fen=plan.fee_fen,
                    vehicle_class=plan.vehicle_class, quote=plan.quote, entry_at=plan.entry_at, arrears_fen=facts.arrears_fen,
                    discounts=plan.discounts)


def _decide(facts: ExitFacts) -> ExitPlan:
    session = facts.session
    if session is None:
        return _no_entry_record(facts)
    entry_at = datetime.fromisoformat(session["entry_at"])
    cls = str(session.get("class", "temporary"))
    paid_fen = int(session.get("paid_fen", 0))
    if any(e.kind == "whitelist" and e.active(facts.now) for e in facts.lists) or cls == "whitelist":
        return ExitPlan(True, "whitelist", vehicle_class=cls, fee_fen=paid_fen, entry_at=entry_at)

    covered_until: datetime | None = None
    if cls in PASS_CLASSES:
        covered_until = _pass_cover(facts, session, entry_at)
        if covered_until is None or covered_until >= facts.now:
            return ExitPlan(True, "pass", vehicle_class=cls, fee_fen=paid_fen, entry_at=entry_at)

    if facts.tariff is None:
        return ExitPlan(True, "no_tariff", vehicle_class=cls, fee_fen=paid_fen, entry_at=entry_at)
    vehicle_class, benefits = tariff_vehicle(facts.plate, facts.tariff)
    paid_at = datetime.fromisoformat(session["paid_at"]) if session.get("paid_at") else None
    context = QuoteContext(
        calendar=facts.calendar or WorkdayCalendar(), tz=facts.tz,
        pass_until=covered_until, paid_at=paid_at,
    )
    stay = Stay(entry=entry_at, exit=facts.now, vehicle_class=vehicle_class, benefits=benefits, plate=facts.plate.text)
    priced = price_stay(facts.tariff, stay, context, coupons=session_coupons(session), campaigns=facts.campaigns)
    q, discounts = priced.quote, priced.discounts
    if q.needs_staff:
        return ExitPlan(False, "needs_staff", vehicle_class=cls, quote=q, entry_at=entry_at)
    # Without a payment the quote is the whole fee; after one (``paid_at``) it is what the overstay owes.
    due, fee = q.total_fen, paid_fen + q.total_fen
    if due == 0:
        return ExitPlan(True, "paid" if paid_fen else "free", vehicle_class=cls, fee_fen=fee, quote=q, entry_at=entry_at, discounts=discounts)
    return ExitPlan(False, "fee_due", due_fen=due, fee_fen=fee, vehicle_class=cls, quote=q, entry_at=entry_at, discounts=discounts)


def _pass_cover(facts: ExitFacts, session: Mapping[str, Any], entry_at: datetime) -> datetime | None:
    """Until when the car's pass covers this stay; None when it covers it whole."""
    pass_id = session.get("pass")
    fact = next((p for p in facts.passes if p.id == pass_id), None)
    if fact is None:
        return entry_at  # the pass was withdrawn: the stay is billed from the entry
    now_standing = standing(fact, {int(session["zone"])} | facts.inner_zones, facts.now, facts.tz, facts.policy.renewal_grace_days)
    daily = fact.window_start is not None and fact.window_end is not None and fact.window_start != fact.window_end
    if now_standing.state in {"valid", "grace"}:
        # A late renewal is still honoured at the exit, as at the entry. A time-window pass covers the
        # window the stay began in only: leaving in a later window does not make the day between free.
        window_end = _window_end_after(entry_at, fact, facts.tz) if daily else None
        return window_end if window_end is not None and window_end < facts.now else None
    if now_standing.state == "outside_window" and fact.window_end is not None:
        return _window_end_after(entry_at, fact, facts.tz)
    if now_standing.state in {"expired", "suspended", "ended"}:
        # Covered until the pass lapsed, was suspended or was ended; billed from then on.
        lapsed = fact.valid_until if now_standing.state == "expired" else min(fact.withdrawn_at or entry_at, fact.valid_until)
        until = max(entry_at, lapsed)
        return min(until, _window_end_after(entry_at, fact, facts.tz)) if daily else until
    return entry_at


def _window_end_after(entry_at: datetime, fact: PassFact, tz: ZoneInfo) -> datetime:
    """The end of the daily window the stay began in: a night pass covers until the next morning."""
    assert fact.window_end is not None
    local = entry_at.astimezone(tz)
    end = datetime.combine(local.date(), fact.window_end, tzinfo=tz)
    if end <= local:
        end += timedelta(days=1)
    return end


def _no_entry_record(facts: ExitFacts) -> ExitPlan:
    # A whitelisted car or a pass holder owes nothing whatever the entry read missed: let it out.
    if any(e.kind == "whitelist" and e.active(facts.now) for e in facts.lists):
        return ExitPlan(True, "whitelist_no_entry", vehicle_class="whitelist")
    for fact in facts.passes:
        # Where the car parked is unknown, so a pass for any zone of the lot counts.
        zones = {fact.zone_id} if fact.zone_id is not None else set()
        if standing(fact, zones, facts.now, facts.tz, facts.policy.renewal_grace_days).state in {"valid", "grace"}:
            return ExitPlan(True, "pass_no_entry", vehicle_class=fact.kind)
    if facts.policy.no_entry_record == "hold":
        return ExitPlan(False, "no_entry_record")
    due = facts.policy.no_entry_fee_fen
    if facts.tariff is not None:
        vehicle_class, benefits = tariff_vehicle(facts.plate, facts.tariff)
        q = quote(facts.tariff, Stay(entry=None, exit=facts.now, vehicle_class=vehicle_class, benefits=benefits, plate=facts.plate.text),
                  QuoteContext(calendar=facts.calendar or WorkdayCalendar(), tz=facts.tz))
        if not q.needs_staff:
            due = q.total_fen
    if due == 0:
        return ExitPlan(True, "free", entry_at=None)
    return ExitPlan(False, "no_entry_fee", due_fen=due, fee_fen=due)
