"""Plate values: colours, kinds, a parsed `Plate`, a `NoPlate` read and `PlateError`.

This module holds the vocabulary only. Reading text into these values lives in
`parking.plates.parsing`, camera code mappings in `parking.plates.vz`, and exit matching in
`parking.plates.matching`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "EMBASSY_PREFIX",
    "NoPlate",
    "Plate",
    "PlateColor",
    "PlateError",
    "PlateKind",
    "VIRTUAL_PREFIX",
]

EMBASSY_PREFIX = "使"
VIRTUAL_PREFIX = "无牌"


class PlateColor(StrEnum):
    """Background colour of the plate, as GA 36 prescribes or a camera reports it."""

    BLUE = "blue"
    YELLOW = "yellow"
    WHITE = "white"
    BLACK = "black"
    GREEN = "green"
    YELLOW_GREEN = "yellow_green"
    UNKNOWN = "unknown"


class PlateKind(StrEnum):
    """Kind of plate, as far as the characters (or a camera) can tell.

    - ORDINARY: 省 + letter + 5 characters. Blue small cars and yellow large vehicles share this
      form; only the colour tells them apart.
    - NEW_ENERGY_SMALL / NEW_ENERGY_LARGE: the 8-character green and yellow-green plates.
    - COACH: a bus or coach (大型客车). Its plate reads like an ordinary yellow plate, so `parse`
      never infers it from text; it exists for callers that know the vehicle class from elsewhere.
    - TRAILER (…挂), LEARNER (教练汽车, …学), POLICE (…警), HONG_KONG (粤Z…港), MACAU (粤Z…澳),
      CONSULATE (…领), EMBASSY (使…), EMERGENCY (…应急).
    - VIRTUAL: 无牌 + token, issued to a vehicle without a plate through the QR entry flow.

    Military and armed-police plates are out of scope.
    """

    ORDINARY = "ordinary"
    NEW_ENERGY_SMALL = "new_energy_small"
    NEW_ENERGY_LARGE = "new_energy_large"
    COACH = "coach"
    TRAILER = "trailer"
    POLICE = "police"
    EMBASSY = "embassy"
    CONSULATE = "consulate"
    HONG_KONG = "hong_kong"
    MACAU = "macau"
    EMERGENCY = "emergency"
    LEARNER = "learner"
    VIRTUAL = "virtual"


_NEW_ENERGY = frozenset({PlateKind.NEW_ENERGY_SMALL, PlateKind.NEW_ENERGY_LARGE})
_LARGE_BY_KIND = frozenset({PlateKind.NEW_ENERGY_LARGE, PlateKind.COACH, PlateKind.TRAILER})

# Characters kept visible at the end of a masked plate.
_MASK_TAIL = 2


@dataclass(frozen=True)
class Plate:
    """A plate in canonical form. `text == province + serial` always holds.

    `province` is the province abbreviation (粤) and is "" for embassy and virtual plates, whose
    serial is then the whole text ("使123456", "无牌AB12CD").
    """

    text: str
    province: str
    serial: str
    kind: PlateKind
    color: PlateColor

    def __post_init__(self) -> None:
        if self.province + self.serial != self.text:
            raise ValueError(
                f"plate text {self.text!r} is not province {self.province!r} followed by "
                f"serial {self.serial!r}"
            )

    def __str__(self) -> str:
        return self.text

    @property
    def masked(self) -> str:
        """The plate for public pages: issuer kept, last two characters kept, the rest starred.

        The issuer is the province and authority letter ("粤B"), "使" for embassy plates and "无牌"
        for virtual plates. Each hidden character becomes one "*", so the length is preserved:
        粤B12345 → 粤B***45, 粤BD12345 → 粤B****45, 使123456 → 使****56.
        """
        head = self._issuer_length()
        hidden = len(self.text) - head - _MASK_TAIL
        if hidden <= 0:
            # Too short to show a tail without revealing everything: hide all but the issuer.
            return self.text[:head] + "*" * max(0, len(self.text) - head)
        return self.text[:head] + "*" * hidden + self.text[-_MASK_TAIL:]

    @property
    def is_new_energy(self) -> bool:
        return self.kind in _NEW_ENERGY

    @property
    def is_large(self) -> bool:
        """Large vehicle for tariffs and spaces: a yellow ordinary plate, a large new-energy
        plate, a coach or a trailer.

        Learner plates are yellow whatever the vehicle's size (mostly small cars), so their colour
        alone does not make them large.
        """
        if self.kind in _LARGE_BY_KIND:
            return True
        return self.kind is PlateKind.ORDINARY and self.color is PlateColor.YELLOW

    def _issuer_length(self) -> int:
        if self.kind is PlateKind.EMBASSY:
            return len(EMBASSY_PREFIX)
        if self.kind is PlateKind.VIRTUAL:
            return len(VIRTUAL_PREFIX)
        return len(self.province) + 1


@dataclass(frozen=True)
class NoPlate:
    """A read of a vehicle without a readable plate ("_无_", "无牌", "" …); `raw` as received."""

    raw: str


class PlateError(ValueError):
    """Text that cannot be a plate. `reason` names the character, its position and what was
    expected; `raw` is the text as received."""

    def __init__(self, raw: str, reason: str) -> None:
        super().__init__(raw, reason)
        self.raw = raw
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot read plate {self.raw!r}: {self.reason}"
