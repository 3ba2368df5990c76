"""Tariffs versioned in SQL: publishing, the version in force, the `parking tariff` commands, and the
lot's workday calendar from SQL changing an exit fee.

FIXED_NOW is Wednesday 2026-11-25 17:30 in Shanghai. The demo community lot prices by
13-old-community-visitor v1, the office lot by 14-vendor-rule-a v1 (seeded five days earlier).
"""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from parking import db as dbmod
from parking.cli import main
from parking.models import CalendarOverride, Lot, Tariff as TariffRow
from parking.services.site import SiteConfigError, lot_tariff
from parking.services.tariffs import active_tariff, publish_tariff, tariff_versions
from parking.tariffs import TariffError
from parking.tariffs.examples import DIRECTORY, document

from ...conftest import FIXED_NOW
from .test_cli import env_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
VISITOR = "13-old-community-visitor"
SHENZHEN = "01-shenzhen-roadside-class1"


def dearer_visitor() -> dict:
    """The visitor tariff with 1–2 h at 6 元 instead of 5."""
    doc = copy.deepcopy(document(VISITOR))
    doc["brackets"]["items"][1]["fen"] = 600
    return doc


def count_rows(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(TariffRow))


# -- publishing and the version in force ------------------------------------------------------------


def test_publishing_adds_the_next_version_of_the_code(runtime, village):
    starts = FIXED_NOW + timedelta(days=1)
    with dbmod.transaction(runtime.sessions) as db:
        row = publish_tariff(db, lot_id=village.community_lot_id, document=dearer_visitor(), valid_from=starts, now=FIXED_NOW)
        assert (row.code, row.version, row.name, row.lot_id) == (VISITOR, 2, "老旧小区停车（访客）", village.community_lot_id)
    with runtime.sessions() as db:
        versions = tariff_versions(db, VISITOR)
        assert [(v.version, v.valid_from) for v in versions] == [(1, FIXED_NOW - timedelta(days=5, hours=9, minutes=30)), (2, starts)]
        assert versions[1].document["brackets"]["items"][1]["fen"] == 600
        assert versions[1].created_at == FIXED_NOW


def test_a_new_version_takes_effect_at_its_valid_from(runtime, village):
    starts = FIXED_NOW + timedelta(days=1)
    with dbmod.transaction(runtime.sessions) as db:
        publish_tariff(db, lot_id=village.community_lot_id, document=dearer_visitor(), valid_from=starts, now=FIXED_NOW)
    with runtime.sessions() as db:
        before = active_tariff(db, village.community_lot_id, starts - timedelta(seconds=1))
        after = active_tariff(db, village.community_lot_id, starts)
    assert before is not None and after is not None
    assert (before[0].version, after[0].version) == (1, 2)
    assert (before[1].brackets.items[1].fen, after[1].brackets.items[1].fen) == (500, 600)


def test_the_exit_fee_follows_the_version_in_force(runtime, village, site):
    starts = FIXED_NOW + timedelta(days=1)
    with dbmod.transaction(runtime.sessions) as db:
        publish_tariff(db, lot_id=village.community_lot_id, document=dearer_visitor(), valid_from=starts, now=FIXED_NOW)
    site.read("east-in", "粤B11111")
    site.clock.advance(minutes=90)
    assert site.read("east-out", "粤B11111").lines[2] == "请缴费5元"  # v1: 1–2 h 5 元
    site.clock.now = starts
    site.refresh()
    site.read("east-in", "粤B22222")
    site.clock.advance(minutes=90)
    assert site.read("east-out", "粤B22222").lines[2] == "请缴费6元"  # v2: 1–2 h 6 元


def test_the_lot_setting_chooses_among_the_codes_in_force(runtime, village):
    with dbmod.transaction(runtime.sessions) as db:
        publish_tariff(db, lot_id=village.community_lot_id, document=document(SHENZHEN), valid_from=FIXED_NOW, now=FIXED_NOW)
    later = FIXED_NOW + timedelta(minutes=1)
    with runtime.sessions() as db:
        assert active_tariff(db, village.community_lot_id, later)[0].code == SHENZHEN  # the latest valid_from
    with dbmod.transaction(runtime.sessions) as db:
        lot = db.get(Lot, village.community_lot_id)
        lot.settings = {**lot.settings, "tariff": VISITOR}
    with runtime.sessions() as db:
        assert active_tariff(db, village.community_lot_id, later)[0].code == VISITOR


