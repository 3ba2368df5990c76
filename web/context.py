"""What a request works with: the process's ``Runtime``, one SQL session per request, and the time.

The session is opened on first use and closed when the application context ends, so a view that never
touches SQL never opens one. ``now()`` is the wall clock unless the app is given another one as
``PARKING_CLOCK`` (a callable returning an aware datetime), so pages that depend on the time are tested
at a fixed moment: views take the time from here, never from the clock themselves. Audit rows written
while a request runs (``parking.services.audit``) carry its remote address.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from parking.models import utcnow
from parking.occupancy import OccupancyStore
from parking.runtime import Runtime
from parking.services import audit

RUNTIME_KEY = "parking.runtime"


def runtime() -> Runtime:
    return current_app.extensions[RUNTIME_KEY]


def store() -> OccupancyStore:
    return runtime().store


def now() -> datetime:
    """The current moment in UTC (``PARKING_CLOCK`` when the app was given one)."""
    clock = current_app.config.get("PARKING_CLOCK")
    return clock() if clock is not None else utcnow()


def db() -> Session:
    """The request's SQL session (created on first use)."""
    if "db" not in g:
        g.db = runtime().sessions()
    return g.db


def _close_db(_exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def _audit_origin() -> None:
    g.audit_origin = audit.set_origin(request.remote_addr)


def _forget_audit_origin(_exc: BaseException | None) -> None:
    token = g.pop("audit_origin", None)
    if token is not None:
        audit.reset_origin(token)


def init_app(app: Flask) -> None:
    app.before_request(_audit_origin)
    app.teardown_request(_forget_audit_origin)
    app.teardown_appcontext(_close_db)
