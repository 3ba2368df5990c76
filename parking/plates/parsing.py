"""Reading plate text: `normalise`, `parse` and `virtual_plate`.

A camera read goes through `normalise` (width, case, separators, I/O look-alikes) and then the
GA 36 grammar below; the result is a `Plate`, a `NoPlate`, or a `PlateError` that names the
offending character, its position (1-based, in the normalised text) and what was expected.

Grammar (normalised text):

    ordinary          省 L xxxxx            L: letter without I/O, x: letter without I/O or digit
    trailer … consul  省 L xxxx 挂|学|警|港|澳|领   (港 and 澳 only as 粤Z…)
    new-energy small  省 L N x dddd         N: one of D F A B C E G H J K, d: digit
    new-energy large  省 L ddddd N
    emergency         省 L xxxx 应急         (a fifth x is tolerated)
    embassy           使 dddddd
    virtual           无牌 t{6,8}           t: A-Z or 0-9, as issued by the QR entry flow

Colour policy: the characters decide the kind. A camera's colour hint is kept when it is a colour
that kind of plate can have (an ordinary plate may be blue, yellow or black); a hint the kind
rules out (green on a 7-character plate) is a misread colour and is replaced by the kind's own
colour, without error, because the characters are the more reliable part of a read.
"""

from __future__ import annotations

import unicodedata
from types import MappingProxyType

from parking.plates.values import (
    EMBASSY_PREFIX,
    VIRTUAL_PREFIX,
    NoPlate,
    Plate,
    PlateColor,
    PlateError,
    PlateKind,
)

__all__ = ["PROVINCES", "normalise", "parse", "virtual_plate"]

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "0123456789"
_SERIAL = _LETTERS + _DIGITS
_NEW_ENERGY_LETTERS = "DFABCEGHJK"
_TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + _DIGITS

_EXPECTED = MappingProxyType(
    {
        _LETTERS: "the issuing-authority letter (A-Z without I and O)",
        _DIGITS: "a digit",
        _SERIAL: "a digit or a letter other than I and O",
        _NEW_ENERGY_LETTERS: "a new-energy letter (one of D F A B C E G H J K)",
        _TOKEN: "a letter A-Z or a digit",
    }
)

_SUFFIX_KINDS = MappingProxyType(
    {
        "挂": PlateKind.TRAILER,
        "学": PlateKind.LEARNER,
        "警": PlateKind.POLICE,
        "港": PlateKind.HONG_KONG,
        "澳": PlateKind.MACAU,
        "领": PlateKind.CONSULATE,
    }
)
_EMERGENCY_SUFFIX = "应急"
_CROSS_BORDER_ISSUER = "粤Z"

# Plausible colours per kind; the first is the kind's own colour, used when no hint is usable.
_COLORS = MappingProxyType(
    {
        PlateKind.ORDINARY: (PlateColor.BLUE, PlateColor.YELLOW, PlateColor.BLACK),
        PlateKind.NEW_ENERGY_SMALL: (PlateColor.GREEN,),
        PlateKind.NEW_ENERGY_LARGE: (PlateColor.YELLOW_GREEN,),
        PlateKind.COACH: (PlateColor.YELLOW,),
        PlateKind.TRAILER: (PlateColor.YELLOW,),
        PlateKind.LEARNER: (PlateColor.YELLOW,),
        PlateKind.POLICE: (PlateColor.WHITE,),
        PlateKind.EMBASSY: (PlateColor.BLACK,),
        PlateKind.CONSULATE: (PlateColor.BLACK,),
        PlateKind.HONG_KONG: (PlateColor.BLACK,),
        PlateKind.MACAU: (PlateColor.BLACK,),
        PlateKind.EMERGENCY: (PlateColor.WHITE,),
        PlateKind.VIRTUAL: (PlateColor.UNKNOWN,),
    }
)

# What cameras and people send for "no plate", after normalisation and with "_" trimmed.
_NO_PLATE_MARKS = frozenset({"", "无", "无牌", "无牌车", "无车牌"})

# Separators people and cameras put inside plates: 粤B·12345, 粤B-12345, 粤B 12345, 粤B.12345.
_SEPARATORS = frozenset(".-·•・‧∙‐‑‒–—―")

# A camera read is a few dozen characters at most; longer text is refused before any work.
_MAX_RAW_LENGTH = 64
# normalise() repeats its steps until nothing changes; in practice two rounds suffice.
_MAX_NORMALISE_ROUNDS = 8


