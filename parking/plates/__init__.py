"""Chinese licence plates (GA 36): parsing camera reads, masking, and matching an exit read to the
open sessions.

- `parking.plates.values`: `Plate`, `NoPlate`, `PlateColor`, `PlateKind`, `PlateError`.
- `parking.plates.parsing`: `normalise`, `parse`, `virtual_plate`, the plate grammar.
- `parking.plates.vz`: VZ / Zhenshi camera colour and type codes.
- `parking.plates.matching`: `match_exit`, the tolerant exit matcher.

Pure functions over values, standard library only; import everything from `parking.plates`.
"""

from parking.plates.matching import Match, MatchKind, match_exit
from parking.plates.parsing import PROVINCES, normalise, parse, virtual_plate
from parking.plates.values import NoPlate, Plate, PlateColor, PlateError, PlateKind
from parking.plates.vz import color_from_name, color_from_vz, kind_from_vz

__all__ = [
    "PROVINCES",
    "Match",
    "MatchKind",
    "NoPlate",
    "Plate",
    "PlateColor",
    "PlateError",
    "PlateKind",
    "color_from_name",
    "color_from_vz",
    "kind_from_vz",
    "match_exit",
    "normalise",
    "parse",
    "virtual_plate",
]
