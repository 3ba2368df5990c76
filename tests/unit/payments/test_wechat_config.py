"""Loading the WeChat Pay merchant configuration from TOML: paths relative to the file, both platform key
modes, and a PaymentConfigError naming the key and the file for everything missing or wrong."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from parking.payments.wechat import PaymentConfigError, load_wechatpay_config

APIV3 = "0123456789abcdef0123456789abcdef"
PLATFORM_SERIAL = 0x0A1B2C3D


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def folder(tmp_path: Path, key: rsa.RSAPrivateKey) -> Path:
    (tmp_path / "apiclient_key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "apiv3.txt").write_text(APIV3 + "\n")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com platform")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(PLATFORM_SERIAL).not_valid_before(datetime(2026, 1, 1, tzinfo=timezone.utc))
            .not_valid_after(datetime(2031, 1, 1, tzinfo=timezone.utc)).sign(key, hashes.SHA256()))
    (tmp_path / "platform").mkdir()
    (tmp_path / "platform" / "wechatpay_A1B2C3D.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "pub_key.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return tmp_path


GOOD = {
    "mchid": '"1900000001"', "appid": '"wx8888888888888888"', "merchant_serial": '"3775b6a45acd5888"',
    "merchant_key_file": '"apiclient_key.pem"', "apiv3_key_file": '"apiv3.txt"',
    "platform_certificates": '"platform"', "notify_url": '"https://parking.example.com/payments/wechat/notify"',
}


def write(folder: Path, **changes: str | None) -> Path:
    values = {**GOOD, **changes}
    path = folder / "wechatpay.toml"
    path.write_text("".join(f"{k} = {v}\n" for k, v in values.items() if v is not None), encoding="utf-8")
    return path


def test_a_complete_file_loads_with_defaults_and_paths_relative_to_it(folder):
    config = load_wechatpay_config(write(folder))
    assert (config.mchid, config.appid, config.merchant_serial) == ("1900000001", "wx8888888888888888",
                                                                    "3775B6A45ACD5888")
    assert config.apiv3_key == APIV3.encode()
    assert (config.gateway, config.timeout_seconds) == ("https://api.mch.weixin.qq.com", 5.0)
    assert config.notify_url == "https://parking.example.com/payments/wechat/notify"
    assert sorted(config.platform_keys) == ["A1B2C3D"]
    assert config.platform_key("0A1B2C3D").not_after == datetime(2031, 1, 1, tzinfo=timezone.utc)
    assert config.platform_key("a1b2c3d").serial == "A1B2C3D"
    assert config.platform_key("FFFF") is None


def test_secrets_stay_out_of_the_repr(folder):
    text = repr(load_wechatpay_config(write(folder)))
    assert APIV3 not in text and "PRIVATE" not in text and "RSAPrivateKey" not in text


def test_the_platform_public_key_mode_and_an_inline_apiv3_key(folder):
    config = load_wechatpay_config(write(
        folder, platform_certificates=None, apiv3_key_file=None, apiv3_key=f'"{APIV3}"',
        platform_public_key_file='"pub_key.pem"', platform_public_key_id='"PUB_KEY_ID_0114232134912410000000000000"',
        gateway='"http://127.0.0.1:8093/"', timeout_seconds="2.5"))
    assert list(config.platform_keys) == ["PUB_KEY_ID_0114232134912410000000000000"]
    assert config.platform_key("PUB_KEY_ID_0114232134912410000000000000").not_after is None
    assert (config.gateway, config.timeout_seconds) == ("http://127.0.0.1:8093", 2.5)


def test_one_certificate_file_instead_of_a_folder(folder):
    config = load_wechatpay_config(write(folder, platform_certificates='"platform/wechatpay_A1B2C3D.pem"'))
    assert sorted(config.platform_keys) == ["A1B2C3D"]


@pytest.mark.parametrize("changes, problem", [
    ({"mchid": None}, "mchid: missing"),
    ({"mchid": '"19x"'}, "mchid: '19x' is not a merchant number"),
    ({"appid": '""'}, "appid: expected a non-empty string"),
    ({"merchant_serial": '"not-hex"'}, "merchant_serial: 'not-hex' is not a certificate serial"),
    ({"merchant_key_file": '"nowhere.pem"'}, "merchant_key_file: cannot read .*nowhere.pem"),
    ({"merchant_key_file": '"apiv3.txt"'}, "merchant_key_file: .*apiv3.txt is not an unencrypted PEM private key"),
    ({"apiv3_key_file": None}, "apiv3_key: give exactly one of apiv3_key and apiv3_key_file"),
    ({"apiv3_key": '"x"'}, "apiv3_key: give exactly one"),
    ({"apiv3_key_file": None, "apiv3_key": '"short"'}, "apiv3_key: the APIv3 key has 5 bytes, expected 32"),
    ({"platform_certificates": None}, "platform_certificates: missing"),
    ({"platform_certificates": '"apiv3.txt"'}, "platform_certificates: .*apiv3.txt is not a PEM certificate"),
    ({"platform_certificates": '"empty"'}, "platform_certificates: .*empty holds no"),
    ({"platform_public_key_file": '"pub_key.pem"'}, "platform_public_key_id: missing"),
    ({"platform_public_key_id": '"PUB_KEY_ID_1"', "platform_public_key_file": '"apiv3.txt"'},
     "platform_public_key_file: .*apiv3.txt is not a PEM public key"),
    ({"notify_url": '"ftp://x"'}, "notify_url: 'ftp://x' is not an http\\(s\\) URL"),
    ({"gateway": '"https://api.mch.weixin.qq.com/v3"'}, "gateway: .*expected scheme://host\\[:port\\] only"),
    ({"gateway": '"http://h:99999"'}, "gateway: .*bad port"),
    ({"timeout_seconds": "0"}, "timeout_seconds: 0: expected a number of seconds"),
    ({"timeout_seconds": '"5"'}, "timeout_seconds: '5': expected a number"),
    ({"mch_id": '"1"'}, "mch_id: unknown key"),
])
def test_a_missing_or_bad_key_names_the_key_and_the_file(folder, changes, problem):
    (folder / "empty").mkdir()
    path = write(folder, **changes)
    with pytest.raises(PaymentConfigError, match=f"^{path}: {problem}"):
        load_wechatpay_config(path)


def test_an_ec_merchant_key_is_refused(folder):
    other = ec.generate_private_key(ec.SECP256R1())
    (folder / "ec.pem").write_bytes(other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    with pytest.raises(PaymentConfigError, match="merchant_key_file: .*ec.pem holds a .*expected an RSA key"):
        load_wechatpay_config(write(folder, merchant_key_file='"ec.pem"'))


def test_an_unreadable_or_broken_file_is_named(tmp_path):
    with pytest.raises(PaymentConfigError, match="absent.toml: cannot read"):
        load_wechatpay_config(tmp_path / "absent.toml")
    (tmp_path / "broken.toml").write_text("mchid = ")
    with pytest.raises(PaymentConfigError, match="broken.toml: not valid TOML"):
        load_wechatpay_config(tmp_path / "broken.toml")


def test_the_error_is_a_value_error_and_not_a_provider_error():
    from parking.payments.base import ProviderError
    assert issubclass(PaymentConfigError, ValueError) and not issubclass(PaymentConfigError, ProviderError)
