"""Commands of the ``parking`` CLI that live outside `parking.cli`, one module per noun.

`parking.cli` registers them into its group. They only parse options, call the core or a service and
present the result; unlike the pure packages they serve (`parking.tariffs`), they may import click,
the settings, the database layer, the models and the services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from parking.config import Settings


def migrated_settings() -> "Settings":
    """Settings of an instance whose database is at the current schema (else one clear command error)."""
    from parking import db as dbmod
    from parking.config import ConfigError, Settings

    try:
        settings = Settings.from_env().ensure_instance()
        dbmod.require_head(settings.database_url)
    except (ConfigError, dbmod.SchemaOutOfDate) as exc:
        raise click.ClickException(str(exc)) from None
    return settings


def open_database(settings: "Settings") -> "tuple[Engine, sessionmaker[Session]]":
    """An engine and a session factory for the instance's (migrated) database; dispose of the engine after."""
    from parking import db as dbmod

    engine = dbmod.make_engine(settings.database_url)
    return engine, dbmod.make_session_factory(engine)
