"""Forms of the payment and arrears pages (Flask-WTF, each with its CSRF token): a refund (amount typed in
yuan, read exactly to fen) and writing arrears off, each with the reason the ledger keeps."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length, ValidationError

from parking.services.refunds import REASON_MAX_CHARS

from ..ledger_words import fen_of


def _reason() -> StringField:
    return StringField(_l("原因"), validators=[
        InputRequired(message=_l("请填写原因。")),
        Length(max=REASON_MAX_CHARS, message=_l("原因太长，最多 %(max)d 个字。", max=REASON_MAX_CHARS)),
    ])


class RefundForm(FlaskForm):
    amount = StringField(_l("退款金额（元）"), validators=[InputRequired(message=_l("请填写退款金额。"))])
    reason = _reason()

    def validate_amount(self, field: StringField) -> None:
        fen = fen_of(field.data or "")
        if fen is None or fen <= 0:
            raise ValidationError(_l("请填写金额（元），最多两位小数，例如 5 或 2.50。"))

    @property
    def fen(self) -> int:
        return fen_of(self.amount.data or "") or 0


class WaiveForm(FlaskForm):
    reason = _reason()
