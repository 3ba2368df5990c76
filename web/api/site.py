"""``/api/v1/config/...``: a site's configuration for administrators and integrations with the ``admin``
scope: sites, lots (policies as an object: an unknown policy is an error), zones with their pools,
capacities of several zones at once (all or nothing, never below the vehicles present), lanes, devices
by URL, "test this device", and the whole site as one YAML file (export, and import with ``dry_run``).

Every write goes through ``parking.services.site_admin``/``site_lanes``/``site_file`` (audited, agents
told); a refused value is a 422 naming the field. JSON bodies need no CSRF token (see
``web.api.lane_commands``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request
from sqlalchemy import select

from parking.models import Device, Lane, Lot, Site, Zone
from parking.services import site_admin, site_lanes
from parking.services.device_test import probe_device
from parking.services.site_admin import LotSpec, SiteAdminError, SiteSpec, ZoneSpec
from parking.services.site_export import SiteExportError, dump, export_document
from parking.services.site_file import SiteFileError, import_site, load
from parking.services.site_lanes import DeviceSpec, LaneSpec

from ..auth.roles import roles_required
from ..auth.tokens import actor
from ..context import db, now, store
from ..extensions import csrf
from ..schemas.errors import ErrorSchema
from ..schemas.site import (
    CapacitiesInSchema, ConfigDeviceSchema, ConfigLaneSchema, ConfigSiteSchema, ConfigZoneSchema, DeviceInSchema, DeviceTestSchema,
    LaneInSchema, LotConfigSchema, LotInSchema, SiteFileQuerySchema, SiteImportQuerySchema, SiteImportSchema, SiteInSchema, ZoneInSchema,
)
from . import bp
from .errors import abort_json

T = TypeVar("T")
ADMIN = dict(scope="admin")
DEVICE_TEST_SECONDS = 3.0
TAGS = ["site configuration"]


def _get(model: type[T], ident: int, name: str) -> T:
    row = db().get(model, ident)
    if row is None:
        abort_json(404, f"{name} {ident} not found", field=f"{name}_id")
    return row  # type: ignore[return-value]


def _change(step: Callable[[], T]) -> T:
    try:
        return step()
    except SiteAdminError as error:
        abort_json(422, str(error) if error.field else error.message, field=error.field or None)


def _operator() -> int | None:
    return actor()[0]


def site_body(site: Site) -> dict[str, Any]:
    return {**site_admin.site_doc(site), "id": site.id, "lots": [{"id": l.id, "code": l.code, "name": l.name} for l in site.lots]}


def lot_body(lot: Lot) -> dict[str, Any]:
    return {
        **site_admin.lot_doc(lot), "id": lot.id, "site_id": lot.site_id,
        "zones": [{**site_admin.zone_doc(z), "id": z.id} for z in lot.zones],
        "lanes": [{**site_lanes.lane_doc(l), "id": l.id, "devices": [device_body(d) for d in l.devices]} for l in lot.lanes],
    }


def device_body(device: Device) -> dict[str, Any]:
    return {**site_lanes.device_doc(device), "id": device.id}


# -- sites ------------------------------------------------------------------------------------------------


@bp.route("/config/sites")
@roles_required("admin", **ADMIN)
@bp.response(200, ConfigSiteSchema(many=True))
@bp.doc(tags=TAGS, summary="Every site with its lots")
def list_sites() -> Any:
    return [site_body(s) for s in db().scalars(select(Site).order_by(Site.code))]


@bp.route("/config/sites", methods=["POST"])
@roles_required("admin", **ADMIN)
@bp.arguments(SiteInSchema, location="json")
@bp.response(201, ConfigSiteSchema)
@bp.alt_response(422, schema=ErrorSchema, description="A field is wrong: `field` names it")
@bp.doc(tags=TAGS, summary="Create a site")
def create_site(body: dict[str, Any]) -> Any:
    return site_body(_change(lambda: site_admin.create_site(db(), store(), SiteSpec(**body), now=now(), operator_id=_operator())))


@bp.route("/config/sites/<int:site_id>", methods=["PUT"])
@roles_required("admin", **ADMIN)
@bp.arguments(SiteInSchema, location="json")
@bp.response(200, ConfigSiteSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such site")
@bp.alt_response(422, schema=ErrorSchema, description="A field is wrong: `field` names it")
@bp.doc(tags=TAGS, summary="Change a site")
def update_site(body: dict[str, Any], site_id: int) -> Any:
    _get(Site, site_id, "site")
    return site_body(_change(lambda: site_admin.update_site(db(), store(), site_id, SiteSpec(**body), now=now(), operator_id=_operator())))


@bp.route("/config/sites/<int:site_id>", methods=["DELETE"])
@roles_required("admin", **ADMIN)
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema, description="No such site")
@bp.alt_response(422, schema=ErrorSchema, description="The site still has lots")
@bp.doc(tags=TAGS, summary="Delete a site without lots")
def delete_site(site_id: int) -> Any:
    _get(Site, site_id, "site")
    _change(lambda: site_admin.delete_site(db(), store(), site_id, now=now(), operator_id=_operator()))
    return ""


# -- lots -------------------------------------------------------------------------------------------------


@bp.route("/config/sites/<int:site_id>/lots", methods=["POST"])
@roles_required("admin", **ADMIN)
@bp.arguments(LotInSchema, location="json")
@bp.response(201, LotConfigSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such site")
@bp.alt_response(422, schema=ErrorSchema, description="A field is wrong, e.g. `policy.full_policy` is not a known policy")
@bp.doc(tags=TAGS, summary="Create a lot in a site")
def create_lot(body: dict[str, Any], site_id: int) -> Any:
    _get(Site, site_id, "site")
    return lot_body(_change(lambda: site_admin.create_lot(db(), store(), site_id, LotSpec(**body), now=now(), operator_id=_operator())))


@bp.route("/config/lots/<int:lot_id>")
@roles_required("admin", **ADMIN)
@bp.response(200, LotConfigSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such lot")
@bp.doc(tags=TAGS, summary="A lot's configuration: policies, zones with pools, lanes with devices")
def get_lot_config(lot_id: int) -> Any:
    return lot_body(_get(Lot, lot_id, "lot"))


@bp.route("/config/lots/<int:lot_id>", methods=["PUT"])
@roles_required("admin", **ADMIN)
@bp.arguments(LotInSchema, location="json")
@bp.response(200, LotConfigSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such lot")
@bp.alt_response(422, schema=ErrorSchema, description="A field is wrong: `field` names it")
@bp.doc(tags=TAGS, summary="Change a lot (every field; policies replace the lot's)")
def update_lot(body: dict[str, Any], lot_id: int) -> Any:
    _get(Lot, lot_id, "lot")
    return lot_body(_change(lambda: site_admin.update_lot(db(), store(), lot_id, LotSpec(**body), now=now(), operator_id=_operator())))


@bp.route("/config/lots/<int:lot_id>", methods=["DELETE"])
@roles_required("admin", **ADMIN)
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema, description="No such lot")
@bp.alt_response(422, schema=ErrorSchema, description="The lot has stays, payments or passes, or vehicles inside")
@bp.doc(tags=TAGS, summary="Delete a lot with its zones, lanes and devices")
def delete_lot(lot_id: int) -> Any:
    _get(Lot, lot_id, "lot")
    _change(lambda: site_admin.delete_lot(db(), store(), lot_id, now=now(), operator_id=_operator()))
    return ""


@bp.route("/config/lots/<int:lot_id>/capacities", methods=["PUT"])
@roles_required("admin", **ADMIN)
@bp.arguments(CapacitiesInSchema, location="json")
@bp.response(200, LotConfigSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such lot")
@bp.alt_response(422, schema=ErrorSchema, description="A capacity below the vehicles present, or pools beyond the capacity: nothing changed")
@bp.doc(tags=TAGS, summary="Set the capacity and pools of several zones at once, all or nothing")
def set_capacities(body: dict[str, Any], lot_id: int) -> Any:
    _get(Lot, lot_id, "lot")
    wanted = {z["zone_id"]: (z["capacity"], z["pools"]) for z in body["zones"]}
    _change(lambda: site_admin.set_capacities(db(), store(), lot_id, wanted, now=now(), operator_id=_operator()))
    return lot_body(_get(Lot, lot_id, "lot"))


# -- zones ------------------------------------------------------------------------------------------------


@bp.route("/config/lots/<int:lot_id>/zones", methods=["POST"])
@roles_required("admin", **ADMIN)
@bp.arguments(ZoneInSchema, location="json")
@bp.response(201, ConfigZoneSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such lot")
@bp.alt_response(422, schema=ErrorSchema, description="A field is wrong: `field` names it")
@bp.doc(tags=TAGS, summary="Create a zone (inside another with `parent`) with its pools")
def create_zone(body: dict[str, Any], lot_id: int) -> Any:
    _get(Lot, lot_id, "lot")
    zone = _change(lambda: site_admin.create_zone(db(), store(), lot_id, ZoneSpec(**body), now=now(), operator_id=_operator()))
    return {**site_admin.zone_doc(zone), "id": zone.id}


@bp.route("/config/zones/<int:zone_id>", methods=["PUT"])
@roles_required("admin", **ADMIN)
@bp.arguments(ZoneInSchema, location="json")
@bp.response(200, ConfigZoneSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such zone")
@bp.alt_response(422, schema=ErrorSchema, description="A field is wrong, or a capacity is below the vehicles present: nothing changed")
@bp.doc(tags=TAGS, summary="Change a zone, its capacity and its pools, all or nothing")
def update_zone(body: dict[str, Any], zone_id: int) -> Any:
    _get(Zone, zone_id, "zone")
    zone = _change(lambda: site_admin.update_zone(db(), store(), zone_id, ZoneSpec(**body), now=now(), operator_id=_operator()))
    return {**site_admin.zone_doc(zone), "id": zone.id}


@bp.route("/config/zones/<int:zone_id>", methods=["DELETE"])
@roles_required("admin", **ADMIN)
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema, description="No such zone")
@bp.alt_response(422, schema=ErrorSchema, description="Vehicles are inside, or lanes, inner zones, passes or history name it")
@bp.doc(tags=TAGS, summary="Delete a zone")
def delete_zone(zone_id: int) -> Any:
    _get(Zone, zone_id, "zone")
    _change(lambda: site_admin.delete_zone(db(), store(), zone_id, now=now(), operator_id=_operator()))
    return ""


# -- lanes and devices ------------------------------------------------------------------------------------


@bp.route("/config/lots/<int:lot_id>/lanes", methods=["POST"])
@roles_required("admin", **ADMIN)
@bp.arguments(LaneInSchema, location="json")
@bp.response(201, ConfigLaneSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such lot")
@bp.alt_response(422, schema=ErrorSchema, description="A field is wrong: `field` names it")
@bp.doc(tags=TAGS, summary="Create a lane")
def create_lane(body: dict[str, Any], lot_id: int) -> Any:
    _get(Lot, lot_id, "lot")
    lane = _change(lambda: site_lanes.create_lane(db(), store(), lot_id, LaneSpec(**body), now=now(), operator_id=_operator()))
    return {**site_lanes.lane_doc(lane), "id": lane.id, "devices": []}


@bp.route("/config/lanes/<int:lane_id>", methods=["PUT"])
@roles_required("admin", **ADMIN)
@bp.arguments(LaneInSchema, location="json")
@bp.response(200, ConfigLaneSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such lane")
@bp.alt_response(422, schema=ErrorSchema, description="A field is wrong: `field` names it")
@bp.doc(tags=TAGS, summary="Change a lane")
def update_lane(body: dict[str, Any], lane_id: int) -> Any:
    _get(Lane, lane_id, "lane")
    lane = _change(lambda: site_lanes.update_lane(db(), store(), lane_id, LaneSpec(**body), now=now(), operator_id=_operator()))
    return {**site_lanes.lane_doc(lane), "id": lane.id, "devices": [device_body(d) for d in lane.devices]}


@bp.route("/config/lanes/<int:lane_id>", methods=["DELETE"])
@roles_required("admin", **ADMIN)
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema, description="No such lane")
@bp.alt_response(422, schema=ErrorSchema, description="Vehicles that entered through it are inside, or it is the last exit of a zone with vehicles")
@bp.doc(tags=TAGS, summary="Delete a lane with its devices")
def delete_lane(lane_id: int) -> Any:
    _get(Lane, lane_id, "lane")
    _change(lambda: site_lanes.delete_lane(db(), store(), lane_id, now=now(), operator_id=_operator()))
    return ""


@bp.route("/config/lanes/<int:lane_id>/devices", methods=["POST"])
@roles_required("admin", **ADMIN)
@bp.arguments(DeviceInSchema, location="json")
@bp.response(201, ConfigDeviceSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such lane")
@bp.alt_response(422, schema=ErrorSchema, description="The URL does not open (`field` is `url`), or another field is wrong")
@bp.doc(tags=TAGS, summary="Add a device to a lane by its URL")
def create_device(body: dict[str, Any], lane_id: int) -> Any:
    _get(Lane, lane_id, "lane")
    return device_body(_change(lambda: site_lanes.create_device(db(), store(), lane_id, DeviceSpec(**body), now=now(), operator_id=_operator())))


@bp.route("/config/devices/<int:device_id>", methods=["PUT"])
@roles_required("admin", **ADMIN)
@bp.arguments(DeviceInSchema, location="json")
@bp.response(200, ConfigDeviceSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such device")
@bp.alt_response(422, schema=ErrorSchema, description="The URL does not open (`field` is `url`), or another field is wrong")
@bp.doc(tags=TAGS, summary="Change a device")
def update_device(body: dict[str, Any], device_id: int) -> Any:
    _get(Device, device_id, "device")
    return device_body(_change(lambda: site_lanes.update_device(db(), store(), device_id, DeviceSpec(**body), now=now(), operator_id=_operator())))


@bp.route("/config/devices/<int:device_id>", methods=["DELETE"])
@roles_required("admin", **ADMIN)
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema, description="No such device")
@bp.doc(tags=TAGS, summary="Delete a device")
def delete_device(device_id: int) -> Any:
    _get(Device, device_id, "device")
    _change(lambda: site_lanes.delete_device(db(), store(), device_id, now=now(), operator_id=_operator()))
    return ""


@bp.route("/config/devices/<int:device_id>/test", methods=["POST"])
@roles_required("admin", **ADMIN)
@bp.response(200, DeviceTestSchema)
@bp.alt_response(404, schema=ErrorSchema, description="No such device")
@bp.doc(tags=TAGS, summary="Test a device: what it answered (camera heard, relay answered, board acknowledged) with the latency, or the error")
def test_device(device_id: int) -> Any:
    device = _get(Device, device_id, "device")
    settings = current_app.config["PARKING_SETTINGS"]
    lot = device.lot
    result = probe_device(device.url, serial=device.serial, lot_id=device.lot_id, store=store(), now=now(),
                          tz=lot.timezone or lot.site.timezone or settings.timezone,
                          timeout=current_app.config.get("PARKING_DEVICE_TEST_SECONDS", DEVICE_TEST_SECONDS))
    return result.as_dict()


# -- the site file ----------------------------------------------------------------------------------------


@bp.route("/config/site-file")
@roles_required("admin", **ADMIN)
@bp.arguments(SiteFileQuerySchema, location="query", as_kwargs=True)
@bp.alt_response(200, description="The site file (YAML)", content_type="application/yaml")
@bp.alt_response(404, schema=ErrorSchema, description="No such site")
@bp.doc(tags=TAGS, summary="Export a site (or every site) as one YAML document: parking site export")
def export_site_file(site: str | None = None) -> Any:
    try:
        text = dump(export_document(db(), site_code=site, default_tz=current_app.config["PARKING_SETTINGS"].timezone))
    except SiteExportError as error:
        abort_json(404, str(error), field="site")
    return Response(text, mimetype="application/yaml", headers={"Content-Disposition": 'attachment; filename="site.yaml"'})


@bp.route("/config/site-file", methods=["POST"])
@roles_required("admin", **ADMIN)
@bp.arguments(SiteImportQuerySchema, location="query", as_kwargs=True)
@bp.response(200, SiteImportSchema)
@bp.alt_response(422, schema=ErrorSchema, description="The file is refused: `field` is the place in it; nothing was written")
@bp.doc(tags=TAGS, summary="Import a site file (YAML or JSON body): parking site import [--dry-run]",
        requestBody={"content": {"application/yaml": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}}}})
def import_site_file(dry_run: bool = False) -> Any:
    try:
        document = request.get_json(silent=True) if request.is_json else load(request.get_data(as_text=True))
        report = import_site(db(), store(), document, now=now(), operator_id=_operator(), dry_run=dry_run,
                             default_tz=current_app.config["PARKING_SETTINGS"].timezone)
    except SiteFileError as error:
        abort_json(422, str(error), field=error.path or None)
    return {"dry_run": report.dry_run, "changed": report.changed, "counts": {k: vars(c) for k, c in report.counts.items()},
            "lines": report.lines()}


for _view in (create_site, update_site, delete_site, create_lot, update_lot, delete_lot, set_capacities, create_zone, update_zone,
              delete_zone, create_lane, update_lane, delete_lane, create_device, update_device, delete_device, test_device, import_site_file):
    csrf.exempt(_view)
