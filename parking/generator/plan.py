"""What ``parking generate`` makes, as plain values: lots, and each lot's stays of one day with their money.

Pure and seeded: the stays of a lot on a day depend only on the seed, the lot and the day, so a span
generated in any batch size is the same. Times are UTC; the shapes below are in the lot's local time.

- **How many**: a lot's daily stays are its capacity times a turnover (0.8 to 2.2), fewer on weekends
  and public holidays (the workday calendar) and during the Spring Festival, when the villages empty.
- **When and how long**: arrivals peak at 8:00 and 18:00-20:00. Night arrivals stay the night (6-10 h);
  morning arrivals are commuters (8-10 h) or short errands; midday arrivals are short visits (about an
  hour); evening arrivals stay an hour or the whole night. One stay in a hundred lasts days.
- **Fees** come from the lot's published tariff (``parking.tariffs.quote``). Both tariffs used price a
  stay by its duration alone (duration brackets; a 24-hour cap), so a fee is computed once per duration
  in minutes and remembered.
- **Who**: 15% of stays are pass holders (no fee); a fifth of plates are green (new energy).
- **Money** of a stay with a fee: free release 1%, left owing 1.2% (40% of it paid back 1-20 days
  later, by phone: a payment of purpose ``arrears`` booked to the arrears row), a merchant coupon 6% (the rest paid), a campaign 0.3%; the rest paid in full, at the exit
  QR or the booth: WeChat Pay 56%, Alipay 34%, cash 8% (in the shift of the booth), prepaid 2%. Of
  the online payments 0.4% are refunded, in part or whole, by a manager a few hours to days later.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..tariffs import QuoteContext, Stay, quote
from ..tariffs.calendar import WorkdayCalendar
from ..tariffs.examples import load_example

TARIFFS = ("13-old-community-visitor", "14-vendor-rule-a")
VILLAGES = ("白石洲", "岗厦", "上沙", "下沙", "水围", "渔农", "大冲", "新洲", "沙尾", "石厦", "皇岗", "湖贝", "蔡屋围", "南头",
            "西丽", "塘朗", "平山", "大芬", "坂田", "清湖", "石岩", "福永", "沙井", "松岗", "观澜")
KINDS = ("村停车场", "社区停车场", "小区停车场", "综合市场停车场")
SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
# Arrivals by local hour, 0-23 (relative weights).
ARRIVALS = (8, 5, 3, 2, 2, 3, 8, 22, 34, 26, 20, 18, 17, 16, 16, 17, 20, 26, 32, 30, 24, 18, 14, 11)
FREE_RELEASE_REASONS = ("救护车/公务车辆", "设备故障", "业主访客", "特殊情况经理批准")
SPRING_FESTIVALS = {2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
                    2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3)}
CALENDAR = WorkdayCalendar()


@dataclass(frozen=True)
class LotPlan:
    index: int  # 1-based
    code: str
    name: str
    site: int  # 1-based
    capacity: int
    turnover: float
    tariff: str
    entry_lanes: int
    exit_lanes: int
    tz: ZoneInfo


@dataclass(slots=True)
class PaymentPlan:
    uid: str
    method: str
    amount_fen: int
    paid_at: datetime
    scene: str
    purpose: str = "stay"
    refund_fen: int = 0
    refunded_at: datetime | None = None
    refund_uid: str = ""


@dataclass(slots=True)
class StayPlan:
    uid: str
    plate: str
    color: str
    vehicle_class: str
    entry_at: datetime
    exit_at: datetime | None
    entry_lane: int  # 0-based among the lot's entry lanes
    exit_lane: int
    fee_fen: int = 0
    payments: list[PaymentPlan] = field(default_factory=list)
    discounts: list[tuple[str, int, str]] = field(default_factory=list)  # (kind, fen, reason)
    owed_fen: int = 0  # left unpaid at the exit (the arrears row's amount)
    arrears_paid: PaymentPlan | None = None  # paying all of it back later

    @property
    def paid_fen(self) -> int:
        back = self.arrears_paid.amount_fen if self.arrears_paid is not None else 0
        return sum(p.amount_fen - p.refund_fen for p in self.payments) + back

    @property
    def discount_fen(self) -> int:
        return sum(fen for _, fen, _ in self.discounts) + sum(p.refund_fen for p in self.payments)

    @property
    def arrears_fen(self) -> int:
        """What is still owed (paying back moves it to paid)."""
        return self.owed_fen - (self.arrears_paid.amount_fen if self.arrears_paid is not None else 0)


def plan_lots(count: int, seed: int, tz: ZoneInfo) -> list[LotPlan]:
    rng = random.Random(f"lots:{seed}")
    lots = []
    for index in range(1, count + 1):
        village = VILLAGES[(index - 1) % len(VILLAGES)]
        round_ = (index - 1) // len(VILLAGES)
        name = f"{village}{KINDS[rng.randrange(len(KINDS))]}" + (f"{round_ + 1}号" if round_ else "")
        capacity = rng.choice((40, 60, 80, 100, 120, 150, 200, 260, 300))
        lots.append(LotPlan(index, f"gen-{index:03d}", name, (index - 1) // 10 + 1, capacity, round(rng.uniform(0.8, 2.2), 2),
                            TARIFFS[index % len(TARIFFS)], 1 if capacity < 150 else 2, 1 if capacity < 200 else 2, tz))
    return lots


@lru_cache(maxsize=None)
def fee_for(tariff: str, minutes: int) -> int:
    """The fee of a stay of ``minutes`` under ``tariff`` (one of ``TARIFFS``: priced by duration alone)."""
    start = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)
    return quote(load_example(tariff), Stay(start, start + timedelta(minutes=minutes)), QuoteContext()).total_fen


def day_factor(day: date) -> float:
    factor = 1.0 if CALENDAR.is_workday(day) else 0.8
    festival = SPRING_FESTIVALS.get(day.year) or SPRING_FESTIVALS.get(day.year + 1)
    if festival is not None and -10 <= (day - festival).days <= 12:
        factor *= 0.55
    return factor


def _minutes(rng: random.Random, hour: int) -> int:
    """A plausible stay length for an arrival at local ``hour``."""
    if rng.random() < 0.01:
        return rng.randint(1440, 4 * 1440)
    if hour < 6 or hour >= 22:
        return int(rng.uniform(6, 10) * 60)
    if hour < 10:
        return int(rng.uniform(8, 10) * 60) if rng.random() < 0.55 else int(rng.lognormvariate(math.log(40), 0.6))
    if hour < 17:
        return int(rng.lognormvariate(math.log(65), 0.8))
    if rng.random() < 0.45:
        return int(rng.uniform(10, 13.5) * 60)
    return int(rng.lognormvariate(math.log(60), 0.6))


def _plate(rng: random.Random, green: bool) -> str:
    if green:
        return "粤B" + rng.choice("DF") + "".join(rng.choice("0123456789") for _ in range(5))
    return "粤B" + "".join(rng.choice(SERIAL) for _ in range(5))


def _uid(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def plan_day(lot: LotPlan, day: date, seed: int, end: datetime) -> list[StayPlan]:
    """The stays that arrive at ``lot`` on local ``day``; a stay still inside at ``end`` is open."""
    rng = random.Random(f"{seed}:{lot.index}:{day.toordinal()}")
    count = max(0, round(lot.capacity * lot.turnover * day_factor(day) * rng.uniform(0.85, 1.15)))
    midnight = datetime.combine(day, time(0), tzinfo=lot.tz)
    hours = rng.choices(range(24), weights=ARRIVALS, k=count)
    stays = []
    for hour in sorted(hours):
        entry = (midnight + timedelta(hours=hour, seconds=rng.randrange(3600))).astimezone(timezone.utc)
        minutes = max(1, _minutes(rng, hour))
        exit_at: datetime | None = entry + timedelta(minutes=minutes)
        green = rng.random() < 0.2
        holder = rng.random() < 0.15
        stay = StayPlan(_uid(rng), _plate(rng, green), "green" if green else "blue", "pass" if holder else "temporary",
                        entry, exit_at, rng.randrange(lot.entry_lanes), rng.randrange(lot.exit_lanes))
        if exit_at is not None and exit_at > end:
            stay.exit_at = None
        elif not holder:
            stay.fee_fen = fee_for(lot.tariff, minutes)
            if stay.fee_fen > 0:
                _settle(rng, stay, end)
        stays.append(stay)
    return stays


def _settle(rng: random.Random, stay: StayPlan, end: datetime) -> None:
    assert stay.exit_at is not None
    fee, exit_at = stay.fee_fen, stay.exit_at
    roll = rng.random()
    if roll < 0.01:
        stay.discounts.append(("free_release", fee, rng.choice(FREE_RELEASE_REASONS)))
        return
    if roll < 0.022:
        stay.owed_fen = fee
        paid_at = exit_at + timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        if rng.random() < 0.4 and paid_at <= end:
            stay.arrears_paid = PaymentPlan(_uid(rng), rng.choice(("wechat", "alipay")), fee, paid_at, "phone", purpose="arrears")
        return
    due = fee
    if roll < 0.082:
        coupon = min(fee, rng.choice((300, 500, 1000)))
        stay.discounts.append(("coupon", coupon, ""))
        due -= coupon
    elif roll < 0.085:
        stay.discounts.append(("campaign", fee, "公益免费停车"))
        due = 0
    if due <= 0:
        return
    pick = rng.random()
    method, scene = (("wechat", "exit_qr") if pick < 0.56 else ("alipay", "exit_qr") if pick < 0.90
                     else ("cash", "booth") if pick < 0.98 else ("prepaid", "lane"))
    paid_at = exit_at - timedelta(seconds=rng.randint(20, 240))
    payment = PaymentPlan(_uid(rng), method, due, paid_at, scene)
    if method in ("wechat", "alipay") and rng.random() < 0.004:
        refunded_at = paid_at + timedelta(hours=rng.randint(2, 96))
        if refunded_at <= end:
            payment.refund_fen = due if rng.random() < 0.5 else max(1, due // 2)
            payment.refunded_at = refunded_at
            payment.refund_uid = _uid(rng)
    stay.payments.append(payment)
