"""Passes sold from products (parking.services.passes): issue, renew, suspend, resume, end with the
pro-rata refund, change plates; every change audited with before and after and felt at the lane at once.

Demo village at FIXED_NOW (2026-11-25 17:30 in Shanghai): pass 1 is 3栋 王先生's monthly pass for
粤B3M001 in the community lot, valid 2026-11-20 to 2026-12-20 (UTC midnights)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from parking import db as dbmod
from parking.models import AuditEvent, Lot, ParkingPass
from parking.services import pass_products, pass_queries, passes
from parking.services.config_changes import ConfigChangeError
from parking.services.pass_products import ProductFields

from ...conftest import FIXED_NOW

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 25)


def local(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=SHANGHAI)


@pytest.fixture
def monthly(runtime, village) -> int:  # type: ignore[no-untyped-def]
    """The community's 月卡: one month for 300.00 yuan, one space."""
    with runtime.sessions() as db:
        return pass_products.create(db, ProductFields(lot_id=village.community_lot_id, code="yueka", name="月卡", kind="monthly",
                                                      period_months=1, price_fen=30000), operator_id=None, now=FIXED_NOW).id


@pytest.fixture
def family(runtime, village) -> int:  # type: ignore[no-untyped-def]
    """一位多车: one space, up to several cars, a quarter for 900.00 yuan."""
    with runtime.sessions() as db:
        return pass_products.create(db, ProductFields(lot_id=village.community_lot_id, code="jika", name="季卡", kind="monthly",
                                                      period_months=3, price_fen=90000), operator_id=None, now=FIXED_NOW).id


def issue(runtime, product_id: int, plates=("粤B66M01",), **changes):  # type: ignore[no-untyped-def]
    request = passes.IssueRequest(**{"product_id": product_id, "holder": "8栋 赵先生", "plates": list(plates), "start": TODAY,
                                     "periods": 1, "household": "8栋301", "phone": "13800138000", **changes})
    with runtime.sessions() as db:
        return passes.issue(db, runtime.store, request, operator_id=1, now=FIXED_NOW)


def audit_rows(runtime, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count_passes(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(ParkingPass))


def set_policy(runtime, site, lot_id: int, **settings) -> None:  # type: ignore[no-untyped-def]
    with dbmod.transaction(runtime.sessions) as db:
        lot = db.get(Lot, lot_id)
        lot.settings = {**lot.settings, **settings}
    site.refresh()


# -- issue ---------------------------------------------------------------------------------------------


def test_a_pass_issued_for_three_periods_runs_three_months_from_local_midnight_and_costs_three_prices(runtime, monthly):
    p = issue(runtime, monthly, periods=3)
    assert (p.valid_from, p.valid_until, p.price_fen, p.kind.value, p.spaces) == (local(2026, 11, 25), local(2027, 2, 25), 90000, "monthly", 1)
    assert [pp.plate for pp in p.plates] == ["粤B66M01"]
    (row,) = audit_rows(runtime, "pass.issue")
    assert (row.operator_id, row.target, row.detail["charged_fen"], row.detail["periods"]) == (1, f"pass {p.id}", 90000, 3)
    assert row.detail["after"]["plates"] == ["粤B66M01"] and row.detail["after"]["valid_until"] == "2027-02-24T16:00:00+00:00"


def test_an_issued_pass_opens_the_gate_at_once(runtime, monthly, site):
    issue(runtime, monthly)
    decision = site.read("east-in", "粤B66M01")
    assert (decision.open_gate, decision.lines) == (True, ("粤B66M01", "月租车 剩余29天", "欢迎光临"))


def test_a_plate_held_by_another_pass_in_the_same_zone_is_refused_naming_that_pass(runtime, monthly):
    before = count_passes(runtime)
    with pytest.raises(ConfigChangeError) as excinfo:
        issue(runtime, monthly, plates=["粤B66M01", "粤B3M001"])
    assert excinfo.value.field == "plates"
    assert excinfo.value.message == "plate 粤B3M001 already has pass 1 (3栋 王先生) valid 2026-11-20 to 2026-12-20 in the same zone"
    assert count_passes(runtime) == before
    assert audit_rows(runtime, "pass.issue") == []


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"plates": ["粤B6M0"]}, "plates[0]", "cannot read plate '粤B6M0'"),
    ({"plates": []}, "plates", "at least one plate is required"),
    ({"holder": "  "}, "holder", "is required"),
    ({"holder": "x" * 101}, "holder", "longer than 100 characters"),
    ({"phone": "call me"}, "phone", "'call me' is not a phone number (digits, +, -, spaces)"),
    ({"periods": 0}, "periods", "0 is not a whole number from 1 to 120"),
    ({"start": date(1999, 12, 31)}, "start", "1999-12-31 is not from 2000-01-01 to 2099-12-31"),
])
def test_a_bad_issue_names_the_field_and_writes_nothing(runtime, monthly, changes, field, message):
    before = count_passes(runtime)
    with pytest.raises(ConfigChangeError) as excinfo:
        issue(runtime, monthly, **changes)
    assert (excinfo.value.field, excinfo.value.message[: len(message)]) == (field, message)
    assert count_passes(runtime) == before