def normalise(raw: str) -> str:
    """Canonical spelling of a read: NFKC (full-width → half-width), upper case, without spaces,
    dots, dashes or middle dots, and with I → 1 and O → 0 in serial positions.

    Serial positions are everything after the issuer: after "省 L", after "使". The issuer letter
    keeps an I or O so that `parse` can report it (no authority letter is I or O, and folding it to
    a digit would hide the misread). A virtual token after "无牌" is left as issued. Parts of a
    cross-border read ("…|…|…") are normalised separately. Idempotent.
    """
    text = raw
    for _ in range(_MAX_NORMALISE_ROUNDS):
        again = _normalise_once(text)
        if again == text:
            break
        text = again
    return text


def _normalise_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).upper()
    text = "".join(ch for ch in text if not ch.isspace() and ch not in _SEPARATORS)
    return "|".join(_fold_look_alikes(part) for part in text.split("|"))


def _fold_look_alikes(part: str) -> str:
    if part.startswith(VIRTUAL_PREFIX):
        return part
    head = len(EMBASSY_PREFIX) if part.startswith(EMBASSY_PREFIX) else 2
    return part[:head] + part[head:].replace("I", "1").replace("O", "0")


def parse(raw: str, color: PlateColor | None = None) -> Plate | NoPlate:
    """Parse a camera or keyboard read into a `Plate`, or `NoPlate` for a no-plate read.

    `color` is the camera's colour hint (see the module docstring for how it is used). A
    cross-border read joins three plates with "|"; the result is the mainland plate, the first
    part that parses. Raises `PlateError` for anything else.
    """
    if not isinstance(raw, str):
        raise TypeError(f"plate read must be str, not {type(raw).__name__}")
    if len(raw) > _MAX_RAW_LENGTH:
        raise PlateError(
            raw, f"too long: {len(raw)} characters, a read has at most {_MAX_RAW_LENGTH}"
        )
    text = normalise(raw)
    if _is_no_plate(text):
        return NoPlate(raw)
    if "|" in text:
        return _parse_cross_border(raw, text, color)
    return _parse_single(raw, text, color)


def virtual_plate(token: str) -> Plate:
    """The virtual plate "无牌" + token for a vehicle without a plate; the token comes from the QR
    entry flow and is 6 to 8 letters or digits (case-insensitive, kept upper-case)."""
    canonical = unicodedata.normalize("NFKC", token).strip().upper()
    _check_token(token, canonical, offset=0)
    return _make_plate("", VIRTUAL_PREFIX + canonical, PlateKind.VIRTUAL, None)


def _is_no_plate(text: str) -> bool:
    return text.strip("_") in _NO_PLATE_MARKS


def _parse_cross_border(raw: str, text: str, color: PlateColor | None) -> Plate | NoPlate:
    failures = []
    for number, part in enumerate(text.split("|"), start=1):
        if _is_no_plate(part):
            continue
        try:
            return _parse_single(raw, part, color)
        except PlateError as error:
            failures.append(f"part {number} {part!r}: {error.reason}")
    if not failures:
        return NoPlate(raw)
    raise PlateError(
        raw, "no part of the cross-border read is a mainland plate; " + "; ".join(failures)
    )


def _parse_single(raw: str, text: str, color: PlateColor | None) -> Plate:
    if text.startswith(VIRTUAL_PREFIX):
        _check_token(raw, text[len(VIRTUAL_PREFIX) :], offset=len(VIRTUAL_PREFIX), whole=text)
        return _make_plate("", text, PlateKind.VIRTUAL, color)
    if text.startswith(EMBASSY_PREFIX):
        return _parse_embassy(raw, text, color)

    province = text[0]
    if province not in PROVINCES:
        if province.isascii():
            reason = (
                f"the province is missing: {text!r} starts with {province!r} where a province "
                f"abbreviation such as 粤 or 京 was expected"
            )
        else:
            reason = (
                f"character {province!r} at position 1 of {text!r} is not a province "
                f"abbreviation; expected one of {PROVINCES}"
            )
        raise PlateError(raw, reason)
    if len(text) < 7:
        raise PlateError(
            raw, f"too short: {text!r} has {len(text)} characters, a plate has at least 7"
        )
    _check(raw, text, 1, _LETTERS)

    if text.endswith(_EMERGENCY_SUFFIX):
        return _parse_emergency(raw, text, color)
    kind = _SUFFIX_KINDS.get(text[-1])
    if kind is not None:
        return _parse_suffixed(raw, text, kind, color)
    if len(text) == 7:
        _check_all(raw, text, range(2, 7), _SERIAL)
        return _make_plate(province, text[1:], PlateKind.ORDINARY, color)
    if len(text) == 8:
        return _parse_new_energy(raw, text, color)
    raise PlateError(
        raw,
        f"too long: {text!r} has {len(text)} characters; ordinary plates have 7, "
        f"new-energy plates 8",
    )


