"""Forms of the pass, product, list and visitor pages (Flask-WTF: each carries a CSRF token).

The forms check the shape of what was typed (required, lengths, numbers, dates) with messages in the
page's language; the rules themselves (an impossible plate, an overlapping pass, a withdrawn product...)
are the services', whose refusals the views put under the field they name (``web.service_errors``).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, DateTimeLocalField, HiddenField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from parking.services import lists, pass_products, passes, visitors

REQUIRED = _l("此项必填。")
PLATE_SEPARATORS = re.compile(r"[;；,，、/\s]+")


def split_plates(text: str) -> list[str]:
    """Plates typed in one field, separated by spaces, commas, semicolons, 、 or /."""
    return [p for p in PLATE_SEPARATORS.split(text or "") if p]


def _too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("不能超过 %(max)d 个字。", max=limit))


def _whole(low: int, high: int) -> NumberRange:
    return NumberRange(min=low, max=high, message=_l("应为 %(min)d 到 %(max)d 之间的整数。", min=low, max=high))


class PlatesField(StringField):
    """One or more plates in one text field."""

    def plates(self) -> list[str]:
        return split_plates(self.data or "")


class HolderFields(FlaskForm):
    holder = StringField(_l("持有人"), validators=[InputRequired(message=REQUIRED), _too_long(passes.HOLDER_MAX_CHARS)])
    household = StringField(_l("房号"), validators=[_too_long(passes.HOUSEHOLD_MAX_CHARS)])
    phone = StringField(_l("电话"), validators=[_too_long(passes.PHONE_MAX_CHARS)])
    note = StringField(_l("备注"), validators=[_too_long(passes.NOTE_MAX_CHARS)])


class PassIssueForm(HolderFields):
    product_id = SelectField(_l("月卡产品"), coerce=int, validate_choice=True, validators=[InputRequired(message=REQUIRED)])
    plates = PlatesField(_l("车牌"), validators=[InputRequired(message=REQUIRED), _too_long(1000)],
                         description=_l("一位多车时填写多个车牌，用空格或逗号分隔。"))
    start = DateField(_l("开始日期"), validators=[InputRequired(message=REQUIRED)])
    periods = IntegerField(_l("期数"), default=1, validators=[InputRequired(message=REQUIRED), _whole(1, passes.MAX_PERIODS)])


class RenewForm(FlaskForm):
    periods = IntegerField(_l("续费期数"), default=1, validators=[InputRequired(message=REQUIRED), _whole(1, passes.MAX_PERIODS)])
    product_id = SelectField(_l("按产品"), coerce=int, validate_choice=False, validators=[Optional()])


class PlatesForm(FlaskForm):
    plates = PlatesField(_l("车牌"), validators=[InputRequired(message=REQUIRED), _too_long(1000)])


class ReasonForm(FlaskForm):
    reason = StringField(_l("原因"), validators=[_too_long(passes.REASON_MAX_CHARS)])


class EndForm(ReasonForm):
    refund = BooleanField(_l("按剩余天数退款"))
    refund_fen = HiddenField()  # the amount shown when the operator confirmed


class ProductForm(FlaskForm):
    lot_id = SelectField(_l("停车场"), coerce=int, validate_choice=True, validators=[InputRequired(message=REQUIRED)])
    code = StringField(_l("编号"), validators=[InputRequired(message=REQUIRED), _too_long(32)], description=_l("字母、数字，如 yueka"))
    name = StringField(_l("名称"), validators=[InputRequired(message=REQUIRED), _too_long(pass_products.NAME_MAX_CHARS)])
    kind = SelectField(_l("类型"), validate_choice=True)
    period_months = IntegerField(_l("每期月数"), default=1, validators=[InputRequired(message=REQUIRED), _whole(1, pass_products.MAX_PERIOD_MONTHS)],
                                 description=_l("月卡 1，季卡 3，年卡 12"))
    price_yuan = StringField(_l("每期价格(元)"), validators=[InputRequired(message=REQUIRED), _too_long(16)])
    spaces = IntegerField(_l("车位数"), default=1, validators=[InputRequired(message=REQUIRED), _whole(1, pass_products.MAX_SPACES)])
    zone_id = SelectField(_l("区域"), coerce=int, validate_choice=True)
    window_start = TimeField(_l("每日开始"), validators=[Optional()])
    window_end = TimeField(_l("每日结束"), validators=[Optional()])
    active = BooleanField(_l("在售"), default=True)


class ProductEditForm(ProductForm):
    lot_id = None  # a product stays in its lot


class ListEntryForm(FlaskForm):
    lot_id = SelectField(_l("适用停车场"), coerce=int, validate_choice=True)
    plate = StringField(_l("车牌"), validators=[InputRequired(message=REQUIRED), _too_long(32)])
    kind = SelectField(_l("名单"), validate_choice=True)
    reason = StringField(_l("原因"), validators=[InputRequired(message=REQUIRED), _too_long(lists.REASON_MAX_CHARS)])
    expires_on = DateField(_l("有效至(含当日)"), validators=[Optional()])


class VisitorForm(FlaskForm):
    lot_id = SelectField(_l("停车场"), coerce=int, validate_choice=True)
    plate = StringField(_l("访客车牌"), validators=[InputRequired(message=REQUIRED), _too_long(32)])
    host = StringField(_l("被访住户"), validators=[InputRequired(message=REQUIRED), _too_long(visitors.HOST_MAX_CHARS)],
                       description=_l("如 3栋502 王女士"))
    valid_from = DateTimeLocalField(_l("开始时间"), validators=[Optional()], description=_l("不填则从现在开始"))
    valid_until = DateTimeLocalField(_l("结束时间"), validators=[InputRequired(message=REQUIRED)])


class ImportForm(FlaskForm):
    file = FileField(_l("文件"), validators=[FileRequired(message=_l("请选择 CSV 或 Excel 文件。"))])
    dry_run = BooleanField(_l("只检查，不导入"))


def validate_price(form: ProductForm) -> int | None:
    """The price typed in yuan as fen, or None with the field's error set."""
    from parking.services.spreadsheets import parse_fen

    try:
        return parse_fen(form.price_yuan.data or "", max_fen=pass_products.MAX_PRICE_FEN)
    except ValueError:
        form.price_yuan.errors = [*form.price_yuan.errors, _l("金额应以元为单位，最多两位小数。")]
        return None
