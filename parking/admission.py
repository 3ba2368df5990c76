"""The entry decision, as a pure function over a snapshot of facts.

Order: blacklist → whitelist → a pass for this zone (and its daily window) → a shared-parking right →
a registered visitor → a temporary vehicle. A plate that owes money from earlier stays (欠费, in any
lot) is then refused or admitted with the amount shown, as the lot's ``arrears_entry`` says; whitelisted
cars are never asked. The result is an ``EntryPlan``: the ordered claims the
occupancy core tries atomically (the first that fits wins), or a refusal, and the notice the lane shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from .claims import Claim
from .passes import KIND_NAMES, SHARED_KINDS, PassFact, Standing, best_standing
from .plates import Plate
from .policy import LotPolicy


@dataclass(frozen=True)
class ListFact:
    kind: str  # whitelist | blacklist
    reason: str
    expires_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class VisitorFact:
    host: str
    valid_from: datetime
    valid_until: datetime

    def active(self, now: datetime) -> bool:
        return self.valid_from <= now < self.valid_until


@dataclass(frozen=True)
class SharedRight:
    """A staggered-time sharing right (错时共享) that admits the car now; filled in by the sharing rules."""

    agreement_id: int
    label: str


@dataclass(frozen=True)
class EntryFacts:
    plate: Plate
    zone_id: int
    now: datetime
    tz: ZoneInfo
    policy: LotPolicy = field(default_factory=LotPolicy)
    lists: tuple[ListFact, ...] = ()
    passes: tuple[PassFact, ...] = ()
    visitors: tuple[VisitorFact, ...] = ()
    # Zones inside ``zone_id`` (lot-in-lot): a pass for an inner zone also opens the outer gate.
    inner_zones: frozenset[int] = frozenset()
    arrears_fen: int = 0  # what the plate owes from earlier stays, in any lot of the operator


@dataclass(frozen=True)
class EntryPlan:
    vehicle_class: str
    claims: tuple[Claim, ...]
    on_open: str = "refuse"
    refusal: str | None = None
    notice: str = ""
    pass_id: int | None = None
    arrears_fen: int = 0  # owed from earlier stays: shown at the entry, asked at the exit

    @property
    def refused(self) -> bool:
        return not self.claims


# The sharing rules plug in here: given the facts, a right to enter now, or None.
SharedRightLookup = Callable[[EntryFacts], SharedRight | None]


def no_shared_right(facts: EntryFacts) -> SharedRight | None:
    return None


def decide_entry(facts: EntryFacts, shared_right: SharedRightLookup = no_shared_right) -> EntryPlan:
    return _with_arrears(facts, _decide(facts, shared_right))


def _with_arrears(facts: EntryFacts, plan: EntryPlan) -> EntryPlan:
    """A plate that owes (欠费): refused until it pays, or admitted with the amount shown (``arrears_entry``)."""
    if facts.arrears_fen <= 0 or plan.vehicle_class in {"blacklist", "whitelist"}:
        return plan
    if not plan.refused and facts.policy.arrears_entry == "refuse":
        return EntryPlan(plan.vehicle_class, (), refusal="arrears", notice=plan.notice, pass_id=plan.pass_id,
                         arrears_fen=facts.arrears_fen)
    return replace(plan, arrears_fen=facts.arrears_fen)


def _decide(facts: EntryFacts, shared_right: SharedRightLookup) -> EntryPlan:
    active = [entry for entry in facts.lists if entry.active(facts.now)]
    blacklisted = next((e for e in active if e.kind == "blacklist"), None)
    if blacklisted is not None:
        return EntryPlan("blacklist", (), refusal="blacklist", notice=blacklisted.reason)
    if any(e.kind == "whitelist" for e in active):
        return EntryPlan("whitelist", (Claim(None, "whitelist"),), on_open="replace", notice="免费车辆")

    temporary = _temporary_claims(facts)
    best = best_standing(facts.passes, {facts.zone_id} | facts.inner_zones, facts.now, facts.tz, facts.policy.renewal_grace_days)
    if best is not None and best.admits:
        return _pass_plan(facts, best, temporary)

    right = shared_right(facts)
    if right is not None:
        return EntryPlan("shared", (Claim("shared", "shared"),), notice=right.label)
    if any(v.active(facts.now) for v in facts.visitors):
        return EntryPlan("visitor", (Claim("temporary", "visitor"),), notice="访客车辆")
    notice = _lapsed_notice(best)
    if not temporary:
        return EntryPlan("temporary", (), refusal="temporary_refused", notice=notice or "非登记车辆")
    return EntryPlan("temporary", temporary, notice=notice or "临时车")


def _temporary_claims(facts: EntryFacts) -> tuple[Claim, ...]:
    if facts.policy.temporary_vehicles == "refuse":
        return ()
    return (Claim("temporary", "temporary"),)


def _pass_plan(facts: EntryFacts, best: Standing, temporary: tuple[Claim, ...]) -> EntryPlan:
    p = best.fact
    pool = "shared" if p.kind in SHARED_KINDS else "pass"
    claims = [Claim(pool, p.kind, pass_id=p.id, spaces=p.spaces)]
    if facts.policy.pool_overflow == "temporary":
        claims.extend(temporary)
    # Anti-passback: a pass already inside is either a missed exit (soft: let the car in, close the
    # stale stay) or a second car on one pass (hard: refuse).
    on_open = "refuse" if facts.policy.anti_passback == "hard" else "replace"
    label = KIND_NAMES.get(p.kind, "月租车")
    if best.state == "grace":
        notice = f"{label} 已过期{best.days_overdue}天 请续费"
    elif best.days_left <= facts.policy.expiry_warning_days:
        notice = f"{label} 剩余{best.days_left}天 请续费" if best.days_left else f"{label} 今日到期 请续费"
    else:
        notice = f"{label} 剩余{best.days_left}天"
    return EntryPlan(p.kind, tuple(claims), on_open=on_open, notice=notice, pass_id=p.id)


def _lapsed_notice(best: Standing | None) -> str:
    if best is None:
        return ""
    if best.state == "expired":
        return f"{KIND_NAMES.get(best.fact.kind, '月租车')}已过期 按临时车"
    if best.state == "outside_window":
        return "不在有效时段 按临时车"
    if best.state == "not_yet":
        return "月卡未生效 按临时车"
    if best.state == "suspended":
        return f"{KIND_NAMES.get(best.fact.kind, '月租车')}已暂停 按临时车"
    if best.state == "ended":
        return f"{KIND_NAMES.get(best.fact.kind, '月租车')}已终止 按临时车"
    return ""
