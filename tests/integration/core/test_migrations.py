"""Migrations create the schema on SQLite and PostgreSQL, undo it, redo it, and agree with the models."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from parking import db as dbmod
from parking.models import Base

TABLES = {
    "alembic_version", "audit_event", "calendar_override", "device", "device_event", "lane", "list_entry", "lot",
    "lot_event", "operator", "parking_session", "pass", "pass_plate", "payment", "site", "tariff", "vehicle",
    "visitor", "zone", "zone_pool", "api_token", "operator_site", "pass_product",
    "arrears", "campaign", "coupon", "merchant", "refund", "shift", "stay_adjustment", "bill_reconciliation", "arrears_payment",
    "revenue_day", "revenue_day_summed", "revenue_change",
}
MONEY = {"arrears", "campaign", "coupon", "merchant", "refund", "shift", "stay_adjustment", "bill_reconciliation", "arrears_payment",
         "revenue_day", "revenue_day_summed", "revenue_change"}


def tables(url: str) -> set[str]:
    engine = dbmod.make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_database_url):
    dbmod.upgrade(empty_database_url)
    assert tables(empty_database_url) == TABLES
    assert dbmod.current_revision(empty_database_url) == "0007"
    dbmod.downgrade(empty_database_url, "0006")
    assert tables(empty_database_url) == TABLES - MONEY
    dbmod.downgrade(empty_database_url, "0004")
    assert tables(empty_database_url) == TABLES - MONEY - {"api_token", "operator_site", "pass_product"}
    dbmod.downgrade(empty_database_url, "0001")
    assert tables(empty_database_url) == TABLES - MONEY - {"visitor", "api_token", "operator_site", "pass_product"}
    dbmod.downgrade(empty_database_url, "base")
    assert tables(empty_database_url) == {"alembic_version"}
    assert dbmod.current_revision(empty_database_url) is None
    dbmod.upgrade(empty_database_url)
    assert tables(empty_database_url) == TABLES


def test_models_and_migrations_agree(database_url):
    engine = dbmod.make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_lane_of_events_recorded_before_0004_is_filled_in(empty_database_url):
    import json

    from sqlalchemy import text

    dbmod.upgrade(empty_database_url, "0003")
    engine = dbmod.make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO site (id, code, name, timezone, created_at) VALUES (1, 's', 'S', 'Asia/Shanghai', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO lot (id, site_id, code, name, address, public, settings, created_at) "
                              "VALUES (1, 1, 'l', 'L', '', true, '{}', CURRENT_TIMESTAMP)"))
            for uid, kind, payload in (("e1", "entered", {"session": {"lane": 5}}), ("e2", "exited", {"exit": {"lane": 6}}),
                                       ("e3", "capacity_set", {"field": "1"})):
                conn.execute(text("INSERT INTO lot_event (id, event_uid, lot_id, kind, at, plate, stream_id, payload, recorded_at) "
                                  "VALUES (:id, :uid, 1, :kind, CURRENT_TIMESTAMP, '', '', :payload, CURRENT_TIMESTAMP)"),
                             {"id": int(uid[1]), "uid": uid, "kind": kind, "payload": json.dumps(payload)})
        dbmod.upgrade(empty_database_url)
        with engine.connect() as conn:
            lanes = dict(conn.execute(text("SELECT event_uid, lane_id FROM lot_event ORDER BY id")).all())
    finally:
        engine.dispose()
    assert lanes == {"e1": 5, "e2": 6, "e3": None}


def test_the_retired_full_policy_key_is_removed_from_lot_settings(empty_database_url):
    dbmod.upgrade(empty_database_url, "0005")
    engine = sa.create_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO site (id, code, name, timezone, created_at) VALUES (1, 's', 'S', 'Asia/Shanghai', '2026-01-01 00:00:00+00:00')"))
        conn.execute(sa.text("INSERT INTO lot (id, site_id, code, name, address, public, settings, created_at) VALUES "
                             "(1, 1, 'a', 'A', '', true, :a, '2026-01-01 00:00:00+00:00'), (2, 1, 'b', 'B', '', true, :b, '2026-01-01 00:00:00+00:00')"),
                     {"a": '{"full_policy": "refuse_temporary", "zombie_days": 30}', "b": '{"zombie_days": 7}'})
    dbmod.upgrade(empty_database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, settings FROM lot ORDER BY id")).all()
    engine.dispose()
    assert [(i, s if isinstance(s, dict) else json.loads(s)) for i, s in rows] == [(1, {"zombie_days": 30}), (2, {"zombie_days": 7})]
