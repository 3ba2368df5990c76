"""``/api/v1/lists`` and ``/api/v1/visitors``: every operator reads the lists, managers change them,
attendants register visitors; plates parsed (an impossible plate names ``plate``), who added it kept,
the lanes told at once. Demo village: 粤B99999 blacklisted everywhere (entry 1), 粤B12000 whitelisted."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from parking.runtime import Runtime
from tests.conftest import FIXED_NOW

pytestmark = [pytest.mark.database, pytest.mark.redis]


@pytest.fixture
def signed_in(app: Flask, client: FlaskClient, login):  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW

    def as_(username: str) -> FlaskClient:
        login(username)
        return client

    return as_


def test_a_manager_blacklists_a_plate_and_the_lane_knows_at_once(signed_in, runtime: Runtime):
    response = signed_in("manager").post("/api/v1/lists", json={"lot_id": 1, "plate": "粤b44444", "kind": "blacklist", "reason": "恶意堵门",
                                                                "expires_at": "2026-12-31T23:59:00+08:00"})
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("lot_id", "plate", "kind", "reason", "expires_at", "created_by_id", "created_at")} == {
        "lot_id": 1, "plate": "粤B44444", "kind": "blacklist", "reason": "恶意堵门", "expires_at": "2026-12-31T15:59:00+00:00",
        "created_by_id": 2, "created_at": "2026-11-25T09:30:00+00:00"}
    assert [f.reason for f in runtime.store.facts.for_plate(1, "粤B44444").lists] == ["恶意堵门"]


@pytest.mark.parametrize(("body", "code", "message", "field"), [
    ({"plate": "粤B4444", "kind": "blacklist", "reason": "x"}, 422, "plate: cannot read plate '粤B4444'", "plate"),
    ({"plate": "粤B44444", "kind": "greylist", "reason": "x"}, 422, "kind: Must be one of: whitelist, blacklist.", "kind"),
    ({"plate": "粤B44444", "kind": "blacklist", "reason": "  "}, 422, "reason: is required", "reason"),
    ({"plate": "粤B44444", "kind": "blacklist", "reason": "x", "expires_at": "2026-11-25T17:00:00+08:00"}, 422,
     "expires_at: 2026-11-25T09:00:00+00:00 is not in the future", "expires_at"),
    ({"plate": "粤B99999", "kind": "blacklist", "reason": "又一次"}, 409, "plate: 粤B99999 is already on this blacklist (entry 1: 多次逃费)", "plate"),
])
def test_a_bad_entry_is_refused_naming_the_field(signed_in, body, code, message, field):
    response = signed_in("manager").post("/api/v1/lists", json=body)
    assert response.status_code == code
    error = response.get_json()["error"]
    assert (error["field"], error["message"][: len(message)]) == (field, message)


def test_an_attendant_reads_the_lists_but_does_not_change_them(signed_in):
    attendant = signed_in("attendant")
    assert [(e["plate"], e["kind"], e["lot_id"]) for e in attendant.get("/api/v1/lists?lot_id=1").get_json()] == [
        ("粤B12000", "whitelist", 1), ("粤B99999", "blacklist", None)]
    assert attendant.get("/api/v1/lists?kind=blacklist&q=逃费").get_json()[0]["reason"] == "多次逃费"
    assert attendant.post("/api/v1/lists", json={"plate": "粤B44444", "kind": "blacklist", "reason": "x"}).status_code == 403
    assert attendant.delete("/api/v1/lists/1").status_code == 403


def test_an_entry_is_changed_and_removed(signed_in, runtime: Runtime):
    manager = signed_in("manager")
    changed = manager.patch("/api/v1/lists/1", json={"reason": "多次逃费(已报警)"}).get_json()
    assert changed["reason"] == "多次逃费(已报警)"
    assert manager.delete("/api/v1/lists/1").status_code == 204
    assert runtime.store.facts.for_plate(1, "粤B99999").lists == ()
    assert manager.get("/api/v1/lists/1").status_code == 404


def test_an_attendant_registers_and_cancels_a_visitor(signed_in, runtime: Runtime):
    attendant = signed_in("attendant")
    response = attendant.post("/api/v1/visitors", json={"lot_id": 1, "plate": "粤B77777", "host": "3栋502 王女士",
                                                        "valid_until": "2026-11-25T22:00:00+08:00"})
    assert response.status_code == 201
    body = response.get_json()
    assert {k: body[k] for k in ("plate", "host", "valid_from", "valid_until", "created_by_id")} == {
        "plate": "粤B77777", "host": "3栋502 王女士", "valid_from": "2026-11-25T09:30:00+00:00", "valid_until": "2026-11-25T14:00:00+00:00",
        "created_by_id": 3}
    assert [v.host for v in runtime.store.facts.for_plate(1, "粤B77777").visitors] == ["3栋502 王女士"]
    assert [v["plate"] for v in attendant.get("/api/v1/visitors?lot_id=1").get_json()] == ["粤B77777"]
    assert attendant.delete(f"/api/v1/visitors/{body['id']}").status_code == 204
    assert runtime.store.facts.for_plate(1, "粤B77777").visitors == ()


@pytest.mark.parametrize(("body", "message", "field"), [
    ({"plate": "粤B7777"}, "plate: cannot read plate '粤B7777'", "plate"),
    ({"valid_until": "2026-11-25T17:00:00+08:00"}, "valid_until: 2026-11-25T09:00:00+00:00 is not after the start", "valid_until"),
    ({"valid_until": "2027-01-25T17:00:00+08:00"}, "valid_until: a visit lasts at most 30 days", "valid_until"),
    ({"lot_id": 99}, "lot_id: no lot 99", "lot_id"),
    ({"host": "<script>alert(1)</script>" * 10}, "host: Longer than maximum length 100.", "host"),
])
def test_a_bad_registration_names_the_field(signed_in, body, message, field):
    full = {"lot_id": 1, "plate": "粤B77777", "host": "3栋502", "valid_until": "2026-11-25T22:00:00+08:00", **body}
    response = signed_in("attendant").post("/api/v1/visitors", json=full)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["field"], error["message"][: len(message)]) == (field, message)
