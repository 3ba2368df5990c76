"""What the phone payment pages share: the app's providers, its payment links, and the addresses phones
and payment platforms reach it at.

The providers are ``app.extensions["payments"]`` (method → ``Provider``), built by the factory from the
settings (``parking.payments.registry.load_providers``) unless the factory was given some, and replaceable
by setting the extension (tests do). Addresses are ``PARKING_PUBLIC_URL`` when set, else the address the
request came to.
"""

from __future__ import annotations

from flask import Flask, current_app, request

from parking.config import Settings
from parking.payments.base import Provider
from parking.services.pay_links import PayLinks

PAYMENTS_KEY = "payments"
LINKS_KEY = "parking.pay_links"
PHONE_METHODS = ("wechat", "alipay")  # the platforms a phone pays through, in the order their buttons show


def providers() -> dict[str, Provider]:
    return current_app.extensions.get(PAYMENTS_KEY, {})


def phone_methods() -> list[str]:
    """The platforms configured here that a phone can pay with."""
    return [method for method in PHONE_METHODS if method in providers()]


def links() -> PayLinks:
    found = current_app.extensions.get(LINKS_KEY)
    if found is None:
        found = current_app.extensions[LINKS_KEY] = PayLinks(current_app.config["SECRET_KEY"])
    return found


def settings() -> Settings:
    return current_app.config["PARKING_SETTINGS"]


def base_url() -> str:
    """The address phones and platforms reach this web at, without a trailing slash."""
    return settings().public_url or request.host_url.rstrip("/")


def notify_url(method: str) -> str:
    return f"{base_url()}/pay/notify/{method}"


def init_app(app: Flask, payments: dict[str, Provider] | None) -> None:
    if payments is None:
        from parking.payments.registry import load_providers

        payments = load_providers(app.config["PARKING_SETTINGS"])
    app.extensions[PAYMENTS_KEY] = payments
