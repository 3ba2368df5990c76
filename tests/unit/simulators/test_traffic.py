import itertools
import re

from simulators.traffic import PROVINCES, TrafficGenerator

ORDINARY = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{5}}$")
NEW_ENERGY_SMALL = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z][DFABCEGHJK][A-HJ-NP-Z0-9]\d{{4}}$")
NEW_ENERGY_LARGE = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z]\d{{5}}[DF]$")
SPECIAL = re.compile(rf"^([{PROVINCES}][A-HJ-NP-Z]\d{{4}}[挂学警]|[{PROVINCES}][A-HJ-NP-Z]\d{{3}}应急|使\d{{6}})$")


def test_same_seed_gives_the_same_plates():
    a, b = TrafficGenerator(7), TrafficGenerator(7)
    assert [a.plate() for _ in range(20)] == [b.plate() for _ in range(20)]


def test_every_plate_has_a_real_shape_and_a_matching_colour():
    gen = TrafficGenerator(1)
    for _ in range(2000):
        p = gen.plate()
        assert "I" not in p.license and "O" not in p.license
        if p.color_type == 5:
            assert NEW_ENERGY_SMALL.match(p.license), p
        elif p.color_type == 6:
            assert NEW_ENERGY_LARGE.match(p.license), p
        else:
            assert ORDINARY.match(p.license) or SPECIAL.match(p.license), p


def test_arrivals_are_in_time_order_and_every_exit_follows_its_entry():
    events = list(itertools.islice(TrafficGenerator(3).arrivals(per_hour=120), 400))
    times = [t for t, _, _ in events]
    assert times == sorted(times)
    entered = set()
    for _, kind, spec in events:
        if kind == "entry":
            entered.add(spec)
        else:
            assert spec in entered
