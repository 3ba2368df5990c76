"""The cash provider, the providers an instance is built with, and the payment links' codes."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from parking.config import ConfigError, Settings
from parking.payments.base import CallbackRejected, OrderRequest, ProviderError, RefundRequest
from parking.payments.cash import CashProvider
from parking.payments.registry import load_providers
from parking.services.pay_links import PayLinks

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)
UID = "0123456789abcdef0123456789abcdef"


def test_cash_is_never_ordered_nor_notified() -> None:
    cash = CashProvider(clock=lambda: NOW)
    with pytest.raises(ProviderError, match="take_cash"):
        cash.create_order(OrderRequest("P1", 1000, "停车费"))
    with pytest.raises(CallbackRejected) as refused:
        cash.parse_notification({}, b"{}", NOW)
    assert refused.value.reason == "format"
    assert (cash.query("P1").state, cash.bill(date(2026, 11, 24))) == ("closed", ())


def test_a_cash_refund_is_handed_back_at_once() -> None:
    result = CashProvider(clock=lambda: NOW).refund(RefundRequest("R1", "P1", "", 500, 1000, "多收"))
    assert (result.out_refund_no, result.state, result.refunded_at) == ("R1", "refunded", NOW)
    with pytest.raises(ProviderError, match="more than the 1000 fen paid"):
        CashProvider().refund(RefundRequest("R2", "P1", "", 1500, 1000))


def settings(tmp_path: Path, **files: Path) -> Settings:
    return Settings(instance_path=tmp_path, database_url="sqlite://", redis_url=None, secret_key="k", **files)


def test_an_instance_without_merchant_files_takes_cash_only(tmp_path: Path) -> None:
    assert list(load_providers(settings(tmp_path))) == ["cash"]


def test_a_merchant_file_that_cannot_be_used_names_the_variable_and_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "alipay.toml"
    broken.write_text('app_id = "2021000000000001"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^PARKING_ALIPAY_CONFIG='{broken}': .*app_private_key_file"):
        load_providers(settings(tmp_path, alipay_config=broken))
    not_toml = tmp_path / "wechatpay.toml"
    not_toml.write_text("mchid = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^PARKING_WECHATPAY_CONFIG='{not_toml}': "):
        load_providers(settings(tmp_path, wechatpay_config=not_toml))


def test_each_code_opens_only_what_it_was_made_for() -> None:
    links = PayLinks("secret")
    stay, receipt, order = links.stay_code(7, UID), links.receipt_code(UID), links.order_code(UID)
    assert (links.open_stay(stay), links.open_receipt(receipt), links.open_order(order)) == ((7, UID), UID, UID)
    assert (links.open_receipt(stay), links.open_order(receipt), links.open_stay(order)) == (None, None, None)
    assert PayLinks("another secret").open_stay(stay) is None
    assert len(stay) == 44 and stay.isalnum() and stay.islower()


def test_a_tampered_or_malformed_code_opens_nothing() -> None:
    links = PayLinks("secret")
    stay = links.stay_code(7, UID)
    for bad in (stay[:-1] + ("a" if stay[-1] != "a" else "b"), stay[:-3], stay.upper(), "", "1" * 44, "a" * 200, "栋" * 10):
        assert links.open_stay(bad) is None, bad


def test_uids_that_are_not_hex_are_carried_whole() -> None:
    links = PayLinks("secret")
    assert links.open_receipt(links.receipt_code("offline-42:粤B12345")) == "offline-42:粤B12345"


def test_an_exit_key_belongs_to_its_lane() -> None:
    links = PayLinks("secret")
    assert links.exit_path("east-out", 3) == f"/pay/exit/east-out?k={links.exit_key(3)}"
    assert links.exit_key_matches(3, links.exit_key(3)) and not links.exit_key_matches(4, links.exit_key(3))
    assert not links.exit_key_matches(3, "栋" + links.exit_key(3)[1:])
