"""Properties of quotes, checked with hypothesis over the example tariffs.

- the engine agrees with the minute-by-minute reference (`parking.tariffs.reference`);
- the fee never decreases when the exit is later (every shipped example qualifies: none changes its
  price per stay in a way that makes a longer stay cheaper; the "flat" reading of "a full day counts
  as N hours" does, see test_examples_other.py, and is not shipped as an example);
- caps hold; paying part-way and leaving later never charges more than the cap; quotes are
  deterministic;
- paying at any point of a stay under any example, then leaving, is priced without error and
  within the bounds stated in `test_paying_then_leaving_is_priced_within_its_bounds`.
"""

import copy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parking.tariffs import QuoteContext, Stay, load_tariff, quote
from parking.tariffs.examples import document, load_example, names
from parking.tariffs.reference import reference_total

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = datetime(2024, 9, 20, tzinfo=SHANGHAI)  # spans National Day 2024 and its working weekends
CONTEXT = QuoteContext()
MONOTONE = names()
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def stays(draw, tariff, max_minutes=3 * 1440):
    entry = BASE + timedelta(minutes=draw(st.integers(0, 40 * 1440)), seconds=draw(st.integers(0, 59)))
    minutes = draw(st.one_of(st.integers(0, 240), st.integers(0, 1500), st.integers(0, max_minutes)))
    vehicle_class = draw(st.sampled_from(sorted(tariff.classes)))
    benefits = draw(st.frozensets(st.sampled_from(["new_energy", "disabled_driver"])))
    return Stay(entry, entry + timedelta(minutes=minutes, seconds=draw(st.integers(0, 59))), vehicle_class, benefits)


@st.composite
def tariff_and_stay(draw, choices=tuple(names())):
    tariff = load_example(draw(st.sampled_from(choices)))
    return tariff, draw(stays(tariff))


@given(tariff_and_stay())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_engine_agrees_with_the_minute_by_minute_reference(case):
    tariff, stay = case
    assert quote(tariff, stay, CONTEXT).total_fen == reference_total(tariff, stay, CONTEXT)


@st.composite
def readings(draw):
    """An example under other readings of its ambiguous rules."""
    doc = copy.deepcopy(document(draw(st.sampled_from([n for n in names() if not n.startswith("13-")]))))
    doc["crossing"] = draw(
        st.sampled_from(
            [
                {"rule": "split"},
                {"rule": "entry_band"},
                {"rule": "unit_start_band"},
                {"rule": "short_at_earlier", "minutes": 60, "scope": "tail"},
                {"rule": "short_at_earlier", "minutes": 45, "scope": "every"},
            ]
        )
    )
    doc["part_unit"] = draw(
        st.sampled_from([{"rounding": "up"}, {"rounding": "down"}, {"rounding": "threshold", "free_minutes": 15}])
    )
    if "free_period" in doc:
        doc["free_period"]["mode"] = draw(st.sampled_from(["counted", "deducted"]))
    if "full_day" in doc:
        doc["full_day"]["reading"] = draw(st.sampled_from(["cap", "flat"]))
    for cap in doc.get("caps", []):
        if cap["per"] != "band":
            cap["cumulative"] = draw(st.booleans())
    for klass in doc["classes"].values():
        klass["factor_scope"] = draw(st.sampled_from(["fee", "units"]))
    tariff = load_tariff(doc)
    return tariff, draw(stays(tariff, max_minutes=2 * 1440))


@given(readings())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_engine_agrees_with_the_reference_under_every_reading(case):
    tariff, stay = case
    assert quote(tariff, stay, CONTEXT).total_fen == reference_total(tariff, stay, CONTEXT)


@given(tariff_and_stay(tuple(MONOTONE)), st.integers(1, 600))
@SETTINGS
def test_fee_never_decreases_when_the_exit_is_later(case, later):
    tariff, stay = case
    longer = Stay(stay.entry, stay.exit + timedelta(minutes=later), stay.vehicle_class, stay.benefits)
    assert quote(tariff, longer, CONTEXT).total_fen >= quote(tariff, stay, CONTEXT).total_fen


CAPPED = [n for n in names() if any(c["per"] != "band" for c in document(n).get("caps", []))]


