"""Merchant coupons and lot campaigns on real Redis and SQL: given, claimed or refused by their rules,
applied by the exit decision from the live session, and booked once as stay adjustments when the car
leaves, so that fee == paid + discounts + arrears."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from parking.models import AuditEvent, Coupon, CouponStatus, Merchant, ParkingSession, StayAdjustment
from parking.occupancy.recorder import Recorder
from parking.plates import parse
from parking.services import campaigns, coupons, ledger, merchants, shifts
from parking.services.campaigns import CampaignFields
from parking.services.coupons import CouponError
from parking.services.merchants import MerchantFields
from parking.services.tariffs import publish_tariff
from parking.tariffs import examples

from ...conftest import FIXED_NOW

PLATE, OTHER = "粤B12345", "粤B67890"
ALL_KINDS = {"minutes": 120, "amount": 1000, "percent": 50, "free": 0}


@pytest.fixture
def coupon_lot(runtime, site, village):  # type: ignore[no-untyped-def]
    """The community lot under its visitors' tariff (first hour free, 5 yuan to 2 h, 10 yuan to 8 h) with a
    coupon policy added: every kind, two coupons a stay."""
    document = examples.document("13-old-community-visitor") | {"coupons": {"kinds": ["minutes", "amount", "percent", "free"], "max_count": 2}}
    with runtime.sessions() as db:
        publish_tariff(db, lot_id=village.community_lot_id, document=document, valid_from=site.clock(), now=site.clock())
        db.commit()
    site.refresh()
    return site.agent.lanes.lots()[village.community_lot_id]


def merchant(runtime, village, name: str = "和谐超市", *, stackable: bool = False, quota: int = 0, kinds=None):  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        made, key = merchants.create(db, MerchantFields(lot_id=village.community_lot_id, name=name, kinds=kinds or ALL_KINDS,
                                                        monthly_quota=quota, stackable=stackable), operator_id=None, now=FIXED_NOW)
        return made.id


def give(runtime, site, merchant_id: int, plate: str = PLATE, kind: str = "minutes", value: int = 30) -> Coupon:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        found = db.get(Merchant, merchant_id)
        coupon = coupons.give(db, runtime.store, found, plate, kind=kind, value=value, now=site.clock())
        db.expunge(coupon)
        return coupon


def record(runtime, village) -> None:  # type: ignore[no-untyped-def]
    Recorder(runtime.redis, runtime.sessions, [village.community_lot_id, village.office_lot_id], consumer="coupons").drain()


def stay(runtime, plate: str = PLATE) -> ParkingSession:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        row = db.scalar(select(ParkingSession).where(ParkingSession.plate == plate).order_by(ParkingSession.id.desc()))
        db.expunge(row)
        return row


def adjustments(runtime, session_uid: str) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        rows = db.scalars(select(StayAdjustment).where(StayAdjustment.session_uid == session_uid).order_by(StayAdjustment.id))
        return [(a.kind.value, a.amount_fen, a.reason) for a in rows]


def refusals(runtime) -> list[str]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return [e.detail["rule"] for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "coupon.refused").order_by(AuditEvent.id))]


def test_a_30_minute_coupon_makes_a_stay_of_1h20_free_and_is_booked_once(runtime, site, village, coupon_lot):
    shop = merchant(runtime, village)
    site.read("east-in", PLATE)
    site.clock.advance(minutes=20)
    coupon = give(runtime, site, shop)
    site.clock.advance(minutes=60)
    decision = site.read("east-out", PLATE)
    assert decision.outcome == "released"
    record(runtime, village)
    row = stay(runtime)
    assert (row.fee_fen, row.paid_fen, row.discount_fen, row.arrears_fen) == (500, 0, 500, 0)
    assert row.fee_fen == row.paid_fen + row.discount_fen + row.arrears_fen
    assert adjustments(runtime, row.uid) == [("coupon", 500, f"和谐超市优惠券 {coupon.code}")]
    with runtime.sessions() as db:
        used = db.scalar(select(Coupon).where(Coupon.code == coupon.code))
        assert (used.status, used.session_uid, used.used_at) == (CouponStatus.USED, row.uid, site.clock())
        assert db.scalar(select(StayAdjustment.coupon_id)) == used.id
    record(runtime, village)  # a replayed journal books nothing twice
    assert len(adjustments(runtime, row.uid)) == 1


def test_a_car_held_at_the_exit_is_decided_again_when_it_gets_a_coupon(runtime, site, village, coupon_lot):
    shop = merchant(runtime, village)
    site.read("east-in", PLATE)
    site.clock.advance(minutes=80)
    assert site.read("east-out", PLATE).lines[-1] == "请缴费5元"
    commands = runtime.store.commands.subscribe([coupon_lot.id])
    try:
        assert commands.next(timeout=0.5) is None  # subscribed before the coupon
        coupon = give(runtime, site, shop)
        heard = json.loads(commands.next(timeout=5) or b"{}")
    finally:
        commands.close()
    assert (heard["action"], heard["plate"], heard["reason"]) == ("release", PLATE, f"payment coupon:{coupon.code}")


def test_an_amount_coupon_takes_5_yuan_off_and_the_receipt_names_the_merchant(runtime, site, village, coupon_lot, operators):
    shop = merchant(runtime, village)
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    give(runtime, site, shop, kind="amount", value=500)
    assert site.read("east-out", PLATE).lines[-1] == "请缴费5元"
    with runtime.sessions() as db:
        shift = shifts.open_shift(db, operator_id=operators["attendant"], lot_id=coupon_lot.id, at=site.clock())
        payment, _ = ledger.take_cash(db, runtime.store, coupon_lot, parse(PLATE), given_fen=500, shift=shift, at=site.clock())
        assert [(line["amount_fen"], line["rule"]) for line in payment.quote["lines"]][-1] == (-500, "和谐超市优惠券抵扣5元")
    assert site.read("east-out", PLATE).outcome == "released"
    record(runtime, village)
    row = stay(runtime)
    assert (row.fee_fen, row.paid_fen, row.discount_fen) == (1000, 500, 500)
    assert [a[:2] for a in adjustments(runtime, row.uid)] == [("coupon", 500)]


def test_a_coupon_given_after_paying_gives_no_money_back(runtime, site, village, coupon_lot, operators):
    shop = merchant(runtime, village)
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    with runtime.sessions() as db:
        shift = shifts.open_shift(db, operator_id=operators["attendant"], lot_id=coupon_lot.id, at=site.clock())
        ledger.take_cash(db, runtime.store, coupon_lot, parse(PLATE), given_fen=1000, shift=shift, at=site.clock())
    site.clock.advance(minutes=5)
    give(runtime, site, shop, kind="free", value=0)
    assert site.read("east-out", PLATE).outcome == "released"
    record(runtime, village)
    row = stay(runtime)
    assert (row.fee_fen, row.paid_fen, row.discount_fen) == (1000, 1000, 0)
    assert adjustments(runtime, row.uid) == []


def test_a_second_merchants_coupon_is_refused_when_they_do_not_stack(runtime, site, village, coupon_lot):
    first, second = merchant(runtime, village, "和谐超市"), merchant(runtime, village, "老王面馆", stackable=True)
    site.read("east-in", PLATE)
    give(runtime, site, first)
    with pytest.raises(CouponError, match="holds a coupon of 和谐超市, and 和谐超市's coupons do not stack") as refused:
        give(runtime, site, second, kind="amount", value=300)
    assert refused.value.code == "coupon_not_stackable"
    assert refusals(runtime) == ["coupon_not_stackable"]
    assert [c["merchant"] for c in runtime.store.open_session(coupon_lot.id, PLATE)["coupons"]] == ["和谐超市"]
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Coupon)) == 1


def test_coupons_of_two_stacking_merchants_both_apply(runtime, site, village, coupon_lot):
    first, second = merchant(runtime, village, "和谐超市", stackable=True), merchant(runtime, village, "老王面馆", stackable=True)
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    give(runtime, site, first, kind="amount", value=300)
    give(runtime, site, second, kind="amount", value=200)
    assert site.read("east-out", PLATE).outcome == "fee_due"
    assert [c["merchant"] for c in runtime.store.open_session(coupon_lot.id, PLATE)["coupons"]] == ["和谐超市", "老王面馆"]


def test_a_printed_code_is_claimed_once_then_reuse_is_refused(runtime, site, village, coupon_lot):
    shop = merchant(runtime, village)
    site.read("east-in", PLATE)  # 17:30 local
    site.read("east-in", OTHER)
    with runtime.sessions() as db:
        (printed,) = coupons.issue(db, db.get(Merchant, shop), kind="minutes", value=60, count=1,
                                   valid_until=site.clock() + timedelta(days=7), now=site.clock())
        code = printed.code
    site.clock.advance(minutes=30)
    with runtime.sessions() as db:
        with pytest.raises(CouponError, match="no car with this plate entered at that time"):
            coupons.claim(db, runtime.store, code, PLATE, "17:45", now=site.clock())
        claimed = coupons.claim(db, runtime.store, code, PLATE, "17:25", now=site.clock())
        assert (claimed.plate, claimed.session_uid) == (PLATE, runtime.store.open_session(coupon_lot.id, PLATE)["uid"])
        with pytest.raises(CouponError, match="is on a stay already") as again:
            coupons.claim(db, runtime.store, code, OTHER, "17:30", now=site.clock())
    assert again.value.code == "coupon_claimed"
    assert runtime.store.open_session(coupon_lot.id, OTHER).get("coupons") is None
    site.clock.advance(minutes=60)
    assert site.read("east-out", PLATE).outcome == "released"  # 1 h 30 min less 60 min: within the free hour
    record(runtime, village)
    with runtime.sessions() as db:
        with pytest.raises(CouponError, match="was used already"):
            coupons.claim(db, runtime.store, code, OTHER, "17:30", now=site.clock())
    assert refusals(runtime) == ["coupon_stay_not_found", "coupon_claimed", "coupon_used"]


def test_an_expired_code_is_refused(runtime, site, village, coupon_lot):
    shop = merchant(runtime, village)
    site.read("east-in", PLATE)
    with runtime.sessions() as db:
        (printed,) = coupons.issue(db, db.get(Merchant, shop), kind="amount", value=500, count=1,
                                   valid_until=site.clock() + timedelta(hours=1), now=site.clock())
        code = printed.code
    site.clock.advance(hours=2)
    with runtime.sessions() as db:
        with pytest.raises(CouponError, match=f"coupon {code} expired at") as refused:
            coupons.claim(db, runtime.store, code, PLATE, "17:30", now=site.clock())
    assert refused.value.code == "coupon_expired"
    assert runtime.store.open_session(coupon_lot.id, PLATE).get("coupons") is None


def test_a_voided_code_is_refused(runtime, site, village, coupon_lot):
    shop = merchant(runtime, village)
    site.read("east-in", PLATE)
    with runtime.sessions() as db:
        (printed,) = coupons.issue(db, db.get(Merchant, shop), kind="amount", value=500, count=1,
                                   valid_until=site.clock() + timedelta(days=1), now=site.clock())
        coupons.void(db, printed, reason="印错了", now=site.clock())
        with pytest.raises(CouponError, match="was voided") as refused:
            coupons.claim(db, runtime.store, printed.code, PLATE, "17:30", now=site.clock())
    assert refused.value.code == "coupon_voided"


def test_the_monthly_quota_is_kept(runtime, site, village, coupon_lot):
    shop = merchant(runtime, village, quota=3)
    site.read("east-in", PLATE)
    with runtime.sessions() as db:
        owner = db.get(Merchant, shop)
        coupons.issue(db, owner, kind="amount", value=500, count=2, valid_until=site.clock() + timedelta(days=1), now=site.clock())
        with pytest.raises(CouponError, match="has given 2 of its 3 coupons this month; 2 more would pass the quota") as refused:
            coupons.issue(db, owner, kind="amount", value=500, count=2, valid_until=site.clock() + timedelta(days=1), now=site.clock())
        assert refused.value.code == "coupon_quota_exceeded"
        assert db.scalar(select(func.count()).select_from(Coupon)) == 2
        counts = merchants.month_counts(db, [shop], site.clock(), coupon_lot.tz)[shop]
        assert (counts.issued, counts.used, counts.left) == (2, 0, 1)
    give(runtime, site, shop)
    with pytest.raises(CouponError) as over:
        give(runtime, site, shop)
    assert over.value.code == "coupon_quota_exceeded"


def test_a_kind_or_value_the_merchant_may_not_give_is_refused(runtime, site, village, coupon_lot):
    shop = merchant(runtime, village, kinds={"minutes": 60})
    site.read("east-in", PLATE)
    with pytest.raises(CouponError, match="may not give amount coupons") as kind:
        give(runtime, site, shop, kind="amount", value=500)
    with pytest.raises(CouponError, match="90 is not from 1 to 60") as value:
        give(runtime, site, shop, kind="minutes", value=90)
    assert (kind.value.code, value.value.code) == ("coupon_kind_not_allowed", "coupon_value_not_allowed")


def test_a_tariff_without_a_coupon_policy_refuses_coupons(runtime, site, village):
    shop = merchant(runtime, village)
    site.read("east-in", PLATE)
    with pytest.raises(CouponError, match="accepts no merchant coupons") as refused:
        give(runtime, site, shop)
    assert refused.value.code == "coupon_tariff_refuses"
    assert runtime.store.open_session(village.community_lot_id, PLATE).get("coupons") is None


def test_a_coupon_of_another_lot_is_refused(runtime, site, village, coupon_lot):
    shop = merchant(runtime, village)
    with runtime.sessions() as db:
        (printed,) = coupons.issue(db, db.get(Merchant, shop), kind="amount", value=500, count=1,
                                   valid_until=site.clock() + timedelta(days=1), now=site.clock())
        office = site.agent.lanes.lots()[village.office_lot_id]
        with pytest.raises(CouponError, match="is for another lot") as refused:
            coupons.apply_to_stay(db, runtime.store, office, printed, PLATE, now=site.clock())
    assert refused.value.code == "coupon_other_lot"


def test_a_free_campaign_on_a_holiday_frees_the_stays_that_began_in_it(runtime, site, village, coupon_lot):
    before_it = "粤B11111"
    site.read("east-in", before_it)  # 17:30, before the day
    holiday = site.clock().astimezone(coupon_lot.tz).replace(hour=0, minute=0) + timedelta(days=1)
    with runtime.sessions() as db:
        made = campaigns.create(db, runtime.store, CampaignFields(lot_id=coupon_lot.id, name="公益免费停车", kind="free", starts_at=holiday,
                                                                  ends_at=holiday + timedelta(days=1)), operator_id=None, now=site.clock())
        campaign_id = made.id
    site.refresh()
    site.clock.advance(hours=8)  # 01:30 on the holiday
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    decision = site.read("east-out", PLATE)
    assert decision.outcome == "released"
    assert site.read("east-out", before_it).lines[-1] == "请缴费15元"  # 11 h, begun before the day
    record(runtime, village)
    row = stay(runtime)
    assert (row.fee_fen, row.paid_fen, row.discount_fen) == (1000, 0, 1000)
    assert adjustments(runtime, row.uid) == [("campaign", 1000, "公益免费停车")]
    with runtime.sessions() as db:
        assert db.scalar(select(StayAdjustment.campaign_id)) == campaign_id


def test_the_quote_shows_the_campaign_line(runtime, site, village, coupon_lot):
    start = site.clock()
    with runtime.sessions() as db:
        campaigns.create(db, runtime.store, CampaignFields(lot_id=coupon_lot.id, name="公益免费停车", kind="free", starts_at=start,
                                                           ends_at=start + timedelta(days=1)), operator_id=None, now=start)
    site.refresh()
    site.read("east-in", PLATE)
    site.clock.advance(hours=3)
    lots = site.agent.lanes.lots()
    estimate = ledger.due(runtime.store, lots[coupon_lot.id], parse(PLATE), site.clock())
    assert [(line.rule, line.amount_fen) for line in estimate.plan.quote.lines][-1] == ("公益免费停车", -1000)
    assert (estimate.due_fen, estimate.plan.fee_fen, estimate.plan.discount_fen, estimate.plan.fee_before_discounts_fen) == (0, 0, 1000, 1000)


def test_the_live_coupon_is_held_once_by_its_own_stay(runtime, site, village, coupon_lot):
    site.read("east-in", PLATE)
    site.read("east-in", OTHER)
    other_before = runtime.store.open_session(coupon_lot.id, OTHER)
    coupon = {"code": "c1", "kind": "minutes", "value": 30, "merchant": "和谐超市", "merchant_id": 1, "at": site.clock().isoformat()}
    first = runtime.store.add_coupon(coupon_lot.id, PLATE, coupon, site.clock())
    again = runtime.store.add_coupon(coupon_lot.id, PLATE, coupon, site.clock())
    assert (first.outcome, again.outcome, again.effective) == ("applied", "duplicate", "applied")
    assert runtime.store.open_session(coupon_lot.id, PLATE)["coupons"] == [coupon]
    assert runtime.store.open_session(coupon_lot.id, OTHER) == other_before
    assert runtime.store.add_coupon(coupon_lot.id, "粤B99999", coupon, site.clock()).outcome == "no_session"
    assert runtime.store.add_coupon(coupon_lot.id, PLATE, coupon, site.clock(), session_uid="someone-else").outcome == "changed"


def test_reconcile_gives_back_the_coupons_redis_lost(runtime, site, village, coupon_lot):
    from parking.services.reconcile import reconcile

    shop = merchant(runtime, village)
    site.read("east-in", PLATE)
    coupon = give(runtime, site, shop)
    record(runtime, village)
    runtime.redis.flushdb()
    corrections = reconcile(runtime.sessions, runtime.store, site.clock())
    assert [(c.kind, c.subject, c.now) for c in corrections if c.kind == "restored_coupon"] == [("restored_coupon", PLATE, coupon.code)]
    assert [c["code"] for c in runtime.store.open_session(coupon_lot.id, PLATE)["coupons"]] == [coupon.code]
