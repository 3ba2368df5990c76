"""Tariffs: declarative tariff documents, the pure quote engine and the published text (明码标价).

- `load_tariff(doc) -> Tariff` validates a JSON document (`parking.tariffs.schema`);
- `quote(tariff, stay, context) -> Quote` prices a stay (`parking.tariffs.engine`);
- `describe(tariff, lang)` renders the published text (`parking.tariffs.describe`);
- `parking.tariffs.calendar.WorkdayCalendar` says which days are workdays in China;
- `parking.tariffs.reference` is the minute-by-minute evaluator the tests use as an oracle (and
  `benchmarks/tariffs.py` as its baseline).

The published tariffs of `shared/reference/tariffs.md` ship as documents in `examples/`.

The package is pure: it imports the standard library, marshmallow and chinese_calendar, never the
settings, the database, the models or the services. Tariff versions in SQL are
`parking.services.tariffs`; the `parking fee` and `parking tariff` commands are in `parking.commands`.
"""

from parking.tariffs.calendar import WorkdayCalendar
from parking.tariffs.describe import describe
from parking.tariffs.document import Tariff
from parking.tariffs.engine import quote
from parking.tariffs.errors import TariffError
from parking.tariffs.schema import json_schema, load_tariff
from parking.tariffs.stay import Coupon, PriorStay, Quote, QuoteContext, QuoteLine, Stay

__all__ = [
    "Coupon",
    "PriorStay",
    "Quote",
    "QuoteContext",
    "QuoteLine",
    "Stay",
    "Tariff",
    "TariffError",
    "WorkdayCalendar",
    "describe",
    "json_schema",
    "load_tariff",
    "quote",
]
