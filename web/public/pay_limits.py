"""Guesses on the phone payment pages are rate-limited (Flask-Limiter, in the app's Redis, as sign-in is).

- ``/pay/find`` takes a plate and an entry time: ``FIND_PER_ADDRESS`` failed searches per client address
  and ``FIND_PER_PLATE`` per plate within the window, so nobody learns another car's stay by trying times.
- Pages opened by a code (the exit QR's key, a stay, an order, a receipt) count the codes that did not
  verify (404): ``CODES_PER_ADDRESS`` per address within the window. Codes carry a 64-bit MAC, so this is
  belt and braces; a page polled with its own code is never counted.

Only failures count (``deduct_when``). Windows are fixed and aligned on the app's clock
(``web.context.now``), like sign-in's (``web.auth.throttle``). Once a limit is reached the page answers
429 with ``Retry-After`` and says how many minutes to wait (JSON for the status poll).
"""

from __future__ import annotations

import math

from flask import Blueprint, Flask, Response, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from ..context import RUNTIME_KEY, now

WINDOW_SECONDS = 15 * 60
FIND_PER_ADDRESS = 10
FIND_PER_PLATE = 5
CODES_PER_ADDRESS = 30
LIMITER_KEY = "parking.pay_limiter"
FIND_ENDPOINT = "public.pay_find"
CODE_ENDPOINTS = frozenset({"public.pay_exit", "public.pay_stay", "public.pay_order", "public.pay_order_status",
                            "public.receipt", "public.pay_return"})


def _window() -> int:
    return math.floor(now().timestamp() / WINDOW_SECONDS)


def seconds_left() -> int:
    return max(1, math.ceil((_window() + 1) * WINDOW_SECONDS - now().timestamp()))


def _address_key() -> str:
    return f"address:{request.remote_addr or 'unknown'}:{_window()}"


def _plate_key() -> str:
    plate = "".join((request.form.get("plate") or "").split()).upper()[:16]
    return f"plate:{plate or '-'}:{_window()}"


def guess_failed() -> None:
    """Count this request against its limits (a search that found nothing)."""
    g.pay_guess_failed = True


def _failed(response: Response) -> bool:
    return bool(g.get("pay_guess_failed")) or response.status_code == 404


def _not_a_search() -> bool:
    return request.endpoint != FIND_ENDPOINT or request.method != "POST"


def _not_a_code() -> bool:
    return request.endpoint not in CODE_ENDPOINTS


def too_many(_error: RateLimitExceeded) -> ResponseReturnValue:
    seconds = seconds_left()
    minutes = math.ceil(seconds / 60)
    headers = {"Retry-After": str(seconds), "Cache-Control": "no-store"}
    if request.endpoint == "public.pay_order_status":
        body = {"error": {"code": 429, "status": "Too Many Requests", "field": None,
                          "message": f"too many codes that do not verify; try again in {minutes} minutes"}}
        return jsonify(body), 429, headers
    message = _("尝试次数过多，请 %(minutes)d 分钟后再试。", minutes=minutes)
    return render_template("public/pay_message.html", title=_("请稍后再试"), message=message), 429, headers


def init_app(app: Flask, bp: Blueprint) -> None:
    pool = app.extensions[RUNTIME_KEY].redis.connection_pool
    limiter = Limiter(
        key_func=_address_key,
        storage_uri="redis://",
        storage_options={"connection_pool": pool},
        strategy="fixed-window",
        key_prefix="parking-pay",
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        headers_enabled=False,
    )
    limiter.init_app(app)
    every = f"per {WINDOW_SECONDS} seconds"
    limiter.limit(f"{FIND_PER_ADDRESS} {every}", key_func=_address_key, scope="find-address", per_method=True, methods=["POST"],
                  deduct_when=_failed, exempt_when=_not_a_search)(bp)
    limiter.limit(f"{FIND_PER_PLATE} {every}", key_func=_plate_key, scope="find-plate", per_method=True, methods=["POST"],
                  deduct_when=_failed, exempt_when=_not_a_search)(bp)
    limiter.limit(f"{CODES_PER_ADDRESS} {every}", key_func=_address_key, scope="codes", deduct_when=_failed,
                  exempt_when=_not_a_code)(bp)
    app.extensions[LIMITER_KEY] = limiter
