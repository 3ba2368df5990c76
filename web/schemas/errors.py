"""The error body every API response with a 4xx or 5xx status carries (see ``web.api.errors``)."""

from __future__ import annotations

from marshmallow import Schema, fields


class ErrorDetailSchema(Schema):
    code = fields.Integer(required=True, metadata={"description": "HTTP status code", "example": 422})
    status = fields.String(required=True, metadata={"description": "HTTP status name", "example": "Unprocessable Entity"})
    message = fields.String(required=True, metadata={"description": "What was wrong and what was expected"})
    field = fields.String(allow_none=True, metadata={"description": "The offending argument or field, or null"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)
