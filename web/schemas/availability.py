"""The public availability feed, in the shape of ParkAPI: no plates, no people, only counts and places.

Each pool of a zone is a restriction with its capacity; ``realtime_free_capacity`` is null for a pool
the live store does not count.
"""

from __future__ import annotations

from marshmallow import Schema, fields


class CoordsSchema(Schema):
    lat = fields.Float(dump_only=True)
    lng = fields.Float(dump_only=True)


class RestrictionSchema(Schema):
    type = fields.String(dump_only=True, metadata={"description": "Pool kind: temporary | pass | reserved | shared"})
    zone = fields.String(dump_only=True, metadata={"description": "Code of the zone holding the pool"})
    capacity = fields.Integer(dump_only=True)
    realtime_free_capacity = fields.Integer(dump_only=True, allow_none=True)


class AvailableLotSchema(Schema):
    id = fields.String(dump_only=True, metadata={"description": "The lot's code"})
    name = fields.String(dump_only=True)
    address = fields.String(dump_only=True)
    coords = fields.Nested(CoordsSchema, dump_only=True, allow_none=True)
    total = fields.Integer(dump_only=True)
    free = fields.Integer(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": "open | full"})
    restrictions = fields.List(fields.Nested(RestrictionSchema), dump_only=True)


class AvailabilitySchema(Schema):
    last_updated = fields.AwareDateTime(dump_only=True)
    lots = fields.List(fields.Nested(AvailableLotSchema), dump_only=True)
