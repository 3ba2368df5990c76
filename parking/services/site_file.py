"""A site from a file (``parking site import FILE [--dry-run]``), the reverse of ``site_export``.

The document is checked against ``parking/site_schema.json`` first, then item by item with the checks of
the console (``site_checks``); the first problem is a ``SiteFileError`` naming its place in the file
(``sites[0].lots[1].lanes[2].devices[0].url``) and nothing is written. Otherwise every change is made in
one transaction: items are matched by their natural keys (site, lot, pass product and operator codes;
zone and lane codes within their lot; devices by kind and name within their lane; passes by plates and
start; list entries by kind and plate), each is created, updated, deleted or left as it is, and the
report counts them per kind. An item equal to what ``site_export`` writes for the stored one is left
alone, so importing a file twice changes nothing the second time.

What a site in the file lists is all it has: lots, zones, lanes, devices, pass products, passes and list
entries of that site that the file leaves out are deleted (refused, like in the console, while vehicles
are inside or history names them). A key left out altogether (no ``passes:`` at all) leaves those alone.
Sites the file does not name are untouched, tariff versions are never changed or deleted (a version
that differs from the stored one of that number is an error: publish the next), and operators are
created or updated, never deleted; a new operator has no password and must be given one
(``parking operator``) before signing in. Capacities are changed in the live store unforced, so one
below the vehicles present refuses the whole import. ``dry_run`` reports what would change and writes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Device, Lane, Lot, Operator, Site, Tariff
from ..occupancy import OccupancyStore
from ..policy import LotPolicy
from ..site_schema import problems
from ..tariffs import TariffError, load_tariff
from . import audit, lot_facts, site_admin, site_lanes
from .site_admin import LotSpec, SiteSpec, ZoneSpec, lot_doc, site_doc, zone_doc
from .site_checks import SiteAdminError
from .site_export import tariff_doc
from .site_file_people import NO_PASSWORD, PeopleImport, SiteFileError, canonical_moment, match, parse_moment
from .site_lanes import DeviceSpec, LaneSpec, device_doc, lane_doc

__all__ = ["KINDS", "NO_PASSWORD", "ImportReport", "SiteFileError", "import_site", "load"]

KINDS = ("sites", "lots", "zones", "lanes", "devices", "tariffs", "pass_products", "passes", "lists", "operators")
AUDIT_NOUNS = {"sites": "site", "lots": "lot", "zones": "zone", "lanes": "lane", "devices": "device", "tariffs": "tariff",
               "pass_products": "pass_product", "passes": "pass", "lists": "list_entry", "operators": "operator"}


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    dry_run: bool
    counts: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in KINDS})

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated or c.deleted for c in self.counts.values())

    def lines(self) -> list[str]:
        """One line per kind: ``lots: 1 created, 2 updated, 0 deleted, 3 unchanged``."""
        return [f"{kind}: {c.created} created, {c.updated} updated, {c.deleted} deleted, {c.unchanged} unchanged"
                for kind, c in self.counts.items()]


def load(text: str) -> Any:
    """The document of a YAML (or JSON) text; ``SiteFileError`` with the line for text that does not parse."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise SiteFileError("", f"not a YAML document: {where}{getattr(exc, 'problem', None) or exc}") from None


