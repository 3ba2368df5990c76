"""A whole site as one YAML file (issue 10, item 3): ``parking site export`` → empty database →
``parking site import`` → export gives the same text byte for byte; importing twice changes nothing the
second time; a dry run writes nothing; a bad file is refused naming the place in it, with nothing written."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from parking.cli import main
from parking.models import AuditEvent, Device, Lane, ListEntry, Lot, Operator, OperatorSite, ParkingPass, PassProduct, Site, Tariff, Zone
from parking.passwords import verify_password
from parking.runtime import Runtime
from parking.services.site_export import dump, export_document
from parking.services.site_file import SiteFileError, import_site, load
from parking.site_schema import problems

from ...conftest import FIXED_NOW

pytestmark = [pytest.mark.database, pytest.mark.redis]

EXAMPLE = Path(__file__).resolve().parents[3] / "parking" / "site_examples" / "village.yaml"
TABLES = (Site, Lot, Zone, Lane, Device, Tariff, PassProduct, ParkingPass, ListEntry, Operator, OperatorSite, AuditEvent)


def env_for(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"PARKING_INSTANCE_PATH": str(settings.instance_path), "PARKING_DATABASE_URL": settings.database_url,
            "PARKING_REDIS_URL": settings.redis_url, "PARKING_SECRET_KEY": settings.secret_key}


def empty_database(settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The same instance on a database with no tables: a new SQLite file, or the PostgreSQL one emptied."""
    if settings.database_url.startswith("postgresql"):
        from tests.conftest import _empty_postgres

        _empty_postgres(settings.database_url)
        return settings
    return replace(settings, database_url=f"sqlite:///{tmp_path / 'empty.sqlite'}")


def run(settings, *args: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, list(args), env=env_for(settings), catch_exceptions=False)
    return result


def rows(runtime: Runtime) -> tuple[int, ...]:
    with runtime.sessions() as db:
        return tuple(db.scalar(select(func.count()).select_from(m)) for m in TABLES)


def example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def apply(runtime: Runtime, document, *, dry_run: bool = False):  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return import_site(db, runtime.store, document, now=FIXED_NOW, operator_id=None, dry_run=dry_run)


def exported(runtime: Runtime, site: str | None = None) -> str:
    with runtime.sessions() as db:
        return dump(export_document(db, site_code=site))


CREATED_FROM_THE_EXAMPLE = [
    "sites: 1 created, 0 updated, 0 deleted, 0 unchanged",
    "lots: 2 created, 0 updated, 0 deleted, 0 unchanged",
    "zones: 3 created, 0 updated, 0 deleted, 0 unchanged",
    "lanes: 6 created, 0 updated, 0 deleted, 0 unchanged",
    "devices: 11 created, 0 updated, 0 deleted, 0 unchanged",
    "tariffs: 2 created, 0 updated, 0 deleted, 0 unchanged",
    "pass_products: 5 created, 0 updated, 0 deleted, 0 unchanged",
    "passes: 5 created, 0 updated, 0 deleted, 0 unchanged",
    "lists: 2 created, 0 updated, 0 deleted, 0 unchanged",
    "operators: 4 created, 0 updated, 0 deleted, 0 unchanged",
]


def test_export_then_an_empty_database_then_import_gives_the_same_text_byte_for_byte(settings, village, redis_client, tmp_path):
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    assert run(settings, "site", "export", "-o", str(first)).exit_code == 0
    settings = empty_database(settings, tmp_path)
    assert run(settings, "db", "upgrade").exit_code == 0
    redis_client.flushdb()
    imported = run(settings, "site", "import", str(first))
    assert imported.exit_code == 0, imported.output
    assert imported.output.splitlines() == [
        "sites: 1 created, 0 updated, 0 deleted, 0 unchanged",
        "lots: 2 created, 0 updated, 0 deleted, 0 unchanged",
        "zones: 3 created, 0 updated, 0 deleted, 0 unchanged",
        "lanes: 7 created, 0 updated, 0 deleted, 0 unchanged",
        "devices: 7 created, 0 updated, 0 deleted, 0 unchanged",
        "tariffs: 2 created, 0 updated, 0 deleted, 0 unchanged",
        "pass_products: 0 created, 0 updated, 0 deleted, 0 unchanged",
        "passes: 4 created, 0 updated, 0 deleted, 0 unchanged",
        "lists: 2 created, 0 updated, 0 deleted, 0 unchanged",
        "operators: 3 created, 0 updated, 0 deleted, 0 unchanged",
        "imported",
    ]
    assert run(settings, "site", "export", "-o", str(second)).exit_code == 0
    assert second.read_bytes() == first.read_bytes()
    again = run(settings, "site", "import", str(first))
    assert again.output.splitlines()[-1] == "nothing changed"


