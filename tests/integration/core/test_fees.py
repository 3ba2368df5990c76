"""The fee "if I leave at …" is the amount the exit gate would ask at that moment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from parking.plates import parse
from parking.services.fees import NotParkedError, fee_if_leaving

from ...conftest import FIXED_NOW


def lot(site, village):  # type: ignore[no-untyped-def]
    return site.agent.lanes.lots()[village.community_lot_id]


@pytest.mark.parametrize(
    ("after", "due_fen", "reason"),
    [(timedelta(minutes=50), 0, "free"), (timedelta(hours=1, minutes=30), 500, "fee_due"), (timedelta(hours=9), 1500, "fee_due")],
)
def test_the_fee_at_a_later_time_follows_the_visitor_tariff(runtime, village, site, after, due_fen, reason):
    site.read("east-in", "粤B12345")
    estimate = fee_if_leaving(runtime.store, lot(site, village), parse("粤B12345"), FIXED_NOW + after)
    assert (estimate.due_fen, estimate.plan.reason, estimate.entry_at) == (due_fen, reason, FIXED_NOW)


def test_the_estimate_equals_what_the_exit_gate_asks(runtime, village, site):
    site.read("east-in", "粤B12345")
    estimate = fee_if_leaving(runtime.store, lot(site, village), parse("粤B12345"), FIXED_NOW + timedelta(hours=3))
    site.clock.advance(hours=3)
    gate = site.read("east-out", "粤B12345")
    assert (estimate.due_fen, gate.lines[-1]) == (1000, "请缴费10元")


def test_a_car_not_parked_has_no_fee(runtime, village, site):
    with pytest.raises(NotParkedError, match="plate 粤B12345 is not parked in lot 和谐里小区"):
        fee_if_leaving(runtime.store, lot(site, village), parse("粤B12345"), FIXED_NOW)


def test_a_time_before_the_entry_is_refused(runtime, village, site):
    site.read("east-in", "粤B12345")
    with pytest.raises(ValueError, match="is before the entry"):
        fee_if_leaving(runtime.store, lot(site, village), parse("粤B12345"), FIXED_NOW - timedelta(minutes=1))
