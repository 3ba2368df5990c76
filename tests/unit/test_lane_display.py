"""What lanes show and say for each outcome."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parking.lane_display import entry_decision, exit_decision, format_duration, format_yuan, move_decision, no_plate, rejected_read


@pytest.mark.parametrize(
    ("stay", "text"),
    [
        (timedelta(seconds=59), "不足1分钟"),
        (timedelta(minutes=5), "5分"),
        (timedelta(hours=1), "1小时"),
        (timedelta(hours=1, minutes=5, seconds=59), "1小时5分"),
        (timedelta(days=2, hours=3), "2天3小时"),
    ],
)
def test_durations_read_as_lane_text(stay, text):
    assert format_duration(stay) == text


@pytest.mark.parametrize(("fen", "text"), [(0, "0元"), (1200, "12元"), (1250, "12.50元"), (5, "0.05元")])
def test_fen_read_as_yuan(fen, text):
    assert format_yuan(fen) == text


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError, match="-1 fen is negative"):
        format_yuan(-1)


def test_an_admitted_vehicle_is_welcomed_with_its_plate():
    d = entry_decision("admitted", "粤B12345")
    assert (d.open_gate, d.lines, d.voice) == (True, ("粤B12345", "欢迎光临"), "粤B12345,欢迎光临")


def test_a_full_lot_holds_the_gate():
    d = entry_decision("full", "粤B12345")
    assert (d.open_gate, d.lines, d.voice) == (False, ("粤B12345", "车位已满"), "车位已满,请绕行")


def test_a_released_vehicle_is_shown_its_stay():
    d = exit_decision("released", "粤B12345", timedelta(minutes=75))
    assert (d.open_gate, d.lines) == (True, ("粤B12345", "停车1小时15分", "一路顺风"))


def test_an_exit_without_entry_record_holds_for_an_attendant():
    d = exit_decision("no_session", "粤B12345")
    assert (d.open_gate, d.lines[1]) == (False, "无入场记录")


def test_unknown_outcomes_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown entry outcome 'maybe'"):
        entry_decision("maybe", "粤B12345")


def test_rejected_reads_and_no_plate_keep_the_gate_closed():
    assert rejected_read("bad province").open_gate is False
    assert no_plate("exit").lines == ("无牌车", "请扫码出场")


# -- entry ------------------------------------------------------------------------------------------


def test_a_pass_holder_is_shown_the_days_left_on_the_board():
    d = entry_decision("admitted", "粤B12345", "月租车 剩余20天")
    assert (d.open_gate, d.lines, d.voice) == (True, ("粤B12345", "月租车 剩余20天", "欢迎光临"), "粤B12345,欢迎光临")


def test_a_renewal_reminder_is_also_spoken_phrase_by_phrase():
    d = entry_decision("admitted", "粤B12345", "月租车 剩余5天 请续费")
    assert (d.lines, d.voice) == (("粤B12345", "月租车 剩余5天 请续费", "欢迎光临"), "粤B12345,月租车,剩余5天,请续费,欢迎光临")


@pytest.mark.parametrize(
    ("outcome", "line", "voice"),
    [
        ("full", "车位已满", "车位已满,请绕行"),
        ("pool_full", "临时车位已满", "车位已满,请绕行"),
        ("pass_spaces_taken", "本卡车位已满", "本卡车位已满"),
        ("pass_spaces_wait", "车位已占用 请稍候", "车位已占用,请稍候"),
        ("already_inside", "车辆已在场内", "车辆已在场内,请联系管理员"),
        ("blacklist", "禁止通行", "禁止通行"),
        ("temporary_refused", "非登记车辆 禁止入内", "非登记车辆,禁止入内"),
        ("not_allowed", "禁止通行", "禁止通行"),
    ],
)
def test_each_entry_refusal_keeps_the_gate_closed_with_its_own_text(outcome, line, voice):
    d = entry_decision(outcome, "粤B12345")
    assert (d.open_gate, d.outcome, d.lines, d.voice) == (False, outcome, ("粤B12345", line), voice)


def test_a_refusal_does_not_show_the_plans_notice():
    # a blacklist reason is for the attendant, not for the board
    assert entry_decision("blacklist", "粤B12345", "欠费逃单").lines == ("粤B12345", "禁止通行")


def test_the_detail_is_kept_for_the_journal():
    assert entry_decision("admitted", "粤B12345", detail={"class": "monthly"}).detail == {"class": "monthly"}


# -- exit -------------------------------------------------------------------------------------------


def test_a_fee_due_holds_the_gate_and_shows_the_stay_and_the_amount():
    d = exit_decision("fee_due", "粤B12345", timedelta(minutes=61), due_fen=500)
    assert (d.open_gate, d.lines, d.voice) == (False, ("粤B12345", "停车1小时1分", "请缴费5元"), "粤B12345,请缴费5元")


def test_a_fee_with_jiao_and_fen_is_shown_to_the_fen():
    assert exit_decision("fee_due", "粤B12345", due_fen=1250).lines == ("粤B12345", "请缴费12.50元")


def test_a_released_vehicle_without_a_known_stay_is_wished_a_good_journey():
    d = exit_decision("released", "粤B12345")
    assert (d.open_gate, d.lines, d.voice) == (True, ("粤B12345", "一路顺风"), "粤B12345,一路顺风")


def test_a_flat_fee_without_entry_record_is_asked_at_the_lane():
    d = exit_decision("no_entry_fee", "粤B12345", due_fen=1000)
    assert (d.open_gate, d.lines, d.voice) == (False, ("粤B12345", "无入场记录", "请缴费10元"), "无入场记录,请缴费10元")


def test_the_exit_plans_no_entry_record_reads_as_a_missing_session():
    d = exit_decision("no_entry_record", "粤B12345")
    assert (d.open_gate, d.outcome, d.lines, d.voice) == (
        False, "no_entry_record", ("粤B12345", "无入场记录", "请联系管理员"), "无入场记录,请联系管理员")


@pytest.mark.parametrize("outcome", ["ambiguous", "needs_staff"])
def test_a_read_an_attendant_must_resolve_asks_the_driver_to_wait(outcome):
    d = exit_decision(outcome, "粤B12345")
    assert (d.open_gate, d.outcome, d.lines, d.voice) == (False, outcome, ("粤B12345", "请稍候", "人工确认中"), "请稍候")


def test_unknown_exit_outcomes_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown exit outcome 'gone'"):
        exit_decision("gone", "粤B12345")


# -- the inner gate of a lot in lot -----------------------------------------------------------------


def test_moving_into_the_inner_zone_greets_the_car_with_its_notice():
    d = move_decision("moved", "粤B12345", True, "业主车 剩余20天")
    assert (d.open_gate, d.lines, d.voice) == (True, ("粤B12345", "业主车 剩余20天", "欢迎进入内场"), "粤B12345,欢迎进入内场")


def test_moving_back_to_the_outer_zone_asks_to_drive_slowly_without_the_notice():
    d = move_decision("moved", "粤B12345", False, "业主车 剩余20天")
    assert (d.open_gate, d.lines, d.voice) == (True, ("粤B12345", "请慢行"), "粤B12345,请慢行")


def test_a_car_counted_at_the_inner_gate_is_moved_like_any_other():
    assert move_decision("admitted", "粤B12345", True).lines == ("粤B12345", "欢迎进入内场")


def test_a_refused_move_shows_the_entry_refusal():
    d = move_decision("full", "粤B12345", True, "业主车 剩余20天")
    assert (d.open_gate, d.lines) == (False, ("粤B12345", "车位已满"))


# -- formats ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stay", "text"),
    [(timedelta(days=1), "1天"), (timedelta(days=1, minutes=5), "1天5分"), (timedelta(minutes=-3), "不足1分钟")],
)
def test_durations_skip_empty_parts(stay, text):
    assert format_duration(stay) == text


def test_no_plate_at_an_entry_asks_to_scan_for_entry():
    assert no_plate("entry").voice == "无牌车,请扫码入场"


def test_a_rejected_read_keeps_its_reason_for_the_journal():
    d = rejected_read("position 1: 'X' is not a province")
    assert (d.lines, d.detail) == (("车牌识别失败", "请联系管理员"), {"reason": "position 1: 'X' is not a province"})


@given(fen=st.integers(0, 10**9))
def test_a_yuan_text_reads_back_as_the_same_fen(fen):
    text = format_yuan(fen)
    yuan, _, cents = text.removesuffix("元").partition(".")
    assert text.endswith("元") and int(yuan) * 100 + int(cents or 0) == fen


@given(minutes=st.integers(1, 100 * 24 * 60))
def test_a_duration_of_whole_minutes_reads_back_as_the_same_minutes(minutes):
    parts = re.fullmatch(r"(?:(\d+)天)?(?:(\d+)小时)?(?:(\d+)分)?", format_duration(timedelta(minutes=minutes)))
    days, hours, mins = (int(p or 0) for p in parts.groups())
    assert days * 24 * 60 + hours * 60 + mins == minutes