def test_the_example_village_follows_the_schema_and_imports_as_described(runtime, redis_client):
    assert problems(example()) == []
    report = apply(runtime, example())
    assert report.lines() == CREATED_FROM_THE_EXAMPLE
    with runtime.sessions() as db:
        zone = db.scalar(select(Zone).where(Zone.code == "ground"))
        lot_id, zone_id = zone.lot_id, zone.id
    assert runtime.store.counts(lot_id)[1][str(zone_id)] == 60
    assert exported(runtime) == EXAMPLE.read_text(encoding="utf-8")


def test_importing_the_same_file_twice_changes_nothing_the_second_time(runtime, redis_client):
    apply(runtime, example())
    before = rows(runtime)
    version = runtime.store.config.version()
    report = apply(runtime, example())
    assert report.lines() == [f"{kind}: 0 created, 0 updated, 0 deleted, {n} unchanged" for kind, n in (
        ("sites", 1), ("lots", 2), ("zones", 3), ("lanes", 6), ("devices", 11), ("tariffs", 2), ("pass_products", 5), ("passes", 5),
        ("lists", 2), ("operators", 4))]
    assert report.changed is False
    assert rows(runtime) == before
    assert runtime.store.config.version() == version


def test_a_dry_run_reports_what_would_change_and_writes_nothing(runtime, redis_client):
    before, live, version = rows(runtime), redis_client.dbsize(), runtime.store.config.version()
    report = apply(runtime, example(), dry_run=True)
    assert report.lines() == CREATED_FROM_THE_EXAMPLE
    assert (rows(runtime), redis_client.dbsize(), runtime.store.config.version()) == (before, live, version)


def test_the_cli_dry_run_says_nothing_was_written(settings, runtime, redis_client):
    result = run(settings, "site", "import", str(EXAMPLE), "--dry-run")
    assert result.exit_code == 0
    assert result.output.splitlines() == [*CREATED_FROM_THE_EXAMPLE, "dry run: nothing was written"]
    assert rows(runtime)[:5] == (0, 0, 0, 0, 0)


def test_changes_in_the_file_update_and_delete_and_are_audited_before_and_after(runtime, redis_client):
    apply(runtime, example())
    changed = example()
    north = changed["sites"][0]["lots"][1]
    assert north["code"] == "xw-north"
    north["name"] = "新围村北片停车场(改)"
    north["zones"][0]["capacity"] = 70
    north["zones"][0]["pools"] = {"temporary": 40, "pass": 30}
    north["lists"] = []
    north["passes"] = north["passes"][1:]
    report = apply(runtime, changed)
    assert report.lines() == [
        "sites: 0 created, 0 updated, 0 deleted, 1 unchanged",
        "lots: 0 created, 1 updated, 0 deleted, 1 unchanged",
        "zones: 0 created, 1 updated, 0 deleted, 2 unchanged",
        "lanes: 0 created, 0 updated, 0 deleted, 6 unchanged",
        "devices: 0 created, 0 updated, 0 deleted, 11 unchanged",
        "tariffs: 0 created, 0 updated, 0 deleted, 2 unchanged",
        "pass_products: 0 created, 0 updated, 0 deleted, 5 unchanged",
        "passes: 0 created, 0 updated, 1 deleted, 4 unchanged",
        "lists: 0 created, 0 updated, 1 deleted, 1 unchanged",
        "operators: 0 created, 0 updated, 0 deleted, 4 unchanged",
    ]
    with runtime.sessions() as db:
        events = {e.action: e for e in db.scalars(select(AuditEvent).where(AuditEvent.action.in_(["lot.updated", "zone.updated"])))}
        zone = db.scalar(select(Zone).where(Zone.code == "ground"))
        lot_id, zone_id = zone.lot_id, zone.id
    assert (events["lot.updated"].detail["before"]["name"], events["lot.updated"].detail["after"]["name"]) == ("新围村北片停车场", "新围村北片停车场(改)")
    assert events["zone.updated"].detail["after"] == {"code": "ground", "name": "地面停车场", "capacity": 70, "parent": None,
                                                      "pools": {"temporary": 40, "pass": 30}}
    assert events["zone.updated"].detail["source"] == "site import"
    live = runtime.store.counts(lot_id)[1]
    assert (live[str(zone_id)], live[f"{zone_id}:temporary"]) == (70, 40)


