"""The payment platforms of ``parking demo``: a WeChat Pay v3 platform and an Alipay gateway, simulated on
loopback with keys and certificates of their own made at start, and the merchant of each written into the
instance folder (``<instance>/payments/wechatpay/`` and ``<instance>/payments/alipay/``, private files),
where ``PARKING_WECHATPAY_CONFIG`` and ``PARKING_ALIPAY_CONFIG`` would name them.

``pay`` acts as the payer of an order, as a driver's phone does: it opens an Alipay phone order's page
(Alipay creates the trade only then) and pays through the simulator's control endpoint ``/_sim/pay``; the
platform then posts its signed notification to the web, which books the payment.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from simulators.alipay import AlipaySimulator
from simulators.alipay import generate_merchant as alipay_merchant
from simulators.wechatpay import WeChatPaySimulator
from simulators.wechatpay import generate_merchant as wechat_merchant

from ..private import ensure_private_dir, make_private

PAYER_TIMEOUT_SECONDS = 10.0


class PlatformPayError(RuntimeError):
    """A simulated platform refused to take a payer's money, or did not answer."""


@dataclass(frozen=True)
class Merchants:
    wechatpay_config: Path
    alipay_config: Path


class DemoPlatforms:
    """Both simulators, started by ``start`` and stopped by ``stop``, on the demo's ``clock``."""

    def __init__(self, folder: Path, clock: Callable[[], datetime], *, host: str = "127.0.0.1") -> None:
        self.folder = Path(folder)
        self.wechat = WeChatPaySimulator(host=host, port=0, clock=clock)
        self.alipay = AlipaySimulator(host=host, port=0, clock=clock)
        self._started: list[WeChatPaySimulator | AlipaySimulator] = []

    def start(self, web_url: str) -> Merchants:
        """Start both platforms and equip a merchant of each whose notifications go to ``web_url``."""
        for sim in (self.wechat, self.alipay):
            sim.start()
            self._started.append(sim)
        ensure_private_dir(self.folder)
        wechat = wechat_merchant(ensure_private_dir(self.folder / "wechatpay"), notify_url=f"{web_url}/pay/notify/wechat",
                                 gateway=self.wechat.base_url)
        alipay = alipay_merchant(ensure_private_dir(self.folder / "alipay"), notify_url=f"{web_url}/pay/notify/alipay",
                                 gateway=self.alipay.gateway_url)
        _make_tree_private(self.folder)
        return Merchants(wechatpay_config=wechat, alipay_config=alipay)

    def stop(self) -> None:
        while self._started:
            self._started.pop().stop()

    def control_url(self, method: str) -> str:
        """The base address of a platform's control endpoints (``/_sim/pay``, ``/_sim/orders``…)."""
        return self.wechat.base_url if method == "wechat" else self.alipay.base_url

    def pay(self, method: str, out_trade_no: str, pay_url: str = "") -> None:
        """Pay order ``out_trade_no`` as its payer; raises PlatformPayError."""
        if method not in ("wechat", "alipay"):
            raise PlatformPayError(f"method {method!r}: the demo's platforms are wechat and alipay")
        if method == "alipay" and pay_url:
            _request("GET", pay_url)  # the phone opens the cashier page: the wap trade exists from then on
        _request("POST", f"{self.control_url(method)}/_sim/pay", {"out_trade_no": out_trade_no})


def _request(method: str, url: str, body: dict[str, str] | None = None) -> bytes:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=PAYER_TIMEOUT_SECONDS) as reply:
            return reply.read()
    except urllib.error.HTTPError as exc:
        raise PlatformPayError(f"{method} {url.split('?')[0]} answered HTTP {exc.code}: {exc.read()[:200]!r}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise PlatformPayError(f"{method} {url.split('?')[0]} failed: {exc}") from None


def _make_tree_private(folder: Path) -> None:
    """Every merchant file 0600 and folder 0700: the merchants' keys are secrets."""
    for root, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            make_private(Path(root) / name)
