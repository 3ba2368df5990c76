"""The Alipay merchant file: keys beside it, defaults, and a clear error naming the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from parking.payments.alipay import AlipayConfig, PaymentConfigError, load_alipay_config

TOML = """
app_id = "2021000000000001"
app_private_key_file = "keys/app_private_key.pem"
alipay_public_key_file = "alipay_public_key.txt"
notify_url = "https://parking.example.com/payments/alipay/notify"
"""


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def folder(tmp_path: Path, key: rsa.RSAPrivateKey) -> Path:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "app_private_key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    bare = b"".join(line for line in public.splitlines() if not line.startswith(b"-----"))
    (tmp_path / "alipay_public_key.txt").write_bytes(bare)  # as the open platform shows it: base64, no PEM lines
    (tmp_path / "alipay.toml").write_text(TOML, encoding="utf-8")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "alipay.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_file_loads_with_keys_resolved_beside_it_and_defaults(folder: Path, key: rsa.RSAPrivateKey) -> None:
    config = load_alipay_config(folder / "alipay.toml")
    assert isinstance(config, AlipayConfig)
    assert (config.app_id, config.notify_url, config.seller_id, config.return_url, config.gateway,
            config.timeout_seconds) == ("2021000000000001", "https://parking.example.com/payments/alipay/notify",
                                        "", "", "https://openapi.alipay.com/gateway.do", 5.0)
    assert config.alipay_public_key.public_numbers() == key.public_key().public_numbers()
    assert config.app_private_key.private_numbers() == key.private_numbers()
    assert "PRIVATE" not in repr(config) and "app_private_key=" not in repr(config)


def test_every_key_can_be_set(folder: Path) -> None:
    config = load_alipay_config(write(folder, TOML + '\nseller_id = "2088000000000001"\nreturn_url = "https://p.example.com/paid"'
                                      '\ngateway = "http://127.0.0.1:8300/gateway.do"\ntimeout_seconds = 2.5\n'))
    assert (config.seller_id, config.return_url, config.gateway, config.timeout_seconds) == (
        "2088000000000001", "https://p.example.com/paid", "http://127.0.0.1:8300/gateway.do", 2.5)


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.replace('app_id = "2021000000000001"', ""), "app_id: missing"),
    (lambda t: t.replace('"2021000000000001"', '"2021 0001"'), "app_id: '2021 0001' is not an Alipay app id"),
    (lambda t: t.replace('"2021000000000001"', "2021000000000001"), "app_id: expected a string, got int"),
    (lambda t: t.replace("keys/app_private_key.pem", "keys/absent.pem"), "app_private_key_file: cannot read .*absent.pem"),
    (lambda t: t.replace("keys/app_private_key.pem", "alipay.toml"), "app_private_key_file: not an RSA private key"),
    (lambda t: t.replace("alipay_public_key.txt", "alipay.toml"), "alipay_public_key_file: not an RSA public key"),
    (lambda t: t.replace("https://parking.example.com/payments/alipay/notify", "parking/notify"),
     "notify_url: 'parking/notify' is not an http"),
    (lambda t: t + "timeout_seconds = 0\n", "timeout_seconds: 0: expected a number of seconds"),
    (lambda t: t + 'timeout_seconds = "5"\n', "timeout_seconds: '5': expected a number"),
    (lambda t: t + 'gateway = "openapi.alipay.com"\n', "gateway: 'openapi.alipay.com' is not an http"),
    (lambda t: t + 'sign_type = "RSA"\n', "sign_type: unknown key"),
    (lambda t: t + "app_id = ", "not valid TOML"),
])
def test_a_bad_or_missing_key_is_named_with_the_file(folder: Path, change, message: str) -> None:
    path = write(folder, change(TOML))
    with pytest.raises(PaymentConfigError, match=message) as caught:
        load_alipay_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert isinstance(caught.value, ValueError)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PaymentConfigError, match=f"{tmp_path / 'absent.toml'}: cannot read"):
        load_alipay_config(tmp_path / "absent.toml")
