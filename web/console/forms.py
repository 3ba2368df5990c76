"""Forms of the lane console (Flask-WTF, so each carries a CSRF token): the gate by hand, a text on the board."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, InputRequired, Length, ValidationError

from parking.services.lane_commands import GATE_REASONS, OTHER_REASON, REASON_MAX_CHARS, TEXT_MAX_CHARS, undisplayable

DETAIL_MAX_CHARS = REASON_MAX_CHARS - 20  # room for the chosen reason before the operator's words

# Labels of ``GATE_REASONS`` in the page's language; the recorded reason stays the Chinese text.
REASON_LABELS = {
    "visitor": _l("访客未登记"),
    "plate_unread": _l("车牌识别失败"),
    "free": _l("免费放行"),
    "fault": _l("设备故障"),
    OTHER_REASON: _l("其他"),
}
assert REASON_LABELS.keys() == GATE_REASONS.keys()


class GateForm(FlaskForm):
    """抬杆 / 落杆: the pressed button sends ``action``; opening needs a reason from the list ("other" needs
    words), closing may give one."""

    action = StringField(validators=[InputRequired(), AnyOf(("open", "close"))])
    # The page renders the choices itself (one form per lane), so a plain field checked against the list.
    reason = StringField(_l("原因"))
    reason_detail = StringField(_l("说明"), validators=[Length(max=DETAIL_MAX_CHARS, message=_l("说明太长。"))])

    def validate_reason(self, field: StringField) -> None:
        if not (field.data or "").strip():
            if self.action.data == "open":  # closing needs no reason
                raise ValidationError(_l("请选择抬杆的原因。"))
        elif field.data not in GATE_REASONS:
            raise ValidationError(_l("请选择抬杆或落杆的原因。"))

    def validate_reason_detail(self, field: StringField) -> None:
        if self.reason.data == OTHER_REASON and not (field.data or "").strip():
            raise ValidationError(_l("选择“其他”时请填写说明。"))


class ShowTextForm(FlaskForm):
    text = StringField(_l("显示文字"), validators=[
        InputRequired(message=_l("请填写要显示的文字。")),
        Length(max=TEXT_MAX_CHARS, message=_l("文字太长，最多 %(max)d 个字。", max=TEXT_MAX_CHARS)),
    ])

    def validate_text(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("请填写要显示的文字。"))
        bad = undisplayable(field.data)
        if bad is not None:
            raise ValidationError(_l("显示屏无法显示字符“%(char)s”。", char=bad))
