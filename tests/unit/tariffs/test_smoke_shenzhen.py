"""First worked cases of the Shenzhen roadside tariff (a fuller suite lives in test_examples_*)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from parking.tariffs import QuoteContext, Stay
from parking.tariffs.engine import quote
from parking.tariffs.examples import load_example

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_four_workday_hours_climb_the_ladder():
    tariff = load_example("01-shenzhen-roadside-class1")
    # 09:00–13:00 Monday: 3 + 5 × 6 + 2 × 10 = 53 元
    fee = quote(tariff, Stay(at("2024-05-06T09:00"), at("2024-05-06T13:00")), QuoteContext())
    assert fee.total_fen == 5300
