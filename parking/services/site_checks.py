"""Checks on the fields of a site's configuration, shared by the console, the API and the site file.

Each check returns the clean value or raises ``SiteAdminError`` naming the field and saying what it
takes: codes, names free of HTML and control characters, time zones known to ``zoneinfo``, coordinates,
a lot's policies (every key known, every value usable: ``parking.policy``) and device URLs, which are
opened through ``drivers.registry`` without touching the device (opening builds the device object; no
driver connects before it is used).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drivers.errors import DriverError
from drivers.registry import Registry

from ..models import DeviceKind, LaneDirection, PoolKind
from ..policy import OTHER_SETTINGS, LotPolicy, PolicyError, policy_keys

CODE_MAX_CHARS = 32
NAME_MAX_CHARS = 100
ADDRESS_MAX_CHARS = 200
URL_MAX_CHARS = 500
SERIAL_MAX_CHARS = 64
MAX_CAPACITY = 100_000

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MARKUP = re.compile(r"[<>]")

# The URL schemes a device of each kind is reached by (``drivers/README.md``).
SCHEMES: dict[str, tuple[str, ...]] = {
    DeviceKind.CAMERA.value: ("vz-http", "vz-tcp", "hik-http"),
    DeviceKind.GATE.value: ("modbus-rtu", "modbus-tcp", "olm", "olm+tcp"),
    DeviceKind.RELAY.value: ("modbus-rtu", "modbus-tcp"),
    DeviceKind.DISPLAY.value: ("olm", "olm+tcp"),
}


class SiteAdminError(ValueError):
    """A configuration change was refused; ``field`` names what was wrong (``lanes[2].url``, ``capacity``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def within(self, prefix: str) -> "SiteAdminError":
        """The same error for a field inside ``prefix`` (``lots[0]`` + ``name`` = ``lots[0].name``)."""
        return SiteAdminError(f"{prefix}.{self.field}" if prefix else self.field, self.message)


def code(field: str, value: Any, *, limit: int = CODE_MAX_CHARS) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SiteAdminError(field, "is required")
    value = value.strip()
    if len(value) > limit:
        raise SiteAdminError(field, f"must be at most {limit} characters, not {len(value)}")
    if not _CODE.fullmatch(value):
        raise SiteAdminError(field, f"{value!r} may hold only letters, digits, '-', '_' and '.', starting with a letter or digit")
    return value


def text(field: str, value: Any, *, limit: int = NAME_MAX_CHARS, required: bool = True) -> str:
    """A name or an address: trimmed, at most ``limit`` characters, no control character, and no ``<`` or
    ``>`` (HTML is refused rather than stored, whatever the page that later shows it escapes)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise SiteAdminError(field, "must be text")
    value = value.strip()
    if required and not value:
        raise SiteAdminError(field, "is required")
    if len(value) > limit:
        raise SiteAdminError(field, f"must be at most {limit} characters, not {len(value)}")
    found = _CONTROL.search(value)
    if found:
        raise SiteAdminError(field, f"contains the control character U+{ord(found.group()):04X}")
    if _MARKUP.search(value):
        raise SiteAdminError(field, "may not contain '<' or '>': HTML is not accepted")
    return value


def timezone(field: str, value: Any, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise SiteAdminError(field, "is required, e.g. Asia/Shanghai")
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise SiteAdminError(field, "must be a time zone name such as Asia/Shanghai")
    value = value.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SiteAdminError(field, f"{value!r} is not a time zone known to this system, e.g. Asia/Shanghai") from None
    return value


def coordinate(field: str, value: Any, low: float, high: float) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SiteAdminError(field, "must be a number")
    number = float(value)
    if not low <= number <= high:  # NaN fails too
        raise SiteAdminError(field, f"{value} is outside {low:g}..{high:g}")
    return number


def whole(field: str, value: Any, *, low: int = 0, high: int = MAX_CAPACITY) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SiteAdminError(field, "must be a whole number")
    if not low <= value <= high:
        raise SiteAdminError(field, f"{value} is outside {low}..{high}")
    return value


def choice(field: str, value: Any, options: tuple[str, ...]) -> str:
    if value not in options:
        raise SiteAdminError(field, f"{value!r} is not one of {', '.join(options)}")
    return str(value)


def direction(field: str, value: Any) -> str:
    return choice(field, value, tuple(d.value for d in LaneDirection))


def pools(field: str, value: Any, capacity: int) -> dict[str, int]:
    """A zone's pools as {kind: spaces}, in the order of ``PoolKind``; together at most the zone's capacity."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SiteAdminError(field, "must map pool kinds to numbers of spaces")
    kinds = tuple(k.value for k in PoolKind)
    out: dict[str, int] = {}
    for kind in value:
        choice(f"{field}.{kind}", kind, kinds)
    for kind in kinds:
        if kind in value:
            out[kind] = whole(f"{field}.{kind}", value[kind])
    if sum(out.values()) > capacity:
        raise SiteAdminError(field, f"the pools hold {sum(out.values())} spaces, more than the zone's capacity {capacity}")
    return out


def policy(field: str, value: Any) -> dict[str, Any]:
    """A lot's policies: every key a policy of ``LotPolicy`` (an unknown key is an error naming it), every
    value usable. The tariff code, also kept in ``Lot.settings``, is a field of its own, not a policy."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SiteAdminError(field, "must map policy names to values")
    known = policy_keys()
    for key in value:
        if key not in known:
            raise SiteAdminError(f"{field}.{key}", f"is not a known policy; policies are {', '.join(sorted(known))}")
    for key, item in value.items():
        try:
            LotPolicy.from_settings({key: item})
        except PolicyError as exc:
            raise SiteAdminError(f"{field}.{key}", str(exc).removeprefix("lot setting ")) from None
    return {f: value[f] for f in sorted(value)}


def settings_of(policies: Mapping[str, Any], tariff: str | None) -> dict[str, Any]:
    """``Lot.settings`` from a lot's policies and the code of the tariff it bills by."""
    settings = dict(policies)
    if tariff:
        settings["tariff"] = tariff
    return settings


def split_settings(settings: Mapping[str, Any] | None) -> tuple[dict[str, Any], str | None]:
    """(policies, tariff code) of ``Lot.settings``; the reverse of ``settings_of``."""
    settings = dict(settings or {})
    tariff = settings.pop("tariff", None)
    for key in OTHER_SETTINGS:
        settings.pop(key, None)
    return {k: settings[k] for k in sorted(settings)}, tariff


def device_url(field: str, kind: str, value: Any) -> str:
    """A device URL the registry opens, of a scheme that reaches a device of ``kind``."""
    if not isinstance(value, str) or not value.strip():
        raise SiteAdminError(field, "is required, e.g. vz-http://0.0.0.0:8090?serial=SN123")
    value = value.strip()
    if len(value) > URL_MAX_CHARS:
        raise SiteAdminError(field, f"must be at most {URL_MAX_CHARS} characters, not {len(value)}")
    found = _CONTROL.search(value) or re.search(r"\s", value)
    if found:
        raise SiteAdminError(field, "may not contain spaces or control characters")
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError as exc:
        raise SiteAdminError(field, f"does not parse as a URL: {exc}") from None
    allowed = SCHEMES.get(kind, ())
    if scheme and allowed and scheme not in allowed:
        raise SiteAdminError(field, f"a {kind} is reached by {', '.join(allowed)}, not {scheme}")
    try:
        Registry().open(value)  # builds the device object only: nothing connects until it is used
    except (DriverError, ValueError, TypeError, OSError) as exc:
        raise SiteAdminError(field, str(exc)) from None
    return value


def url_serial(url: str) -> str | None:
    """The serial number a ``vz-http`` URL names (``serial=``), else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() != "vz-http":
        return None
    return dict(parse_qsl(parts.query)).get("serial") or None


def serial(field: str, kind: str, url: str, value: Any) -> str | None:
    """A device's serial: a camera's is how its lane knows it, taken from a ``vz-http`` URL when not given
    (and refused when it differs from the URL's), required for other cameras."""
    given = (value or "").strip() if isinstance(value, str) or value is None else value
    if not isinstance(given, str):
        raise SiteAdminError(field, "must be text")
    in_url = url_serial(url)
    if in_url and given and given != in_url:
        raise SiteAdminError(field, f"{given!r} differs from serial={in_url} in the URL")
    given = given or in_url or ""
    if not given:
        if kind == DeviceKind.CAMERA.value:
            raise SiteAdminError(field, "a camera needs its serial number (its MAC address for Hikvision): its lane knows it by that")
        return None
    if len(given) > SERIAL_MAX_CHARS:
        raise SiteAdminError(field, f"must be at most {SERIAL_MAX_CHARS} characters, not {len(given)}")
    if _CONTROL.search(given) or _MARKUP.search(given) or re.search(r"\s", given):
        raise SiteAdminError(field, "may not contain spaces, control characters, '<' or '>'")
    return given