def test_an_unknown_product_is_named(runtime, monthly):
    with pytest.raises(ConfigChangeError, match="product_id: no pass product 999"):
        issue(runtime, 999)


def test_a_withdrawn_product_is_not_sold(runtime, monthly):
    with runtime.sessions() as db:
        pass_products.update(db, monthly, active=False, operator_id=None, now=FIXED_NOW)
    with pytest.raises(ConfigChangeError, match="product_id: product yueka is withdrawn from sale"):
        issue(runtime, monthly)


def test_an_enterprise_product_of_two_spaces_needs_at_least_two_plates(runtime, village):
    with runtime.sessions() as db:
        product = pass_products.create(db, ProductFields(lot_id=village.community_lot_id, code="qiye", name="企业包位", kind="enterprise",
                                                         period_months=12, price_fen=600000, spaces=2), operator_id=None, now=FIXED_NOW)
    with pytest.raises(ConfigChangeError, match="plates: 2 spaces for 1 plates"):
        issue(runtime, product.id)
    p = issue(runtime, product.id, plates=["粤B71001", "粤B71002", "粤B71003"])
    assert (p.kind.value, p.spaces, p.price_fen, p.valid_until) == ("enterprise", 2, 600000, local(2027, 11, 25))


# -- renew ---------------------------------------------------------------------------------------------


def test_renewing_before_expiry_extends_from_valid_until_and_adds_the_price(runtime, monthly):
    p = issue(runtime, monthly)
    with runtime.sessions() as db:
        result = passes.renew(db, runtime.store, p.id, 2, operator_id=1, now=FIXED_NOW + timedelta(days=10))
    assert (result.parking_pass.valid_from, result.parking_pass.valid_until, result.parking_pass.price_fen, result.charged_fen, result.gap) == (
        local(2026, 11, 25), local(2027, 2, 25), 90000, 60000, False)
    (row,) = audit_rows(runtime, "pass.renew")
    assert (row.detail["before"]["valid_until"], row.detail["after"]["valid_until"], row.detail["charged_fen"]) == (
        "2026-12-24T16:00:00+00:00", "2027-02-24T16:00:00+00:00", 60000)


def test_renewing_within_the_grace_continues_without_a_gap(runtime, monthly):
    p = issue(runtime, monthly)
    with runtime.sessions() as db:  # expired 2026-12-25 00:00, renewed on the 27th: within the 3 days' grace
        result = passes.renew(db, runtime.store, p.id, 1, operator_id=1, now=local(2026, 12, 27) + timedelta(hours=20))
    assert (result.parking_pass.valid_from, result.parking_pass.valid_until, result.gap) == (local(2026, 11, 25), local(2027, 1, 25), False)


