"""The resident page and the public availability feed: counts without sign-in, and never a plate."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import Lot, PoolKind, Tariff, ZonePool
from parking.occupancy.store import Claim
from parking.runtime import Runtime
from parking.seed import DemoVillage
import web.tariffs
from tests.conftest import FIXED_NOW
from web.public.routes import mask_plate

pytestmark = [pytest.mark.database, pytest.mark.redis]

PLATES = ("粤B12345", "粤BD12345", "粤B3M001")


def test_public_page_shows_free_spaces_per_lot_and_zone(client: FlaskClient, admit) -> None:  # type: ignore[no-untyped-def]
    admit("粤B12345", "粤B23456")
    html = client.get("/").get_data(as_text=True)
    assert "空余 50 个车位" in html  # 52 spaces in the community, 2 taken
    assert "空余 30 个车位" in html
    assert re.findall(r'<span class="free"><b>(\d+)</b> / (\d+)</span>', html) == [("38", "40"), ("12", "12"), ("30", "30")]


def test_public_page_never_shows_a_plate(client: FlaskClient, admit, drive_out) -> None:  # type: ignore[no-untyped-def]
    admit(*PLATES)
    drive_out("粤B12345")
    html = client.get("/").get_data(as_text=True)
    feed = client.get("/api/v1/public/availability").get_data(as_text=True)
    for plate in PLATES:
        assert plate not in html
        assert plate not in feed
        assert plate[2:] not in html  # not even the serial without its issuer


def _community_section(html: str, village: DemoVillage) -> str:
    return html.split(f'data-lot="{village.community_lot_id}"', 1)[1].split("</section>", 1)[0]


def test_public_page_shows_the_text_generated_from_the_tariff(client: FlaskClient, village: DemoVillage) -> None:
    zh = _community_section(client.get("/").get_data(as_text=True), village)
    en = _community_section(client.get("/?lang=en").get_data(as_text=True), village)
    assert '<pre class="tariff-text">老旧小区停车（访客）\n收费标准：\n· 停车1小时以内：免费\n· 停车1小时至2小时：5元\n' in zh
    assert '<pre class="tariff-text">Old residential community, visitors\nCharges:\n· up to 1 h: free\n· 1 h to 2 h: ¥5\n' in en


def test_public_page_shows_the_tariff_name_when_its_document_no_longer_loads(client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    with runtime.sessions() as db, db.begin():
        row = db.scalars(select(Tariff).where(Tariff.lot_id == village.community_lot_id)).one()
        row.document = {"id": row.code}
    response = client.get("/")
    community = _community_section(response.get_data(as_text=True), village)
    assert response.status_code == 200
    assert "收费标准：老旧小区停车（访客）" in community
    assert "tariff-text" not in community


def test_a_tariff_that_cannot_be_described_leaves_the_page_up(client: FlaskClient, village: DemoVillage, monkeypatch: pytest.MonkeyPatch) -> None:
    def describe(tariff: object, lang: str) -> str:
        raise ValueError("unknown rule")

    monkeypatch.setattr(web.tariffs, "describe", describe)
    response = client.get("/")
    assert response.status_code == 200
    assert "收费标准：老旧小区停车（访客）" in _community_section(response.get_data(as_text=True), village)


def test_public_page_says_full_when_no_space_is_free(client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    runtime.store.set_capacities(village.office_lot_id, {village.office_zone_id: 1})
    lane = village.lane("gate-in")
    runtime.store.admit(lane.lot_id, lane.zone_id, "粤B77777", FIXED_NOW, lane_id=lane.id)
    html = client.get("/").get_data(as_text=True)
    assert '<p class="big-free full">' in html
    assert "车位已满" in html


def test_lot_that_is_not_public_is_left_out(client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    with runtime.sessions() as db, db.begin():
        db.get(Lot, village.office_lot_id).public = False  # type: ignore[union-attr]
    html = client.get("/").get_data(as_text=True)
    feed = client.get("/api/v1/public/availability").get_json()
    assert "科技园办公楼停车场" not in html
    assert [lot["id"] for lot in feed["lots"]] == ["hx-community"]


def _publish_office_pools(runtime: Runtime, village: DemoVillage) -> None:
    pools = {(village.office_zone_id, "shared"): 20, (village.office_zone_id, "temporary"): 10}
    runtime.store.set_capacities(village.office_lot_id, {village.office_zone_id: 30}, pools, force=True)


def _admit_to_office(runtime: Runtime, village: DemoVillage, pool: str, *plates: str) -> None:
    lane = village.lane("gate-in")
    for i, plate in enumerate(plates):
        claim = (Claim(pool=pool, vehicle_class=pool),)
        result = runtime.store.admit(lane.lot_id, lane.zone_id, plate, FIXED_NOW + timedelta(minutes=i), lane_id=lane.id, claims=claim)
        assert result.outcome == "admitted", result


def test_availability_feed_in_parkapi_shape(client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    _publish_office_pools(runtime, village)
    _admit_to_office(runtime, village, "temporary", "粤B12345", "粤B23456")
    feed = client.get("/api/v1/public/availability").get_json()
    office = feed["lots"][1]
    assert office == {
        "id": "kj-office",
        "name": "科技园办公楼停车场",
        "address": "科技路 8 号",
        "coords": {"lat": 22.5402, "lng": 114.0551},
        "total": 30,
        "free": 28,
        "state": "open",
        "restrictions": [
            {"type": "shared", "zone": "main", "capacity": 20, "realtime_free_capacity": 20},
            {"type": "temporary", "zone": "main", "capacity": 10, "realtime_free_capacity": 8},
        ],
    }
    assert set(feed) == {"last_updated", "lots"}


def test_availability_feed_gives_null_for_a_pool_not_counted_live(client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    with runtime.sessions() as db, db.begin():
        db.add(ZonePool(zone_id=village.office_zone_id, kind=PoolKind.RESERVED, capacity=2))  # configured, not yet published
    _publish_office_pools(runtime, village)
    restrictions = client.get("/api/v1/public/availability").get_json()["lots"][1]["restrictions"]
    assert restrictions[-1] == {"type": "reserved", "zone": "main", "capacity": 2, "realtime_free_capacity": None}


def test_availability_feed_says_full(client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    runtime.store.set_capacities(village.office_lot_id, {village.office_zone_id: 1})
    lane = village.lane("gate-in")
    runtime.store.admit(lane.lot_id, lane.zone_id, "粤B77777", FIXED_NOW, lane_id=lane.id)
    office = client.get("/api/v1/public/availability").get_json()["lots"][1]
    assert (office["total"], office["free"], office["state"]) == (1, 0, "full")


@pytest.mark.parametrize(
    ("plate", "masked"),
    [("粤B12345", "粤B***45"), ("粤BD12345", "粤B****45"), ("粤B123", "粤B*23"), ("粤B1", "粤B*")],
)
def test_plate_mask_keeps_two_characters_at_each_end(plate: str, masked: str) -> None:
    assert mask_plate(plate) == masked
