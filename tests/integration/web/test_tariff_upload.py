"""Uploading a tariff version (issue 10, item 2): its published text and sample fees are seen before it is
saved, publishing is audited, and future versions are listed; from the console and the API."""

from __future__ import annotations

import io
import json
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import AuditEvent, Tariff
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.tariffs import examples
from tests.conftest import FIXED_NOW

from .conftest import csrf_token

pytestmark = [pytest.mark.database, pytest.mark.redis]

VISITOR = "13-old-community-visitor"
NEXT_MONTH = "2026-12-01T00:00:00+08:00"


@pytest.fixture
def admin(app: Flask, client: FlaskClient, login) -> FlaskClient:  # type: ignore[no-untyped-def]
    app.config["PARKING_CLOCK"] = lambda: FIXED_NOW
    login("admin")
    return client


def test_a_preview_shows_the_text_and_sample_fees_and_stores_nothing(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    response = admin.post("/api/v1/tariffs/preview", json={"lot_id": village.community_lot_id, "valid_from": NEXT_MONTH,
                                                           "document": examples.document(VISITOR)})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["code"], body["next_version"]) == (VISITOR, 2)
    assert body["text"]["zh-CN"].splitlines()[:3] == ["老旧小区停车（访客）", "收费标准：", "· 停车1小时以内：免费"]
    assert [(s["label_en"], s["entry"], s["total_fen"]) for s in body["samples"]] == [
        ("20 minutes by day", "2026-12-01T10:00:00+08:00", 0),
        ("2 hours by day", "2026-12-01T10:00:00+08:00", 500),
        ("5 hours by day", "2026-12-01T09:00:00+08:00", 1000),
        ("overnight 19:00 to 08:00", "2026-12-01T19:00:00+08:00", 2000),
        ("a full 24 hours", "2026-12-01T08:00:00+08:00", 2000),
    ]
    with runtime.sessions() as db:
        assert db.scalar(select(Tariff.version).where(Tariff.code == VISITOR).order_by(Tariff.version.desc())) == 1


def test_publishing_stores_the_next_version_audited_and_lists_it_as_future(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    response = admin.post("/api/v1/tariffs", json={"lot_id": village.community_lot_id, "valid_from": NEXT_MONTH,
                                                   "document": examples.document(VISITOR)})
    assert response.status_code == 201
    assert response.get_json() == {"code": VISITOR, "version": 2, "name": "老旧小区停车（访客）", "lot_id": village.community_lot_id,
                                   "valid_from": "2026-12-01T00:00:00+08:00"}
    versions = admin.get(f"/api/v1/lots/{village.community_lot_id}/tariffs").get_json()
    assert [(v["code"], v["version"], v["state"]) for v in versions] == [(VISITOR, 2, "future"), (VISITOR, 1, "in_force")]
    with runtime.sessions() as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "tariff.published"))
        assert (event.target, event.detail["after"]["version"]) == (f"tariff:{VISITOR}/v2", 2)


@pytest.mark.parametrize(("changes", "field"), [
    ({"valid_from": "2026-01-01T00:00:00+08:00"}, "valid_from"),
    ({"lot_id": 999}, "lot_id"),
    ({"document": {**examples.document(VISITOR), "free_period": {"minutes": -5}}}, "document.free_period.minutes"),
])
def test_a_bad_upload_is_a_422_naming_the_field_and_nothing_is_stored(admin: FlaskClient, village: DemoVillage, runtime: Runtime,
                                                                      changes, field) -> None:  # type: ignore[no-untyped-def]
    body = {"lot_id": village.community_lot_id, "valid_from": NEXT_MONTH, "document": examples.document(VISITOR), **changes}
    for url in ("/api/v1/tariffs/preview", "/api/v1/tariffs"):
        response = admin.post(url, json=body)
        assert (response.status_code, response.get_json()["error"]["field"]) == (422, field), url
    with runtime.sessions() as db:
        assert len(list(db.scalars(select(Tariff).where(Tariff.code == VISITOR)))) == 1


def _upload(client: FlaskClient, url: str, village: DemoVillage, document: dict) -> object:
    token = csrf_token(client.get("/console/tariffs").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "lot_id": str(village.community_lot_id), "valid_from": "2026-12-01T00:00",
                                  "document": (io.BytesIO(json.dumps(document, ensure_ascii=False).encode()), "tariff.json")},
                       content_type="multipart/form-data")


def test_the_console_previews_then_publishes_on_a_second_upload(admin: FlaskClient, village: DemoVillage, runtime: Runtime) -> None:
    preview = _upload(admin, "/console/tariffs/preview", village, examples.document(VISITOR))
    page = preview.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "预览：老旧小区停车（访客）（13-old-community-visitor）将作为第 2 版，自 2026-12-01 00:00 起执行。尚未保存。" in page
    assert '<tr data-sample="2"><td>白天停 2 小时</td>' in page and "<td class=\"num\">5.00</td>" in page
    with runtime.sessions() as db:
        assert len(list(db.scalars(select(Tariff).where(Tariff.code == VISITOR)))) == 1
    published = _upload(admin, "/console/tariffs/publish", village, examples.document(VISITOR))
    assert published.status_code == 302  # type: ignore[attr-defined]
    page = admin.get("/console/tariffs").get_data(as_text=True)
    assert "已发布 13-old-community-visitor 第 2 版。" in page
    assert f'data-version="{VISITOR}/2" data-state="future"' in page


def test_a_document_that_does_not_load_is_named_on_the_page(admin: FlaskClient, village: DemoVillage) -> None:
    response = _upload(admin, "/console/tariffs/preview", village, {**examples.document(VISITOR), "free_period": {"minutes": -5}})
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert "未发布：document.free_period.minutes — must be at least 1 minute" in admin.get("/console/tariffs").get_data(as_text=True)


def test_only_an_administrator_uploads_tariffs(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("manager")
    assert "上传新版本" not in client.get("/console/tariffs").get_data(as_text=True)
    response = client.post("/api/v1/tariffs/preview", json={"valid_from": NEXT_MONTH, "document": examples.document(VISITOR)})
    assert response.status_code == 403


def test_the_versions_of_an_unknown_lot_are_404(admin: FlaskClient) -> None:
    assert admin.get("/api/v1/lots/999/tariffs").status_code == 404