def test_a_lot_setting_naming_a_code_not_yet_in_force_keeps_the_current_tariff(runtime, village):
    starts = FIXED_NOW + timedelta(days=7)
    with dbmod.transaction(runtime.sessions) as db:
        publish_tariff(db, lot_id=village.office_lot_id, document=document(SHENZHEN), valid_from=starts, now=FIXED_NOW)
        lot = db.get(Lot, village.office_lot_id)
        lot.settings = {**lot.settings, "tariff": SHENZHEN}
    with runtime.sessions() as db:
        assert active_tariff(db, village.office_lot_id, FIXED_NOW)[0].code == "14-vendor-rule-a"
        assert active_tariff(db, village.office_lot_id, starts)[0].code == SHENZHEN


def test_a_version_for_every_lot_applies_where_a_lot_has_none_of_its_own(runtime, village):
    with dbmod.transaction(runtime.sessions) as db:
        db.execute(TariffRow.__table__.delete().where(TariffRow.lot_id == village.office_lot_id))
        publish_tariff(db, lot_id=None, document=document(SHENZHEN), valid_from=FIXED_NOW, now=FIXED_NOW)
    with runtime.sessions() as db:
        assert active_tariff(db, village.office_lot_id, FIXED_NOW)[0].code == SHENZHEN
        assert active_tariff(db, village.community_lot_id, FIXED_NOW)[0].code == VISITOR  # its own first


def test_before_any_version_is_valid_there_is_no_tariff(runtime, village):
    with runtime.sessions() as db:
        assert active_tariff(db, village.community_lot_id, FIXED_NOW - timedelta(days=30)) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["brackets"]["items"][1].update(fen=-500), "brackets.items[1].fen"),
        (lambda d: d.pop("classes"), "classes"),
        (lambda d: d.update(grace_minutes="15"), "grace_minutes"),
        (lambda d: d["brackets"].update(overstay="forgive"), "brackets.overstay"),
    ],
)
def test_an_invalid_document_writes_nothing_and_names_the_field(runtime, village, change, field):
    doc = copy.deepcopy(document(VISITOR))
    change(doc)
    rows = count_rows(runtime)
    with pytest.raises(TariffError) as error, dbmod.transaction(runtime.sessions) as db:
        publish_tariff(db, lot_id=village.community_lot_id, document=doc, valid_from=FIXED_NOW, now=FIXED_NOW)
    assert error.value.field == field
    assert count_rows(runtime) == rows


def test_a_version_cannot_start_in_the_past_or_without_a_time_zone(runtime, village):
    rows = count_rows(runtime)
    for valid_from, problem in (
        (FIXED_NOW - timedelta(minutes=1), "is before now"),
        (datetime(2026, 12, 1, 0, 0), "must be a date and time with a time zone"),
    ):
        with pytest.raises(TariffError) as error, dbmod.transaction(runtime.sessions) as db:
            publish_tariff(db, lot_id=village.community_lot_id, document=document(VISITOR), valid_from=valid_from, now=FIXED_NOW)
        assert error.value.field == "valid_from"
        assert problem in error.value.problem
    with pytest.raises(TariffError) as error, dbmod.transaction(runtime.sessions) as db:
        publish_tariff(db, lot_id=9999, document=document(VISITOR), valid_from=FIXED_NOW, now=FIXED_NOW)
    assert (error.value.field, error.value.problem) == ("lot_id", "no lot 9999")
    assert count_rows(runtime) == rows


def test_a_stored_version_that_no_longer_validates_is_a_site_configuration_error(runtime, village):
    broken = copy.deepcopy(document(VISITOR))
    broken["brackets"]["items"][0]["up_to_minutes"] = 0
    with dbmod.transaction(runtime.sessions) as db:
        db.add(TariffRow(lot_id=village.community_lot_id, code=VISITOR, version=2, name="坏", document=broken, valid_from=FIXED_NOW))
    with runtime.sessions() as db, pytest.raises(SiteConfigError) as error:
        lot_tariff(db, db.get(Lot, village.community_lot_id), FIXED_NOW)
    assert str(error.value) == (
        f"lot hx-community: tariff {VISITOR} v2 is invalid: brackets.items[0].up_to_minutes: must be at least 1 minute"
    )


# -- the `parking tariff` commands ------------------------------------------------------------------


