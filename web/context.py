"""What a request works with: the process's ``Runtime`` and one SQL session per request.

The session is opened on first use and closed when the application context ends, so a view that never
touches SQL never opens one.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from parking.occupancy import OccupancyStore
from parking.runtime import Runtime

RUNTIME_KEY = "parking.runtime"


def runtime() -> Runtime:
    return current_app.extensions[RUNTIME_KEY]


def store() -> OccupancyStore:
    return runtime().store


def db() -> Session:
    """The request's SQL session (created on first use)."""
    if "db" not in g:
        g.db = runtime().sessions()
    return g.db


def _close_db(_exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_db)
