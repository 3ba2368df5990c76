"""Camera codes for plate colour and plate type: VZ / Zhenshi `colorType` (through the driver's one
colour table, ``drivers.vz.push.COLOR_NAMES``) and `type`, and camera-neutral colour names.

Mappings only; the push payload itself is decoded by the camera driver. Codes follow the VZ
SDK header (`LC_*`, `LT_*`) and the HTTP push documentation (reference/protocols.md §1).
"""

from __future__ import annotations

from types import MappingProxyType

from drivers.vz.push import COLOR_NAMES
from parking.plates.values import PlateColor, PlateKind

__all__ = ["color_from_name", "color_from_vz", "kind_from_vz"]

_VZ_KINDS = MappingProxyType(
    {
        1: PlateKind.ORDINARY,  # blue small car
        2: PlateKind.ORDINARY,  # black small car (older plates of foreign-invested firms)
        3: PlateKind.ORDINARY,  # yellow, single row
        4: PlateKind.ORDINARY,  # yellow, double row (rear plate of large vehicles)
        5: PlateKind.POLICE,
        10: PlateKind.EMBASSY,
        11: PlateKind.HONG_KONG,
        # The SDK names 13 "教练车牌": a driving-school car, whose GA 36 plate ends in 学.
        13: PlateKind.LEARNER,
        14: PlateKind.MACAU,
        19: PlateKind.NEW_ENERGY_SMALL,
        20: PlateKind.NEW_ENERGY_LARGE,
        21: PlateKind.EMERGENCY,
        22: PlateKind.CONSULATE,
    }
)


def _as_code(value: int | str) -> int | None:
    # Some firmware sends the codes as JSON strings ("colorType": "1").
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    return None


def color_from_vz(color_type: int) -> PlateColor:
    """Plate colour for a VZ `colorType` (0 unknown … 6 yellow-green).

    Codes this table does not know (newer firmware) give UNKNOWN rather than an error: the plate
    text still decides the kind, and a missing colour hint is harmless.
    """
    code = _as_code(color_type)
    return color_from_name(COLOR_NAMES.get(code, "unknown")) if code is not None else PlateColor.UNKNOWN


def color_from_name(name: str) -> PlateColor:
    """Plate colour for a camera-neutral colour name (``drivers.interfaces.PlateRead.color``): ``blue``,
    ``yellow-green`` / ``yellow_green`` / ``yellowGreen`` ...; anything else is UNKNOWN."""
    key = "".join(ch for ch in str(name).lower() if ch.isalpha())
    return _BY_NAME.get(key, PlateColor.UNKNOWN)


_BY_NAME = MappingProxyType({c.value.replace("_", ""): c for c in PlateColor})


def kind_from_vz(plate_type: int) -> PlateKind | None:
    """Plate kind for a VZ `type` code, or None when the code tells nothing this system uses:
    0 unknown, 31 no plate, and out-of-scope kinds (military 8/9, armed police 6/15/16/17,
    personalised 7, farm vehicle 12, civil aviation 18) or codes unknown to this table.
    """
    code = _as_code(plate_type)
    return _VZ_KINDS.get(code) if code is not None else None