def test_tariff_publish_stores_a_version_for_a_lot(settings, village, tmp_path):
    path = tmp_path / "visitor.json"
    path.write_text(json.dumps(dearer_visitor(), ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["tariff", "publish", str(path), "--lot", "hx-community", "--valid-from", "2099-01-01T00:00"], env=env_for(settings)
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"published {VISITOR} v2 (老旧小区停车（访客）) for lot hx-community, valid from 2099-01-01T00:00:00+08:00"
    )


def test_tariff_publish_of_an_example_file_defaults_to_every_lot_and_now(settings, village):
    before = datetime.now(timezone.utc)
    result = CliRunner().invoke(main, ["tariff", "publish", str(DIRECTORY / f"{SHENZHEN}.json")], env=env_for(settings))
    assert result.exit_code == 0, result.output
    assert f"published {SHENZHEN} v1 (深圳路内停车（一类区域）) for every lot, valid from" in result.output
    listed = json.loads(CliRunner().invoke(main, ["tariff", "list", "--json"], env=env_for(settings)).output)
    row = next(r for r in listed if r["code"] == SHENZHEN)
    assert row["lot"] is None
    assert datetime.fromisoformat(row["valid_from"]) >= before.replace(microsecond=0)


def test_tariff_publish_of_a_bad_document_names_the_field_and_writes_nothing(settings, runtime, village, tmp_path):
    doc = copy.deepcopy(document(VISITOR))
    doc["brackets"]["per_period_fen"] = -1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    rows = count_rows(runtime)
    result = CliRunner().invoke(main, ["tariff", "publish", str(path), "--lot", "hx-community"], env=env_for(settings))
    assert result.exit_code == 1
    assert f"tariff {path}: brackets.per_period_fen: must not be negative" in result.output
    assert count_rows(runtime) == rows


def test_tariff_publish_refuses_an_unknown_lot(settings, village):
    result = CliRunner().invoke(main, ["tariff", "publish", str(DIRECTORY / f"{VISITOR}.json"), "--lot", "nowhere"], env=env_for(settings))
    assert result.exit_code == 2
    assert "no lot 'nowhere' (lots: hx-community, kj-office)" in result.output


def test_tariff_list_shows_versions_and_the_one_in_force_for_each_lot(settings, runtime, village):
    with dbmod.transaction(runtime.sessions) as db:
        publish_tariff(db, lot_id=village.community_lot_id, document=dearer_visitor(),
                       valid_from=datetime(2099, 1, 1, tzinfo=SHANGHAI), now=FIXED_NOW)
    result = CliRunner().invoke(main, ["tariff", "list", "--json"], env=env_for(settings))
    assert result.exit_code == 0, result.output
    listed = [(r["code"], r["version"], r["lot"], r["in_force_for"]) for r in json.loads(result.output)]
    assert listed == [
        ("13-old-community-visitor", 1, "hx-community", ["hx-community"]),
        ("13-old-community-visitor", 2, "hx-community", []),
        ("14-vendor-rule-a", 1, "kj-office", ["kj-office"]),
    ]
    office = CliRunner().invoke(main, ["tariff", "list", "--lot", "kj-office", "--json"], env=env_for(settings))
    assert [r["code"] for r in json.loads(office.output)] == ["14-vendor-rule-a"]
    table = CliRunner().invoke(main, ["tariff", "list"], env={**env_for(settings), "COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "14-vendor-rule-a" in table.output


def test_tariff_commands_have_help():
    for args in (["tariff", "--help"], ["tariff", "publish", "--help"], ["tariff", "list", "--help"]):
        result = CliRunner().invoke(main, args, prog_name="parking")
        assert result.exit_code == 0, args
        assert "Usage: parking tariff" in result.output


# -- the workday calendar from SQL ------------------------------------------------------------------

SUNDAY = date(2026, 11, 29)


def test_a_workday_override_on_a_sunday_changes_the_exit_fee(runtime, village, site):
    """Shenzhen class 1 at the office lot, 10:00–11:00 on Sunday 2026-11-29: as a rest day (10:00–20:00
    charged) 1.2 + 2.4 = 3.6 元; declared a workday in SQL, 3 + 6 = 9 元."""
    with dbmod.transaction(runtime.sessions) as db:
        publish_tariff(db, lot_id=village.office_lot_id, document=document(SHENZHEN), valid_from=FIXED_NOW, now=FIXED_NOW)
    site.clock.now = datetime(2026, 11, 29, 10, 0, tzinfo=SHANGHAI)
    site.refresh()
    assert site.read("gate-in", "粤B11111").open_gate
    assert site.read("gate-in", "粤B22222").open_gate
    site.clock.advance(hours=1)
    rest_day = site.read("gate-out", "粤B11111")
    assert (rest_day.open_gate, rest_day.outcome, rest_day.lines[2]) == (False, "fee_due", "请缴费3.60元")
    with dbmod.transaction(runtime.sessions) as db:
        db.add(CalendarOverride(lot_id=village.office_lot_id, day=SUNDAY, day_kind="workday", note="调休上班"))
    site.refresh()
    workday = site.read("gate-out", "粤B22222")
    assert (workday.open_gate, workday.outcome, workday.lines[2]) == (False, "fee_due", "请缴费9元")
