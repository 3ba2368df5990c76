"""The resident page and the public availability feed: counts without sign-in, and never a plate."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from parking.models import Lot
from parking.occupancy.store import Claim
from parking.runtime import Runtime
from parking.seed import DemoVillage
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


def test_public_page_shows_the_published_tariff_name(client: FlaskClient) -> None:
    assert "收费标准：小区访客停车收费" in client.get("/").get_data(as_text=True)


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


def test_availability_feed_in_parkapi_shape(client: FlaskClient, admit) -> None:  # type: ignore[no-untyped-def]
    admit("粤B12345", "粤B23456", lane_code="gate-in")
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
            {"type": "shared", "zone": "main", "capacity": 20, "realtime_free_capacity": None},
            {"type": "temporary", "zone": "main", "capacity": 10, "realtime_free_capacity": None},
        ],
    }
    assert set(feed) == {"last_updated", "lots"}


def test_availability_feed_gives_live_free_spaces_of_counted_pools(client: FlaskClient, runtime: Runtime, village: DemoVillage) -> None:
    runtime.store.set_capacities(village.office_lot_id, {village.office_zone_id: 30}, {(village.office_zone_id, "shared"): 20})
    lane = village.lane("gate-in")
    for i, plate in enumerate(["粤B11111", "粤B22222", "粤B33333"]):
        claim = (Claim(pool="shared", vehicle_class="shared"),)
        result = runtime.store.admit(lane.lot_id, lane.zone_id, plate, FIXED_NOW + timedelta(minutes=i), lane_id=lane.id, claims=claim)
        assert result.outcome == "admitted"
    office = client.get("/api/v1/public/availability").get_json()["lots"][1]
    assert office["free"] == 27
    assert office["restrictions"] == [
        {"type": "shared", "zone": "main", "capacity": 20, "realtime_free_capacity": 17},
        {"type": "temporary", "zone": "main", "capacity": 10, "realtime_free_capacity": None},
    ]


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
