"""The people side of a site file: pass products, passes, list entries and operators, imported by
``parking.services.site_file`` (whose docstring says how items are matched, created, updated and deleted),
and the helpers both halves share.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..models import ListEntry, ListKind, Lot, Operator, OperatorSite, ParkingPass, PassKind, PassPlate, PassProduct, Role, Site
from ..plates import Plate, PlateError, parse
from . import site_admin
from .site_export import list_doc, moment, pass_doc, product_doc, time_of_day

NO_PASSWORD = "!imported: no password set"  # not an argon2 hash: nothing verifies against it


class SiteFileError(ValueError):
    """The file cannot be imported; ``path`` is where in it (empty for the file as a whole)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message



def canonical_moment(path: str, text: Any, tz: ZoneInfo) -> str | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise SiteFileError(path, f"{text!r} is not a date and time such as 2026-11-25T08:00:00+08:00") from None
    if value.tzinfo is None:
        raise SiteFileError(path, f"{text!r} needs its UTC offset, e.g. +08:00")
    return moment(value, tz)


def parse_moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def parse_time(text: str | None) -> time | None:
    return time.fromisoformat(text) if text is not None else None


def canonical_time(path: str, text: str | None) -> str | None:
    return time_of_day(parse_time(text)) if text is not None else None