def _parse_new_energy(raw: str, text: str, color: PlateColor | None) -> Plate:
    third = text[2]
    if third in _NEW_ENERGY_LETTERS:
        # Small: 省 L N x dddd.
        _check(raw, text, 3, _SERIAL)
        _check_all(raw, text, range(4, 8), _DIGITS)
        kind = PlateKind.NEW_ENERGY_SMALL
    elif third in _DIGITS:
        # Large: 省 L ddddd N.
        _check_all(raw, text, range(2, 7), _DIGITS)
        _check(raw, text, 7, _NEW_ENERGY_LETTERS)
        kind = PlateKind.NEW_ENERGY_LARGE
    else:
        raise PlateError(
            raw,
            f"character {third!r} at position 3 of {text!r}: an 8-character plate is new-energy "
            f"and expects one of D F A B C E G H J K there (small) or a digit (large)",
        )
    return _make_plate(text[0], text[1:], kind, color)


def _parse_suffixed(raw: str, text: str, kind: PlateKind, color: PlateColor | None) -> Plate:
    suffix = text[-1]
    if len(text) != 7:
        raise PlateError(
            raw,
            f"{text!r} has {len(text)} characters; a plate ending in {suffix} has 7 "
            f"(province, letter, 4 characters, {suffix})",
        )
    if kind in (PlateKind.HONG_KONG, PlateKind.MACAU) and text[:2] != _CROSS_BORDER_ISSUER:
        raise PlateError(
            raw,
            f"a plate ending in {suffix} is issued as {_CROSS_BORDER_ISSUER}…{suffix}, "
            f"not {text[:2]}…{suffix}",
        )
    _check_all(raw, text, range(2, 6), _SERIAL)
    return _make_plate(text[0], text[1:], kind, color)


def _parse_emergency(raw: str, text: str, color: PlateColor | None) -> Plate:
    body_end = len(text) - len(_EMERGENCY_SUFFIX)
    if body_end - 2 not in (4, 5):
        raise PlateError(
            raw,
            f"{text!r} has {len(text)} characters; an emergency plate is province, letter, "
            f"4 characters and 应急",
        )
    _check_all(raw, text, range(2, body_end), _SERIAL)
    return _make_plate(text[0], text[1:], PlateKind.EMERGENCY, color)


def _parse_embassy(raw: str, text: str, color: PlateColor | None) -> Plate:
    if len(text) != 7:
        raise PlateError(
            raw,
            f"{text!r} has {len(text)} characters; an embassy plate is 使 and 6 digits",
        )
    _check_all(raw, text, range(1, 7), _DIGITS)
    return _make_plate("", text, PlateKind.EMBASSY, color)


def _check_token(raw: str, token: str, offset: int, whole: str | None = None) -> None:
    shown = whole if whole is not None else token
    if not 6 <= len(token) <= 8:
        raise PlateError(
            raw,
            f"virtual plate token {token!r} in {shown!r} has {len(token)} characters, "
            f"expected 6 to 8 letters or digits",
        )
    _check_all(raw, shown, range(offset, offset + len(token)), _TOKEN)


def _check_all(raw: str, text: str, positions: range, allowed: str) -> None:
    for index in positions:
        _check(raw, text, index, allowed)


def _check(raw: str, text: str, index: int, allowed: str) -> None:
    char = text[index]
    if char in allowed:
        return
    reason = (
        f"character {char!r} at position {index + 1} of {text!r}: expected {_EXPECTED[allowed]}"
    )
    if char in "IO" and "I" not in allowed:
        reason += "; letters I and O are never issued"
    elif char in _SUFFIX_KINDS or char in _EMERGENCY_SUFFIX:
        reason += f"; {char} may only end a plate"
    raise PlateError(raw, reason)


def _make_plate(province: str, serial: str, kind: PlateKind, hint: PlateColor | None) -> Plate:
    plausible = _COLORS[kind]
    color = hint if hint in plausible else plausible[0]
    return Plate(text=province + serial, province=province, serial=serial, kind=kind, color=color)
