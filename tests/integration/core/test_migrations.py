"""Migrations create the schema on SQLite and PostgreSQL, undo it, redo it, and agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from parking import db as dbmod
from parking.models import Base

TABLES = {
    "alembic_version", "audit_event", "calendar_override", "device", "device_event", "lane", "list_entry", "lot",
    "lot_event", "operator", "parking_session", "pass", "pass_plate", "payment", "site", "tariff", "vehicle",
    "visitor", "zone", "zone_pool",
}


def tables(url: str) -> set[str]:
    engine = dbmod.make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_database_url):
    dbmod.upgrade(empty_database_url)
    assert tables(empty_database_url) == TABLES
    assert dbmod.current_revision(empty_database_url) == "0003"
    dbmod.downgrade(empty_database_url, "0001")
    assert tables(empty_database_url) == TABLES - {"visitor"}
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