def test_renewing_after_the_grace_starts_again_today(runtime, monthly):
    p = issue(runtime, monthly)
    with runtime.sessions() as db:
        result = passes.renew(db, runtime.store, p.id, 1, operator_id=1, now=local(2026, 12, 28) + timedelta(hours=9))
    assert (result.parking_pass.valid_from, result.parking_pass.valid_until, result.parking_pass.price_fen, result.gap) == (
        local(2026, 12, 28), local(2027, 1, 28), 30000, True)


def test_a_pass_without_a_product_is_renewed_with_a_product_of_its_kind(runtime, monthly):
    with runtime.sessions() as db:
        with pytest.raises(ConfigChangeError, match="product_id: pass 1 was not sold from a product"):
            passes.renew(db, runtime.store, 1, 1, operator_id=1, now=FIXED_NOW)
        result = passes.renew(db, runtime.store, 1, 1, product_id=monthly, operator_id=1, now=FIXED_NOW)
    # Valid until 2026-12-20 08:00 in Shanghai: a month more, same time of day.
    assert (result.parking_pass.valid_until, result.parking_pass.product_id) == (local(2027, 1, 20) + timedelta(hours=8), monthly)


def test_a_product_of_another_kind_does_not_renew_a_pass(runtime, village, monthly):
    with runtime.sessions() as db:
        owner = pass_products.create(db, ProductFields(lot_id=village.community_lot_id, code="chanquan", name="产权车位", kind="owner",
                                                       period_months=12, zone_id=village.inner_zone_id), operator_id=None, now=FIXED_NOW)
        with pytest.raises(ConfigChangeError, match="product_id: product chanquan sells another kind of pass"):
            passes.renew(db, runtime.store, 1, 1, product_id=owner.id, operator_id=1, now=FIXED_NOW)


# -- suspend, resume, end ------------------------------------------------------------------------------


def test_a_suspended_pass_is_refused_at_the_lane_and_admitted_again_when_resumed(runtime, village, monthly, site):
    set_policy(runtime, site, village.community_lot_id, temporary_vehicles="refuse")
    p = issue(runtime, monthly)
    with runtime.sessions() as db:
        passes.suspend(db, runtime.store, p.id, operator_id=1, now=FIXED_NOW, reason="车主出国")
    refused = site.read("east-in", "粤B66M01")
    assert (refused.open_gate, refused.lines) == (False, ("粤B66M01", "非登记车辆 禁止入内"))
    with runtime.sessions() as db:
        passes.resume(db, runtime.store, p.id, operator_id=1, now=FIXED_NOW)
    admitted = site.read("east-in", "粤B66M01")
    assert (admitted.open_gate, admitted.lines) == (True, ("粤B66M01", "月租车 剩余29天", "欢迎光临"))
    suspend, resume = audit_rows(runtime, "pass.suspend")[0], audit_rows(runtime, "pass.resume")[0]
    assert (suspend.detail["before"]["suspended_at"], suspend.detail["after"]["suspended_at"], suspend.detail["reason"]) == (
        None, "2026-11-25T09:30:00+00:00", "车主出国")
    assert resume.detail["after"]["suspended_at"] is None


def test_a_car_on_a_suspended_pass_pays_as_a_temporary_car_where_the_lot_admits_them(runtime, monthly, site):
    p = issue(runtime, monthly)
    with runtime.sessions() as db:
        passes.suspend(db, runtime.store, p.id, operator_id=1, now=FIXED_NOW)
    decision = site.read("east-in", "粤B66M01")
    assert (decision.open_gate, decision.lines) == (True, ("粤B66M01", "月租车已暂停 按临时车", "欢迎光临"))
    assert site.store.open_session(p.lot_id, "粤B66M01")["class"] == "temporary"


