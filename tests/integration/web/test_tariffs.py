"""Published tariffs (明码标价) wherever a tariff is shown: ``/api/v1/lots/<id>/tariff``, the console's
tariff page and the resident page all give the text generated from the version the lanes bill by."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from parking.models import Tariff
from parking.runtime import Runtime
from parking.seed import DemoVillage
from parking.services.tariffs import publish_tariff
from parking.tariffs import examples
from tests.conftest import FIXED_NOW

pytestmark = [pytest.mark.database, pytest.mark.redis]

COMMUNITY_ZH = """老旧小区停车（访客）
收费标准：
· 停车1小时以内：免费
· 停车1小时至2小时：5元
· 停车2小时至8小时：10元
· 停车8小时至12小时：15元
· 停车12小时至24小时：20元
· 超过24小时的，每24小时20元，不足24小时的部分按上述标准计费
场内缴费后15分钟内离场不另收费，超时部分按上述标准另计，不再免费（最低5元）"""

COMMUNITY_EN = """Old residential community, visitors
Charges:
· up to 1 h: free
· 1 h to 2 h: ¥5
· 2 h to 8 h: ¥10
· 8 h to 12 h: ¥15
· 12 h to 24 h: ¥20
· Beyond 24 h: ¥20 per 24 h, the part period priced as above
After paying inside, leave within 15 min; later, the extra time is priced by the same brackets with no free bracket (at least ¥5)"""


def _texts(page: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'<pre class="tariff-text">([^<]*)</pre>', page)]


def _section(page: str, lot_id: int) -> str:
    return page.split(f'data-lot="{lot_id}"', 1)[1].split("</section>", 1)[0]


def _break_stored_document(runtime: Runtime, lot_id: int) -> None:
    """Make the lot's stored tariff version a document the rules no longer accept."""
    with runtime.sessions() as db, db.begin():
        row = db.scalars(select(Tariff).where(Tariff.lot_id == lot_id)).one()
        row.document = {"id": row.code}


def _publish_version_2(runtime: Runtime, lot_id: int) -> None:
    """Version 2 of the community tariff, renamed, in force from the day after ``FIXED_NOW``."""
    document = examples.document("13-old-community-visitor")
    document = {**document, "name": {"zh-CN": "老旧小区停车（访客，新版）", "en": "Old residential community, visitors (new)"}}
    with runtime.sessions() as db, db.begin():
        publish_tariff(db, lot_id=lot_id, document=document, valid_from=FIXED_NOW + timedelta(days=1), now=FIXED_NOW)


