"""Whitelist and blacklist entries per lot or for every lot, and visitor registrations: plates read by
``parking.plates.parse``, errors naming the field, every change audited and felt at the lane at once.

Demo village: 粤B99999 is blacklisted for every lot (多次逃费), 粤B12000 whitelisted in the community."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from parking import db as dbmod
from parking.models import AuditEvent, ListEntry, Lot, Visitor
from parking.services import lists, visitors
from parking.services.config_changes import ConfigChangeError

from ...conftest import FIXED_NOW


def audit_rows(runtime, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count(runtime, model) -> int:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def add(runtime, **changes) -> ListEntry:  # type: ignore[no-untyped-def]
    values = {"lot_id": 1, "plate": "粤B44444", "kind": "blacklist", "reason": "恶意堵门", "operator_id": 2, **changes}
    with runtime.sessions() as db:
        return lists.add(db, runtime.store, now=FIXED_NOW, **values)


def test_a_blacklisted_plate_is_refused_at_once_with_who_added_it_audited(runtime, village, site):
    entry = add(runtime)
    decision = site.read("east-in", "粤B44444")
    assert (decision.open_gate, decision.lines) == (False, ("粤B44444", "禁止通行"))
    assert (entry.created_by_id, entry.created_at, entry.lot_id) == (2, FIXED_NOW, village.community_lot_id)
    (row,) = audit_rows(runtime, "list.add")
    assert (row.operator_id, row.target, row.detail["after"]) == (2, f"list {entry.id}", {
        "lot_id": 1, "plate": "粤B44444", "kind": "blacklist", "reason": "恶意堵门", "expires_at": None, "created_by_id": 2})


def test_a_global_whitelist_entry_frees_the_car_in_every_lot(runtime, site):
    add(runtime, lot_id=None, kind="whitelist", reason="救护车", plate="粤B120JJ")
    assert site.read("east-in", "粤B120JJ").lines == ("粤B120JJ", "免费车辆", "欢迎光临")
    assert site.read("gate-in", "粤B120JJ").lines == ("粤B120JJ", "免费车辆", "欢迎光临")


def test_an_entry_expiring_lapses_by_itself(runtime, site):
    add(runtime, expires_at=FIXED_NOW + timedelta(hours=1))
    assert not site.read("east-in", "粤B44444").open_gate
    site.clock.advance(hours=2)
    assert site.read("north-in", "粤B44444").open_gate


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"plate": "粤B4444"}, "plate", "cannot read plate '粤B4444'"),
    ({"plate": "<script>"}, "plate", "cannot read plate"),
    ({"kind": "greylist"}, "kind", "'greylist' is not one of whitelist, blacklist"),
    ({"reason": " "}, "reason", "is required"),
    ({"reason": "x" * 201}, "reason", "longer than 200 characters"),
    ({"expires_at": FIXED_NOW}, "expires_at", "2026-11-25T09:30:00+00:00 is not in the future"),
    ({"lot_id": 99}, "lot_id", "no lot 99"),
    ({"plate": "粤B99999", "lot_id": None}, "plate", "粤B99999 is already on this blacklist (entry 1: 多次逃费)"),
])
def test_a_bad_entry_names_the_field_and_writes_nothing(runtime, village, changes, field, message):
    before = count(runtime, ListEntry)
    with pytest.raises(ConfigChangeError) as excinfo:
        add(runtime, **changes)
    assert (excinfo.value.field, excinfo.value.message[: len(message)]) == (field, message)
    assert count(runtime, ListEntry) == before


def test_removing_an_entry_admits_the_car_again_and_is_audited_with_what_it_was(runtime, village, site):
    with runtime.sessions() as db:
        lists.remove(db, runtime.store, 1, operator_id=2, now=FIXED_NOW)
    assert site.read("east-in", "粤B99999").open_gate
    (row,) = audit_rows(runtime, "list.remove")
    assert (row.target, row.detail["before"]["reason"], row.detail["before"]["lot_id"]) == ("list 1", "多次逃费", None)


def test_an_entry_reason_and_expiry_are_changed_and_audited(runtime, village):
    with runtime.sessions() as db:
        doctor = db.scalar(select(ListEntry.id).where(ListEntry.plate == "粤B12000"))
        entry = lists.update(db, runtime.store, doctor, reason="社区医生(每周三)", expires_at=FIXED_NOW + timedelta(days=90), operator_id=2, now=FIXED_NOW)
    assert entry.reason == "社区医生(每周三)"
    (row,) = audit_rows(runtime, "list.update")
    assert (row.detail["before"]["reason"], row.detail["before"]["expires_at"], row.detail["after"]["expires_at"]) == (
        "社区医生出诊", None, "2027-02-23T09:30:00+00:00")


def test_the_lot_list_shows_its_own_and_the_global_entries(runtime, village):
    add(runtime, lot_id=village.office_lot_id, plate="粤B55555")
    with runtime.sessions() as db:
        community = [(e.plate, e.kind.value) for e in lists.entries(db, now=FIXED_NOW, lot_id=village.community_lot_id)]
        office_black = [e.plate for e in lists.entries(db, now=FIXED_NOW, lot_id=village.office_lot_id, kind="blacklist")]
        found = [e.plate for e in lists.entries(db, now=FIXED_NOW, text_filter="逃费")]
    assert community == [("粤B12000", "whitelist"), ("粤B99999", "blacklist")]
    assert office_black == ["粤B55555", "粤B99999"]
    assert found == ["粤B99999"]


# -- visitors -------------------------------------------------------------------------------------------


def register(runtime, **changes) -> Visitor:  # type: ignore[no-untyped-def]
    values = {"lot_id": 1, "plate": "粤B77777", "host": "3栋502 王女士", "valid_from": None,
              "valid_until": FIXED_NOW + timedelta(hours=4), "operator_id": 3, **changes}
    with runtime.sessions() as db:
        return visitors.register(db, runtime.store, now=FIXED_NOW, **values)


def test_a_registered_visitor_enters_a_closed_community_within_the_window(runtime, village, site):
    with dbmod.transaction(runtime.sessions) as db:
        lot = db.get(Lot, village.community_lot_id)
        lot.settings = {**lot.settings, "temporary_vehicles": "refuse"}
    site.refresh()
    assert not site.read("east-in", "粤B77777").open_gate
    visitor = register(runtime)
    assert site.read("north-in", "粤B77777").lines == ("粤B77777", "访客车辆", "欢迎光临")
    assert (visitor.valid_from, visitor.created_by_id) == (FIXED_NOW, 3)
    (row,) = audit_rows(runtime, "visitor.register")
    assert (row.operator_id, row.detail["after"]["host"], row.detail["after"]["plate"]) == (3, "3栋502 王女士", "粤B77777")


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"plate": "粤B7777"}, "plate", "cannot read plate '粤B7777'"),
    ({"host": ""}, "host", "is required"),
    ({"valid_until": FIXED_NOW}, "valid_until", "2026-11-25T09:30:00+00:00 is not after the start"),
    ({"valid_from": FIXED_NOW - timedelta(days=2), "valid_until": FIXED_NOW - timedelta(days=1)}, "valid_until", "2026-11-24T09:30:00+00:00 is already past"),
    ({"valid_until": FIXED_NOW + timedelta(days=31)}, "valid_until", "a visit lasts at most 30 days"),
    ({"lot_id": 99}, "lot_id", "no lot 99"),
])
def test_a_bad_registration_names_the_field_and_writes_nothing(runtime, village, changes, field, message):
    with pytest.raises(ConfigChangeError) as excinfo:
        register(runtime, **changes)
    assert (excinfo.value.field, excinfo.value.message[: len(message)]) == (field, message)
    assert count(runtime, Visitor) == 0


def test_cancelling_a_visit_under_way_closes_its_window_and_one_to_come_is_deleted(runtime, site):
    now_visit = register(runtime)
    later = register(runtime, plate="粤B77778", valid_from=FIXED_NOW + timedelta(days=1), valid_until=FIXED_NOW + timedelta(days=1, hours=3))
    site.clock.advance(hours=1)
    with runtime.sessions() as db:
        visitors.cancel(db, runtime.store, now_visit.id, operator_id=3, now=FIXED_NOW + timedelta(hours=1))
        visitors.cancel(db, runtime.store, later.id, operator_id=3, now=FIXED_NOW + timedelta(hours=1))
        remaining = [(v.plate, v.valid_until) for v in visitors.visitors(db, now=FIXED_NOW, lot_id=1)]
        with pytest.raises(ConfigChangeError, match=f"visitor_id: visitor registration {now_visit.id} is already over"):
            visitors.cancel(db, runtime.store, now_visit.id, operator_id=3, now=FIXED_NOW + timedelta(hours=2))
    assert remaining == [("粤B77777", FIXED_NOW + timedelta(hours=1))]
    assert [r.detail["after"] is None for r in audit_rows(runtime, "visitor.cancel")] == [False, True]
