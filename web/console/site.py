"""The site configuration pages (站点配置, administrators): sites and their lots; a lot's details and
policies as a form, its zones with pools and capacities (one form, all or nothing), lanes and their
devices by URL with a "test this device" button; and the whole site as a file (download, and upload
checked first: the report of what would change, then the same file applied).

Each POST form carries its CSRF token and calls one function of ``parking.services`` (``site_admin``,
``site_lanes``, ``device_test``, ``site_file``); a refusal comes back as a message naming the field,
and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from parking.models import Device, DeviceKind, Lane, LaneDirection, Lot, PoolKind, Site, Zone
from parking.policy import CHOICES, LotPolicy, policy_keys
from parking.services import site_admin, site_lanes
from parking.services.device_test import probe_device
from parking.services.site_admin import LotSpec, SiteAdminError, SiteSpec, ZoneSpec
from parking.services.site_export import dump, export_document
from parking.services.site_file import SiteFileError, import_site, load
from parking.services.site_lanes import DeviceSpec, LaneSpec, redacted

from ..auth.roles import roles_required
from ..context import db, now, store
from . import bp

T = TypeVar("T")
POOL_KINDS = [k.value for k in PoolKind]

# What the policy form says of each lot setting and each choice (the keys stay as parking.policy names them).
POLICY_LABELS = {
    "pool_overflow": _l("包位/一位多车车位占满时，后来的车"), "anti_passback": _l("防重复入场（月卡车已在场内又入场）"),
    "no_entry_record": _l("出口无入场记录时"), "no_entry_fee_fen": _l("无入场记录固定收费（分）"),
    "temporary_vehicles": _l("临时车"), "offline_temporary": _l("脱机时临时车入场"), "offline_exit": _l("脱机时需缴费车辆出场"),
    "renewal_grace_days": _l("月卡到期宽限天数"), "expiry_warning_days": _l("月卡到期提醒天数"), "zombie_days": _l("僵尸车判定天数"),
    "min_confidence": _l("识别置信度下限（0–100）"), "clock_skew_seconds": _l("相机时钟允许超前（秒）"),
    "offline_max_age_days": _l("脱机记录最长保留天数"), "max_fee_fen": _l("单次费用上限，超出需人工确认（分，0 为不限）"),
}
OPTION_LABELS = {
    "temporary": _l("按临时车"), "refuse": _l("拒绝"), "wait": _l("等候车位"), "off": _l("关闭"), "soft": _l("提醒"),
    "hard": _l("拒绝"), "hold": _l("人工处理"), "flat_fee": _l("按固定费用放行"), "admit": _l("放行"), "open": _l("放行"),
}
MAX_FILE_BYTES = 512 * 1024
DEVICE_TEST_SECONDS = 3.0


class FormError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _get(model: type[T], ident: int) -> T:
    row = db().get(model, ident)
    if row is None:
        abort(404)
    return row  # type: ignore[return-value]


def _text(name: str) -> str:
    return (request.form.get(name) or "").strip()


def _number(name: str, *, required: bool = True, real: bool = False) -> Any:
    raw = _text(name)
    if not raw:
        if required:
            raise FormError(name, _("请填写此项。"))
        return None
    try:
        return float(raw) if real else int(raw)
    except ValueError:
        raise FormError(name, _("“%(value)s”不是数字。", value=raw[:20])) from None


def _flag(name: str) -> bool:
    return request.form.get(name) in ("1", "on", "true", "yes")


def _attempt(step: Callable[[], T], success: str) -> T | None:
    """Run a change; flash ``success``, or what was refused and which field."""
    try:
        result = step()
    except FormError as error:
        flash(_("未保存：%(field)s — %(message)s", field=error.field, message=str(error)), "error")
        return None
    except SiteAdminError as error:
        flash(_("未保存：%(field)s — %(message)s", field=error.field or "—", message=error.message), "error")
        return None
    flash(success, "info")
    return result


def _operator() -> int | None:
    return getattr(current_user, "id", None)


# -- sites --------------------------------------------------------------------------------------------------


@bp.route("/site")
@roles_required("admin")
def site_config() -> ResponseReturnValue:
    sites = list(db().scalars(select(Site).order_by(Site.code)))
    return render_template("console/site.html", sites=sites, report=None)


def _site_spec() -> SiteSpec:
    return SiteSpec(_text("code"), _text("name"), _text("timezone") or "Asia/Shanghai")


@bp.route("/site/sites", methods=["POST"])
@roles_required("admin")
def site_create() -> ResponseReturnValue:
    _attempt(lambda: site_admin.create_site(db(), store(), _site_spec(), now=now(), operator_id=_operator()), _("站点已创建。"))
    return redirect(url_for("console.site_config"))


@bp.route("/site/sites/<int:site_id>", methods=["POST"])
@roles_required("admin")
def site_update(site_id: int) -> ResponseReturnValue:
    _get(Site, site_id)
    _attempt(lambda: site_admin.update_site(db(), store(), site_id, _site_spec(), now=now(), operator_id=_operator()), _("站点已保存。"))
    return redirect(url_for("console.site_config"))


@bp.route("/site/sites/<int:site_id>/delete", methods=["POST"])
@roles_required("admin")
def site_delete(site_id: int) -> ResponseReturnValue:
    _get(Site, site_id)
    _attempt(lambda: site_admin.delete_site(db(), store(), site_id, now=now(), operator_id=_operator()), _("站点已删除。"))
    return redirect(url_for("console.site_config"))


# -- lots ---------------------------------------------------------------------------------------------------


def _policy() -> dict[str, Any]:
    """The policy fields filled in (an empty one keeps the default); a field of no known policy is kept,
    so that the service refuses it by name."""
    policy: dict[str, Any] = {}
    for name, value in request.form.items():
        if not name.startswith("policy."):
            continue
        key, value = name.removeprefix("policy."), value.strip()
        if not value:
            continue
        if key in CHOICES or key not in policy_keys():  # an unknown one goes on as it is, to be refused by name
            policy[key] = value
        else:
            try:
                policy[key] = int(value)
            except ValueError:
                raise FormError(name, _("“%(value)s”不是整数。", value=value[:20])) from None
    return policy


def _lot_spec() -> LotSpec:
    return LotSpec(code=_text("code"), name=_text("name"), address=_text("address"), latitude=_number("latitude", required=False, real=True),
                   longitude=_number("longitude", required=False, real=True), timezone=_text("timezone") or None,
                   public=_flag("public"), policy=_policy(), tariff=_text("tariff") or None)


@bp.route("/site/sites/<int:site_id>/lots", methods=["POST"])
@roles_required("admin")
def lot_create(site_id: int) -> ResponseReturnValue:
    _get(Site, site_id)
    lot = _attempt(lambda: site_admin.create_lot(db(), store(), site_id, _lot_spec(), now=now(), operator_id=_operator()), _("停车场已创建。"))
    return redirect(url_for("console.lot_config", lot_id=lot.id) if lot else url_for("console.site_config"))


@bp.route("/site/lots/<int:lot_id>")
@roles_required("admin")
def lot_config(lot_id: int) -> ResponseReturnValue:
    lot = _get(Lot, lot_id)
    policy, tariff = site_admin.check.split_settings(lot.settings)
    present, _capacity, _passes = store().counts(lot.id)
    return render_template(
        "console/site_lot.html", lot=lot, policy=policy, tariff=tariff, defaults=LotPolicy(), choices=CHOICES,
        policy_names=[f for f in LotPolicy.__dataclass_fields__], policy_labels=POLICY_LABELS, option_labels=OPTION_LABELS,
        pool_kinds=POOL_KINDS, present=present,
        zones=_zone_rows(lot), directions=[d.value for d in LaneDirection], device_kinds=[k.value for k in DeviceKind],
        redacted=redacted,
    )


def _zone_rows(lot: Lot) -> list[tuple[Zone, int]]:
    """Zones with their depth, outer zones first (场中场)."""
    out: list[tuple[Zone, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for zone in sorted((z for z in lot.zones if z.parent_id == parent_id), key=lambda z: z.code):
            out.append((zone, depth))
            walk(zone.id, depth + 1)

    walk(None, 0)
    return out


def _back(lot_id: int, anchor: str = "") -> ResponseReturnValue:
    return redirect(url_for("console.lot_config", lot_id=lot_id, _anchor=anchor or None))


@bp.route("/site/lots/<int:lot_id>", methods=["POST"])
@roles_required("admin")
def lot_update(lot_id: int) -> ResponseReturnValue:
    _get(Lot, lot_id)
    _attempt(lambda: site_admin.update_lot(db(), store(), lot_id, _lot_spec(), now=now(), operator_id=_operator()), _("停车场已保存。"))
    return _back(lot_id)


@bp.route("/site/lots/<int:lot_id>/delete", methods=["POST"])
@roles_required("admin")
def lot_delete(lot_id: int) -> ResponseReturnValue:
    _get(Lot, lot_id)
    if _attempt(lambda: site_admin.delete_lot(db(), store(), lot_id, now=now(), operator_id=_operator()) or True, _("停车场已删除。")):
        return redirect(url_for("console.site_config"))
    return _back(lot_id)


# -- zones and capacities -----------------------------------------------------------------------------------


def _pools(prefix: str) -> dict[str, int]:
    pools = {}
    for kind in POOL_KINDS:
        value = _number(f"{prefix}{kind}", required=False)
        if value is not None:
            pools[kind] = value
    return pools


def _zone_spec() -> ZoneSpec:
    return ZoneSpec(_text("code"), _text("name"), _number("capacity"), _text("parent") or None, _pools("pool."))


@bp.route("/site/lots/<int:lot_id>/zones", methods=["POST"])
@roles_required("admin")
def zone_create(lot_id: int) -> ResponseReturnValue:
    _get(Lot, lot_id)
    _attempt(lambda: site_admin.create_zone(db(), store(), lot_id, _zone_spec(), now=now(), operator_id=_operator()), _("区域已创建。"))
    return _back(lot_id, "zones")


@bp.route("/site/zones/<int:zone_id>", methods=["POST"])
@roles_required("admin")
def zone_update(zone_id: int) -> ResponseReturnValue:
    zone = _get(Zone, zone_id)
    _attempt(lambda: site_admin.update_zone(db(), store(), zone_id, _zone_spec(), now=now(), operator_id=_operator()), _("区域已保存。"))
    return _back(zone.lot_id, "zones")


@bp.route("/site/zones/<int:zone_id>/delete", methods=["POST"])
@roles_required("admin")
def zone_delete(zone_id: int) -> ResponseReturnValue:
    zone = _get(Zone, zone_id)
    lot_id = zone.lot_id
    _attempt(lambda: site_admin.delete_zone(db(), store(), zone_id, now=now(), operator_id=_operator()), _("区域已删除。"))
    return _back(lot_id, "zones")


@bp.route("/site/lots/<int:lot_id>/capacities", methods=["POST"])
@roles_required("admin")
def lot_capacities(lot_id: int) -> ResponseReturnValue:
    lot = _get(Lot, lot_id)

    def wanted() -> dict[int, tuple[int, dict[str, int]]]:
        return {z.id: (_number(f"zone.{z.id}.capacity"), _pools(f"zone.{z.id}.pool.")) for z in lot.zones}

    _attempt(lambda: site_admin.set_capacities(db(), store(), lot_id, wanted(), now=now(), operator_id=_operator()), _("车位数已保存。"))
    return _back(lot_id, "zones")


# -- lanes and devices --------------------------------------------------------------------------------------


def _lane_spec() -> LaneSpec:
    return LaneSpec(_text("code"), _text("name"), _text("direction"), _text("zone"), _flag("enabled"))


@bp.route("/site/lots/<int:lot_id>/lanes", methods=["POST"])
@roles_required("admin")
def lane_create(lot_id: int) -> ResponseReturnValue:
    _get(Lot, lot_id)
    _attempt(lambda: site_lanes.create_lane(db(), store(), lot_id, _lane_spec(), now=now(), operator_id=_operator()), _("车道已创建。"))
    return _back(lot_id, "lanes")


@bp.route("/site/lanes/<int:lane_id>", methods=["POST"])
@roles_required("admin")
def lane_update(lane_id: int) -> ResponseReturnValue:
    lane = _get(Lane, lane_id)
    _attempt(lambda: site_lanes.update_lane(db(), store(), lane_id, _lane_spec(), now=now(), operator_id=_operator()), _("车道已保存。"))
    return _back(lane.lot_id, f"lane-{lane_id}")


@bp.route("/site/lanes/<int:lane_id>/delete", methods=["POST"])
@roles_required("admin")
def lane_delete(lane_id: int) -> ResponseReturnValue:
    lot_id = _get(Lane, lane_id).lot_id
    _attempt(lambda: site_lanes.delete_lane(db(), store(), lane_id, now=now(), operator_id=_operator()), _("车道已删除。"))
    return _back(lot_id, "lanes")


def _device_spec(device: Device | None = None) -> DeviceSpec:
    url = _text("url")
    if device is not None and url == redacted(device.url):
        url = device.url  # the page shows the password as ***; unchanged, the stored one stays
    return DeviceSpec(_text("kind"), _text("name"), url, _text("serial") or None, _flag("enabled"))


@bp.route("/site/lanes/<int:lane_id>/devices", methods=["POST"])
@roles_required("admin")
def device_create(lane_id: int) -> ResponseReturnValue:
    lane = _get(Lane, lane_id)
    _attempt(lambda: site_lanes.create_device(db(), store(), lane_id, _device_spec(), now=now(), operator_id=_operator()), _("设备已添加。"))
    return _back(lane.lot_id, f"lane-{lane_id}")


@bp.route("/site/devices/<int:device_id>", methods=["POST"])
@roles_required("admin")
def device_update(device_id: int) -> ResponseReturnValue:
    device = _get(Device, device_id)
    lot_id, lane_id = device.lot_id, device.lane_id
    _attempt(lambda: site_lanes.update_device(db(), store(), device_id, _device_spec(device), now=now(), operator_id=_operator()),
             _("设备已保存。"))
    return _back(lot_id, f"lane-{lane_id}")


@bp.route("/site/devices/<int:device_id>/delete", methods=["POST"])
@roles_required("admin")
def device_delete(device_id: int) -> ResponseReturnValue:
    device = _get(Device, device_id)
    lot_id, lane_id = device.lot_id, device.lane_id
    _attempt(lambda: site_lanes.delete_device(db(), store(), device_id, now=now(), operator_id=_operator()), _("设备已删除。"))
    return _back(lot_id, f"lane-{lane_id}")


OUTCOME_LABELS = {
    "camera_heard": _l("相机在线：代理服务最近收到了它的心跳或识别结果"), "camera_not_heard": _l("相机未上报：代理服务没有收到它的心跳"),
    "camera_answered": _l("相机已应答"), "relay_answered": _l("继电器模块已应答"), "board_acknowledged": _l("显示屏已确认"),
    "board_sent": _l("已发送（该显示屏不回复确认）"), "failed": _l("测试失败"),
}


@bp.route("/site/devices/<int:device_id>/test", methods=["POST"])
@roles_required("admin")
def device_test(device_id: int) -> ResponseReturnValue:
    device = _get(Device, device_id)
    lot = device.lot
    result = probe_device(device.url, serial=device.serial, lot_id=device.lot_id, store=store(), now=now(),
                          tz=lot.timezone or lot.site.timezone or current_app.config["PARKING_SETTINGS"].timezone,
                          timeout=current_app.config.get("PARKING_DEVICE_TEST_SECONDS", DEVICE_TEST_SECONDS))
    latency = _("，用时 %(ms)s 毫秒", ms=format(result.latency_ms, "g")) if result.latency_ms is not None else ""
    flash(_("%(device)s：%(outcome)s%(latency)s。%(detail)s", device=device.name, outcome=str(OUTCOME_LABELS[result.outcome]),
            latency=latency, detail=result.detail), "info" if result.ok else "error")
    return _back(lot.id, f"lane-{device.lane_id}")


# -- the site file ------------------------------------------------------------------------------------------


@bp.route("/site/file")
@roles_required("admin")
def site_file_download() -> ResponseReturnValue:
    code = request.args.get("site") or None
    sites = {s for s in db().scalars(select(Site.code))}
    if code is not None and code not in sites:
        abort(404)
    text = dump(export_document(db(), site_code=code, default_tz=current_app.config["PARKING_SETTINGS"].timezone))
    name = f"{code or 'sites'}.yaml"
    return Response(text, mimetype="application/yaml", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/site/file", methods=["POST"])
@roles_required("admin")
def site_file_upload() -> ResponseReturnValue:
    upload = request.files.get("file")
    dry_run = request.form.get("apply") != "1"  # a file is checked first; applying it is a second, deliberate upload
    if upload is None or not upload.filename:
        flash(_("请选择站点配置文件。"), "error")
        return redirect(url_for("console.site_config"))
    raw = upload.read(MAX_FILE_BYTES + 1)
    try:
        if len(raw) > MAX_FILE_BYTES:
            raise SiteFileError("", f"the file is larger than {MAX_FILE_BYTES // 1024} KiB")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SiteFileError("", "the file is not UTF-8 text") from None
        report = import_site(db(), store(), load(text), now=now(), operator_id=_operator(), dry_run=dry_run,
                             default_tz=current_app.config["PARKING_SETTINGS"].timezone)
    except SiteFileError as error:
        flash(_("文件未导入，未做任何更改：%(error)s", error=str(error)), "error")
        return redirect(url_for("console.site_config"))
    if not dry_run:
        flash(_("站点配置已导入。") if report.changed else _("文件与现有配置相同，未做任何更改。"), "info")
        return redirect(url_for("console.site_config"))
    sites = list(db().scalars(select(Site).order_by(Site.code)))
    return render_template("console/site.html", sites=sites, report=report, file_name=upload.filename)
