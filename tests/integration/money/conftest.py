"""Fixtures of the money tests: the lane-deciding site of the core tests, the demo's operators, a lot."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parking.models import Operator

from ..core.conftest import Site, site  # noqa: F401  (the fixture, re-exported for these tests)


@pytest.fixture
def community(site, village):  # type: ignore[no-untyped-def]
    """The community lot as the lanes see it (tariff: first hour free, then 5 yuan an hour; 15 yuan a day)."""
    return site.agent.lanes.lots()[village.community_lot_id]


@pytest.fixture
def operators(runtime, village):  # type: ignore[no-untyped-def]
    with runtime.sessions() as db:
        return {o.username: o.id for o in db.scalars(select(Operator))}