def test_an_imported_operator_has_no_password_until_one_is_set(runtime, redis_client):
    apply(runtime, example())
    with runtime.sessions() as db:
        guard = db.scalar(select(Operator).where(Operator.username == "guard-north"))
        sites = [db.get(Site, b.site_id).code for b in guard.sites]
        assert (guard.role.value, guard.must_change_password, sites) == ("attendant", True, ["xinwei"])
        assert verify_password(guard.password_hash, "") is False
        assert "argon2" not in exported(runtime)


def test_an_exported_file_holds_no_secret_of_an_operator(runtime, village):
    text = exported(runtime)
    assert "password" not in text and "$argon2" not in text


def broken(change) -> dict:  # type: ignore[no-untyped-def]
    document = example()
    change(document)
    return document


def _lot(document: dict, code: str) -> dict:
    return next(l for l in document["sites"][0]["lots"] if l["code"] == code)


BAD_FILES = [
    (lambda d: d.update(version=2), "version", "must be 1, not 2"),
    (lambda d: _lot(d, "xw-north")["policy"].update(full_policy="refuse_temporary"), "sites[0].lots[1].policy.full_policy",
     "is not a known field; known fields: anti_passback, arrears_entry, clock_skew_seconds, expiry_warning_days, free_release_reasons, max_fee_fen, min_confidence, "
     "no_entry_fee_fen, no_entry_record, offline_exit, offline_max_age_days, offline_temporary, pool_overflow, renewal_grace_days, "
     "temporary_vehicles, zombie_days"),
    (lambda d: _lot(d, "xw-north")["policy"].update(anti_passback="strict"), "sites[0].lots[1].policy.anti_passback",
     "'strict' is not one of off, soft, hard"),
    (lambda d: _lot(d, "xw-north").update(name="<img src=x onerror=alert(1)>"), "sites[0].lots[1].name",
     "'<img src=x onerror=alert(1)>' may not contain '<', '>' or control characters: HTML is not accepted"),
    (lambda d: _lot(d, "xw-north").update(timezone="Mars/Olympus"), "sites[0].lots[1].timezone",
     "'Mars/Olympus' is not a time zone known to this system, e.g. Asia/Shanghai"),
    (lambda d: _lot(d, "xw-market")["lanes"][0]["devices"][0].update(url="hik-http://admin:pw@192.168.20.64?id=44:19:b6:20:00:64"),
     "sites[0].lots[0].lanes[0].devices[0].url", "hik-http URL option listen='': expected HOST:PORT where the camera pushes, e.g. listen=0.0.0.0:8091"),
    (lambda d: _lot(d, "xw-market")["lanes"][1]["devices"][1].update(url="modbus-rtu:///dev/ttyUSB0?coil=x"),
     "sites[0].lots[0].lanes[1].devices[1].url", "modbus-rtu URL option coil='x': expected a number"),
    (lambda d: _lot(d, "xw-north")["lanes"][0].update(zone="roof"), "sites[0].lots[1].lanes[0].zone", "lot xw-north has no zone roof"),
    (lambda d: _lot(d, "xw-north")["zones"][0].update(capacity=20), "sites[0].lots[1].zones[0].pools",
     "the pools hold 60 spaces, more than the zone's capacity 20"),
    (lambda d: _lot(d, "xw-north")["passes"][0]["plates"].append("粤B5P002"), "sites[0].lots[1].passes[0].plates", "a plate is listed twice"),
    (lambda d: _lot(d, "xw-north")["passes"][0].update(valid_from="2026-11-01"), "sites[0].lots[1].passes[0].valid_from",
     "'2026-11-01' is not a date and time with its UTC offset, such as 2026-11-25T08:00:00+08:00"),
    (lambda d: _lot(d, "xw-north")["tariffs"][0]["document"].update(id="other"), "sites[0].lots[1].tariffs[0].code",
     "13-old-community-visitor differs from the document's id other"),
    (lambda d: d["operators"][2]["sites"].append("elsewhere"), "operators[2].sites[1]", "site elsewhere is not in this file"),
]


