"""Lots, their zones and pools, and a lot's live occupancy."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields


class PoolSchema(Schema):
    kind = fields.String(dump_only=True, metadata={"description": "temporary | pass | reserved | shared"})
    capacity = fields.Integer(dump_only=True)


POOLS_DOC = {
    "type": "array",
    "description": "Parts of the zone's capacity kept for one class of vehicle, in the order they were configured",
    "items": {"type": "object", "properties": {"kind": {"type": "string"}, "capacity": {"type": "integer"}}},
}


class ZoneSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String()
    name = fields.String()
    parent_id = fields.Integer(allow_none=True, metadata={"description": "Outer zone of a lot-in-lot (场中场)"})
    capacity = fields.Integer()
    pools = fields.Method("_pools", dump_only=True, metadata=POOLS_DOC)

    def _pools(self, zone: Any) -> list[dict[str, Any]]:
        return PoolSchema(many=True).dump(sorted(zone.pools, key=lambda p: p.id))


class LotSchema(Schema):
    id = fields.Integer(dump_only=True)
    site_id = fields.Integer(dump_only=True)
    code = fields.String()
    name = fields.String()
    address = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    timezone = fields.String(allow_none=True)
    public = fields.Boolean()
    settings = fields.Dict(metadata={"description": "Per-lot policies (full-lot policy, zombie days, ...)"})
    zones = fields.List(fields.Nested(ZoneSchema), dump_only=True)


class PoolOccupancySchema(Schema):
    kind = fields.String(dump_only=True)
    present = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "null when the pool is not counted live"})
    capacity = fields.Integer(dump_only=True)
    free = fields.Integer(dump_only=True, allow_none=True)


class ZoneOccupancySchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    parent_id = fields.Integer(dump_only=True, allow_none=True)
    present = fields.Integer(dump_only=True, metadata={"description": "Vehicles inside now"})
    capacity = fields.Integer(dump_only=True)
    free = fields.Integer(dump_only=True, metadata={"description": "max(capacity - present, 0)"})
    pools = fields.List(fields.Nested(PoolOccupancySchema), dump_only=True)


class OccupancySchema(Schema):
    lot_id = fields.Integer(dump_only=True, attribute="id")
    name = fields.String(dump_only=True)
    present = fields.Integer(dump_only=True)
    capacity = fields.Integer(dump_only=True)
    free = fields.Integer(dump_only=True)
    zones = fields.List(fields.Nested(ZoneOccupancySchema), dump_only=True)
