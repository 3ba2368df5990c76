"""A site as one readable document (``parking site export``), the reverse of ``parking.services.site_file``.

The document follows ``parking/site_schema.json``: each site with its lots, and in each lot its policies,
zones (nested, with their pools), lanes with their devices, its own tariff versions, pass products,
passes and list entries; then the tariff versions and list entries of every lot, and the operators
without any secret. Everything is in a fixed order of its natural keys (codes, plates, user names),
never of database ids, and times are written in the lot's time zone, so exporting what an import wrote
gives the same text byte for byte. Visitor registrations, history (stays, payments, the journal) and
devices that belong to no lane are not part of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    DeviceKind, ListEntry, Lot, Operator, OperatorSite, ParkingPass, PassProduct, Site, Tariff, Zone,
)
from ..site_schema import FORMAT, VERSION
from .site_admin import lot_doc, pools_of

__all__ = ["HEADER", "dump", "export_document", "moment", "time_of_day"]

HEADER = (
    "# Parking site file: parking site import FILE [--dry-run] applies it; parking/site_schema.json describes it.\n"
    "# Times carry their UTC offset; money is integer fen (分); device URLs follow drivers/README.md.\n"
)


class SiteExportError(ValueError):
    """The site asked for does not exist."""


def moment(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def time_of_day(value: time | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _zones(zones: Iterable[Zone], parent_id: int | None) -> list[dict[str, Any]]:
    out = []
    for zone in sorted((z for z in zones if z.parent_id == parent_id), key=lambda z: z.code):
        doc: dict[str, Any] = {"code": zone.code, "name": zone.name, "capacity": zone.capacity, "pools": pools_of(zone)}
        inner = _zones(zones, zone.id)
        if inner:
            doc["zones"] = inner
        out.append(doc)
    return out


_KIND_ORDER = [k.value for k in DeviceKind]


def _lanes(lot: Lot) -> list[dict[str, Any]]:
    out = []
    for lane in sorted(lot.lanes, key=lambda l: l.code):
        devices = sorted(lane.devices, key=lambda d: (_KIND_ORDER.index(d.kind.value), d.name, d.serial or "", d.url))
        out.append({
            "code": lane.code, "name": lane.name, "direction": lane.direction.value, "zone": lane.zone.code, "enabled": lane.enabled,
            "devices": [{"kind": d.kind.value, "name": d.name, "url": d.url, "serial": d.serial, "enabled": d.enabled} for d in devices],
        })
    return out


def tariff_doc(row: Tariff, tz: ZoneInfo) -> dict[str, Any]:
    return {"code": row.code, "version": row.version, "valid_from": moment(row.valid_from, tz), "document": _canonical(row.document)}


def product_doc(product: PassProduct, zone_codes: dict[int, str]) -> dict[str, Any]:
    return {
        "code": product.code, "name": product.name, "kind": product.kind.value, "period_months": product.period_months,
        "price_fen": product.price_fen, "spaces": product.spaces, "zone": zone_codes.get(product.zone_id) if product.zone_id else None,
        "window_start": time_of_day(product.window_start), "window_end": time_of_day(product.window_end), "active": product.active,
    }


def pass_doc(p: ParkingPass, tz: ZoneInfo, zone_codes: dict[int, str], product_codes: dict[int, str]) -> dict[str, Any]:
    return {
        "kind": p.kind.value, "holder": p.holder, "plates": sorted(pp.plate for pp in p.plates),
        "zone": zone_codes.get(p.zone_id) if p.zone_id else None, "spaces": p.spaces,
        "valid_from": moment(p.valid_from, tz), "valid_until": moment(p.valid_until, tz),
        "window_start": time_of_day(p.window_start), "window_end": time_of_day(p.window_end), "price_fen": p.price_fen,
        "product": product_codes.get(p.product_id) if p.product_id else None, "phone": p.phone, "household": p.household,
        "note": p.note, "active": p.active, "suspended_at": moment(p.suspended_at, tz), "ended_at": moment(p.ended_at, tz),
    }


def list_doc(entry: ListEntry, tz: ZoneInfo, usernames: dict[int, str]) -> dict[str, Any]:
    return {"kind": entry.kind.value, "plate": entry.plate, "reason": entry.reason, "expires_at": moment(entry.expires_at, tz),
            "added_by": usernames.get(entry.created_by_id) if entry.created_by_id else None}


def pass_sort_key(doc: dict[str, Any]) -> tuple[Any, ...]:
    return (doc["valid_from"], doc["plates"], doc["holder"], doc["kind"], doc["valid_until"])


def list_sort_key(doc: dict[str, Any]) -> tuple[Any, ...]:
    return (doc["kind"], doc["plate"], doc["reason"], doc["expires_at"] or "")


def lot_tz(lot: Lot, default_tz: str) -> ZoneInfo:
    return ZoneInfo(lot.timezone or lot.site.timezone or default_tz)


def _lot(db: Session, lot: Lot, default_tz: str, usernames: dict[int, str]) -> dict[str, Any]:
    tz = lot_tz(lot, default_tz)
    zone_codes = {z.id: z.code for z in lot.zones}
    products = list(db.scalars(select(PassProduct).where(PassProduct.lot_id == lot.id)))
    product_codes = {p.id: p.code for p in products}
    doc = lot_doc(lot)
    doc.pop("code")
    tariffs = db.scalars(select(Tariff).where(Tariff.lot_id == lot.id).order_by(Tariff.code, Tariff.version))
    passes = [pass_doc(p, tz, zone_codes, product_codes) for p in db.scalars(select(ParkingPass).where(ParkingPass.lot_id == lot.id))]
    entries = [list_doc(e, tz, usernames) for e in db.scalars(select(ListEntry).where(ListEntry.lot_id == lot.id))]
    return {
        "code": lot.code, **doc,
        "zones": _zones(lot.zones, None),
        "lanes": _lanes(lot),
        "tariffs": [tariff_doc(t, tz) for t in tariffs],
        "pass_products": [product_doc(p, zone_codes) for p in sorted(products, key=lambda p: p.code)],
        "passes": sorted(passes, key=pass_sort_key),
        "lists": sorted(entries, key=list_sort_key),
    }


def _canonical(value: Any) -> Any:
    """A tariff document with its keys in one order (PostgreSQL's JSONB keeps its own), so that an export
    is the same text whichever database it came from."""
    if isinstance(value, dict):
        return {key: _canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def export_document(db: Session, *, site_code: str | None = None, default_tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """The document of one site (``site_code``) or of every site, as plain values ready to dump."""
    query = select(Site).order_by(Site.code)
    if site_code is not None:
        query = query.where(Site.code == site_code)
    sites = list(db.scalars(query))
    if site_code is not None and not sites:
        known = ", ".join(db.scalars(select(Site.code).order_by(Site.code))) or "none"
        raise SiteExportError(f"no site {site_code}; sites: {known}")
    usernames = {ident: name for ident, name in db.execute(select(Operator.id, Operator.username))}
    tz = ZoneInfo(default_tz)
    site_ids = {s.id for s in sites}
    bindings: dict[int, list[int]] = {}
    for row in db.scalars(select(OperatorSite)):
        bindings.setdefault(row.operator_id, []).append(row.site_id)
    codes = {s.id: s.code for s in sites}
    operators = []
    for operator in db.scalars(select(Operator).order_by(Operator.username)):
        bound = bindings.get(operator.id, [])
        if site_code is not None and bound and not set(bound) & site_ids:
            continue  # bound to other sites only: not this site's
        operators.append({
            "username": operator.username, "display_name": operator.display_name, "role": operator.role.value,
            "active": operator.active, "language": operator.language, "sites": sorted(codes[s] for s in bound if s in codes),
        })
    global_tariffs = db.scalars(select(Tariff).where(Tariff.lot_id.is_(None)).order_by(Tariff.code, Tariff.version))
    global_lists = [list_doc(e, tz, usernames) for e in db.scalars(select(ListEntry).where(ListEntry.lot_id.is_(None)))]
    return {
        "format": FORMAT,
        "version": VERSION,
        "sites": [
            {"code": s.code, "name": s.name, "timezone": s.timezone,
             "lots": [_lot(db, lot, default_tz, usernames) for lot in sorted(s.lots, key=lambda l: l.code)]}
            for s in sites
        ],
        "tariffs": [tariff_doc(t, tz) for t in global_tariffs],
        "lists": sorted(global_lists, key=list_sort_key),
        "operators": operators,
    }


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given, and text that reads as written (UTF-8, no line folding)."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)


def dump(document: dict[str, Any]) -> str:
    """The YAML text of a site document, with a header saying what it is."""
    body = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000, indent=2)
    return HEADER + body