def test_api_gives_the_version_in_force_with_its_document_and_text(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.get(f"/api/v1/lots/{village.community_lot_id}/tariff")
    assert response.status_code == 200
    assert response.get_json() == {
        "lot_id": village.community_lot_id,
        "code": "13-old-community-visitor",
        "version": 1,
        "valid_from": "2026-11-20T00:00:00+00:00",
        "name": "老旧小区停车（访客）",
        "document": examples.document("13-old-community-visitor"),
        "text": {"zh-CN": COMMUNITY_ZH, "en": COMMUNITY_EN},
    }


def test_api_gives_the_version_in_force_at_a_given_moment(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    _publish_version_2(runtime, village.community_lot_id)
    login("attendant")
    url = f"/api/v1/lots/{village.community_lot_id}/tariff"
    before = client.get(url, query_string={"at": "2026-11-26T17:29:00+08:00"}).get_json()
    after = client.get(url, query_string={"at": "2026-11-26T17:30:00+08:00"}).get_json()
    assert (before["version"], before["name"]) == (1, "老旧小区停车（访客）")
    assert (after["version"], after["valid_from"], after["name"]) == (2, "2026-11-26T09:30:00+00:00", "老旧小区停车（访客，新版）")
    assert after["text"]["zh-CN"].splitlines()[0] == "老旧小区停车（访客，新版）"
    assert after["text"]["en"].splitlines()[0] == "Old residential community, visitors (new)"


def test_api_says_when_a_lot_has_no_tariff(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db, db.begin():
        db.execute(delete(Tariff).where(Tariff.lot_id == village.office_lot_id))
    login("attendant")
    response = client.get(f"/api/v1/lots/{village.office_lot_id}/tariff", query_string={"at": "2026-11-25T18:00:00+08:00"})
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {"code": 404, "status": "Not Found", "message": f"lot {village.office_lot_id} has no tariff in force at 2026-11-25T18:00:00+08:00", "field": "lot_id"}
    }


def test_api_unknown_lot_is_404_naming_the_lot(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    assert client.get("/api/v1/lots/999/tariff").get_json() == {
        "error": {"code": 404, "status": "Not Found", "message": "lot 999 not found", "field": "lot_id"}
    }


def test_api_moment_without_an_offset_is_422_naming_it(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    response = client.get(f"/api/v1/lots/{village.community_lot_id}/tariff", query_string={"at": "2026-11-25T18:00:00"})
    assert (response.status_code, response.get_json()["error"]["field"]) == (422, "at")


def test_api_stored_document_that_no_longer_loads_is_a_server_error(app, client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production rather than raise into the test
    _break_stored_document(runtime, village.community_lot_id)
    login("attendant")
    response = client.get(f"/api/v1/lots/{village.community_lot_id}/tariff")
    assert response.status_code == 500
    assert response.get_json()["error"]["message"] == "internal error; the server log has the details"


def test_console_page_shows_each_lots_tariff_with_version_and_text(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    html = client.get("/console/tariffs").get_data(as_text=True)
    community = _section(html, village.community_lot_id)
    assert '<code>13-old-community-visitor</code>' in community
    assert "第 1 版" in community
    assert "自 2026-11-20 08:00 起执行" in community  # 00:00 UTC shown in Asia/Shanghai
    assert _texts(community) == [COMMUNITY_ZH]
    assert '<code>14-vendor-rule-a</code>' in _section(html, village.office_lot_id)


def test_console_page_in_english_shows_the_english_text(client: FlaskClient, login, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    html = client.get("/console/tariffs?lang=en").get_data(as_text=True)
    community = _section(html, village.community_lot_id)
    assert _texts(community) == [COMMUNITY_EN]
    assert "version 1" in community
    assert "in force since 2026-11-20 08:00" in community


def test_console_page_says_when_a_lot_has_no_tariff(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    with runtime.sessions() as db, db.begin():
        db.execute(delete(Tariff).where(Tariff.lot_id == village.office_lot_id))
    login("attendant")
    html = client.get("/console/tariffs").get_data(as_text=True)
    assert "尚未设置收费标准。" in _section(html, village.office_lot_id)


def test_console_page_names_a_version_whose_document_no_longer_loads(client: FlaskClient, login, runtime: Runtime, village: DemoVillage) -> None:  # type: ignore[no-untyped-def]
    _break_stored_document(runtime, village.community_lot_id)
    login("attendant")
    response = client.get("/console/tariffs")
    community = _section(response.get_data(as_text=True), village.community_lot_id)
    assert response.status_code == 200
    assert "老旧小区停车（访客）" in community
    assert "该版本的收费规则无法读取，请检查配置。" in community
    assert _texts(community) == []


def test_console_navigation_links_the_tariff_page(client: FlaskClient, login) -> None:  # type: ignore[no-untyped-def]
    login("attendant")
    assert '<a href="/console/tariffs" aria-current="page">收费标准</a>' in client.get("/console/tariffs").get_data(as_text=True)
    assert 'href="/console/tariffs"' in client.get("/console/").get_data(as_text=True)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_public_page_console_and_api_show_the_same_text(client: FlaskClient, login, village: DemoVillage, language: str) -> None:  # type: ignore[no-untyped-def]
    lang = language.replace("-", "_")
    public = client.get(f"/?lang={lang}").get_data(as_text=True)
    login("attendant")
    console = client.get(f"/console/tariffs?lang={lang}").get_data(as_text=True)
    for lot_id in (village.community_lot_id, village.office_lot_id):
        api = client.get(f"/api/v1/lots/{lot_id}/tariff").get_json()["text"][language]
        assert _texts(_section(public, lot_id)) == [api]
        assert _texts(_section(console, lot_id)) == [api]
