"""Addresses and QR codes of the coupon pages: a merchant's page (``/m/<key>``) and the page a printed
coupon's QR code opens (``/c/<code>``), absolute at ``PARKING_PUBLIC_URL`` when set (phones reach the web
there), else at the address the request came to. QR codes are ``segno`` SVG, inline in the page."""

from __future__ import annotations

import segno
from flask import current_app, request, url_for
from markupsafe import Markup


def base_url() -> str:
    return current_app.config["PARKING_SETTINGS"].public_url or request.host_url.rstrip("/")


def merchant_url(key: str) -> str:
    return base_url() + url_for("public.merchant_page", key=key)


def claim_url(code: str) -> str:
    return base_url() + url_for("public.claim_coupon", code=code)


def qr_svg(text: str, *, scale: int = 4) -> Markup:
    """The QR code of ``text`` as inline SVG (error correction M, a quiet zone of four modules)."""
    return Markup(segno.make(text, error="m").svg_inline(scale=scale))
