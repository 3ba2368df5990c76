"""Integration tokens as the API shows them: never the token (but once, when it is issued) nor its hash."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from parking.services.tokens import MAX_EXPIRES_DAYS, NAME_MAX_CHARS, SCOPES

from .fields import BoundedInteger


class TokenSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    prefix = fields.String(dump_only=True, metadata={"description": "The token's first characters, which name it on screen"})
    scopes = fields.List(fields.String(), dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": "active | expired | revoked"})
    created_by_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "The operator who issued it (null from the command line or a token)"})
    created_at = fields.DateTime(dump_only=True)
    expires_at = fields.DateTime(dump_only=True, allow_none=True, metadata={"description": "null: never expires"})
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)
    last_used_at = fields.DateTime(dump_only=True, allow_none=True, metadata={"description": "Updated at most once a minute"})


class IssuedTokenSchema(TokenSchema):
    token = fields.String(dump_only=True, metadata={"description": "The token: shown in this answer only, never again; store it now"})


class TokenCreateSchema(Schema):
    """A token to issue: its name, its scopes and, optionally, how many days it is valid."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX_CHARS),
                         metadata={"description": "What the token is for, e.g. the integration's name"})
    scopes = fields.List(fields.String(validate=validate.OneOf(list(SCOPES))), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)),
                         metadata={"description": "One or more of: " + ", ".join(SCOPES)})
    expires_days = BoundedInteger(min=1, max=MAX_EXPIRES_DAYS, load_default=None, allow_none=True,
                                  metadata={"description": f"Valid for this many days (1 to {MAX_EXPIRES_DAYS}); omitted or null: until revoked"})
