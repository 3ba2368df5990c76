"""The published text of a tariff (明码标价), generated from the document, in Chinese and English.

`describe(tariff, lang)` returns plain text, one rule per line, so that what a lot shows at its
entrance, on the resident page and on a receipt is always the document the engine bills by.
"""

from __future__ import annotations

from parking.tariffs.document import FREE, Band, Benefit, Cap, Tariff
from parking.tariffs.wording import band_span, duration, money, step_span, unit_price

__all__ = ["describe"]

_DAYS = {
    "zh-CN": {"workday": "工作日", "restday": "休息日", "holiday": "法定节假日", "non_workday": "非工作日", "every_day": "每日"},
    "en": {"workday": "workdays", "restday": "weekends", "holiday": "public holidays", "non_workday": "non-workdays", "every_day": "every day"},
}
_CLASSES = {
    "zh-CN": {"small": "小型车", "large": "大型车", "oversize": "12米及以上车辆", "motorcycle": "摩托车"},
    "en": {"small": "small vehicles", "large": "large vehicles", "oversize": "vehicles of 12 m or more", "motorcycle": "motorcycles"},
}
_CROSSING = {
    "zh-CN": {
        "split": "跨时段停车分时段计费，各时段分别计算",
        "entry_band": "跨时段停车按入场时段标准计费",
        "unit_start_band": "跨时段停车，每个计费单位按其开始时所在时段计费",
    },
    "en": {
        "split": "A stay across bands is billed band by band",
        "entry_band": "A stay across bands is billed at the rate of the band it enters in",
        "unit_start_band": "A stay across bands: each unit is priced by the band it starts in",
    },
}


def describe(tariff: Tariff, lang: str = "zh-CN") -> str:
    """The published text of `tariff` in `lang` ("zh-CN" or "en")."""
    if lang not in ("zh-CN", "en"):
        raise ValueError(f"lang must be 'zh-CN' or 'en', not {lang!r}")
    zh = lang == "zh-CN"
    lines = [tariff.name.zh if zh else tariff.name.en, "收费标准：" if zh else "Charges:"]
    if tariff.brackets is not None:
        lines.extend(_brackets(tariff, lang))
    for band in tariff.bands:
        lines.append(f"· {_band(tariff, band, lang)}")
    if tariff.opening is not None:
        o = tariff.opening
        lines.append(
            f"首{duration(o.minutes)}{money(o.fen)}（按次），之后按时段标准计费"
            if zh
            else f"The first {duration(o.minutes, 'en')} cost {money(o.fen, 'en')} per stay, then the band rates apply"
        )
    lines.extend(_free(tariff, lang))
    lines.extend(_rounding(tariff, lang))
    if len(tariff.bands) > 1 and not _single_kind_of_rate(tariff):
        lines.append(_crossing(tariff, lang))
    lines.extend(_caps(tariff, lang))
    lines.extend(_classes(tariff, lang))
    lines.extend(_benefit(b, lang, several=len(tariff.benefits) > 1) for b in tariff.benefits)
    lines.extend(_services(tariff, lang))
    for offer in tariff.passes:
        name = offer.name.zh if zh else offer.name.en
        period = {"month": ("月", "month"), "quarter": ("季度", "quarter"), "year": ("年", "year")}[offer.period]
        lines.append(f"{name}：{money(offer.fen)}/{period[0]}" if zh else f"{name}: {money(offer.fen, 'en')} per {period[1]}")
    if tariff.note is not None:
        lines.append(("说明：" + tariff.note.zh) if zh else ("Note: " + tariff.note.en))
    return "\n".join(lines)


def _single_kind_of_rate(tariff: Tariff) -> bool:
    return len({b.rate for b in tariff.bands if b.rate != FREE}) <= 1 and all(b.rate != FREE for b in tariff.bands)


def _band(tariff: Tariff, band: Band, lang: str) -> str:
    zh = lang == "zh-CN"
    name = band.name.zh if zh else band.name.en
    days = _DAYS[lang][band.days]
    head = f"{name}（{days} {band_span(band)}）" if zh else f"{name} ({days} {band_span(band)})"
    if band.rate == FREE:
        return f"{head}：免费" if zh else f"{head}: free"
    rate = tariff.rates[band.rate]
    parts = []
    for i, step in enumerate(rate.steps):
        span = step_span(rate, i, lang)
        price = unit_price(step, lang)
        parts.append((f"{span}{price}" if zh else f"{span} {price}").strip() if span else price)
    return f"{head}：" + "；".join(parts) if zh else f"{head}: " + "; ".join(parts)