def test_suspending_twice_or_resuming_an_active_pass_is_refused(runtime, monthly):
    p = issue(runtime, monthly)
    with runtime.sessions() as db:
        with pytest.raises(ConfigChangeError, match=f"pass_id: pass {p.id} is not suspended"):
            passes.resume(db, runtime.store, p.id, operator_id=1, now=FIXED_NOW)
        passes.suspend(db, runtime.store, p.id, operator_id=1, now=FIXED_NOW)
        with pytest.raises(ConfigChangeError, match=f"pass_id: pass {p.id} is already suspended since 2026-11-25 09:30"):
            passes.suspend(db, runtime.store, p.id, operator_id=1, now=FIXED_NOW)


def test_the_refund_is_quoted_before_and_recorded_on_ending(runtime, monthly, site):
    p = issue(runtime, monthly, periods=2)  # 2026-11-25 to 2027-01-25: 61 days for 600.00 yuan
    ten_days_later = FIXED_NOW + timedelta(days=10)  # 2026-12-05 17:30: 50 whole days left
    with runtime.sessions() as db:
        quote = passes.refund_quote(db, p.id, ten_days_later)
        assert (quote.remaining_days, quote.days, quote.refund_fen) == (50, 61, 49180)  # 50 × 60000 // 61
        result = passes.end(db, runtime.store, p.id, refund=True, operator_id=1, now=ten_days_later, reason="搬家")
    assert (result.refund.refund_fen, result.parking_pass.ended_at, result.parking_pass.active) == (49180, ten_days_later, False)
    (row,) = audit_rows(runtime, "pass.end")
    assert (row.detail["refund_fen"], row.detail["remaining_days"], row.detail["reason"], row.detail["after"]["ended_at"]) == (
        49180, 50, "搬家", "2026-12-05T09:30:00+00:00")
    site.clock.advance(days=10)
    decision = site.read("east-in", "粤B66M01")
    assert decision.lines[1] == "月租车已终止 按临时车"


def test_ending_without_a_refund_records_none_and_an_ended_pass_cannot_change(runtime, monthly):
    p = issue(runtime, monthly)
    with runtime.sessions() as db:
        assert passes.end(db, runtime.store, p.id, refund=False, operator_id=1, now=FIXED_NOW).refund is None
        for change in (lambda: passes.suspend(db, runtime.store, p.id, operator_id=1, now=FIXED_NOW),
                       lambda: passes.renew(db, runtime.store, p.id, 1, operator_id=1, now=FIXED_NOW),
                       lambda: passes.change_plates(db, runtime.store, p.id, ["粤B66M02"], operator_id=1, now=FIXED_NOW),
                       lambda: passes.end(db, runtime.store, p.id, refund=True, operator_id=1, now=FIXED_NOW)):
            with pytest.raises(ConfigChangeError, match=f"pass_id: pass {p.id} was ended on 2026-11-25"):
                change()
    assert audit_rows(runtime, "pass.end")[0].detail["refund_fen"] is None


def test_an_ended_pass_frees_its_plates_for_a_new_pass(runtime, monthly):
    p = issue(runtime, monthly)
    with runtime.sessions() as db:
        passes.end(db, runtime.store, p.id, refund=False, operator_id=1, now=FIXED_NOW)
    assert issue(runtime, monthly, holder="新车主").id != p.id


# -- plates ---------------------------------------------------------------------------------------------


def test_changing_plates_gives_one_space_to_several_cars_and_the_lane_knows_them(runtime, family, site):
    p = issue(runtime, family)
    with runtime.sessions() as db:
        passes.change_plates(db, runtime.store, p.id, ["粤B66M01", "粤b66m02"], operator_id=1, now=FIXED_NOW)
    assert site.read("east-in", "粤B66M02").open_gate
    (row,) = audit_rows(runtime, "pass.plates")
    assert (row.detail["before"]["plates"], row.detail["after"]["plates"]) == (["粤B66M01"], ["粤B66M01", "粤B66M02"])
    assert site.read("east-in", "粤B66M01").lines[1] == "月租车 剩余91天"


