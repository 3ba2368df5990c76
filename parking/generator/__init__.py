"""``parking generate``: a year (or any span) of realistic traffic and money in an empty database, for
the revenue reports, their benchmark and anyone who wants to see the console full.

- ``parking.generator.plan`` (pure, seeded): the lots, and for each lot and day its stays, with plausible
  entry hours and durations, fees from the lot's published tariff, and how each was settled: WeChat Pay
  and Alipay mostly, cash at the booth in an attendant's shift, merchant coupons, campaigns, free
  releases, a few cars leaving owing (some paying it back days later) and a few refunds.
- ``parking.generator.writer``: writes it in batches of bulk inserts (``COPY`` on PostgreSQL), with a
  progress bar, then analyses the tables so the planner knows their sizes.

Every closed stay keeps the ledger identity ``fee = paid + discounts + arrears``.
"""

from .writer import GenerateError, Generated, ensure_empty, generate

__all__ = ["GenerateError", "Generated", "ensure_empty", "generate"]