def _brackets(tariff: Tariff, lang: str) -> list[str]:
    zh = lang == "zh-CN"
    b = tariff.brackets
    assert b is not None
    out, low = [], 0
    for item in b.items:
        price = ("免费" if zh else "free") if item.fen == 0 else money(item.fen, lang)
        if zh:
            span = f"{duration(item.up_to)}以内" if not low else f"{duration(low)}至{duration(item.up_to)}"
            out.append(f"· 停车{span}：{price}")
        else:
            span = f"up to {duration(item.up_to, 'en')}" if not low else f"{duration(low, 'en')} to {duration(item.up_to, 'en')}"
            out.append(f"· {span}: {price}")
        low = item.up_to
    if zh:
        out.append(f"· 超过{duration(b.period)}的，每{duration(b.period)}{money(b.per_period_fen)}，不足{duration(b.period)}的部分按上述标准计费")
    else:
        out.append(
            f"· Beyond {duration(b.period, 'en')}: {money(b.per_period_fen, 'en')} per {duration(b.period, 'en')}, "
            "the part period priced as above"
        )
    return out


def _free(tariff: Tariff, lang: str) -> list[str]:
    free = tariff.free
    if free is None:
        return []
    zh = lang == "zh-CN"
    per = ("（每车每日首次停车）" if zh else " (first stay of the day)") if free.per == "day" else ""
    if free.mode == "counted":
        if zh:
            return [f"{duration(free.minutes)}以内免费{per}，超过{duration(free.minutes)}的从入场时起计费"]
        return [f"Free up to {duration(free.minutes, 'en')}{per}; a longer stay pays from entry"]
    if zh:
        return [f"前{duration(free.minutes)}免费{per}，超出部分计费，免费时段不追溯"]
    return [f"The first {duration(free.minutes, 'en')} are free{per}; only the time after them is billed"]


def _rounding(tariff: Tariff, lang: str) -> list[str]:
    if tariff.brackets is not None:
        return []
    rule = tariff.part_unit
    zh = lang == "zh-CN"
    if rule.rounding == "up":
        return ["不足一个计费单位的按一个单位计费" if zh else "A part unit is charged as a whole unit"]
    if rule.rounding == "down":
        return ["不足一个计费单位的不收费" if zh else "A part unit is not charged"]
    minutes = duration(rule.free_minutes, lang)
    return [
        f"不足一个计费单位的，{minutes}以内不收费，超过按一个单位计费"
        if zh
        else f"A part unit of {minutes} or less is free, a longer one is charged whole"
    ]


def _crossing(tariff: Tariff, lang: str) -> str:
    c = tariff.crossing
    if c.rule != "short_at_earlier":
        return _CROSSING[lang][c.rule]
    zh = lang == "zh-CN"
    if c.scope == "tail":
        return (
            f"跨时段停车，跨越后不足{duration(c.minutes)}的按跨越前时段标准计费，超过的分时段计费"
            if zh
            else f"A stay crossing into a band by under {duration(c.minutes, 'en')} pays the earlier band's rate; longer stays are billed band by band"
        )
    return (
        f"跨时段停车，每一段不足{duration(c.minutes)}的均按前一时段标准计费"
        if zh
        else f"Every band portion under {duration(c.minutes, 'en')} pays the rate of the band before it"
    )


def _cap(tariff: Tariff, cap: Cap, lang: str) -> str:
    zh = lang == "zh-CN"
    if len(cap.fen) == 1:
        amounts = money(cap.fen[0], lang)
    elif zh:
        amounts = "、".join(f"第{i + 1}{'天起' if i == len(cap.fen) - 1 else '天'}{money(a)}" for i, a in enumerate(cap.fen))
    else:
        amounts = ", ".join(f"{money(a, 'en')} on day {i + 1}{'+' if i == len(cap.fen) - 1 else ''}" for i, a in enumerate(cap.fen))
    if cap.per == "band":
        band = tariff.band(cap.band or "")
        return f"{band.name.zh}每段最高收费{amounts}" if zh else f"{band.name.en}: at most {amounts} each time"
    period = {"calendar_day": ("每日（自然日）", "per calendar day"), "window_24h": ("每24小时", "per 24 h")}[cap.per]
    text = f"{period[0]}最高收费{amounts}" if zh else f"At most {amounts} {period[1]}"
    if cap.cumulative:
        text += "（按停车天数累计封顶）" if zh else " (cumulative over the days of the stay)"
    if cap.shared:
        text += "，同一车辆24小时内多次入场合计封顶" if zh else ", shared by all entries of a vehicle within 24 h"
    return text


def _caps(tariff: Tariff, lang: str) -> list[str]:
    zh = lang == "zh-CN"
    out = [_cap(tariff, cap, lang) for cap in tariff.caps]
    if tariff.full_day is not None:
        fd = tariff.full_day
        band = tariff.band(fd.band)
        amount = money(tariff.full_day_fen(), lang)
        if zh:
            suffix = "（每24小时封顶）" if fd.reading == "cap" else "（仅满24小时按此计，不足部分正常计费）"
            out.append(f"满24小时按{fd.hours}小时{band.name.zh}标准收费，即{amount}{suffix}")
        else:
            suffix = " (a cap on every 24 h)" if fd.reading == "cap" else " (complete 24 h only; a part day is billed normally)"
            out.append(f"A full 24 h counts as {fd.hours} h of {band.name.en}, {amount}{suffix}")
    if tariff.restart_after_24h:
        out.append("超过24小时的，重新按上述标准计费，不再享受免费时段" if zh else "After 24 h billing starts again, with no new free period")
    return out


