"""The published text (明码标价) is generated from the document, in Chinese and English."""

import pytest

from parking.tariffs import describe
from parking.tariffs.examples import load_example, names


@pytest.mark.parametrize("name", names())
def test_every_example_has_published_text_in_both_languages(name):
    tariff = load_example(name)
    chinese, english = describe(tariff), describe(tariff, "en")
    assert chinese.splitlines()[0] == tariff.name.zh
    assert english.splitlines()[0] == tariff.name.en


def test_shenzhen_text_lists_ladder_and_free_period():
    text = describe(load_example("01-shenzhen-roadside-class1"))
    assert "· 工作日白天（工作日 07:30–20:00）：首30分钟3元/30分钟；30分钟至3小时6元/30分钟；3小时以上10元/30分钟" in text
    assert "· 非工作日夜间（非工作日 20:00–10:00）：免费" in text
    assert "10分钟以内免费，超过10分钟的从入场时起计费" in text


def test_guangzhou_text_states_both_caps():
    text = describe(load_example("03-guangzhou-central"))
    assert "夜间每段最高收费10元" in text
    assert "每24小时最高收费45元" in text


def test_hongqiao_english_text_states_rising_caps():
    text = describe(load_example("05-shanghai-hongqiao"), "en")
    assert "At most ¥60 on day 1, ¥80 on day 2, ¥110 on day 3+ per 24 h" in text


def test_old_community_text_lists_brackets():
    text = describe(load_example("13-old-community-visitor"))
    assert "· 停车1小时以内：免费" in text
    assert "· 停车12小时至24小时：20元" in text


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        describe(load_example("04-beijing-class1"), "fr")
