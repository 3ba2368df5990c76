"""Matching an exit read to the plates of open sessions, tolerating typical camera misreads.

A read matches an open plate exactly, or tolerantly when the two texts have the same length and
differ

- only at positions where both characters belong to one look-alike class
  (0/D/Q, 8/B, 1/I, 2/Z, 5/S, 6/G, 4/A), at any number of such positions; or
- at exactly one position, whatever the characters (this covers a wrong province, the least
  reliable character of a read).

Texts of different lengths never match: no look-alike turns one character into two, so a 7- and
an 8-character text are different vehicles and the exit is left to a person. Virtual plates
(无牌…) come from a QR code, not from a camera, and match exactly or not at all.

An exact match always wins. Two or more tolerant matches are AMBIGUOUS: the matcher never
chooses between plausible candidates. Cost is one pass over the open plates with early exits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from enum import StrEnum

from parking.plates.values import VIRTUAL_PREFIX, Plate, PlateKind

__all__ = ["LOOK_ALIKES", "Match", "MatchKind", "match_exit"]

LOOK_ALIKES = ("0DQ", "8B", "1I", "2Z", "5S", "6G", "4A")
_CLASS_OF = {char: number for number, group in enumerate(LOOK_ALIKES) for char in group}


class MatchKind(StrEnum):
    EXACT = "exact"
    TOLERANT = "tolerant"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True)
class Match:
    """Outcome of `match_exit`. `plate` is the chosen open plate (EXACT or TOLERANT, else None);
    `candidates` the open plates considered matches, in the order given; `reason` explains."""

    kind: MatchKind
    plate: str | None
    candidates: tuple[str, ...]
    reason: str


def match_exit(read: Plate, open_plates: Iterable[str]) -> Match:
    """Match an exit read against canonical texts (`Plate.text`) of open sessions."""
    target = read.text
    if isinstance(open_plates, (Set, Mapping)) and target in open_plates:
        return _exact(target)
    tolerant = read.kind is not PlateKind.VIRTUAL
    length = len(target)
    class_of = _CLASS_OF.get
    found: dict[str, None] = {}  # an ordered set: input order, duplicates once
    for candidate in open_plates:
        if candidate == target:
            return _exact(target)
        if not tolerant or len(candidate) != length or candidate.startswith(VIRTUAL_PREFIX):
            continue
        # The comparison is inlined because it runs for every open plate on every exit read;
        # most candidates are rejected at their second difference.
        differences = 0
        look_alike = True
        for a, b in zip(target, candidate):
            if a != b:
                differences += 1
                if look_alike:
                    look_alike = class_of(a, -1) == class_of(b, -2)
                if differences > 1 and not look_alike:
                    break
        else:
            found[candidate] = None
    if not found:
        return Match(MatchKind.NONE, None, (), f"no open plate equals or resembles {target}")
    if len(found) == 1:
        (candidate,) = found
        return Match(
            MatchKind.TOLERANT,
            candidate,
            (candidate,),
            f"{candidate} is the only open plate resembling {target}: "
            f"{_describe(target, candidate)}",
        )
    listed = "; ".join(f"{candidate} ({_describe(target, candidate)})" for candidate in found)
    return Match(
        MatchKind.AMBIGUOUS,
        None,
        tuple(found),
        f"{len(found)} open plates resemble {target}, a person must choose: {listed}",
    )


def _exact(text: str) -> Match:
    return Match(MatchKind.EXACT, text, (text,), f"open plate {text} equals the read")


def _describe(read: str, candidate: str) -> str:
    """Why `candidate`, a tolerant match of `read`, was accepted."""
    differences = [index for index, (a, b) in enumerate(zip(read, candidate)) if a != b]
    details = ", ".join(
        f"position {index + 1} read {read[index]} open {candidate[index]}" for index in differences
    )
    if all(_CLASS_OF.get(read[i], -1) == _CLASS_OF.get(candidate[i], -2) for i in differences):
        return f"look-alikes only ({details})"
    if differences == [0]:
        return f"only the province differs ({details})"
    return f"one character differs ({details})"
