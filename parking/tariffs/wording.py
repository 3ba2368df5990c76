"""Words shared by receipts and the published text: money, durations and clock times, in Chinese and
English. Display only: amounts stay integer fen until they are turned into text here.
"""

from __future__ import annotations

from parking.tariffs.document import Band, Rate, Step

__all__ = ["band_span", "clock", "duration", "money", "step_span", "unit_price"]


def money(fen: int, lang: str = "zh-CN") -> str:
    """1250 → "12.5元" / "¥12.50"; whole yuan drop the decimals in both languages."""
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), 100)
    if lang == "en":
        return f"{sign}¥{yuan}" if rest == 0 else f"{sign}¥{yuan}.{rest:02d}"
    if rest == 0:
        return f"{sign}{yuan}元"
    text = f"{yuan}.{rest:02d}".rstrip("0")
    return f"{sign}{text}元"


def duration(minutes: int, lang: str = "zh-CN") -> str:
    """90 → "1小时30分钟" / "1 h 30 min"; 1440 → "24小时"."""
    hours, rest = divmod(minutes, 60)
    if lang == "en":
        parts = [f"{hours} h"] if hours else []
        if rest or not hours:
            parts.append(f"{rest} min")
        return " ".join(parts)
    if hours and rest:
        return f"{hours}小时{rest}分钟"
    if hours:
        return f"{hours}小时"
    return f"{rest}分钟"


def clock(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def band_span(band: Band) -> str:
    if band.start == band.end:
        return "00:00–24:00"
    return f"{clock(band.start)}–{clock(band.end) if band.end else '24:00'}"


def unit_price(step: Step, lang: str = "zh-CN") -> str:
    """"3元/30分钟" / "¥3 per 30 min"."""
    if lang == "en":
        return f"{money(step.fen, 'en')} per {'hour' if step.unit == 60 else duration(step.unit, 'en')}"
    return f"{money(step.fen)}/{'小时' if step.unit == 60 else duration(step.unit)}"


def step_span(rate: Rate, index: int, lang: str = "zh-CN") -> str:
    """Which part of a ladder a step covers: "首30分钟", "30分钟至3小时", "3小时以上"."""
    if len(rate.steps) == 1:
        return ""
    low = rate.steps[index - 1].up_to if index else 0
    high = rate.steps[index].up_to
    if lang == "en":
        if not low:
            return f"first {duration(high or 0, 'en')}"
        if high is None:
            return f"after {duration(low, 'en')}"
        return f"from {duration(low, 'en')} to {duration(high, 'en')}"
    if not low:
        return f"首{duration(high or 0)}"
    if high is None:
        return f"{duration(low)}以上"
    return f"{duration(low)}至{duration(high)}"
