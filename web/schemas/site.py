"""Bodies and answers of the site configuration API (``/api/v1/config/...``): sites, lots, zones with their
pools, lanes, devices, a device test and the site file. Bodies are checked here for shape and types;
what the values mean (codes, names free of HTML, time zones, policies, device URLs) is checked by
``parking.services.site_checks``, whose errors name the field."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from parking.models import DeviceKind, LaneDirection, PoolKind
from parking.policy import policy_keys

_CODE = {"metadata": {"description": "Letters, digits, '-', '_' and '.' (at most 32)"}}
POOL_KINDS = [k.value for k in PoolKind]


class SiteInSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(max=32), **_CODE)
    name = fields.String(required=True, validate=validate.Length(max=100))
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(max=64), metadata={"description": "e.g. Asia/Shanghai"})


class LotInSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(max=32), **_CODE)
    name = fields.String(required=True, validate=validate.Length(max=100))
    address = fields.String(load_default="", validate=validate.Length(max=200))
    latitude = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    longitude = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    timezone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                             metadata={"description": "Empty: the site's time zone"})
    public = fields.Boolean(load_default=True, metadata={"description": "Shown on the resident page and the availability feed"})
    policy = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), load_default=dict,
                         metadata={"description": f"Policies by name; an unknown name is an error. Names: {', '.join(sorted(policy_keys()))}"})
    tariff = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                           metadata={"description": "Code of the tariff the lot bills by; empty: any version in force for it"})


class PoolsField(fields.Dict):
    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(keys=fields.String(validate=validate.OneOf(POOL_KINDS)), values=fields.Integer(strict=True), load_default=dict,
                         metadata={"description": f"Spaces kept for each pool ({', '.join(POOL_KINDS)}); at most the zone's capacity together"},
                         **kwargs)


class ZoneInSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(max=32), **_CODE)
    name = fields.String(required=True, validate=validate.Length(max=100))
    capacity = fields.Integer(required=True, strict=True)
    parent = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32),
                           metadata={"description": "Code of the outer zone (lot-in-lot, 场中场)"})
    pools = PoolsField()


class ZoneCapacitySchema(Schema):
    zone_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    capacity = fields.Integer(required=True, strict=True)
    pools = PoolsField()


class CapacitiesInSchema(Schema):
    zones = fields.List(fields.Nested(ZoneCapacitySchema), required=True, validate=validate.Length(min=1, max=500))


class LaneInSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(max=32), **_CODE)
    name = fields.String(required=True, validate=validate.Length(max=100))
    direction = fields.String(required=True, validate=validate.OneOf([d.value for d in LaneDirection]))
    zone = fields.String(required=True, validate=validate.Length(max=32), metadata={"description": "Code of the zone the lane counts into"})
    enabled = fields.Boolean(load_default=True)


class DeviceInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in DeviceKind]))
    name = fields.String(required=True, validate=validate.Length(max=100))
    url = fields.String(required=True, validate=validate.Length(max=500), metadata={"description": "Device URL (drivers/README.md)"})
    serial = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                           metadata={"description": "A camera's serial number; taken from a vz-http URL when empty"})
    enabled = fields.Boolean(load_default=True)


class ConfigDeviceSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    url = fields.String(metadata={"description": "With any password replaced by ***"})
    serial = fields.String(allow_none=True)
    enabled = fields.Boolean()


class ConfigLaneSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    direction = fields.String()
    zone = fields.String()
    enabled = fields.Boolean()
    devices = fields.List(fields.Nested(ConfigDeviceSchema))


class ConfigZoneSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    capacity = fields.Integer()
    parent = fields.String(allow_none=True)
    pools = fields.Dict(keys=fields.String(), values=fields.Integer())


class LotConfigSchema(Schema):
    id = fields.Integer()
    site_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    address = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    timezone = fields.String(allow_none=True)
    public = fields.Boolean()
    policy = fields.Dict()
    tariff = fields.String(allow_none=True)
    zones = fields.List(fields.Nested(ConfigZoneSchema))
    lanes = fields.List(fields.Nested(ConfigLaneSchema))


class LotBriefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class ConfigSiteSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    timezone = fields.String()
    lots = fields.List(fields.Nested(LotBriefSchema))


class DeviceTestSchema(Schema):
    ok = fields.Boolean(metadata={"description": "Whether the device answered as it should"})
    outcome = fields.String(metadata={"description": "camera_heard | camera_not_heard | camera_answered | relay_answered | "
                                                     "board_acknowledged | board_sent | failed"})
    detail = fields.String(metadata={"description": "What was found, or the error"})
    latency_ms = fields.Float(allow_none=True)
    last_heard = fields.String(allow_none=True, metadata={"description": "When the agent last heard a push camera (ISO 8601)"})


class SiteFileQuerySchema(Schema):
    site = fields.String(load_default=None, validate=validate.Length(max=32), metadata={"description": "Only this site (its code)"})


class SiteImportQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Only report what would change; write nothing"})


class KindCountsSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    deleted = fields.Integer()
    unchanged = fields.Integer()


class SiteImportSchema(Schema):
    dry_run = fields.Boolean()
    changed = fields.Boolean()
    counts = fields.Dict(keys=fields.String(), values=fields.Nested(KindCountsSchema))
    lines = fields.List(fields.String())
