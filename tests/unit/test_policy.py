"""A lot's policies read from its settings, with errors that name the setting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parking.policy import CHOICES, LotPolicy, PolicyError


def test_a_lot_without_settings_has_the_default_policies():
    assert LotPolicy.from_settings(None) == LotPolicy(
        pool_overflow="temporary", anti_passback="soft", no_entry_record="hold", no_entry_fee_fen=0,
        temporary_vehicles="admit", renewal_grace_days=3, expiry_warning_days=7, zombie_days=30,
    )


def test_empty_settings_are_the_defaults():
    assert LotPolicy.from_settings({}) == LotPolicy()


def test_given_settings_replace_the_defaults_and_the_rest_stay():
    policy = LotPolicy.from_settings({"anti_passback": "hard", "no_entry_record": "flat_fee", "no_entry_fee_fen": 1000})
    assert (policy.anti_passback, policy.no_entry_record, policy.no_entry_fee_fen, policy.pool_overflow) == (
        "hard", "flat_fee", 1000, "temporary")


def test_settings_of_other_parts_of_the_system_are_left_to_them():
    assert LotPolicy.from_settings({"tariff": "13-old-community-visitor"}) == LotPolicy()


def test_an_unknown_setting_is_an_error_naming_it_and_the_known_ones():
    with pytest.raises(PolicyError) as raised:
        LotPolicy.from_settings({"zombie_days": 30, "full_policy": "refuse_temporary"})
    assert str(raised.value) == (
        "lot setting 'full_policy' is not known; known settings: anti_passback, arrears_entry, clock_skew_seconds, expiry_warning_days, "
        "free_release_reasons, max_fee_fen, min_confidence, no_entry_fee_fen, no_entry_record, offline_exit, offline_max_age_days, "
        "offline_temporary, pool_overflow, renewal_grace_days, tariff, temporary_vehicles, zombie_days"
    )


def test_zero_is_a_usable_number_of_days():
    assert LotPolicy.from_settings({"renewal_grace_days": 0}).renewal_grace_days == 0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("pool_overflow", "queue", "lot setting pool_overflow='queue': expected one of temporary, refuse, wait"),
        ("anti_passback", "strict", "lot setting anti_passback='strict': expected one of off, soft, hard"),
        ("no_entry_record", "charge", "lot setting no_entry_record='charge': expected one of hold, flat_fee"),
        ("temporary_vehicles", None, "lot setting temporary_vehicles=None: expected one of admit, refuse"),
    ],
)
def test_a_choice_outside_its_options_is_refused_naming_the_setting_and_the_options(key, value, message):
    with pytest.raises(PolicyError) as raised:
        LotPolicy.from_settings({key: value})
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("renewal_grace_days", -1),
        ("expiry_warning_days", "7"),
        ("zombie_days", 30.0),
        ("no_entry_fee_fen", True),
        ("no_entry_fee_fen", None),
    ],
)
def test_a_number_that_is_not_a_whole_number_of_at_least_zero_is_refused_naming_the_setting(key, value):
    with pytest.raises(PolicyError) as raised:
        LotPolicy.from_settings({key: value})
    assert str(raised.value) == f"lot setting {key}={value!r}: expected a whole number of at least 0"


def test_a_policy_error_is_a_value_error():
    with pytest.raises(ValueError):
        LotPolicy.from_settings({"anti_passback": "on"})


valid_settings = st.fixed_dictionaries(
    {},
    optional={
        **{key: st.sampled_from(options) for key, options in CHOICES.items()},
        **{key: st.integers(0, 10_000) for key in ("no_entry_fee_fen", "renewal_grace_days", "expiry_warning_days", "zombie_days")},
    },
)


@given(settings=valid_settings)
def test_every_valid_setting_is_taken_as_given(settings):
    policy = LotPolicy.from_settings(settings)
    assert all(getattr(policy, key) == value for key, value in settings.items())


def test_free_release_reasons_are_a_list_of_short_texts():
    assert LotPolicy.from_settings({"free_release_reasons": [" 救护车 ", "设备故障"]}).free_release_reasons == ("救护车", "设备故障")
    with pytest.raises(PolicyError, match="free_release_reasons: expected a list of 1 to 20 texts"):
        LotPolicy.from_settings({"free_release_reasons": "救护车"})
    with pytest.raises(PolicyError, match="free_release_reasons: 3 is not a text of 1 to 40 characters"):
        LotPolicy.from_settings({"free_release_reasons": ["救护车", 3]})
    with pytest.raises(PolicyError, match="a reason is listed twice"):
        LotPolicy.from_settings({"free_release_reasons": ["救护车", "救护车"]})


def test_arrears_entry_admits_or_refuses():
    assert LotPolicy().arrears_entry == "admit"
    with pytest.raises(PolicyError, match="arrears_entry='block': expected one of admit, refuse"):
        LotPolicy.from_settings({"arrears_entry": "block"})
