"""Sign-in throttling (Flask-Limiter): failed sign-ins are counted per account and per client address,
and once either count reaches its limit within the window, sign-in answers 429 with a message on the
sign-in form until the window ends. Successful sign-ins count for nothing.

The counts live in the app's Redis (the runtime's connection pool, so the same server and settings as
the live state; keys ``LIMITS:LIMITER/parking-sign-in/...``, expiring with their window), shared by every web
process. While Redis is unreachable they are kept in this process's memory instead, and sign-in stays
possible; Flask-Limiter goes back to Redis when it answers.

Windows are fixed, aligned on the app's clock (``web.context.now``, so a test moves time instead of
sleeping): each account's or address's key names the window it falls in, and the message says how
many minutes are left of it.
"""

from __future__ import annotations

import math

from flask import Flask, Response, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from ..context import RUNTIME_KEY, now
from . import bp
from .forms import LoginForm

WINDOW_SECONDS = 15 * 60
ACCOUNT_FAILURES = 5  # wrong passwords for one user name per window
ADDRESS_FAILURES = 20  # failed sign-ins from one client address per window, whatever the user names
LIMITER_KEY = "parking.sign_in_limiter"
USERNAME_KEY_CHARS = 64


def _window() -> int:
    return math.floor(now().timestamp() / WINDOW_SECONDS)


def seconds_left() -> int:
    """Seconds until the current window ends, by the app's clock."""
    return max(1, math.ceil((_window() + 1) * WINDOW_SECONDS - now().timestamp()))


def _account_key() -> str:
    username = (request.form.get("username") or "").strip().casefold()[:USERNAME_KEY_CHARS]
    return f"account:{username or '-'}:{_window()}"


def _address_key() -> str:
    return f"address:{request.remote_addr or 'unknown'}:{_window()}"


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _not_a_sign_in() -> bool:
    return request.endpoint != "auth.login" or request.method != "POST"


def throttled(_error: RateLimitExceeded) -> ResponseReturnValue:
    """The sign-in form again, saying why and for how long, with ``Retry-After`` (``routes`` registers it)."""
    seconds = seconds_left()
    flash(_("登录失败次数过多，已暂停登录。请 %(minutes)d 分钟后再试。", minutes=math.ceil(seconds / 60)), "error")
    return render_template("auth/login.html", form=LoginForm()), 429, {"Retry-After": str(seconds)}


def limiter(app: Flask) -> Limiter:
    return app.extensions[LIMITER_KEY]


def init_app(app: Flask) -> None:
    pool = app.extensions[RUNTIME_KEY].redis.connection_pool  # the runtime's Redis, whatever its URL (TCP, unix socket)
    sign_in = Limiter(
        key_func=_address_key,
        storage_uri="redis://",
        storage_options={"connection_pool": pool},
        strategy="fixed-window",
        key_prefix="parking-sign-in",
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        headers_enabled=False,
    )
    sign_in.init_app(app)
    for amount, key, scope in ((ACCOUNT_FAILURES, _account_key, "account"), (ADDRESS_FAILURES, _address_key, "address")):
        sign_in.limit(f"{amount} per {WINDOW_SECONDS} seconds", key_func=key, scope=scope, per_method=True, methods=["POST"],
                      deduct_when=_failed, exempt_when=_not_a_sign_in)(bp)
    app.extensions[LIMITER_KEY] = sign_in