def test_a_plate_of_another_pass_in_the_same_zone_is_refused_naming_it(runtime, monthly):
    p = issue(runtime, monthly)
    with runtime.sessions() as db:
        with pytest.raises(ConfigChangeError) as excinfo:
            passes.change_plates(db, runtime.store, p.id, ["粤B66M01", "粤B3M001"], operator_id=1, now=FIXED_NOW)
        assert (excinfo.value.field, excinfo.value.params["pass_id"], excinfo.value.params["holder"]) == ("plates", 1, "3栋 王先生")
        assert [pp.plate for pp in passes.get(db, p.id).plates] == ["粤B66M01"]


def test_a_plate_of_a_pass_in_another_zone_is_accepted(runtime, village, monthly):
    # 粤B5P002 holds the owners' inner-zone pass; the outer zone's... every zone pass overlaps a lot-wide one,
    # so only a pass for another, unrelated zone could share it: the office lot is another lot altogether.
    with runtime.sessions() as db:
        office = pass_products.create(db, ProductFields(lot_id=village.office_lot_id, code="yueka", name="月卡", kind="monthly", price_fen=20000),
                                      operator_id=None, now=FIXED_NOW)
    assert issue(runtime, office.id, plates=["粤B3M001"]).lot_id == village.office_lot_id


def test_holder_details_are_changed_and_audited(runtime, monthly):
    p = issue(runtime, monthly)
    with runtime.sessions() as db:
        passes.update_holder(db, runtime.store, p.id, household="8栋302", note="<b>换房</b>", operator_id=1, now=FIXED_NOW)
    (row,) = audit_rows(runtime, "pass.update")
    assert (row.detail["before"]["household"], row.detail["after"]["household"], row.detail["after"]["note"]) == ("8栋301", "8栋302", "<b>换房</b>")


# -- reading ---------------------------------------------------------------------------------------------


def test_expiring_lists_passes_ending_within_the_lots_warning_days_and_those_in_grace(runtime, village, monthly):
    soon = issue(runtime, monthly, plates=["粤B70001"], start=date(2026, 10, 28))   # last day 2026-11-27
    later = issue(runtime, monthly, plates=["粤B70002"], start=date(2026, 11, 10))  # last day 2026-12-09
    lapsed = issue(runtime, monthly, plates=["粤B70003"], start=date(2026, 10, 24))  # ended 2026-11-24 00:00, in grace
    issue(runtime, monthly, plates=["粤B70004"], start=date(2026, 10, 20))  # ended 2026-11-20: past the grace
    with runtime.sessions() as db:
        default = pass_queries.expiring(db, FIXED_NOW, lot_id=village.community_lot_id)
        fortnight = pass_queries.expiring(db, FIXED_NOW, lot_id=village.community_lot_id, days=14)
    assert [(r.parking_pass.id, r.status.state, r.status.days_left) for r in default] == [(lapsed.id, "grace", -2), (soon.id, "valid", 2)]
    assert [r.parking_pass.id for r in fortnight] == [lapsed.id, soon.id, later.id]


def test_search_finds_passes_by_plate_holder_household_or_phone(runtime, monthly):
    p = issue(runtime, monthly, plates=["粤B66M01"], household="12栋1201", phone="13900001111")
    with runtime.sessions() as db:
        def found(text: str, status: str = "") -> list[int]:
            return [x.id for x in db.scalars(pass_queries.search(now=FIXED_NOW, text=text, status=status))]
        assert found("b66m") == [p.id]
        assert found("赵先生") == [p.id]
        assert found("12栋") == [p.id]
        assert found("0000111") == [p.id]
        assert found("王先生") == [1]
        assert found("%") == []
        assert found("", status="suspended") == []
        assert p.id in found("", status="valid")