@pytest.mark.parametrize(("change", "path", "message"), BAD_FILES)
def test_a_bad_file_is_refused_naming_the_place_and_nothing_is_written(runtime, redis_client, change, path, message):
    before, live = rows(runtime), redis_client.dbsize()
    with pytest.raises(SiteFileError) as raised:
        apply(runtime, broken(change))
    assert (raised.value.path, raised.value.message) == (path, message)
    assert (rows(runtime), redis_client.dbsize()) == (before, live)


def test_a_capacity_below_the_vehicles_present_refuses_the_whole_import(runtime, redis_client):
    apply(runtime, example())
    with runtime.sessions() as db:
        zone = db.scalar(select(Zone).where(Zone.code == "main"))
        lot_id, zone_id = zone.lot_id, zone.id
        lane_id = db.scalar(select(Lane.id).where(Lane.code == "market-in"))
    for plate in ("粤B10001", "粤B10002", "粤B10003"):
        runtime.store.admit(lot_id, zone_id, plate, FIXED_NOW, lane_id=lane_id)
    changed = example()
    _lot(changed, "xw-north")["name"] = "北片(改名)"
    _lot(changed, "xw-market")["zones"][0].update(capacity=2, pools={"temporary": 2})
    before = rows(runtime)
    with pytest.raises(SiteFileError) as raised:
        apply(runtime, changed)
    assert (raised.value.path, raised.value.message) == ("sites[0].lots[0].zones[0].capacity", "2 is below the 3 vehicles present in zone main")
    assert rows(runtime) == before
    assert runtime.store.counts(lot_id)[1][str(zone_id)] == 35


def test_a_lane_with_open_stays_is_not_deleted_by_a_file_that_leaves_it_out(runtime, redis_client):
    apply(runtime, example())
    with runtime.sessions() as db:
        lane = db.scalar(select(Lane).where(Lane.code == "market-in"))
        lot_id, zone_id, lane_id = lane.lot_id, lane.zone_id, lane.id
    runtime.store.admit(lot_id, zone_id, "粤B10001", FIXED_NOW, lane_id=lane_id)
    changed = example()
    _lot(changed, "xw-market")["lanes"] = _lot(changed, "xw-market")["lanes"][1:]
    with pytest.raises(SiteFileError) as raised:
        apply(runtime, changed)
    assert raised.value.path == "sites[0].lots[0].lanes"
    assert raised.value.message.startswith("lane market-in has 1 open stays")
    with runtime.sessions() as db:
        assert db.get(Lane, lane_id) is not None


def test_a_published_tariff_version_is_never_changed_by_a_file(runtime, redis_client):
    apply(runtime, example())
    changed = example()
    _lot(changed, "xw-north")["tariffs"][0]["valid_from"] = "2026-02-01T00:00:00+08:00"
    with pytest.raises(SiteFileError) as raised:
        apply(runtime, changed)
    assert str(raised.value) == ("sites[0].lots[1].tariffs[0]: version 1 of tariff 13-old-community-visitor differs from the stored one; "
                                 "a published version is never changed: give the new one the next version number")


def test_text_that_is_not_yaml_is_an_error_with_its_line():
    with pytest.raises(SiteFileError) as raised:
        load("format: parking-site\nsites: [\n  - code: x\n")
    assert str(raised.value) == ("not a YAML document: line 3, column 3: expected the node content, but found '-'")


def test_the_cli_reports_a_bad_file_in_one_line(settings, runtime, redis_client, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(broken(lambda d: _lot(d, "xw-north").update(name="<b>北片</b>")), allow_unicode=True), encoding="utf-8")
    result = run(settings, "site", "import", str(bad))
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: {bad}: sites[0].lots[1].name: '<b>北片</b>' may not contain '<', '>' or control characters: "
                                     "HTML is not accepted; nothing was written")
    missing = run(settings, "site", "export", "--site", "nowhere")
    assert missing.exit_code == 2
    assert "no site nowhere; sites: none" in missing.output


def test_export_of_one_site_keeps_to_it(runtime, village):
    document = export_document_for(runtime, "demo-village")
    assert [s["code"] for s in document["sites"]] == ["demo-village"]
    assert [o["username"] for o in document["operators"]] == ["admin", "attendant", "manager"]


def export_document_for(runtime: Runtime, site: str) -> dict:
    with runtime.sessions() as db:
        return copy.deepcopy(export_document(db, site_code=site))
