"""What lanes show and say for each outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest

from parking.decisions import entry_decision, exit_decision, format_duration, format_yuan, no_plate, rejected_read


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