def _plain(value: Any) -> Any:
    """YAML reads unquoted times as datetimes; the schema and everything after it take ISO text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class _Import(PeopleImport):
    def __init__(self, db: Session, store: OccupancyStore, now: datetime, operator_id: int | None, default_tz: str) -> None:
        self.db, self.store, self.now, self.operator_id = db, store, now, operator_id
        self.default_tz = default_tz
        self.report_counts = {k: Counts() for k in KINDS}
        self.audits: list[tuple[str, str, Any, Any]] = []
        self.capacity_lots: dict[int, tuple[Lot, set[int]]] = {}  # lot id -> (lot, deleted zone ids)
        self.fact_lots: set[int] = set()
        self.usernames = {o.username: o for o in db.scalars(select(Operator))}

    # -- bookkeeping ----------------------------------------------------------------------------------------
    def count(self, kind: str, what: str, target: str, before: Any, after: Any) -> None:
        setattr(self.report_counts[kind], what, getattr(self.report_counts[kind], what) + 1)
        if what != "unchanged":
            self.audits.append((f"{AUDIT_NOUNS[kind]}.{what}", target, before, after))

    def guard(self, path: str, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except SiteAdminError as exc:
            raise SiteFileError(f"{path}.{exc.field}" if exc.field else path, exc.message) from None
        except TariffError as exc:
            raise SiteFileError(f"{path}.document.{exc.field}" if exc.field else f"{path}.document", exc.problem) from None

    def deleting(self, path: str, step: Callable[[], Any]) -> None:
        """A deletion the file asks for by leaving an item out: a refusal is about the list it is missing from."""
        try:
            step()
        except SiteAdminError as exc:
            raise SiteFileError(path, exc.message) from None

    # -- the run ----------------------------------------------------------------------------------------------
    def run(self, doc: dict[str, Any]) -> None:
        utc_default = ZoneInfo(self.default_tz)
        file_sites = {s["code"] for s in doc["sites"]}
        operators = self.operators(doc["operators"], file_sites) if "operators" in doc else []
        if "tariffs" in doc:
            self.tariffs(None, doc["tariffs"], "tariffs", utc_default)
        for i, site_doc_ in enumerate(doc["sites"]):
            self.site(site_doc_, f"sites[{i}]")
        if "lists" in doc:
            self.lists(None, doc["lists"], "lists", utc_default)
        self.bind(operators, file_sites)
        self.db.flush()

    def site(self, doc: dict[str, Any], path: str) -> None:
        db = self.db
        site = db.scalar(select(Site).where(Site.code == doc["code"]))
        spec = SiteSpec(doc["code"], doc["name"], doc["timezone"])
        before = site_doc(site) if site is not None else None
        site = self.guard(path, lambda: site_admin.apply_site(db, site, spec))
        self.count("sites", "created" if before is None else ("unchanged" if before == site_doc(site) else "updated"),
                   f"site:{site.code}", before, site_doc(site))
        if "lots" not in doc:
            return
        wanted = {l["code"] for l in doc["lots"]}
        for lot in [l for l in site.lots if l.code not in wanted]:
            before_lot = lot_doc(lot)
            self.mark_capacities(lot, [z.id for z in lot.zones])
            for kind, n in (("zones", len(lot.zones)), ("lanes", len(lot.lanes)), ("devices", sum(len(l.devices) for l in lot.lanes))):
                self.report_counts[kind].deleted += n
            self.deleting(f"{path}.lots", lambda lot=lot: site_admin.apply_lot_deletion(db, self.store, lot, now=self.now, publish=False))
            self.count("lots", "deleted", f"lot:{before_lot['code']}", before_lot, None)
        for j, lot_doc_ in enumerate(doc["lots"]):
            self.lot(site, lot_doc_, f"{path}.lots[{j}]")

    def lot(self, site: Site, doc: dict[str, Any], path: str) -> None:
        db = self.db
        lot = db.scalar(select(Lot).where(Lot.code == doc["code"]))
        spec = LotSpec(doc["code"], doc["name"], doc.get("address", ""), doc.get("latitude"), doc.get("longitude"), doc.get("timezone"),
                       doc.get("public", True), doc.get("policy") or {}, doc.get("tariff"))
        before = lot_doc(lot) if lot is not None else None
        moved = lot is not None and lot.site is not site
        lot = self.guard(path, lambda: site_admin.apply_lot(db, site, lot, spec, now=self.now, check_tariff=False))
        self.count("lots", "created" if before is None else ("unchanged" if before == lot_doc(lot) and not moved else "updated"),
                   f"lot:{lot.code}", before, lot_doc(lot))
        tz = ZoneInfo(lot.timezone or site.timezone or self.default_tz)
        if "tariffs" in doc:
            self.tariffs(lot, doc["tariffs"], f"{path}.tariffs", tz)
        if spec.tariff is not None or doc.get("tariff"):
            self.guard(path, lambda: site_admin.check_tariff_code(db, lot.settings.get("tariff")))
        zones = self.flat_zones(doc.get("zones"), path) if "zones" in doc else None
        if zones is not None:
            self.zones(lot, zones)
        if "lanes" in doc:
            self.lanes(lot, doc["lanes"], f"{path}.lanes")
        if "pass_products" in doc:
            self.products(lot, doc["pass_products"], f"{path}.pass_products")
        if "passes" in doc:
            self.passes(lot, doc["passes"], f"{path}.passes", tz)
        if "lists" in doc:
            self.lists(lot, doc["lists"], f"{path}.lists", tz)
        if zones is not None:
            self.delete_zones(lot, {code for code, _, _ in zones}, f"{path}.zones")
        if "passes" in doc or "lists" in doc:
            self.fact_lots.add(lot.id)

    # -- zones --------------------------------------------------------------------------------------------------
    def flat_zones(self, docs: list[dict[str, Any]], path: str, parent: str | None = None) -> list[tuple[str, ZoneSpec, str]]:
        """(code, spec, path) of every zone, outer zones before the zones inside them."""
        out = []
        for i, doc in enumerate(docs):
            here = f"{path}.zones[{i}]" if parent is None else f"{path}.zones[{i}]"
            out.append((doc["code"], ZoneSpec(doc["code"], doc["name"], doc["capacity"], parent, doc.get("pools") or {}), here))
            out += self.flat_zones(doc.get("zones") or [], here, doc["code"])
        seen: set[str] = set()
        for code, _, where in out:
            if code in seen:
                raise SiteFileError(f"{where}.code", f"zone {code} is listed twice in this lot")
            seen.add(code)
        return out

    def zones(self, lot: Lot, zones: list[tuple[str, ZoneSpec, str]]) -> None:
        existing = {z.code: z for z in lot.zones}
        changed = []
        for code, spec, path in zones:
            zone = existing.get(code)
            before = zone_doc(zone) if zone is not None else None
            zone = self.guard(path, lambda zone=zone, spec=spec: site_admin.apply_zone(self.db, lot, zone, spec))
            after = zone_doc(zone)
            what = "created" if before is None else ("unchanged" if before == after else "updated")
            self.count("zones", what, f"lot:{lot.code}/zone:{code}", before, after)
            if what != "unchanged":
                changed.append(zone)
                self.guard(path, lambda zone=zone: site_admin.check_capacities(self.store, lot.id, [zone]))
        if changed:
            self.mark_capacities(lot, [])

    def delete_zones(self, lot: Lot, wanted: set[str], path: str) -> None:
        doomed = [z for z in lot.zones if z.code not in wanted]
        for zone in site_admin._children_first(doomed):
            before, zone_id = zone_doc(zone), zone.id
            self.deleting(path, lambda zone=zone: site_admin.apply_zone_deletion(self.db, self.store, zone))
            self.mark_capacities(lot, [zone_id])
            self.count("zones", "deleted", f"lot:{lot.code}/zone:{before['code']}", before, None)

    def mark_capacities(self, lot: Lot, removed: Iterable[int]) -> None:
        _, gone = self.capacity_lots.setdefault(lot.id, (lot, set()))
        gone.update(removed)

    # -- lanes and devices ----------------------------------------------------------------------------------------
    def lanes(self, lot: Lot, docs: list[dict[str, Any]], path: str) -> None:
        db = self.db
        wanted = {d["code"] for d in docs}
        for lane in [l for l in lot.lanes if l.code not in wanted]:
            before = {**lane_doc(lane), "devices": [device_doc(d) for d in lane.devices]}
            self.report_counts["devices"].deleted += len(lane.devices)
            self.deleting(path, lambda lane=lane: site_lanes.apply_lane_deletion(db, self.store, lane))
            self.count("lanes", "deleted", f"lot:{lot.code}/lane:{before['code']}", before, None)
        lanes: list[tuple[Lane, list[dict[str, Any]], str]] = []
        for i, doc in enumerate(docs):
            lane = next((l for l in lot.lanes if l.code == doc["code"]), None)
            before = lane_doc(lane) if lane is not None else None
            spec = LaneSpec(doc["code"], doc["name"], doc["direction"], doc["zone"], doc.get("enabled", True))
            lane = self.guard(f"{path}[{i}]", lambda lane=lane, spec=spec: site_lanes.apply_lane(db, lot, lane, spec))
            self.count("lanes", "created" if before is None else ("unchanged" if before == lane_doc(lane) else "updated"),
                       f"lot:{lot.code}/lane:{lane.code}", before, lane_doc(lane))
            if "devices" in doc:
                lanes.append((lane, doc["devices"], f"{path}[{i}].devices"))
        plans = [(lane, self.device_plan(lane, devices, where), where) for lane, devices, where in lanes]
        for lane, (_, doomed), _ in plans:  # every removal first, so that a serial may move to another lane
            for device in doomed:
                before = device_doc(device)
                db.delete(device)
                self.count("devices", "deleted", f"lane:{lane.code}/device:{before['name']}", before, None)
        db.flush()
        for lane, (pairs, _), where in plans:
            for i, spec, device in pairs:
                before = device_doc(device) if device is not None else None
                device = self.guard(f"{where}[{i}]", lambda device=device, spec=spec: site_lanes.apply_device(db, lane, device, spec))
                self.count("devices", "created" if before is None else ("unchanged" if before == device_doc(device) else "updated"),
                           f"lane:{lane.code}/device:{device.name}", before, device_doc(device))

    def device_plan(self, lane: Lane, docs: list[dict[str, Any]], path: str) -> tuple[list[tuple[int, DeviceSpec, Device | None]], list[Device]]:
        specs = []
        for i, doc in enumerate(docs):
            spec = DeviceSpec(doc["kind"], doc["name"], doc["url"], doc.get("serial"), doc.get("enabled", True))
            specs.append((i, self.guard(f"{path}[{i}]", lambda spec=spec: site_lanes.check_device(spec))))
        canon = [(i, s, {"kind": s.kind, "name": s.name, "url": s.url, "serial": s.serial, "enabled": s.enabled}) for i, s in specs]
        matched = match(canon, list(lane.devices), lambda d: device_doc(d, secrets=True), lambda doc: (doc["kind"], doc["name"]))
        pairs = [(i, spec, device) for (i, spec, _), device in matched]
        used = {id(d) for _, _, d in pairs if d is not None}
        return pairs, [d for d in lane.devices if id(d) not in used]

    # -- tariffs --------------------------------------------------------------------------------------------------
    def tariffs(self, lot: Lot | None, docs: list[dict[str, Any]], path: str, tz: ZoneInfo) -> None:
        db = self.db
        for i, doc in enumerate(docs):
            here = f"{path}[{i}]"
            valid_from = canonical_moment(f"{here}.valid_from", doc["valid_from"], tz)
            tariff = self.guard(here, lambda doc=doc: load_tariff(doc["document"]))
            if tariff.id != doc["code"]:
                raise SiteFileError(f"{here}.code", f"{doc['code']} differs from the document's id {tariff.id}")
            row = db.scalar(select(Tariff).where(Tariff.code == doc["code"], Tariff.version == doc["version"]))
            wanted = {"code": doc["code"], "version": doc["version"], "valid_from": valid_from, "document": doc["document"]}
            if row is not None:
                if tariff_doc(row, tz) != wanted or row.lot_id != (lot.id if lot else None):
                    raise SiteFileError(here, f"version {row.version} of tariff {row.code} differs from the stored one; a published "
                                        "version is never changed: give the new one the next version number")
                self.count("tariffs", "unchanged", f"tariff:{row.code}", None, None)
                continue
            row = Tariff(lot=lot, code=doc["code"], version=doc["version"], name=tariff.name.zh, document=doc["document"],
                         valid_from=parse_moment(valid_from), created_at=self.now)
            db.add(row)
            db.flush()
            self.count("tariffs", "created", f"tariff:{row.code}/v{row.version}", None, wanted)

    # -- pass products, passes, lists ------------------------------------------------------------------------------
    def check_live(self) -> None:
        for lot_id, (lot, gone) in self.capacity_lots.items():
            if self.db.get(Lot, lot_id) is None:  # deleted: its zones were checked empty then
                continue
            try:
                site_admin.check_capacities(self.store, lot.id, list(lot.zones), gone)
            except SiteAdminError as exc:
                raise SiteFileError(f"lot {lot.code}", str(exc)) from None

    def publish(self) -> None:
        for lot_id, (lot, gone) in self.capacity_lots.items():
            zones = [] if self.db.get(Lot, lot_id) is None else list(lot.zones)
            site_admin.publish_zones(self.store, lot_id, zones, self.now, gone)


def import_site(db: Session, store: OccupancyStore, document: Any, *, now: datetime, operator_id: int | None, dry_run: bool = False,
                default_tz: str = "Asia/Shanghai") -> ImportReport:
    """Apply a site document (see the module docstring): all of it, or with ``dry_run`` or on any error none
    of it. Returns what changed (or would) per kind."""
    document = _plain(document)
    found = problems(document, limit=1)
    if found:
        raise SiteFileError(found[0].path, found[0].message)
    job = _Import(db, store, now, operator_id, default_tz)
    try:
        job.run(document)
        job.check_live()
        report = ImportReport(dry_run, job.report_counts)
        if dry_run or not report.changed:  # a second import of the same file writes nothing, not even an audit row
            db.rollback()
            return report
        for action, target, before, after in job.audits:
            audit.record(db, action, operator_id=operator_id, target=target, at=now, before=before, after=after, source="site import")
        audit.record(db, "site.imported", operator_id=operator_id, target=",".join(s["code"] for s in document["sites"])[:100], at=now,
                     changes={k: vars(c) for k, c in report.counts.items()})
        db.flush()
        job.publish()
        site_admin.commit(db, store)
    except SiteAdminError as exc:
        db.rollback()
        raise SiteFileError(exc.field, exc.message) from None
    except BaseException:
        db.rollback()
        raise
    for lot_id in sorted(job.fact_lots):
        with_lot = db.get(Lot, lot_id)
        if with_lot is not None:
            lot_facts.refresh(db, store, lot_id, LotPolicy.from_settings(with_lot.settings), now)
    return report
