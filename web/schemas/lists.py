"""Whitelist and blacklist entries, per lot or for every lot (``lot_id`` null), and visitor registrations."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from parking.models import ListKind
from parking.services.lists import REASON_MAX_CHARS, SEARCH_MAX_CHARS
from parking.services.visitors import HOST_MAX_CHARS

from .fees import InstantField
from .fields import Id

PLATE_MAX_CHARS = 32
KINDS = [k.value for k in ListKind]


class ListEntrySchema(Schema):
    id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "null: every lot"})
    plate = fields.String(dump_only=True)
    kind = fields.Function(lambda e: ListKind(e.kind).value, dump_only=True, metadata={"description": " | ".join(KINDS)})
    reason = fields.String(dump_only=True)
    expires_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "The operator who added it"})
    created_at = fields.AwareDateTime(dump_only=True)


class ListQuerySchema(Schema):
    lot_id = Id(metadata={"description": "The lot's entries and the global ones"})
    kind = fields.String(validate=validate.OneOf(KINDS))
    q = fields.String(validate=validate.Length(max=SEARCH_MAX_CHARS), metadata={"description": "A fragment of the plate or the reason"})
    include_expired = fields.Boolean(load_default=False)


class ListEntryCreateSchema(Schema):
    lot_id = Id(allow_none=True, load_default=None, metadata={"description": "The lot; null or omitted: every lot"})
    plate = fields.String(required=True, validate=validate.Length(max=PLATE_MAX_CHARS))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    reason = fields.String(required=True, validate=validate.Length(max=REASON_MAX_CHARS))
    expires_at = InstantField(allow_none=True, load_default=None, metadata={"description": "When the entry lapses; null: until removed"})


class ListEntryUpdateSchema(Schema):
    reason = fields.String(validate=validate.Length(max=REASON_MAX_CHARS))
    expires_at = InstantField(allow_none=True)


class VisitorSchema(Schema):
    id = fields.Integer(dump_only=True)
    lot_id = fields.Integer(dump_only=True)
    plate = fields.String(dump_only=True)
    host = fields.String(dump_only=True, metadata={"description": "The household visited, e.g. 3栋502 王女士"})
    valid_from = fields.AwareDateTime(dump_only=True)
    valid_until = fields.AwareDateTime(dump_only=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)


class VisitorQuerySchema(Schema):
    lot_id = Id()
    q = fields.String(validate=validate.Length(max=SEARCH_MAX_CHARS), metadata={"description": "A fragment of the plate or the host"})
    include_past = fields.Boolean(load_default=False)


class VisitorCreateSchema(Schema):
    lot_id = Id(required=True)
    plate = fields.String(required=True, validate=validate.Length(max=PLATE_MAX_CHARS))
    host = fields.String(required=True, validate=validate.Length(max=HOST_MAX_CHARS))
    valid_from = InstantField(allow_none=True, load_default=None, metadata={"description": "From now when omitted"})
    valid_until = InstantField(required=True, metadata={"description": "At most 30 days after the start"})
