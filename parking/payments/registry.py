"""The providers an instance runs with, built from its settings: cash always, WeChat Pay when
``PARKING_WECHATPAY_CONFIG`` names a merchant file, Alipay when ``PARKING_ALIPAY_CONFIG`` does.

The platform modules are imported only when configured, so an instance without them never loads their
keys or their code. A configuration that cannot be used is a ``ConfigError`` naming the variable and the
file, raised when the web or the worker starts, not at the first payment.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..config import ConfigError, Settings
from .base import PaymentConfigError, Provider
from .cash import CashProvider, utc_now

# method: (settings attribute, variable, module, config loader, provider class)
PLATFORMS: dict[str, tuple[str, str, str, str, str]] = {
    "wechat": ("wechatpay_config", "PARKING_WECHATPAY_CONFIG", "parking.payments.wechat", "load_wechatpay_config", "WeChatPayProvider"),
    "alipay": ("alipay_config", "PARKING_ALIPAY_CONFIG", "parking.payments.alipay", "load_alipay_config", "AlipayProvider"),
}


def load_providers(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> dict[str, Provider]:
    """Every configured provider by method. ``clock`` stamps the platforms' requests (a test's clock)."""
    providers: dict[str, Provider] = {"cash": CashProvider(clock=clock)}
    for method, (attribute, variable, module_name, loader, class_name) in PLATFORMS.items():
        path: Path | None = getattr(settings, attribute)
        if path is None:
            continue
        providers[method] = _platform(path, variable, module_name, loader, class_name, clock)
    return providers


def _platform(path: Path, variable: str, module_name: str, loader: str, class_name: str,
              clock: Callable[[], datetime]) -> Provider:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"{variable}={str(path)!r}: this installation cannot load {module_name} ({exc})") from None
    try:
        config = getattr(module, loader)(path)
    except (PaymentConfigError, OSError) as exc:  # names the file and the key
        message = str(exc)
        if message.startswith(f"{path}: "):
            message = message[len(f"{path}: "):]
        raise ConfigError(f"{variable}={str(path)!r}: {message}") from None
    return getattr(module, class_name)(config, clock=clock)