def _classes(tariff: Tariff, lang: str) -> list[str]:
    zh = lang == "zh-CN"
    out = []
    for name, klass in tariff.classes.items():
        label = _CLASSES[lang][name]
        parts = []
        for base, own in klass.rates.items():
            if own == FREE:
                parts.append("免费" if zh else "free")
            else:
                steps = "；".join(
                    f"{step_span(tariff.rates[own], i, lang)}{unit_price(s, lang)}"
                    for i, s in enumerate(tariff.rates[own].steps)
                )
                parts.append(f"按{steps}" if zh else f"at {steps}")
        if klass.factor_percent != 100:
            what = "收费" if klass.factor_scope == "fee" else "单价"
            parts.append(f"{what}按{klass.factor_percent}%" if zh else f"pay {klass.factor_percent} %")
        if parts:
            out.append(f"{label}：" + "，".join(parts) if zh else f"{label.capitalize()}: " + ", ".join(parts))
    return out


def _benefit(b: Benefit, lang: str, *, several: bool) -> str:
    zh = lang == "zh-CN"
    parts = []
    if b.free_minutes:
        when = {
            "stay": ("每次停车", "each stay"),
            "day": ("每日", "each day"),
            "first_stay_of_day": ("每日首次停车", "the first stay of the day"),
        }[b.free_per]
        if zh:
            how = "抵扣后再计费" if b.free_mode == "deducted" else "内免费，超过的全额计费"
            parts.append(f"{when[0]}{duration(b.free_minutes)}免费（{how}，不超过24小时）")
        else:
            how = "deducted before billing" if b.free_mode == "deducted" else "a longer stay pays in full"
            parts.append(f"{duration(b.free_minutes, 'en')} free on {when[1]} ({how}, within 24 h)")
    if b.percent_off:
        parts.append(f"其余减免{b.percent_off}%" if zh else f"{b.percent_off} % off the rest")
    if b.excludes_pass_holders:
        parts.append("月卡车辆不享受" if zh else "not for pass holders")
    head = b.name.zh if zh else b.name.en.capitalize()
    tail = ("（多项优惠只享受最优一项）" if zh else " (only the best single benefit applies)") if several else ""
    return f"{head}：" + "，".join(parts) + tail if zh else f"{head}: " + ", ".join(parts) + tail


def _services(tariff: Tariff, lang: str) -> list[str]:
    zh = lang == "zh-CN"
    out = [_after_payment(tariff, lang)]
    if tariff.reentry_minutes:
        out.append(
            f"出场后{duration(tariff.reentry_minutes)}内再次入场视为连续停车"
            if zh
            else f"Re-entering within {duration(tariff.reentry_minutes, 'en')} continues the stay"
        )
    record = tariff.no_entry_record
    if record is not None:
        if record.action == "flat":
            out.append(f"无入场记录的车辆按{money(record.fen)}收费" if zh else f"Without an entry record: {money(record.fen, 'en')}")
        else:
            out.append("无入场记录的车辆由工作人员处理" if zh else "Without an entry record: handled by staff")
    if tariff.coupons is not None:
        c = tariff.coupons
        limits = []
        if c.max_count:
            limits.append(f"每次最多{c.max_count}张" if zh else f"at most {c.max_count} per stay")
        if c.max_minutes:
            limits.append(f"最多抵扣{duration(c.max_minutes)}" if zh else f"at most {duration(c.max_minutes, 'en')} off")
        if c.max_fen:
            limits.append(f"最多抵扣{money(c.max_fen)}" if zh else f"at most {money(c.max_fen, 'en')} off")
        out.append(("接受商户优惠券" + ("（" + "，".join(limits) + "）" if limits else "")) if zh else ("Merchant coupons accepted" + (" (" + ", ".join(limits) + ")" if limits else "")))
    if tariff.final_rounding == "yuan_half_up":
        out.append("应收金额按元四舍五入" if zh else "The total is rounded half up to the yuan")
    return out


def _after_payment(tariff: Tariff, lang: str) -> str:
    zh = lang == "zh-CN"
    grace = duration(tariff.grace_minutes, lang)
    b = tariff.brackets
    if b is None:
        if zh:
            return f"场内缴费后{grace}内离场不另收费，超时部分从首个计费单位起计费"
        return f"After paying inside, leave within {grace}; later, the extra time is billed from the first unit"
    first = money(b.first_charged_fen, lang)
    if zh:
        text = f"场内缴费后{grace}内离场不另收费，超时部分按上述标准另计，不再免费（最低{first}）"
        if b.overstay == "whole_stay_cap":
            text += "，已缴与超时费用合计不超过整段停车应缴金额"
        return text
    text = f"After paying inside, leave within {grace}; later, the extra time is priced by the same brackets with no free bracket (at least {first})"
    if b.overstay == "whole_stay_cap":
        text += ", and what was paid plus the extra never exceeds the fee of the whole stay"
    return text
