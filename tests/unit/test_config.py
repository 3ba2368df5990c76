"""Settings come from the environment, with embedded defaults and errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from parking.config import SETTINGS_TABLE, ConfigError, Settings


def test_defaults_use_sqlite_under_the_instance_and_the_bundled_redis(tmp_path):
    s = Settings.from_env({"PARKING_INSTANCE_PATH": str(tmp_path / "inst")})
    assert s.database_url == f"sqlite:///{tmp_path / 'inst' / 'parking.sqlite'}"
    assert s.redis_url is None
    assert (s.timezone, s.web_bind, s.agent_bind, s.language) == ("Asia/Shanghai", ("127.0.0.1", 5000), ("127.0.0.1", 8090), "zh_CN")


def test_every_variable_is_read(tmp_path):
    s = Settings.from_env({
        "PARKING_INSTANCE_PATH": str(tmp_path),
        "PARKING_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "PARKING_REDIS_URL": "redis://127.0.0.1:6379/3",
        "PARKING_TIMEZONE": "Asia/Urumqi",
        "PARKING_SECRET_KEY": "k",
        "PARKING_WEB_BIND": "0.0.0.0:8000",
        "PARKING_AGENT_BIND": ":9000",
        "PARKING_MAX_PUSH_BYTES": "2048",
        "PARKING_DEDUPE_SECONDS": "0",
        "PARKING_LOG_LEVEL": "debug",
        "PARKING_LANGUAGE": "en",
        "PARKING_SECURE_COOKIES": "yes",
        "PARKING_SNAPSHOT_DAYS": "7",
    })
    assert (s.database_url, s.redis_url, s.timezone, s.secret_key) == ("postgresql+psycopg://u@h/db", "redis://127.0.0.1:6379/3", "Asia/Urumqi", "k")
    assert (s.web_bind, s.agent_bind, s.max_push_bytes, s.dedupe_seconds, s.log_level, s.language) == (("0.0.0.0", 8000), ("127.0.0.1", 9000), 2048, 0, "DEBUG", "en")
    assert (s.secure_cookies, s.snapshot_days) == (True, 7)


def test_the_readme_table_lists_every_setting():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for name, _, _ in SETTINGS_TABLE:
        assert f"`{name}`" in readme


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PARKING_TIMEZONE", "Mars/Base", "PARKING_TIMEZONE='Mars/Base': not a known IANA time zone"),
        ("PARKING_WEB_BIND", "localhost", "PARKING_WEB_BIND='localhost': expected HOST:PORT"),
        ("PARKING_AGENT_BIND", "h:99999", "PARKING_AGENT_BIND='h:99999': expected HOST:PORT"),
        ("PARKING_MAX_PUSH_BYTES", "lots", "PARKING_MAX_PUSH_BYTES='lots': expected a whole number"),
        ("PARKING_MAX_PUSH_BYTES", "10", "PARKING_MAX_PUSH_BYTES='10': must be at least 1024"),
        ("PARKING_LANGUAGE", "fr", "PARKING_LANGUAGE='fr': expected zh_CN or en"),
        ("PARKING_SECURE_COOKIES", "maybe", "PARKING_SECURE_COOKIES='maybe': expected true or false"),
        ("PARKING_SNAPSHOT_DAYS", "0", "PARKING_SNAPSHOT_DAYS='0': must be at least 1"),
        ("PARKING_PUBLIC_URL", "park.example.cn", "PARKING_PUBLIC_URL='park.example.cn': expected an http:// or https:// address"),
        ("PARKING_WECHATPAY_CONFIG", "/nonexistent/wechatpay.toml", "PARKING_WECHATPAY_CONFIG='/nonexistent/wechatpay.toml': no such file"),
    ],
)
def test_bad_values_name_the_variable(name, value, message):
    with pytest.raises(ConfigError) as excinfo:
        Settings.from_env({name: value})
    assert str(excinfo.value).startswith(message)


def test_the_generated_secret_key_persists_in_the_instance(tmp_path):
    first = Settings.from_env({"PARKING_INSTANCE_PATH": str(tmp_path)}).ensure_instance()
    second = Settings.from_env({"PARKING_INSTANCE_PATH": str(tmp_path)}).ensure_instance()
    assert len(first.secret_key) == 64
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
