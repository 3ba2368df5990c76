"""What a pass costs and how long it runs: validity of N periods, renewal, the pro-rata refund, and where
a pass stands for the console. Pure, ``now`` and the lot's time zone passed in; money in integer fen.

- A pass sold from a product runs from local midnight of its start day for ``periods × period_months``
  calendar months (a day past the end of a shorter month is that month's last day: 1-31 + 1 month is
  2-28 or 2-29) and costs ``periods × price per period``.
- A renewal continues the pass without a gap while the lot's late-renewal grace lasts (until
  ``valid_until + renewal_grace_days``): the new periods run on from ``valid_until``, so the grace days
  are part of what is paid for. Later, the pass starts again from today's local midnight.
- Ending a pass early refunds, when asked, the remaining whole days at the price of its validity:
  ``remaining_days × price_fen // days``, rounded down, never more than was paid.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from .passes import days_left

DAY = timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, kept within the month it lands in."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The start of ``day`` in ``tz``, in UTC (as every time is stored)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


@dataclass(frozen=True)
class Term:
    """A validity and what it costs: ``[valid_from, valid_until)`` for ``price_fen``."""

    valid_from: datetime
    valid_until: datetime
    price_fen: int


def term(start: date, period_months: int, periods: int, period_price_fen: int, tz: ZoneInfo) -> Term:
    """``periods`` periods of ``period_months`` months from local midnight of ``start``."""
    if period_months < 1 or periods < 1:
        raise ValueError(f"periods ({periods}) and months per period ({period_months}) must be at least 1")
    end = add_months(start, period_months * periods)
    return Term(local_midnight(start, tz), local_midnight(end, tz), period_price_fen * periods)


@dataclass(frozen=True)
class Renewal:
    """A pass's validity after a renewal and what the renewal costs; ``gap`` when it starts again today."""

    valid_from: datetime
    valid_until: datetime
    charged_fen: int
    gap: bool


def renewal(valid_from: datetime, valid_until: datetime, now: datetime, tz: ZoneInfo, *, grace_days: int,
            period_months: int, periods: int, period_price_fen: int) -> Renewal:
    """Extend ``[valid_from, valid_until)`` by ``periods`` periods from the later of ``valid_until`` and
    today; within the grace after ``valid_until`` it continues from ``valid_until`` without a gap."""
    if period_months < 1 or periods < 1:
        raise ValueError(f"periods ({periods}) and months per period ({period_months}) must be at least 1")
    charged = period_price_fen * periods
    if now < valid_until + grace_days * DAY:
        until = valid_until.astimezone(tz)
        new_until = datetime.combine(add_months(until.date(), period_months * periods), until.time(), tzinfo=tz)
        return Renewal(valid_from, new_until.astimezone(timezone.utc), charged, gap=False)
    fresh = term(now.astimezone(tz).date(), period_months, periods, period_price_fen, tz)
    return Renewal(fresh.valid_from, fresh.valid_until, charged, gap=True)


@dataclass(frozen=True)
class Refund:
    """What ending a pass at a moment gives back: ``remaining_days`` of ``days`` at ``price_fen``."""

    remaining_days: int
    days: int
    price_fen: int
    refund_fen: int


def refund(valid_from: datetime, valid_until: datetime, price_fen: int, now: datetime) -> Refund:
    """The pro-rata refund for ending at ``now``: whole days left × price ÷ days of the validity, rounded down."""
    days = max(1, (valid_until - valid_from) // DAY)
    remaining = min(days, max(0, (valid_until - max(now, valid_from)) // DAY))
    return Refund(remaining, days, price_fen, remaining * max(price_fen, 0) // days)


# A pass's state for the console and the API; the lane's own view is ``parking.passes.standing``.
STATUSES = ("valid", "grace", "expired", "not_yet", "suspended", "ended")


@dataclass(frozen=True)
class Status:
    state: str  # one of STATUSES
    days_left: int  # calendar days to the last valid day (0 on it); negative once expired


def status(valid_from: datetime, valid_until: datetime, now: datetime, tz: ZoneInfo, *, grace_days: int,
           suspended_at: datetime | None = None, ended_at: datetime | None = None) -> Status:
    left = days_left(valid_until, now, tz)
    if ended_at is not None and ended_at <= now:
        return Status("ended", left)
    if suspended_at is not None and suspended_at <= now:
        return Status("suspended", left)
    if now < valid_from:
        return Status("not_yet", left)
    if now < valid_until:
        return Status("valid", left)
    return Status("grace" if now < valid_until + grace_days * DAY else "expired", left)
