"""What each merchant coupon and lot campaign takes off a stay (``parking.discounts``): amounts that add up
to what the quote shows, a payment settling what was given before it, campaigns before coupons."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from parking.discounts import CampaignFact, Discount, StayCoupon, price_stay, session_coupons
from parking.tariffs import QuoteContext, Stay
from parking.tariffs.examples import load_example

TZ = ZoneInfo("Asia/Shanghai")
VENDOR = load_example("14-vendor-rule-a")  # 30 min free; 5 yuan the first hour, 1 yuan each hour after; coupons: 2, 120 min, 5 yuan
COMMUNITY = load_example("13-old-community-visitor")  # no coupon policy
HOLIDAY = CampaignFact(7, "公益免费停车", "free", 0, datetime(2024, 5, 6, 8, tzinfo=TZ), datetime(2024, 5, 6, 23, tzinfo=TZ))


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, 6, hour, minute, tzinfo=TZ)


def coupon(code: str, kind: str, value: int, merchant: str = "和谐超市", given: datetime = at(10)) -> StayCoupon:
    return StayCoupon(code, kind, value, merchant, 1, given)


def test_each_coupon_takes_off_what_its_line_says_and_they_add_up():
    priced = price_stay(VENDOR, Stay(at(9), at(12)), QuoteContext(tz=TZ),
                        coupons=[coupon("a", "amount", 300), coupon("m", "minutes", 60, "老王面馆")])
    assert priced.quote.total_fen == 300  # 7 yuan before the coupons
    assert priced.discounts == (Discount("coupon", "m", "老王面馆", 100), Discount("coupon", "a", "和谐超市", 300))
    assert [(line.rule, line.amount_fen) for line in priced.quote.lines if "优惠券" in line.rule] == [
        ("老王面馆优惠券抵扣停车时长1小时", 0), ("和谐超市优惠券抵扣3元", -300)]


def test_a_coupon_given_before_the_payment_is_counted_in_the_paid_part():
    priced = price_stay(VENDOR, Stay(at(9), at(12, 10)), QuoteContext(tz=TZ, paid_at=at(12)), coupons=[coupon("a", "amount", 300)])
    assert (priced.quote.total_fen, priced.discounts) == (0, (Discount("coupon", "a", "和谐超市", 300),))


def test_a_coupon_given_after_the_payment_lowers_only_the_overstay():
    priced = price_stay(VENDOR, Stay(at(9), at(13)), QuoteContext(tz=TZ, paid_at=at(12)), coupons=[coupon("a", "amount", 500, given=at(12, 5))])
    assert (priced.quote.total_fen, priced.discounts) == (0, (Discount("coupon", "a", "和谐超市", 300),))  # the overstay cost 3 yuan


def test_a_free_campaign_covers_a_stay_begun_in_it_and_leaves_the_coupon_nothing():
    priced = price_stay(VENDOR, Stay(at(9), at(12)), QuoteContext(tz=TZ), coupons=[coupon("a", "amount", 300)], campaigns=[HOLIDAY])
    assert priced.quote.total_fen == 0
    assert priced.discounts == (Discount("campaign", "7", "公益免费停车", 700),)
    assert [(line.rule, line.amount_fen) for line in priced.quote.lines][-1] == ("公益免费停车", -700)


def test_a_campaign_does_not_cover_a_stay_begun_before_it():
    assert price_stay(VENDOR, Stay(at(7), at(9)), QuoteContext(tz=TZ), campaigns=[HOLIDAY]).discounts == ()


def test_a_campaign_applies_where_the_tariff_takes_no_coupons():
    priced = price_stay(COMMUNITY, Stay(at(9), at(12)), QuoteContext(tz=TZ), campaigns=[HOLIDAY])
    assert (priced.quote.total_fen, priced.discount_fen) == (0, 1000)


def test_a_coupon_the_tariff_does_not_take_is_left_out_without_failing_the_exit():
    priced = price_stay(COMMUNITY, Stay(at(9), at(12)), QuoteContext(tz=TZ), coupons=[coupon("a", "amount", 300)])
    assert (priced.quote.total_fen, priced.discounts) == (1000, ())


def test_the_session_coupons_that_cannot_be_read_are_skipped():
    session = {"coupons": [{"code": "a", "kind": "amount", "value": 300, "merchant": "和谐超市", "merchant_id": 1, "at": "2024-05-06T10:00:00+08:00"},
                           {"code": "b", "kind": "percent", "value": 150}, {"kind": "free"}, "junk"]}
    assert session_coupons(session) == (coupon("a", "amount", 300),)
    assert session_coupons({"coupons": {}}) == () and session_coupons(None) == ()
