"""The web application: operator console, resident page and JSON API over one ``Runtime``.

``create_app`` is the only entry point. Importing this package does no I/O; the factory reads settings
from the environment when none are given, opens the ``Runtime`` (Redis, SQL) unless one is passed in,
and closes a runtime it opened itself when the process exits, never per request.
"""

from __future__ import annotations

import atexit
from datetime import timedelta

from flask import Flask

from parking.config import Settings
from parking.logs import configure_logging
from parking.payments.base import Provider
from parking.runtime import Runtime

from . import bounds, context, error_pages, i18n, security, snapshots
from .api import errors as api_errors
from .auth import tokens as auth_tokens
from .auth import users
from .extensions import csrf
from .public import pay_context

# Forms and API queries are small; camera pushes go to the agent, not here. Bodies beyond these get 413,
# whether they declare a length or are chunked (``web.bounds`` has the limits on each field).
MAX_REQUEST_BYTES = 1024 * 1024
MAX_FORM_BYTES = 64 * 1024  # the text fields of one form together
MAX_FORM_PARTS = 100


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None,
               payments: dict[str, Provider] | None = None) -> Flask:
    if settings is None:
        settings = runtime.settings if runtime is not None else Settings.from_env()
    settings = settings.ensure_instance()
    # Under gunicorn nothing else configures logging for the app: level, format, plates masked.
    configure_logging(settings, only_if_unconfigured=True)

    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_FORM_BYTES,
        MAX_FORM_PARTS=MAX_FORM_PARTS,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        PARKING_SETTINGS=settings,
    )

    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # UTF-8 JSON: names read as written

    if runtime is None:
        runtime = Runtime.open(settings)
        atexit.register(runtime.close)
    app.extensions[context.RUNTIME_KEY] = runtime

    context.init_app(app)
    bounds.init_app(app)  # before anything else reads the request
    csrf.init_app(app)
    auth_tokens.init_app(app)  # right after csrf: bearer API requests need no CSRF token
    users.init_app(app)
    i18n.init_app(app, settings)
    error_pages.init_app(app)
    security.init_app(app)
    snapshots.init_app(app)
    api_errors.init_app(app)
    pay_context.init_app(app, payments)  # the payment providers: from the settings unless given
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from .api import availability, fees, lanes, lots, passes, sessions, tariffs  # noqa: F401  (routes attach to bp)
    from .api import lane_commands as api_lane_commands  # noqa: F401
    from .api import tokens as api_tokens  # noqa: F401
    from .api import lists, pass_products, visitors  # noqa: F401  (passes, lists and visitors: issue 10 items 4 and 5)
    from .api import audit as api_audit  # noqa: F401  (accounts and the audit log: issue 10 items 6 and 7)
    from .api import operators as api_operators  # noqa: F401
    from .api import shifts as api_shifts  # noqa: F401  (the booth's shifts)
    from .api import reports as api_reports  # noqa: F401  (the revenue report and the bill reconciliations)
    from .api import payments as api_payments  # noqa: F401  (payments with their refunds, and arrears)
    from .api import campaigns as api_campaigns, merchants as api_merchants  # noqa: F401  (merchant coupons and campaigns)
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .auth import routes as auth_routes  # noqa: F401
    from .console import bp as console_bp
    from .console import dashboard, records, zombies  # noqa: F401
    from .console import lanes as console_lanes  # noqa: F401
    from .console import booth, receipts as console_receipts, shifts as console_shifts  # noqa: F401  (the booth's money)
    from .console import snapshots as console_snapshots  # noqa: F401
    from .console import tariffs as console_tariffs  # noqa: F401
    from .console import merchants as console_merchants  # noqa: F401  (merchant coupons and campaigns)
    from .public import bp as public_bp
    from .public import routes as public_routes  # noqa: F401
    from .public import coupons as public_coupons  # noqa: F401  (a merchant's page, claiming a printed coupon)
    from .public import pay, pay_limits, pay_notify, receipts  # noqa: F401  (phone payment, notifications, e-receipts)

    pay_limits.init_app(app, public_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(console_bp, url_prefix="/console")
    api_errors.api_for(app).register_blueprint(api_bp)
