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


def entry_decision(outcome: str, plate: str, detail: Mapping[str, Any] | None = None) -> LaneDecision:
    detail = dict(detail or {})
    if outcome == "admitted":
        return LaneDecision(True, outcome, (plate, "欢迎光临"), f"{plate},欢迎光临", plate, detail)
    if outcome == "full":
        return LaneDecision(False, outcome, (plate, "车位已满"), "车位已满,请绕行", plate, detail)
    if outcome == "already_inside":
        return LaneDecision(False, outcome, (plate, "车辆已在场内"), "车辆已在场内,请联系管理员", plate, detail)
    raise ValueError(f"unknown entry outcome {outcome!r}")


def exit_decision(outcome: str, plate: str, stay: timedelta | None = None, detail: Mapping[str, Any] | None = None) -> LaneDecision:
    detail = dict(detail or {})
    if outcome == "released":
        line2 = f"停车{format_duration(stay)}" if stay is not None else "一路顺风"
        return LaneDecision(True, outcome, (plate, line2, "一路顺风"), f"{plate},一路顺风", plate, detail)
    if outcome == "no_session":
        return LaneDecision(False, outcome, (plate, "无入场记录", "请联系管理员"), "无入场记录,请联系管理员", plate, detail)
    if outcome == "ambiguous":
        return LaneDecision(False, outcome, (plate, "请稍候", "人工确认中"), "请稍候", plate, detail)
    raise ValueError(f"unknown exit outcome {outcome!r}")


def rejected_read(reason: str) -> LaneDecision:
    """A read the plates module refused: keep the gate closed and ask for an attendant."""
    return LaneDecision(False, "rejected_read", ("车牌识别失败", "请联系管理员"), "请联系管理员", "", {"reason": reason})


def no_plate(direction: str) -> LaneDecision:
    """A vehicle without a readable plate: the QR flow gives it a virtual plate."""
    action = "入场" if direction == "entry" else "出场"
    return LaneDecision(False, "no_plate", ("无牌车", f"请扫码{action}"), f"无牌车,请扫码{action}", "", {})
