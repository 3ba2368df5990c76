"""A refused change, or a problem in an imported file, in the page's language.

The services say what was wrong in English (the API's words) and with a ``code`` and ``params``; a
console page shows ``explain(error)``: the Chinese text of the code (or its English translation) with the
params filled in. A code without a text here falls back to the service's English message, so a new
check is never shown as nothing.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

TEXTS: dict[str, Any] = {
    # plates and passes
    "plate_invalid": _l("无法识别车牌“%(plate)s”。"),
    "plates_missing": _l("请至少填写一个车牌。"),
    "plate_twice": _l("车牌 %(plate)s 填写了两次。"),
    "plate_overlap": _l("车牌 %(plate)s 已有通行证 %(pass_id)s（%(holder)s），有效期 %(valid_from)s 至 %(valid_until)s，与此卡在同一区域、时间重叠。"),
    "plate_overlap_row": _l("车牌 %(plate)s 与第 %(row)s 行在同一区域、时间重叠（%(valid_from)s 至 %(valid_until)s）。"),
    "plates_too_many": _l("一张卡最多 %(max)s 个车牌。"),
    "spaces_over_plates": _l("此卡有 %(spaces)s 个车位，至少需要 %(spaces)s 个车牌（现有 %(count)s 个）。"),
    "required": _l("此项必填。"),
    "too_long": _l("不能超过 %(max)s 个字。"),
    "control_character": _l("含有不可见的控制字符。"),
    "phone_invalid": _l("电话号码只能包含数字、+、- 和空格。"),
    "out_of_range": _l("应为 %(min)s 到 %(max)s 之间的整数。"),
    "date_range": _l("日期应在 2000-01-01 至 2099-12-31 之间。"),
    "moment_naive": _l("时间缺少时区。"),
    "moment_range": _l("时间应在 2000 年至 2099 年之间。"),
    "lot_unknown": _l("停车场不存在。"),
    "lot_settings_invalid": _l("停车场 %(lot)s 的设置有误，请先修正停车场设置。"),
    "product_unknown": _l("月卡产品不存在。"),
    "product_withdrawn": _l("月卡产品 %(product)s 已停售。"),
    "product_required": _l("此卡不是按产品办理的，续费时请选择产品。"),
    "product_mismatch": _l("产品 %(product)s 与此卡的类型、区域或车位数不同，请另办新卡。"),
    "pass_unknown": _l("通行证不存在。"),
    "pass_ended": _l("此卡已终止，不能再更改。"),
    "pass_suspended": _l("此卡已处于暂停状态。"),
    "pass_not_suspended": _l("此卡未暂停。"),
    # products
    "product_code_invalid": _l("编号应为 1 到 32 个字母、数字或 _ . -。"),
    "product_code_taken": _l("该停车场已有编号为 %(product)s 的产品。"),
    "name_required": _l("请填写 1 到 %(max)s 个字的名称。"),
    "kind_invalid": _l("类型无效。"),
    "zone_not_in_lot": _l("该区域不属于此停车场。"),
    "window_incomplete": _l("时段需同时填写开始和结束时间。"),
    "window_required": _l("时段卡需填写每日时段。"),
    "product_in_use": _l("已有 %(count)s 张卡按产品 %(product)s 办理，不能删除；可改为停售。"),
    # lists and visitors
    "list_kind_invalid": _l("名单类型无效。"),
    "expiry_past": _l("到期时间应晚于现在。"),
    "list_entry_unknown": _l("名单记录不存在。"),
    "list_duplicate": _l("%(plate)s 已在该名单中（记录 %(entry_id)s：%(reason)s）。"),
    "visitor_unknown": _l("访客登记不存在。"),
    "window_empty": _l("结束时间应晚于开始时间。"),
    "window_past": _l("结束时间已过。"),
    "visit_too_long": _l("访客登记最长 %(max)s 天；更长请办理月卡。"),
    "visitor_over": _l("该访客登记已结束。"),
    # import files
    "column_unknown": _l("未知的列“%(column)s”。"),
    "column_duplicate": _l("与列“%(other)s”重复。"),
    "column_missing": _l("缺少“%(column)s”列。"),
    "column_periods_missing": _l("需要“期数”或“结束日期”列。"),
    "cell_without_header": _l("第 %(index)s 列没有列名却有内容。"),
    "file_empty": _l("文件是空的：第一行应为列名。"),
    "lot_unknown_name": _l("没有停车场“%(lot)s”（请填写停车场编号或名称）。"),
    "product_unknown_name": _l("停车场 %(lot)s 没有产品“%(product)s”。"),
    "date_invalid": _l("不是有效的日期（应为 YYYY-MM-DD）。"),
    "integer_invalid": _l("应为整数。"),
    "periods_or_until": _l("请填写期数或结束日期。"),
    "amount_invalid": _l("金额应以元为单位，最多两位小数。"),
    "until_mismatch": _l("按期数计算应于 %(last)s 结束。"),
    "until_before_start": _l("结束日期早于开始日期。"),
    "price_required": _l("起止日期不是整数个计费周期，请填写金额。"),
    "file_xls": _l("这是旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV。"),
    "file_encoding": _l("CSV 文件既不是 UTF-8 也不是 GBK 编码。"),
    "file_binary": _l("文件含有二进制内容，不是 CSV 文本文件。"),
    "file_csv": _l("无法读取 CSV 文件。"),
    "file_xlsx": _l("无法读取 Excel 文件，文件可能已损坏。"),
    "file_too_big": _l("Excel 文件解压后过大。"),
    "file_too_many_rows": _l("超过 %(max)s 行，请拆分文件。"),
}


def explain(error: Any) -> str:
    """The error's text in the page's language (its English ``message`` when its code has none)."""
    code = getattr(error, "code", "")
    template = TEXTS.get(code)
    fallback = str(getattr(error, "message", "") or error)
    if template is None:
        return fallback
    try:
        return str(template) % dict(getattr(error, "params", {}) or {})
    except (KeyError, TypeError, ValueError):
        return fallback
