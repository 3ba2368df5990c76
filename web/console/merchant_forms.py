"""Forms of the merchant and campaign pages (Flask-WTF: each carries a CSRF token).

They check the shape of what was typed; the rules are the services' (``parking.services.merchants``,
``campaigns``), whose refusals the views put under the field they name. Amounts are typed in yuan.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from parking.services import campaigns, merchants

REQUIRED = _l("此项必填。")


def _whole(low: int, high: int) -> NumberRange:
    return NumberRange(min=low, max=high, message=_l("应为 %(min)d 到 %(max)d 之间的整数。", min=low, max=high))


class MerchantForm(FlaskForm):
    lot_id = SelectField(_l("停车场"), coerce=int, validate_choice=True, validators=[InputRequired(message=REQUIRED)])
    name = StringField(_l("商户名称"), validators=[InputRequired(message=REQUIRED), Length(max=merchants.NAME_MAX_CHARS)])
    contact = StringField(_l("联系人及电话"), validators=[Length(max=merchants.CONTACT_MAX_CHARS)])
    minutes = IntegerField(_l("减免时长券，最多（分钟）"), validators=[Optional(), _whole(1, merchants.KIND_LIMITS["minutes"])],
                           description=_l("不填：不能发放此类券"))
    amount_yuan = StringField(_l("抵扣金额券，最多（元）"), validators=[Length(max=12)])
    percent = IntegerField(_l("折扣券，最多减免（%）"), validators=[Optional(), _whole(1, 100)])
    free = BooleanField(_l("可发放免费停车券"))
    monthly_quota = IntegerField(_l("每月额度（张，0 为不限）"), default=0, validators=[InputRequired(message=REQUIRED), _whole(0, merchants.MAX_QUOTA)])
    stackable = BooleanField(_l("可与其他商户的优惠券同时使用"))
    active = BooleanField(_l("启用"), default=True)


class MerchantEditForm(MerchantForm):
    lot_id = None  # type: ignore[assignment]  # a merchant stays in its lot


class CampaignForm(FlaskForm):
    lot_id = SelectField(_l("停车场"), coerce=int, validate_choice=True, validators=[InputRequired(message=REQUIRED)])
    name = StringField(_l("活动名称"), validators=[InputRequired(message=REQUIRED), Length(max=campaigns.NAME_MAX_CHARS)],
                       description=_l("显示在收费明细上，如“公益免费停车”"))
    kind = SelectField(_l("优惠"), validate_choice=True)
    value = StringField(_l("数值"), validators=[Length(max=12)], description=_l("分钟数、金额（元）或折扣百分比；免费不填"))
    starts_at = DateTimeLocalField(_l("开始时间"), validators=[InputRequired(message=REQUIRED)])
    ends_at = DateTimeLocalField(_l("结束时间"), validators=[InputRequired(message=REQUIRED)])
    active = BooleanField(_l("启用"), default=True)


class CampaignEditForm(CampaignForm):
    lot_id = None  # type: ignore[assignment]