def _cap_bound(tariff, stay) -> int:
    """The most the stay may cost by its 24 h and calendar-day caps, for a class billed at 100 %."""
    minutes = int((stay.exit - stay.entry).total_seconds() // 60) + 1
    bounds = []
    for cap in tariff.caps:
        if cap.per == "window_24h":
            windows = minutes // 1440 + 2
            bounds.append(max(cap.fen) if cap.cumulative else sum(cap.amount(k) for k in range(windows)))
        elif cap.per == "calendar_day":
            days = (stay.exit.astimezone(SHANGHAI).date() - stay.entry.astimezone(SHANGHAI).date()).days + 1
            bounds.append(max(cap.fen) if cap.cumulative else sum(cap.amount(k) for k in range(days)))
    return min(bounds)


@given(tariff_and_stay(tuple(CAPPED)))
@SETTINGS
def test_caps_always_hold(case):
    tariff, stay = case
    factor = tariff.classes[stay.vehicle_class].factor_percent
    assert quote(tariff, stay, CONTEXT).total_fen * 100 <= _cap_bound(tariff, stay) * max(factor, 100)


SPLIT_CAPPED = ["03-guangzhou-central", "10-county-lot-2020", "12-changzhou-transport-centre", "14-vendor-rule-a"]


@given(st.sampled_from(SPLIT_CAPPED), st.integers(0, 40 * 1440), st.integers(1, 23 * 60), st.data())
@SETTINGS
def test_paying_part_way_never_charges_more_than_the_cap(name, offset, minutes, data):
    tariff = load_example(name)
    entry = BASE + timedelta(minutes=offset)
    paid_at = entry + timedelta(minutes=data.draw(st.integers(0, minutes)))
    stay = Stay(entry, entry + timedelta(minutes=minutes))
    paid = quote(tariff, Stay(entry, paid_at), CONTEXT).total_fen
    extra = quote(tariff, stay, QuoteContext(paid_at=paid_at)).total_fen
    assert paid + extra <= max(c.fen[0] for c in tariff.caps if c.per == "window_24h")


@given(tariff_and_stay())
@SETTINGS
def test_quotes_are_deterministic(case):
    tariff, stay = case
    assert quote(tariff, stay, CONTEXT) == quote(tariff, stay, QuoteContext())


def _whole_stay_cap(name: str):
    doc = copy.deepcopy(document(name))
    doc["brackets"]["overstay"] = "whole_stay_cap"
    return load_tariff(doc)


PAYING = [load_example(n) for n in names()] + [_whole_stay_cap(n) for n in names() if n.startswith("13-")]


@st.composite
def paid_stays(draw):
    """A tariff (every example, and the brackets examples under the other overstay reading), a stay,
    and a payment at some point of it."""
    tariff = draw(st.sampled_from(PAYING))
    stay = draw(stays(tariff))
    paid_at = stay.entry + (stay.exit - stay.entry) * draw(st.floats(0, 1))
    return tariff, stay, paid_at


@given(paid_stays())
@SETTINGS
def test_paying_then_leaving_is_priced_within_its_bounds(case):
    """With `paid` the unpaid quote of entry → payment, `extra` the quote with `paid_at`, `whole` the
    unpaid quote of the whole stay:

    - quoting with `paid_at` never raises, `extra` ≥ 0 and its lines add up to it;
    - leaving within the grace period (whole minutes, as the engine counts) costs nothing more;
    - under caps per 24 h or per calendar day, paid + extra stays within the caps of the whole stay
      (the bound of `test_caps_always_hold`), so when the whole stay is held at a single 24 h cap,
      paid + extra ≤ whole;
    - under brackets read `whole_stay_cap`, paid + extra ≤ whole.
    Under brackets read `restart`, paid + extra may exceed whole: the free bracket is not granted
    again (see test_brackets_overstay.py).
    """
    tariff, stay, paid_at = case
    paid = quote(tariff, Stay(stay.entry, paid_at, stay.vehicle_class, stay.benefits), CONTEXT).total_fen
    result = quote(tariff, stay, QuoteContext(paid_at=paid_at))
    whole = quote(tariff, stay, CONTEXT).total_fen
    extra = result.total_fen
    assert extra >= 0
    assert sum(line.amount_fen for line in result.lines) == extra
    if int(stay.exit.timestamp() // 60) <= int(paid_at.timestamp() // 60) + tariff.grace_minutes:
        assert extra == 0
    if any(c.per != "band" for c in tariff.caps):
        factor = max(tariff.classes[stay.vehicle_class].factor_percent, 100)
        assert (paid + extra) * 100 <= _cap_bound(tariff, stay) * factor
        single = [c for c in tariff.caps if c.per == "window_24h" and not c.shared]
        if len(tariff.caps) == 1 and single and stay.exit - stay.entry < timedelta(hours=23) and factor == 100:
            if whole == single[0].fen[0]:
                assert paid + extra <= whole
    if tariff.brackets is not None and tariff.brackets.overstay == "whole_stay_cap":
        assert paid + extra <= whole
