"""Forms of the booth (Flask-WTF, each with its CSRF token): cash taken at an exit, a QR order, letting a
held car out free or unpaid, and opening and closing a shift. Amounts are typed in yuan and read exactly
to fen (``yuan_to_fen``): digits with at most two decimals, never through a float.
"""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, ValidationError

from parking.services.hand_release import REASON_MAX_CHARS
from parking.services.ledger import CASH_MAX_FEN
from parking.services.shifts import NOTE_MAX_CHARS

from ..money_words import QR_METHODS

FLOAT_MAX_FEN = 1_000_000  # the change money a drawer starts with: at most 10,000 yuan (shifts.open_shift)
COUNTED_MAX_FEN = 100_000_000
OTHER = "其他"  # the free-release reason that needs the attendant's words (parking.policy)
_YUAN = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,2})?")
_PLATE_MAX_CHARS = 16


def yuan_to_fen(text: str, *, max_fen: int) -> int:
    """``"50"``, ``"50.5"``, ``"¥12.30"`` as fen; raises ValueError with a sentence for the page."""
    cleaned = (text or "").strip().lstrip("¥￥").strip()
    if not _YUAN.fullmatch(cleaned):
        raise ValueError(str(_l("请填写金额（元），最多两位小数，例如 50 或 12.50。")))
    fen = int(Decimal(cleaned) * 100)
    if fen > max_fen:
        raise ValueError(str(_l("金额不能超过 %(max)s 元。", max=max_fen // 100)))
    return fen


class YuanField(StringField):
    """An amount typed in yuan; ``fen`` holds it in fen once the form validated."""

    def __init__(self, label: object = None, *, max_fen: int, **kwargs: object) -> None:
        super().__init__(label, **kwargs)  # type: ignore[arg-type]
        self.max_fen = max_fen
        self.fen: int | None = None

    def post_validate(self, form: object, validation_stopped: bool) -> None:
        self.fen = None
        if validation_stopped or self.errors:
            return
        try:
            self.fen = yuan_to_fen(self.data or "", max_fen=self.max_fen)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class HeldCarForm(FlaskForm):
    """What every booth action names: the car the attendant saw on the card and the amount it owed then,
    so a card drawn before another car arrived (or the fee grew) is not acted on blindly."""

    plate = HiddenField(validators=[InputRequired(message=_l("请刷新页面后重试。")), Length(max=_PLATE_MAX_CHARS)])
    due_fen = IntegerField(validators=[Optional(), NumberRange(min=0, max=CASH_MAX_FEN)])


class CashForm(HeldCarForm):
    given = YuanField(_l("收到现金(元)"), max_fen=CASH_MAX_FEN,
                      validators=[InputRequired(message=_l("请填写收到的现金。"))])


class OrderForm(HeldCarForm):
    method = StringField(validators=[InputRequired(), AnyOf(QR_METHODS, message=_l("请选择微信或支付宝。"))])


class HandReleaseForm(HeldCarForm):
    """The exit's "open" asks what happened to the fee: let out free (a reason from the lot's list; 其他
    with words) or unpaid (becomes arrears on the plate; words optional)."""

    outcome = StringField(validators=[InputRequired(), AnyOf(("free", "unpaid"), message=_l("请选择放行方式。"))])
    free_reason = StringField(_l("免费原因"), validators=[Length(max=40)])
    words = StringField(_l("说明"), validators=[Length(max=REASON_MAX_CHARS - len(OTHER) - 1, message=_l("说明太长。"))])

    def reason(self) -> str:
        words = " ".join((self.words.data or "").split())
        if self.outcome.data == "free":
            chosen = (self.free_reason.data or "").strip()
            return f"{OTHER}：{words}" if chosen == OTHER else chosen
        return words

    def validate_free_reason(self, field: StringField) -> None:
        if self.outcome.data == "free" and not (field.data or "").strip():
            raise ValidationError(_l("请选择免费放行的原因。"))

    def validate_words(self, field: StringField) -> None:
        if self.outcome.data == "free" and (self.free_reason.data or "").strip() == OTHER and not (field.data or "").strip():
            raise ValidationError(_l("选择“其他”时请填写说明。"))


class ShiftOpenForm(FlaskForm):
    lot_id = SelectField(_l("停车场"), coerce=int, validate_choice=True)
    lane_id = SelectField(_l("岗亭车道"), coerce=int, validate_choice=True)  # 0: none
    opening_float = YuanField(_l("备用金(元)"), max_fen=FLOAT_MAX_FEN, validators=[InputRequired(message=_l("请填写备用金，没有则填 0。"))])


class ShiftCloseForm(FlaskForm):
    counted = YuanField(_l("清点现金(元)"), max_fen=COUNTED_MAX_FEN, validators=[InputRequired(message=_l("请填写清点的现金。"))])
    note = StringField(_l("备注"), validators=[Length(max=NOTE_MAX_CHARS, message=_l("备注太长，最多 500 个字。"))])
    expected_fen = HiddenField()  # what the page showed as expected when the difference was shown
    confirm = HiddenField()  # "1": the difference was shown; close now


class ConfirmForm(FlaskForm):
    """A button with nothing but its CSRF token (confirm a closed shift)."""
