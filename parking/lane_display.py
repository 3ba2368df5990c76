"""What a lane shows, says and does for each outcome of a plate read: pure functions over values.

The shell (the agent) performs a ``LaneDecision``: it opens the gate or not, writes ``lines`` to the LED
board and speaks ``voice``. Texts are the short Chinese phrases lane boards carry; voice phrases are
separated by commas because boards match them against built-in phrases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class LaneDecision:
    open_gate: bool
    outcome: str
    lines: tuple[str, ...]
    voice: str
    plate: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)


BOARD_LINES = 4  # lines of a common lane board


def board_lines(decision: LaneDecision, count: int = BOARD_LINES) -> list[str]:
    """The decision's lines for a board of ``count`` lines, unused ones blank so no earlier text lingers."""
    return list(decision.lines[:count]) + [""] * (count - len(decision.lines))


def format_duration(stay: timedelta) -> str:
    """``1小时5分`` style, whole minutes, rounded down; under a minute is ``不足1分钟``."""
    minutes = int(stay.total_seconds() // 60)
    if minutes < 1:
        return "不足1分钟"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{mins}分" if mins else ""]
    return "".join(parts)


def format_yuan(fen: int) -> str:
    """Integer fen to the text of a lane board: ``12元``, ``12.50元``."""
    if fen < 0:
        raise ValueError(f"amount {fen} fen is negative")
    yuan, rest = divmod(fen, 100)
    return f"{yuan}元" if rest == 0 else f"{yuan}.{rest:02d}元"


# Entry refusals: (board line, voice).
_REFUSALS = {
    "full": ("车位已满", "车位已满,请绕行"),
    "pool_full": ("临时车位已满", "车位已满,请绕行"),
    "pass_spaces_taken": ("本卡车位已满", "本卡车位已满"),
    "pass_spaces_wait": ("车位已占用 请稍候", "车位已占用,请稍候"),
    "already_inside": ("车辆已在场内", "车辆已在场内,请联系管理员"),
    "blacklist": ("禁止通行", "禁止通行"),
    "temporary_refused": ("非登记车辆 禁止入内", "非登记车辆,禁止入内"),
    "not_allowed": ("禁止通行", "禁止通行"),
}

ENTRY_OUTCOMES = frozenset({"admitted", "arrears", *_REFUSALS})


def arrears_notice(fen: int) -> str:
    """What a board says of a plate that still owes money from earlier stays (欠费): ``欠费10元``."""
    return f"欠费{format_yuan(fen)}"


def entry_decision(outcome: str, plate: str, notice: str = "", detail: Mapping[str, Any] | None = None, *,
                   arrears_fen: int = 0) -> LaneDecision:
    """``outcome`` is the core's (admitted, full, …) or the plan's refusal; ``notice`` the plan's
    line for this car (e.g. ``月租车 剩余5天 请续费``); ``arrears_fen`` what the plate owes from earlier
    stays, shown when it is admitted all the same, and the reason of the refusal ``arrears``."""
    detail = dict(detail or {})
    owed = arrears_notice(arrears_fen) if arrears_fen > 0 else ""
    if outcome == "admitted":
        lines = tuple(t for t in (plate, notice, owed, "欢迎光临") if t)
        said = [plate, notice.replace(" ", ",") if "续费" in notice else "", owed, "欢迎光临"]
        return LaneDecision(True, outcome, lines, ",".join(t for t in said if t), plate, detail)
    if outcome == "arrears":
        if not owed:
            raise ValueError("an entry refused for arrears needs the amount owed")
        return LaneDecision(False, outcome, (plate, f"{owed} 请缴费后入场"), f"{plate},{owed},请缴费后入场", plate, detail)
    if outcome not in _REFUSALS:
        raise ValueError(f"unknown entry outcome {outcome!r}")
    line, voice = _REFUSALS[outcome]
    return LaneDecision(False, outcome, (plate, line), voice, plate, detail)


def exit_decision(outcome: str, plate: str, stay: timedelta | None = None, *, due_fen: int = 0,
                  detail: Mapping[str, Any] | None = None, arrears_fen: int = 0) -> LaneDecision:
    """``due_fen`` is everything asked at the gate; ``arrears_fen`` the part of it owed from earlier stays."""
    detail = dict(detail or {})
    stayed = f"停车{format_duration(stay)}" if stay is not None else ""
    if outcome == "released":
        lines = tuple(t for t in (plate, stayed, "一路顺风") if t)
        return LaneDecision(True, outcome, lines, f"{plate},一路顺风", plate, detail)
    if outcome == "fee_due":
        amount = format_yuan(due_fen)
        if arrears_fen > 0:
            line = f"请缴费{amount}(含{arrears_notice(arrears_fen)})"
            return LaneDecision(False, outcome, tuple(t for t in (plate, stayed, line) if t),
                                f"{plate},请缴费{amount},含{arrears_notice(arrears_fen)}", plate, detail)
        return LaneDecision(False, outcome, tuple(t for t in (plate, stayed, f"请缴费{amount}") if t), f"{plate},请缴费{amount}", plate, detail)
    if outcome == "no_entry_fee":
        amount = format_yuan(due_fen)
        return LaneDecision(False, outcome, (plate, "无入场记录", f"请缴费{amount}"), f"无入场记录,请缴费{amount}", plate, detail)
    if outcome in {"no_session", "no_entry_record"}:
        return LaneDecision(False, "no_entry_record", (plate, "无入场记录", "请联系管理员"), "无入场记录,请联系管理员", plate, detail)
    if outcome in {"ambiguous", "needs_staff"}:
        return LaneDecision(False, outcome, (plate, "请稍候", "人工确认中"), "请稍候", plate, detail)
    raise ValueError(f"unknown exit outcome {outcome!r}")


def move_decision(outcome: str, plate: str, into_inner: bool, notice: str = "", detail: Mapping[str, Any] | None = None) -> LaneDecision:
    """The inner gate of a lot-in-lot: the car moves between zones without leaving the lot."""
    if outcome in {"moved", "admitted"}:
        greeting = "欢迎进入内场" if into_inner else "请慢行"
        lines = tuple(t for t in (plate, notice if into_inner else "", greeting) if t)
        return LaneDecision(True, outcome, lines, f"{plate},{greeting}", plate, dict(detail or {}))
    return entry_decision(outcome, plate, detail=detail)


def rejected_read(reason: str) -> LaneDecision:
    """A read the plates module refused: keep the gate closed and ask for an attendant."""
    return LaneDecision(False, "rejected_read", ("车牌识别失败", "请联系管理员"), "请联系管理员", "", {"reason": reason})


# Reads held for an attendant instead of decided: what the console says about each reason.
HELD_REASONS = {
    "fake_plate": "相机判定为假车牌",
    "low_confidence": "识别置信度低于车道阈值",
    "clock_future": "脱机记录时间晚于当前时间",
    "clock_before_lot": "脱机记录时间早于停车场启用",
    "clock_too_old": "脱机记录过旧",
    "exit_before_entry": "出场时间早于入场时间",
    "fee_needs_confirmation": "费用超出本场上限，需人工确认",
}


def held_read(reason: str, plate: str = "", detail: Mapping[str, Any] | None = None) -> LaneDecision:
    """A read the lane does not decide by itself (``HELD_REASONS``): the gate stays closed and an
    attendant looks at it."""
    if reason not in HELD_REASONS:
        raise ValueError(f"unknown held reason {reason!r}")
    lines = tuple(t for t in (plate, "请稍候", "人工确认中") if t)
    return LaneDecision(False, "held", lines, "请稍候,人工确认中", plate, {"reason": reason, **(detail or {})})


def no_plate(direction: str) -> LaneDecision:
    """A vehicle without a readable plate: the QR flow gives it a virtual plate."""
    action = "入场" if direction == "entry" else "出场"
    return LaneDecision(False, "no_plate", ("无牌车", f"请扫码{action}"), f"无牌车,请扫码{action}", "", {})
