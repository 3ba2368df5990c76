"""The audit log as the API shows it: who did what, on what, from where and when, filtered like the
console's page (``parking.services.audit_queries``) and paged."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from parking.services.audit_queries import ACTION_MAX_CHARS, NO_OPERATOR, OPERATOR_MAX_CHARS, TARGET_MAX_CHARS

from .fees import EXAMPLE_INSTANT, InstantField
from .fields import PageNumber, PerPage

MAX_PER_PAGE = 200


class AuditEventSchema(Schema):
    id = fields.Integer(dump_only=True)
    at = fields.AwareDateTime(dump_only=True)
    operator_id = fields.Integer(dump_only=True, allow_none=True,
                                 metadata={"description": "The operator who acted; null for the command line, the system or an API token"})
    operator = fields.String(dump_only=True, allow_none=True, metadata={"description": "That operator's user name, or null"})
    action = fields.String(dump_only=True, metadata={"description": "e.g. operator.create, pass.issue, auth.login"})
    target = fields.String(dump_only=True, metadata={"description": "What was acted on: a user name, a plate, a lane..."})
    remote_addr = fields.String(dump_only=True, metadata={"description": "The address the request came from; empty for the command line"})
    detail = fields.Dict(dump_only=True, metadata={"description": "What changed (before and after), never a password or a token; "
                                                                  "`token` names the API token that acted, if one did"})


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class AuditQuerySchema(Schema):
    operator = fields.String(validate=validate.Length(max=OPERATOR_MAX_CHARS),
                             metadata={"description": f"An operator's user name, or {NO_OPERATOR} for the rows of no operator "
                                                      "(the command line, the system, API tokens)"})
    action = fields.String(validate=validate.Length(max=ACTION_MAX_CHARS),
                           metadata={"description": "The start of the action, taken literally: operator. or auth.login"})
    target = fields.String(validate=validate.Length(max=TARGET_MAX_CHARS), metadata={"description": "A part of the target, taken literally"})
    since = InstantField(data_key="from", metadata={"description": "From this moment on (included): ISO 8601 with a UTC offset (encode + as %2B)",
                                                    "example": EXAMPLE_INSTANT})
    until = InstantField(data_key="to", metadata={"description": "Before this moment (excluded): ISO 8601 with a UTC offset"})
    page = PageNumber()
    per_page = PerPage(max_per_page=MAX_PER_PAGE, default=50)

    @validates_schema
    def _range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until <= since:
            raise ValidationError("Must be later than from.", field_name="to")