class PeopleImport:
    """Pass products, passes, lists and operators of an import; mixed into ``site_file``'s import, whose
    ``db``, ``now``, ``usernames``, ``fact_lots``, ``count`` and ``guard`` it uses."""

    def products(self, lot: Lot, docs: list[dict[str, Any]], path: str) -> None:
        db = self.db
        zones = {z.code: z.id for z in lot.zones}
        codes = {z.id: z.code for z in lot.zones}
        existing = {p.code: p for p in db.scalars(select(PassProduct).where(PassProduct.lot_id == lot.id))}
        for i, doc in enumerate(docs):
            here = f"{path}[{i}]"
            self.guard(here, lambda doc=doc: site_admin.check.text("name", doc["name"]))
            zone_id = self.zone_ref(zones, doc.get("zone"), f"{here}.zone", lot)
            product = existing.get(doc["code"])
            before = product_doc(product, codes) if product else None
            values = dict(code=doc["code"], name=doc["name"].strip(), kind=PassKind(doc["kind"]), period_months=doc.get("period_months", 1),
                          price_fen=doc.get("price_fen", 0), spaces=doc.get("spaces", 1), zone_id=zone_id,
                          window_start=parse_time(doc.get("window_start")), window_end=parse_time(doc.get("window_end")), active=doc.get("active", True))
            if (values["window_start"] is None) != (values["window_end"] is None):
                raise SiteFileError(f"{here}.window_end", "a daily window needs both its start and its end")
            if product is None:
                product = PassProduct(lot_id=lot.id, created_at=self.now, **values)
                db.add(product)
            else:
                for key, value in values.items():
                    setattr(product, key, value)
            db.flush()
            after = product_doc(product, codes)
            self.count("pass_products", "created" if before is None else ("unchanged" if before == after else "updated"),
                       f"lot:{lot.code}/product:{product.code}", before, after)
        wanted = {d["code"] for d in docs}
        for code, product in existing.items():
            if code not in wanted:
                before = product_doc(product, codes)
                db.delete(product)
                self.count("pass_products", "deleted", f"lot:{lot.code}/product:{code}", before, None)
        db.flush()

    def zone_ref(self, zones: dict[str, int], code: str | None, path: str, lot: Lot) -> int | None:
        if code is None:
            return None
        if code not in zones:
            raise SiteFileError(path, f"lot {lot.code} has no zone {code}")
        return zones[code]

    def passes(self, lot: Lot, docs: list[dict[str, Any]], path: str, tz: ZoneInfo) -> None:
        db = self.db
        zones = {z.code: z.id for z in lot.zones}
        codes = {z.id: z.code for z in lot.zones}
        products = {p.code: p.id for p in db.scalars(select(PassProduct).where(PassProduct.lot_id == lot.id))}
        product_codes = {v: k for k, v in products.items()}
        canon = []
        for i, doc in enumerate(docs):
            canon.append((i, doc, self.pass_canon(lot, doc, f"{path}[{i}]", tz, zones, products)))
        stored = list(db.scalars(select(ParkingPass).where(ParkingPass.lot_id == lot.id)))
        matched = match(canon, stored, lambda p: pass_doc(p, tz, codes, product_codes), lambda d: (tuple(d["plates"]), d["valid_from"]))
        used = set()
        for (i, doc, want), row in matched:
            before = pass_doc(row, tz, codes, product_codes) if row is not None else None
            if before == want:
                used.add(id(row))
                self.count("passes", "unchanged", f"lot:{lot.code}/pass:{want['plates'][0]}", None, None)
                continue
            values = dict(kind=PassKind(want["kind"]), holder=want["holder"], zone_id=zones.get(want["zone"]) if want["zone"] else None,
                          spaces=want["spaces"], valid_from=parse_moment(want["valid_from"]), valid_until=parse_moment(want["valid_until"]),
                          window_start=parse_time(want["window_start"]), window_end=parse_time(want["window_end"]), price_fen=want["price_fen"],
                          product_id=products.get(want["product"]) if want["product"] else None, phone=want["phone"],
                          household=want["household"], note=want["note"], active=want["active"],
                          suspended_at=parse_moment(want["suspended_at"]), ended_at=parse_moment(want["ended_at"]))
            if row is None:
                row = ParkingPass(lot_id=lot.id, created_at=self.now, plates=[PassPlate(plate=p) for p in want["plates"]], **values)
                db.add(row)
            else:
                used.add(id(row))
                for key, value in values.items():
                    setattr(row, key, value)
                if sorted(p.plate for p in row.plates) != want["plates"]:
                    row.plates = [PassPlate(plate=p) for p in want["plates"]]
            db.flush()
            self.count("passes", "created" if before is None else "updated", f"lot:{lot.code}/pass:{want['plates'][0]}", before, want)
        for row in stored:
            if id(row) not in used:
                before = pass_doc(row, tz, codes, product_codes)
                db.delete(row)
                self.count("passes", "deleted", f"lot:{lot.code}/pass:{before['plates'][0] if before['plates'] else row.id}", before, None)
        db.flush()

    def pass_canon(self, lot: Lot, doc: dict[str, Any], path: str, tz: ZoneInfo, zones: dict[str, int], products: dict[str, int]) -> dict[str, Any]:
        plates = []
        for j, text in enumerate(doc["plates"]):
            try:
                plate = parse(text)
            except PlateError as exc:
                raise SiteFileError(f"{path}.plates[{j}]", str(exc)) from None
            if not isinstance(plate, Plate):
                raise SiteFileError(f"{path}.plates[{j}]", f"{text!r} is not a plate")
            plates.append(plate.text)
        if len(set(plates)) != len(plates):
            raise SiteFileError(f"{path}.plates", "a plate is listed twice")
        self.guard(path, lambda: site_admin.check.text("holder", doc["holder"]))
        self.zone_ref(zones, doc.get("zone"), f"{path}.zone", lot)
        if doc.get("product") is not None and doc["product"] not in products:
            raise SiteFileError(f"{path}.product", f"lot {lot.code} has no pass product {doc['product']}")
        want = {
            "kind": doc["kind"], "holder": doc["holder"].strip(), "plates": sorted(plates), "zone": doc.get("zone"),
            "spaces": doc.get("spaces", 1), "valid_from": canonical_moment(f"{path}.valid_from", doc["valid_from"], tz),
            "valid_until": canonical_moment(f"{path}.valid_until", doc["valid_until"], tz),
            "window_start": canonical_time(f"{path}.window_start", doc.get("window_start")),
            "window_end": canonical_time(f"{path}.window_end", doc.get("window_end")), "price_fen": doc.get("price_fen", 0),
            "product": doc.get("product"), "phone": doc.get("phone", ""), "household": doc.get("household", ""), "note": doc.get("note", ""),
            "active": doc.get("active", True), "suspended_at": canonical_moment(f"{path}.suspended_at", doc.get("suspended_at"), tz),
            "ended_at": canonical_moment(f"{path}.ended_at", doc.get("ended_at"), tz),
        }
        if parse_moment(want["valid_until"]) <= parse_moment(want["valid_from"]):  # type: ignore[operator]
            raise SiteFileError(f"{path}.valid_until", f"{want['valid_until']} is not after valid_from {want['valid_from']}")
        if want["spaces"] > len(plates):
            raise SiteFileError(f"{path}.spaces", f"{want['spaces']} spaces for {len(plates)} plates: a pass cannot hold more spaces than cars")
        if (want["window_start"] is None) != (want["window_end"] is None):
            raise SiteFileError(f"{path}.window_end", "a daily window needs both its start and its end")
        if want["kind"] == PassKind.TIME_WINDOW.value and want["window_start"] is None:
            raise SiteFileError(f"{path}.window_start", "a time-window pass needs its daily window")
        return want

    def lists(self, lot: Lot | None, docs: list[dict[str, Any]], path: str, tz: ZoneInfo) -> None:
        db = self.db
        canon = []
        for i, doc in enumerate(docs):
            here = f"{path}[{i}]"
            try:
                plate = parse(doc["plate"])
            except PlateError as exc:
                raise SiteFileError(f"{here}.plate", str(exc)) from None
            if not isinstance(plate, Plate):
                raise SiteFileError(f"{here}.plate", f"{doc['plate']!r} is not a plate")
            added_by = doc.get("added_by")
            if added_by is not None and added_by not in self.usernames:
                raise SiteFileError(f"{here}.added_by", f"no operator {added_by}")
            reason = self.guard(here, lambda doc=doc: site_admin.check.text("reason", doc["reason"], limit=200))
            canon.append((i, doc, {"kind": doc["kind"], "plate": plate.text, "reason": reason,
                                   "expires_at": canonical_moment(f"{here}.expires_at", doc.get("expires_at"), tz), "added_by": added_by}))
        query = select(ListEntry).where(ListEntry.lot_id.is_(None) if lot is None else ListEntry.lot_id == lot.id)
        stored = list(db.scalars(query))
        ids = {o.id: o.username for o in self.usernames.values()}
        scope = f"lot:{lot.code}" if lot else "all-lots"
        matched = match(canon, stored, lambda e: list_doc(e, tz, ids), lambda d: (d["kind"], d["plate"]))
        used = set()
        for (_, _, want), row in matched:
            before = list_doc(row, tz, ids) if row is not None else None
            if row is not None:
                used.add(id(row))
            if before == want:
                self.count("lists", "unchanged", f"{scope}/{want['kind']}:{want['plate']}", None, None)
                continue
            values = dict(kind=ListKind(want["kind"]), plate=want["plate"], reason=want["reason"], expires_at=parse_moment(want["expires_at"]),
                          created_by_id=self.usernames[want["added_by"]].id if want["added_by"] else None)
            if row is None:
                db.add(ListEntry(lot_id=lot.id if lot else None, created_at=self.now, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
            self.count("lists", "created" if row is None else "updated", f"{scope}/{want['kind']}:{want['plate']}", before, want)
        for row in stored:
            if id(row) not in used:
                before = list_doc(row, tz, ids)
                db.delete(row)
                self.count("lists", "deleted", f"{scope}/{before['kind']}:{before['plate']}", before, None)
        if lot is None:
            self.fact_lots.update(db.scalars(select(Lot.id)))
        db.flush()

    # -- operators ----------------------------------------------------------------------------------------------------
    def operators(self, docs: list[dict[str, Any]], file_sites: set[str]) -> list[tuple[Operator, dict[str, Any], Any]]:
        """Create and update the operators (before the sites, whose list entries name who added them);
        their site bindings follow the sites (``bind``)."""
        db = self.db
        sites = {s.code: s for s in db.scalars(select(Site))}
        seen: set[str] = set()
        out = []
        for i, doc in enumerate(docs):
            here = f"operators[{i}]"
            username = doc["username"]
            if username in seen:
                raise SiteFileError(f"{here}.username", f"operator {username} is listed twice")
            seen.add(username)
            display = self.guard(here, lambda doc=doc: site_admin.check.text("display_name", doc["display_name"]))
            for j, code in enumerate(doc.get("sites", [])):
                if code not in file_sites:
                    raise SiteFileError(f"{here}.sites[{j}]", f"site {code} is not in this file")
            operator = self.usernames.get(username)
            before = None
            if operator is not None:
                before = operator_doc(operator, sorted(code_of(sites, b.site_id) for b in operator.sites))
            else:
                operator = Operator(username=username, password_hash=NO_PASSWORD, must_change_password=True, created_at=self.now,
                                    display_name=display, role=Role(doc["role"]))
                db.add(operator)
                self.usernames[username] = operator
            operator.display_name, operator.role = display, Role(doc["role"])
            operator.active, operator.language = doc.get("active", True), doc.get("language", "zh_CN")
            out.append((operator, doc, before))
        db.flush()
        return out

    def bind(self, operators: list[tuple[Operator, dict[str, Any], Any]], file_sites: set[str]) -> None:
        db = self.db
        sites = {s.code: s for s in db.scalars(select(Site))}
        for operator, doc, before in operators:
            wanted_ids = {sites[c].id for c in doc.get("sites", [])}
            for binding in list(operator.sites):  # bindings to sites this file does not describe are kept
                if code_of(sites, binding.site_id) in file_sites and binding.site_id not in wanted_ids:
                    operator.sites.remove(binding)
            have = {b.site_id for b in operator.sites}
            operator.sites.extend(OperatorSite(site_id=site_id) for site_id in sorted(wanted_ids - have))
            db.flush()
            after = operator_doc(operator, sorted(code_of(sites, b.site_id) for b in operator.sites))
            self.count("operators", "created" if before is None else ("unchanged" if before == after else "updated"),
                       f"operator:{operator.username}", before, after)

    # -- the live side ---------------------------------------------------------------------------------------------


def code_of(sites: dict[str, Site], site_id: int) -> str:
    return next((code for code, s in sites.items() if s.id == site_id), "")


def operator_doc(operator: Operator, sites: list[str]) -> dict[str, Any]:
    return {"username": operator.username, "display_name": operator.display_name, "role": operator.role.value if isinstance(operator.role, Role) else operator.role,
            "active": operator.active, "language": operator.language, "sites": sites}


def match(wanted: list[tuple[Any, ...]], stored: list[Any], doc_of: Callable[[Any], dict[str, Any]],
           key: Callable[[dict[str, Any]], Any]) -> list[tuple[tuple[Any, ...], Any]]:
    """Pair each wanted item (its canonical document last) with a stored row: first one whose document is
    equal, then one with the same key, else None (to be created). A row is paired at most once."""
    docs = [(row, doc_of(row)) for row in stored]
    free = list(range(len(docs)))
    pairs: list[tuple[tuple[Any, ...], Any]] = []
    pending = []
    for item in wanted:
        found = next((n for n in free if docs[n][1] == item[-1]), None)
        if found is None:
            pending.append(item)
            pairs.append((item, None))
        else:
            free.remove(found)
            pairs.append((item, docs[found][0]))
    for n_pair, (item, row) in enumerate(pairs):
        if row is None:
            found = next((n for n in free if key(docs[n][1]) == key(item[-1])), None)
            if found is not None:
                free.remove(found)
                pairs[n_pair] = (item, docs[found][0])
    return pairs
