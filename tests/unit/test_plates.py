"""Plate parsing, normalisation, masking and camera codes (GA 36, protocols.md §1 and §6)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parking.plates import (
    PROVINCES,
    NoPlate,
    Plate,
    PlateColor,
    PlateError,
    PlateKind,
    color_from_vz,
    kind_from_vz,
    normalise,
    parse,
    virtual_plate,
)

K = PlateKind
C = PlateColor

# input → (text, province, serial, kind, color, masked)
PLATES = [
    ("粤B12345", ("粤B12345", "粤", "B12345", K.ORDINARY, C.BLUE, "粤B***45")),
    ("京A9X7Y2", ("京A9X7Y2", "京", "A9X7Y2", K.ORDINARY, C.BLUE, "京A***Y2")),
    ("沪ADF123", ("沪ADF123", "沪", "ADF123", K.ORDINARY, C.BLUE, "沪A***23")),
    ("粤BD12345", ("粤BD12345", "粤", "BD12345", K.NEW_ENERGY_SMALL, C.GREEN, "粤B****45")),
    ("浙AFJ0188", ("浙AFJ0188", "浙", "AFJ0188", K.NEW_ENERGY_SMALL, C.GREEN, "浙A****88")),
    ("川AK99999", ("川AK99999", "川", "AK99999", K.NEW_ENERGY_SMALL, C.GREEN, "川A****99")),
    ("苏E12345D", ("苏E12345D", "苏", "E12345D", K.NEW_ENERGY_LARGE, C.YELLOW_GREEN, "苏E****5D")),
    ("鲁B1234挂", ("鲁B1234挂", "鲁", "B1234挂", K.TRAILER, C.YELLOW, "鲁B***4挂")),
    ("湘A0123学", ("湘A0123学", "湘", "A0123学", K.LEARNER, C.YELLOW, "湘A***3学")),
    ("京A0006警", ("京A0006警", "京", "A0006警", K.POLICE, C.WHITE, "京A***6警")),
    ("粤Z1234港", ("粤Z1234港", "粤", "Z1234港", K.HONG_KONG, C.BLACK, "粤Z***4港")),
    ("粤ZA123澳", ("粤ZA123澳", "粤", "ZA123澳", K.MACAU, C.BLACK, "粤Z***3澳")),
    ("沪A1234领", ("沪A1234领", "沪", "A1234领", K.CONSULATE, C.BLACK, "沪A***4领")),
    ("使123456", ("使123456", "", "使123456", K.EMBASSY, C.BLACK, "使****56")),
    ("京X1234应急", ("京X1234应急", "京", "X1234应急", K.EMERGENCY, C.WHITE, "京X****应急")),
    ("京X12345应急", ("京X12345应急", "京", "X12345应急", K.EMERGENCY, C.WHITE, "京X*****应急")),
    ("无牌AB12CD", ("无牌AB12CD", "", "无牌AB12CD", K.VIRTUAL, C.UNKNOWN, "无牌****CD")),
]


@pytest.mark.parametrize(("raw", "expected"), PLATES, ids=[raw for raw, _ in PLATES])
def test_parses_every_kind(raw, expected):
    plate = parse(raw)
    assert (plate.text, plate.province, plate.serial, plate.kind, plate.color, plate.masked) == (
        expected
    )


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("粤Ｂ１２３４５", "粤B12345"),
        ("粤b12345", "粤B12345"),
        ("粤bd12345", "粤BD12345"),
        ("粤B 12345", "粤B12345"),
        (" 粤 B 1 2 3 4 5 ", "粤B12345"),
        ("粤\u3000B12345", "粤B12345"),
        ("粤B·12345", "粤B12345"),
        ("粤B-12345", "粤B12345"),
        ("粤B.12345", "粤B12345"),
        ("粤B．１２３４５", "粤B12345"),
        ("粤B•12345", "粤B12345"),
        ("粤BI234O", "粤B12340"),
        ("粤Bi234o", "粤B12340"),
        ("粤BDI234O", "粤BD12340"),
        ("使I23O56", "使123056"),
        ("无牌ab12io", "无牌AB12IO"),
    ],
)
def test_normalise(raw, text):
    assert normalise(raw) == text


def test_normalise_keeps_i_and_o_in_the_authority_position_so_parse_can_report_them():
    assert normalise("粤O12345") == "粤O12345"


def test_normalise_treats_each_cross_border_part_separately():
    assert normalise("粤z1234港 | io1i34 | 使I23456") == "粤Z1234港|IO1134|使123456"


def test_parse_folds_look_alikes_in_the_serial():
    assert parse("粤BI2O45").text == "粤B12045"


@pytest.mark.parametrize("raw", ["_无_", "", "  ", "无牌", "无", "无牌车", "无车牌", "\t\n", "－"])
def test_no_plate_reads(raw):
    assert parse(raw) == NoPlate(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            "东B12345",
            "character '东' at position 1 of '东B12345' is not a province abbreviation; "
            "expected one of 京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼",
        ),
        (
            "B12345",
            "the province is missing: 'B12345' starts with 'B' where a province abbreviation "
            "such as 粤 or 京 was expected",
        ),
        (
            "粤O12345",
            "character 'O' at position 2 of '粤O12345': expected the issuing-authority letter "
            "(A-Z without I and O); letters I and O are never issued",
        ),
        (
            "粤I12345",
            "character 'I' at position 2 of '粤I12345': expected the issuing-authority letter "
            "(A-Z without I and O); letters I and O are never issued",
        ),
        (
            "粤112345",
            "character '1' at position 2 of '粤112345': expected the issuing-authority letter "
            "(A-Z without I and O)",
        ),
        ("粤B1234", "too short: '粤B1234' has 6 characters, a plate has at least 7"),
        ("粤", "too short: '粤' has 1 characters, a plate has at least 7"),
        (
            "粤B123456",
            "character '6' at position 8 of '粤B123456': expected a new-energy letter "
            "(one of D F A B C E G H J K)",
        ),
        (
            "粤B1234567",
            "too long: '粤B1234567' has 9 characters; ordinary plates have 7, "
            "new-energy plates 8",
        ),
        (
            "粤B12#45",
            "character '#' at position 5 of '粤B12#45': expected a digit or a letter other than "
            "I and O",
        ),
        (
            "粤B12警45",
            "character '警' at position 5 of '粤B12警45': expected a digit or a letter other "
            "than I and O; 警 may only end a plate",
        ),
        (
            "粤BX12345",
            "character 'X' at position 3 of '粤BX12345': an 8-character plate is new-energy and "
            "expects one of D F A B C E G H J K there (small) or a digit (large)",
        ),
        (
            "粤BDA1B34",
            "character 'B' at position 6 of '粤BDA1B34': expected a digit",
        ),
        (
            "粤B1234AD",
            "character 'A' at position 7 of '粤B1234AD': expected a digit",
        ),
        (
            "粤B12345X",
            "character 'X' at position 8 of '粤B12345X': expected a new-energy letter "
            "(one of D F A B C E G H J K)",
        ),
        (
            "粤B12345警",
            "'粤B12345警' has 8 characters; a plate ending in 警 has 7 "
            "(province, letter, 4 characters, 警)",
        ),
        ("京A1234港", "a plate ending in 港 is issued as 粤Z…港, not 京A…港"),
        (
            "京X123应急",
            "'京X123应急' has 7 characters; an emergency plate is province, letter, "
            "4 characters and 应急",
        ),
        ("使12345", "'使12345' has 6 characters; an embassy plate is 使 and 6 digits"),
        ("使12A456", "character 'A' at position 4 of '使12A456': expected a digit"),
        (
            "无牌AB1",
            "virtual plate token 'AB1' in '无牌AB1' has 3 characters, expected 6 to 8 letters "
            "or digits",
        ),
        (
            "无牌AB1#23",
            "character '#' at position 6 of '无牌AB1#23': expected a letter A-Z or a digit",
        ),
        ("x" * 65, "too long: 65 characters, a read has at most 64"),
    ],
)
def test_rejections_name_what_was_wrong(raw, reason):
    with pytest.raises(PlateError) as caught:
        parse(raw)
    assert caught.value.reason == reason
    assert caught.value.raw == raw
    assert str(caught.value) == f"cannot read plate {raw!r}: {reason}"


def test_plate_error_is_a_value_error_and_survives_pickling():
    error = PlateError("粤B", "too short")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.raw, copy.reason, str(copy)) == ("粤B", "too short", str(error))


def test_parse_refuses_non_text():
    with pytest.raises(TypeError, match="plate read must be str, not int"):
        parse(12345)  # type: ignore[arg-type]


# Cross-border reads: "mainland|Hong Kong or Macau|…"; the mainland plate is the one that parses.


def test_cross_border_read_gives_the_mainland_plate():
    plate = parse("粤Z1234港|AB1234|")
    assert (plate.text, plate.kind) == ("粤Z1234港", K.HONG_KONG)


def test_cross_border_mainland_plate_may_come_in_any_part():
    assert parse("MX1234|粤ZA123澳|_无_").text == "粤ZA123澳"


def test_cross_border_read_without_any_plate_is_no_plate():
    assert parse("_无_|_无_|") == NoPlate("_无_|_无_|")


def test_cross_border_read_without_a_mainland_plate_lists_each_part():
    with pytest.raises(PlateError) as caught:
        parse("AB1234|粤B12")
    assert caught.value.reason == (
        "no part of the cross-border read is a mainland plate; "
        "part 1 'AB1234': the province is missing: 'AB1234' starts with 'A' where a province "
        "abbreviation such as 粤 or 京 was expected; "
        "part 2 '粤B12': too short: '粤B12' has 4 characters, a plate has at least 7"
    )


# Colour hints: kept when the kind can have that colour, replaced by the kind's colour otherwise.


@pytest.mark.parametrize(
    ("raw", "hint", "color"),
    [
        ("粤B12345", C.BLUE, C.BLUE),
        ("粤B12345", C.YELLOW, C.YELLOW),
        ("粤B12345", C.BLACK, C.BLACK),
        ("粤B12345", C.GREEN, C.BLUE),
        ("粤B12345", C.UNKNOWN, C.BLUE),
        ("粤B12345", None, C.BLUE),
        ("粤BD12345", C.BLUE, C.GREEN),
        ("粤BD12345", C.YELLOW_GREEN, C.GREEN),
        ("粤B12345D", C.GREEN, C.YELLOW_GREEN),
        ("京A0006警", C.BLUE, C.WHITE),
        ("鲁B1234挂", C.BLUE, C.YELLOW),
        ("使123456", C.WHITE, C.BLACK),
        ("无牌AB12CD", C.BLUE, C.UNKNOWN),
    ],
)
def test_colour_hint_is_kept_only_when_plausible(raw, hint, color):
    assert parse(raw, hint).color == color


@pytest.mark.parametrize(
    ("raw", "hint", "large"),
    [
        ("粤B12345", C.BLUE, False),
        ("粤B12345", C.YELLOW, True),
        ("粤BD12345", None, False),
        ("粤B12345D", None, True),
        ("鲁B1234挂", None, True),
        ("湘A0123学", None, False),
        ("京A0006警", None, False),
    ],
)
def test_is_large(raw, hint, large):
    assert parse(raw, hint).is_large is large


def test_a_coach_is_large():
    coach = Plate("粤B12345", "粤", "B12345", K.COACH, C.YELLOW)
    assert coach.is_large is True


@pytest.mark.parametrize(
    ("raw", "new_energy"),
    [("粤BD12345", True), ("粤B12345D", True), ("粤B12345", False), ("粤B1234挂", False)],
)
def test_is_new_energy(raw, new_energy):
    assert parse(raw).is_new_energy is new_energy


def test_plate_text_must_be_province_and_serial():
    with pytest.raises(ValueError, match="is not province '粤' followed by serial 'B1234'"):
        Plate("粤B12345", "粤", "B1234", K.ORDINARY, C.BLUE)


def test_plate_prints_as_its_text():
    assert f"{parse('粤b12345')}" == "粤B12345"


# Virtual plates for vehicles without a plate.


def test_virtual_plate_from_token():
    plate = virtual_plate("ab12cd")
    assert (plate.text, plate.province, plate.serial, plate.kind, plate.color) == (
        "无牌AB12CD",
        "",
        "无牌AB12CD",
        K.VIRTUAL,
        C.UNKNOWN,
    )


def test_virtual_plate_keeps_i_and_o_of_the_token():
    assert virtual_plate("IO1234OI").text == "无牌IO1234OI"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (
            "AB12C",
            "virtual plate token 'AB12C' in 'AB12C' has 5 characters, expected 6 to 8 letters "
            "or digits",
        ),
        (
            "AB12CDEF9",
            "virtual plate token 'AB12CDEF9' in 'AB12CDEF9' has 9 characters, expected 6 to 8 "
            "letters or digits",
        ),
        ("AB-12CD", "character '-' at position 3 of 'AB-12CD': expected a letter A-Z or a digit"),
    ],
)
def test_virtual_plate_rejects_bad_tokens(token, reason):
    with pytest.raises(PlateError) as caught:
        virtual_plate(token)
    assert caught.value.reason == reason


def test_virtual_plate_round_trips_through_parse():
    plate = virtual_plate("QR7X2K9M")
    assert parse(plate.text) == plate


# VZ / Zhenshi camera codes (protocols.md §1).


@pytest.mark.parametrize(
    ("code", "color"),
    [
        (0, C.UNKNOWN),
        (1, C.BLUE),
        (2, C.YELLOW),
        (3, C.WHITE),
        (4, C.BLACK),
        (5, C.GREEN),
        (6, C.YELLOW_GREEN),
        (7, C.UNKNOWN),
        (-1, C.UNKNOWN),
        ("5", C.GREEN),
        ("blue", C.UNKNOWN),
    ],
)
def test_color_from_vz(code, color):
    assert color_from_vz(code) is color


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (1, K.ORDINARY),
        (2, K.ORDINARY),
        (3, K.ORDINARY),
        (4, K.ORDINARY),
        (5, K.POLICE),
        (10, K.EMBASSY),
        (11, K.HONG_KONG),
        (13, K.LEARNER),
        (14, K.MACAU),
        (19, K.NEW_ENERGY_SMALL),
        (20, K.NEW_ENERGY_LARGE),
        (21, K.EMERGENCY),
        (22, K.CONSULATE),
        ("19", K.NEW_ENERGY_SMALL),
        (0, None),
        (31, None),
        (8, None),
        (99, None),
        (True, None),
    ],
)
def test_kind_from_vz(code, kind):
    assert kind_from_vz(code) is kind


# Properties.

SERIAL_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"
NEW_ENERGY_LETTERS = "DFABCEGHJK"


def chars(alphabet: str, n: int):
    return st.text(alphabet=alphabet, min_size=n, max_size=n)


provinces = st.sampled_from(PROVINCES)
letters = st.sampled_from(LETTERS)

valid_plates = st.one_of(
    st.tuples(provinces, letters, chars(SERIAL_CHARS, 5)).map("".join),
    st.tuples(
        provinces, letters, st.sampled_from(NEW_ENERGY_LETTERS), chars(SERIAL_CHARS, 1),
        chars(DIGITS, 4),
    ).map("".join),
    st.tuples(provinces, letters, chars(DIGITS, 5), st.sampled_from(NEW_ENERGY_LETTERS)).map(
        "".join
    ),
    st.tuples(provinces, letters, chars(SERIAL_CHARS, 4), st.sampled_from("挂学警领")).map(
        "".join
    ),
    st.tuples(chars(SERIAL_CHARS, 4), st.sampled_from("港澳")).map(lambda t: "粤Z" + "".join(t)),
    st.tuples(provinces, letters, chars(SERIAL_CHARS, 4)).map(lambda t: "".join(t) + "应急"),
    chars(DIGITS, 6).map(lambda s: "使" + s),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=8).map(
        lambda s: "无牌" + s
    ),
)

ISSUER_LENGTH = {K.EMBASSY: 1}


@given(valid_plates)
def test_every_valid_plate_parses_and_round_trips(text):
    plate = parse(text)
    assert isinstance(plate, Plate)
    assert plate.text == text
    assert parse(plate.text) == plate
    assert plate.province + plate.serial == plate.text


@given(valid_plates, st.sampled_from(list(C) + [None]))
def test_round_trip_keeps_the_resolved_colour(text, hint):
    plate = parse(text, hint)
    assert parse(plate.text, plate.color) == plate


@given(valid_plates)
def test_masked_hides_every_middle_character(text):
    plate = parse(text)
    head = ISSUER_LENGTH.get(plate.kind, 2)
    masked = plate.masked
    assert len(masked) == len(text)
    assert masked[:head] == text[:head]
    assert masked[-2:] == text[-2:]
    assert set(masked[head:-2]) == {"*"}


@given(st.text())
def test_normalise_is_idempotent(raw):
    once = normalise(raw)
    assert normalise(once) == once


@given(valid_plates)
def test_normalise_leaves_canonical_text_alone(text):
    assert normalise(text) == text


@given(
    st.one_of(
        st.text(),
        st.text(alphabet=PROVINCES + SERIAL_CHARS + "IO使无牌挂学警港澳领应急|_ ·-", max_size=12),
    )
)
def test_parse_raises_only_plate_error(raw):
    try:
        result = parse(raw)
    except PlateError as error:
        assert error.raw == raw and error.reason
    else:
        assert isinstance(result, (Plate, NoPlate))
