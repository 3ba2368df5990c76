"""What a pass costs and how long it runs: periods in calendar months, renewal with and without a gap,
the pro-rata refund in whole fen, and the state shown in the console."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from parking.pass_terms import (
    Refund,
    Renewal,
    Status,
    Term,
    add_months,
    refund,
    renewal,
    status,
    term,
)

TZ = ZoneInfo("Asia/Shanghai")


def local(y: int, m: int, d: int, h: int = 0) -> datetime:
    return datetime(y, m, d, h, tzinfo=TZ)


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 15), 1, date(2026, 2, 15)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 12, 1), 12, date(2027, 12, 1)),
    (date(2026, 5, 31), -1, date(2026, 4, 30)),
])
def test_months_are_calendar_months_kept_within_the_month(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_a_term_runs_from_local_midnight_for_the_periods_and_costs_each_period() -> None:
    assert term(date(2026, 11, 25), 3, 2, 45000, TZ) == Term(local(2026, 11, 25), local(2027, 5, 25), 90000)


def test_a_term_of_no_periods_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        term(date(2026, 11, 25), 1, 0, 100, TZ)


def test_renewing_before_expiry_continues_from_valid_until() -> None:
    got = renewal(local(2026, 11, 1), local(2026, 12, 1), local(2026, 11, 20, 10), TZ, grace_days=3, period_months=1, periods=2,
                  period_price_fen=30000)
    assert got == Renewal(local(2026, 11, 1), local(2027, 2, 1), 60000, gap=False)


def test_renewing_within_the_grace_continues_without_a_gap() -> None:
    got = renewal(local(2026, 11, 1), local(2026, 12, 1), local(2026, 12, 3, 23), TZ, grace_days=3, period_months=1, periods=1,
                  period_price_fen=30000)
    assert got == Renewal(local(2026, 11, 1), local(2027, 1, 1), 30000, gap=False)


def test_renewing_after_the_grace_starts_again_today() -> None:
    got = renewal(local(2026, 11, 1), local(2026, 12, 1), local(2026, 12, 4, 9), TZ, grace_days=3, period_months=1, periods=1,
                  period_price_fen=30000)
    assert got == Renewal(local(2026, 12, 4), local(2027, 1, 4), 30000, gap=True)


def test_renewing_keeps_the_time_of_day_of_a_validity_that_does_not_end_at_midnight() -> None:
    until = datetime(2026, 12, 1, 0, tzinfo=timezone.utc)  # 08:00 in Shanghai
    got = renewal(local(2026, 11, 1), until, local(2026, 11, 20), TZ, grace_days=3, period_months=1, periods=1, period_price_fen=1)
    assert got.valid_until == local(2027, 1, 1, 8)


def test_the_refund_is_the_remaining_whole_days_at_the_price_rounded_down() -> None:
    # 30 days for 300.00 yuan, ended 10.5 days before the end: 10 whole days back, 100.00 yuan.
    assert refund(local(2026, 11, 1), local(2026, 12, 1), 30000, local(2026, 11, 20, 12)) == Refund(10, 30, 30000, 10000)


def test_the_refund_rounds_down_to_the_fen() -> None:
    # 31 days for 100.00 yuan, 7 days left: 7 × 10000 / 31 = 2258.06… fen.
    assert refund(local(2026, 12, 1), local(2027, 1, 1), 10000, local(2026, 12, 25)).refund_fen == 2258


def test_a_pass_ended_before_it_began_is_refunded_whole_and_one_ended_after_it_ran_out_not_at_all() -> None:
    assert refund(local(2026, 12, 1), local(2027, 1, 1), 10000, local(2026, 11, 1)).refund_fen == 10000
    assert refund(local(2026, 12, 1), local(2027, 1, 1), 10000, local(2027, 1, 2)).refund_fen == 0


@pytest.mark.parametrize(("now", "kwargs", "expected"), [
    (local(2026, 11, 20, 10), {}, Status("valid", 10)),
    (local(2026, 10, 20), {}, Status("not_yet", 41)),
    (local(2026, 12, 2), {}, Status("grace", -2)),
    (local(2026, 12, 4), {}, Status("expired", -4)),
    (local(2026, 11, 20), {"suspended_at": local(2026, 11, 10)}, Status("suspended", 10)),
    (local(2026, 11, 20), {"suspended_at": local(2026, 11, 10), "ended_at": local(2026, 11, 15)}, Status("ended", 10)),
])
def test_the_state_of_a_pass(now: datetime, kwargs: dict, expected: Status) -> None:
    assert status(local(2026, 11, 1), local(2026, 12, 1), now, TZ, grace_days=3, **kwargs) == expected
