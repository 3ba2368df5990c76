"""The revenue report as tables in the page's language: the words for methods, discount kinds and
columns, and the rows the page, the CSV and the Excel workbook show (the same figures as the report's
JSON, in yuan, converted from fen through ``Decimal``).

The CSV holds the days and the total; the workbook has that sheet first, then one each by lot, lane,
attendant and payment method. Neither lets a cell run as a formula (``parking.services.spreadsheets``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from parking.services.revenue import Figures, RevenueReport
from parking.services.spreadsheets import to_csv

METHOD_WORDS = {
    "cash": _l("现金"), "wechat": _l("微信支付"), "alipay": _l("支付宝"), "coupon": _l("商户券"), "prepaid": _l("预付"),
    "qr": _l("扫码支付"), "waived": _l("免费放行（旧）"),
}
DISCOUNT_WORDS = {"coupon": _l("商户优惠"), "campaign": _l("活动优惠"), "free_release": _l("免费放行"), "waiver": _l("欠费减免")}
SHOWN_METHODS = ("wechat", "alipay", "cash")  # a column each; the rest are added up as "other"


def yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def yuan_text(fen: int) -> str:
    """Fen as yuan with two decimals and thousands separators: ``-1,234.50``."""
    return f"{yuan(fen):,.2f}"


def method_word(method: str) -> str:
    return str(METHOD_WORDS.get(method, method))


def figure_columns() -> list[tuple[str, str]]:
    """(key, heading) of the figures of a row, in the order every table shows them."""
    return [("receivable_fen", _("应收")), ("received_fen", _("实收")), ("wechat", _("微信支付")), ("alipay", _("支付宝")),
            ("cash", _("现金")), ("other", _("其他方式")), ("discount_fen", _("优惠减免")), ("arrears_created_fen", _("新增欠费")),
            ("arrears_paid_fen", _("追缴欠费")), ("refund_fen", _("退款")), ("net_fen", _("净收入"))]


def figure_values(figures: Figures, *, receivable: bool = True) -> dict[str, int | None]:
    by_method = figures.received_by_method
    return {
        "receivable_fen": figures.receivable_fen if receivable else None, "received_fen": figures.received_fen,
        "wechat": by_method["wechat"], "alipay": by_method["alipay"], "cash": by_method["cash"],
        "other": figures.received_fen - sum(by_method[m] for m in SHOWN_METHODS),
        "discount_fen": figures.discount_fen, "arrears_created_fen": figures.arrears_created_fen,
        "arrears_paid_fen": figures.arrears_paid_fen, "refund_fen": figures.refund_fen, "net_fen": figures.net_fen,
    }


def _cells(figures: Figures, *, receivable: bool = True) -> list[Decimal | None]:
    values = figure_values(figures, receivable=receivable)
    return [None if values[key] is None else yuan(values[key]) for key, _heading in figure_columns()]  # type: ignore[arg-type]


def day_rows(report: RevenueReport) -> tuple[list[str], list[list[Any]]]:
    header = [_("日期"), *(f"{heading}({_('元')})" for _key, heading in figure_columns())]
    rows: list[list[Any]] = [[day, *_cells(figures)] for day, figures in sorted(report.days.items())]
    rows.append([_("合计"), *_cells(report.totals)])
    return header, rows


def lot_rows(report: RevenueReport) -> tuple[list[str], list[list[Any]]]:
    names = {lot.id: lot for lot in report.lots}
    header = [_("停车场编码"), _("停车场"), *(f"{heading}({_('元')})" for _key, heading in figure_columns())]
    return header, [[names[lot_id].code, names[lot_id].name, *_cells(figures)] for lot_id, figures in report.by_lot.items()]


def lane_rows(report: RevenueReport) -> tuple[list[str], list[list[Any]]]:
    lots = {lot.id: lot.name for lot in report.lots}
    header = [_("停车场"), _("车道"), *(f"{heading}({_('元')})" for _key, heading in figure_columns())]
    rows = []
    for key, figures in report.lane_rows():
        lane = report.lanes[key]
        rows.append([lots.get(lane.lot_id or 0, ""), lane.name or lane.code or _("无车道（线上补缴等）"), *_cells(figures)])
    return header, rows


def attendant_rows(report: RevenueReport) -> tuple[list[str], list[list[Any]]]:
    header = [_("用户名"), _("操作员"), *(f"{heading}({_('元')})" for _key, heading in figure_columns()[1:])]
    rows = []
    for key, figures in report.attendant_rows():
        who = report.attendants[key]
        rows.append([who.username, who.display_name or _("无操作员（线上支付）"), *_cells(figures, receivable=False)[1:]])
    return header, rows


def method_rows(report: RevenueReport) -> tuple[list[str], list[list[Any]]]:
    header = [_("支付方式"), _("笔数"), f"{_('实收')}({_('元')})", f"{_('其中追缴欠费')}({_('元')})", f"{_('退款')}({_('元')})",
              f"{_('净收入')}({_('元')})"]
    return header, [[method_word(method), figures.payments, yuan(figures.received_fen), yuan(figures.arrears_paid_fen),
                     yuan(figures.refund_fen), yuan(figures.net_fen)] for method, figures in report.method_rows()]


def csv_bytes(report: RevenueReport) -> bytes:
    header, rows = day_rows(report)
    return to_csv(header, [[f"{cell:.2f}" if isinstance(cell, Decimal) else cell for cell in row] for row in rows])


def xlsx_bytes(report: RevenueReport, created: datetime) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheets: Sequence[tuple[str, tuple[list[str], list[list[Any]]]]] = (
        (_("按日"), day_rows(report)), (_("按停车场"), lot_rows(report)), (_("按车道"), lane_rows(report)),
        (_("按操作员"), attendant_rows(report)), (_("按支付方式"), method_rows(report)))
    for index, (title, (header, rows)) in enumerate(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text begins with
                elif isinstance(cell.value, Decimal):
                    cell.number_format = "#,##0.00"
                elif hasattr(cell.value, "isoformat"):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "B2"
        sheet.column_dimensions["A"].width = 14
    book.properties.created = book.properties.modified = created.replace(tzinfo=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
