"""Tariff documents and stays that cannot be priced are rejected, naming the field and the problem."""

import copy

import pytest

from parking.tariffs import QuoteContext, Stay, TariffError, load_tariff, quote
from parking.tariffs.examples import document, load_example
from tests.unit.tariffs.support import at


def guangzhou():
    return copy.deepcopy(document("03-guangzhou-central"))


def rejection(doc) -> TariffError:
    with pytest.raises(TariffError) as error:
        load_tariff(doc)
    return error.value


def test_overlapping_bands_are_rejected():
    doc = guangzhou()
    doc["bands"][1]["start"] = "21:00"
    error = rejection(doc)
    assert error.field == "bands[1].start"
    assert "overlaps bands[0] (day) on workday days at 21:00" in str(error)


def test_a_gap_in_the_day_is_rejected():
    doc = guangzhou()
    doc["bands"][0]["end"] = "20:30"
    error = rejection(doc)
    assert error.field == "bands[0].end"
    assert "gap from 20:30 to 21:30 on workday days" in error.problem


def test_negative_price_is_rejected():
    doc = guangzhou()
    doc["rates"]["night"]["steps"][0]["unit_fen"] = -100
    error = rejection(doc)
    assert (error.field, error.problem) == ("rates.night.steps[0].unit_fen", "must not be negative")


def test_price_in_yuan_with_decimals_is_rejected():
    doc = guangzhou()
    doc["rates"]["day"]["steps"][0]["unit_fen"] = 2.5
    assert rejection(doc).field == "rates.day.steps[0].unit_fen"


def test_cap_below_the_first_unit_is_rejected():
    doc = guangzhou()
    doc["caps"][0]["fen"] = 50
    error = rejection(doc)
    assert error.field == "caps[0].fen"
    assert "below the first unit (100 fen)" in error.problem


def test_unknown_vehicle_class_in_a_document_is_rejected():
    doc = guangzhou()
    doc["classes"]["tractor"] = {}
    error = rejection(doc)
    assert error.field == "classes.tractor"
    assert "must be one of" in error.problem


def test_band_naming_a_missing_rate_is_rejected():
    doc = guangzhou()
    doc["bands"][0]["rate"] = "daytime"
    assert rejection(doc).field == "bands[0].rate"


def test_ladder_steps_out_of_order_are_rejected():
    doc = copy.deepcopy(document("12-changzhou-transport-centre"))
    doc["rates"]["hub"]["steps"].insert(0, {"up_to_minutes": 180, "unit_minutes": 15, "unit_fen": 100})
    assert rejection(doc).field == "rates.hub.steps[1].up_to_minutes"


def test_unknown_field_is_rejected():
    doc = guangzhou()
    doc["bands"][0]["colour"] = "red"
    assert rejection(doc).field == "bands[0].colour"


def test_exit_before_entry_is_rejected_at_quote_time():
    with pytest.raises(TariffError) as error:
        quote(load_example("03-guangzhou-central"), Stay(at("2024-05-06T10:00"), at("2024-05-06T09:00")), QuoteContext())
    assert error.value.field == "exit"


def test_stay_of_a_class_the_tariff_does_not_price_is_rejected():
    with pytest.raises(TariffError) as error:
        quote(load_example("03-guangzhou-central"), Stay(at("2024-05-06T09:00"), at("2024-05-06T10:00"), "motorcycle"), QuoteContext())
    assert error.value.field == "vehicle_class"


def test_times_without_a_zone_are_rejected():
    from datetime import datetime

    with pytest.raises(TariffError) as error:
        quote(load_example("03-guangzhou-central"), Stay(datetime(2024, 5, 6, 9), at("2024-05-06T10:00")), QuoteContext())
    assert error.value.field == "entry"


def test_tariff_error_is_a_value_error():
    assert issubclass(TariffError, ValueError)
